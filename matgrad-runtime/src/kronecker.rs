//! The Kronecker product `a.kronecker(&b)`: the block matrix whose block `(i, j)` is `aᵢⱼ·B`.

use crate::value::{accumulate, Scalar};
#[allow(unused_imports)]
use crate::Differentiable as _;
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, DimMul, DimProd, OMatrix};

/// `A ⊗ B`.
pub fn kronecker<T: Scalar, R1: DimMul<R2>, C1: DimMul<C2>, R2: Dim, C2: Dim>(
    a: &OMatrix<T, R1, C1>,
    b: &OMatrix<T, R2, C2>,
) -> OMatrix<T, DimProd<R1, R2>, DimProd<C1, C2>>
where
    DefaultAllocator:
        Allocator<R1, C1> + Allocator<R2, C2> + Allocator<DimProd<R1, R2>, DimProd<C1, C2>>,
{
    a.kronecker(b)
}

/// `Σₖₗ Ḡ[(i·p + k, j·q + l)]·w(i, j, k, l)` for every `(i, j)` of `A` and `(k, l)` of `B`
/// (`p×q` the shape of `B`), summed by `add`.
fn blocks<T: Scalar>(
    g: &[T],
    shape_a: (usize, usize),
    shape_b: (usize, usize),
    mut add: impl FnMut((usize, usize), (usize, usize), T),
) {
    let ((m, n), (p, q)) = (shape_a, shape_b);
    let rows = m * p;
    for j in 0..n {
        for l in 0..q {
            for i in 0..m {
                for k in 0..p {
                    add((i, j), (k, l), g[(i * p + k) + (j * q + l) * rows]);
                }
            }
        }
    }
}

/// `āᵢⱼ += ⟨Ḡ's block (i, j), B⟩`.
pub fn kronecker_pullback_lhs<T: Scalar, R1: DimMul<R2>, C1: DimMul<C2>, R2: Dim, C2: Dim>(
    g: &OMatrix<T, DimProd<R1, R2>, DimProd<C1, C2>>,
    a: &OMatrix<T, R1, C1>,
    b: &OMatrix<T, R2, C2>,
    acc: &mut Option<OMatrix<T, R1, C1>>,
) where
    DefaultAllocator:
        Allocator<R1, C1> + Allocator<R2, C2> + Allocator<DimProd<R1, R2>, DimProd<C1, C2>>,
{
    let mut abar = a.zeros_like();
    blocks(g.as_slice(), a.shape(), b.shape(), |ij, kl, gv| {
        abar[ij] += gv * b[kl];
    });
    accumulate(acc, abar)
}

/// `b̄ₖₗ += Σᵢⱼ aᵢⱼ·Ḡ's block (i, j) at (k, l)`.
pub fn kronecker_pullback_rhs<T: Scalar, R1: DimMul<R2>, C1: DimMul<C2>, R2: Dim, C2: Dim>(
    g: &OMatrix<T, DimProd<R1, R2>, DimProd<C1, C2>>,
    a: &OMatrix<T, R1, C1>,
    b: &OMatrix<T, R2, C2>,
    acc: &mut Option<OMatrix<T, R2, C2>>,
) where
    DefaultAllocator:
        Allocator<R1, C1> + Allocator<R2, C2> + Allocator<DimProd<R1, R2>, DimProd<C1, C2>>,
{
    let mut bbar = b.zeros_like();
    blocks(g.as_slice(), a.shape(), b.shape(), |ij, kl, gv| {
        bbar[kl] += gv * a[ij];
    });
    accumulate(acc, bbar)
}
