//! Triangular solves: `t.solve_lower_triangular(&b).unwrap()`, `solve_upper_triangular`
//! and their `tr_` forms (the transposed triangle): what nalgebra computes, by the runtime's
//! own substitution (blocked, its updates products, for many right-hand sides).
//!
//! Each reads one triangle of `T` (the diagonal included) and ignores the other, so `T̄` is
//! zero there: the gradient of the function nalgebra computes, as JAX's `solve_triangular`
//! gives.

use crate::shape;
use crate::value::{accumulate, Scalar};
use nalgebra::{allocator::Allocator, DefaultAllocator, Dim, OMatrix};

/// Which triangular system a kernel solves.
#[derive(Clone, Copy)]
enum System {
    /// `L·x = b`, `L` the lower triangle.
    Lower,
    /// `U·x = b`.
    Upper,
    /// `Lᵀ·x = b`.
    TrLower,
    /// `Uᵀ·x = b`.
    TrUpper,
}

impl System {
    /// The method's name, for errors.
    fn name(self) -> &'static str {
        match self {
            System::Lower => "solve_lower_triangular",
            System::Upper => "solve_upper_triangular",
            System::TrLower => "tr_solve_lower_triangular",
            System::TrUpper => "tr_solve_upper_triangular",
        }
    }

    /// The system with the transposed matrix: its solve is this one's pullback to `b`.
    fn transposed(self) -> System {
        match self {
            System::Lower => System::TrLower,
            System::Upper => System::TrUpper,
            System::TrLower => System::Lower,
            System::TrUpper => System::Upper,
        }
    }

    /// Whether the matrix read is the lower triangle.
    fn lower(self) -> bool {
        matches!(self, System::Lower | System::TrLower)
    }

    /// Whether the system's matrix is `Tᵀ`.
    fn transposed_matrix(self) -> bool {
        matches!(self, System::TrLower | System::TrUpper)
    }

    /// `x` with `op(T)·x = b`, `None` at a zero on the diagonal, by the slice kernel (blocked
    /// for many right-hand sides): what nalgebra's method computes, to rounding.
    fn solve<T: Scalar, D: Dim, C: Dim>(
        self,
        t: &OMatrix<T, D, D>,
        b: &OMatrix<T, D, C>,
    ) -> Option<OMatrix<T, D, C>>
    where
        DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
    {
        let mut x = b.clone();
        let n = t.nrows();
        let solved = crate::dense::triangular_solve(
            t.as_slice(),
            n,
            self.lower(),
            self.transposed_matrix(),
            false,
            x.as_mut_slice(),
        );
        solved.then_some(x)
    }
}

/// `op(T)⁻¹·B`, panicking as the user's `unwrap` would.
#[track_caller]
fn solve<T: Scalar, D: Dim, C: Dim>(
    system: System,
    t: &OMatrix<T, D, D>,
    b: &OMatrix<T, D, C>,
) -> OMatrix<T, D, C>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
{
    match solve_checked(system, t, b) {
        Some(x) => x,
        None => panic!(
            "matgrad: `{}(..).unwrap()` with a zero on the diagonal of a {} matrix",
            system.name(),
            shape::fmt(t.shape())
        ),
    }
}

/// `op(T)⁻¹·B`, `None` at a zero on the read diagonal (nalgebra's `Option`).
///
/// # Panics
/// If `T` is not square or `B` has not as many rows.
#[track_caller]
fn solve_checked<T: Scalar, D: Dim, C: Dim>(
    system: System,
    t: &OMatrix<T, D, D>,
    b: &OMatrix<T, D, C>,
) -> Option<OMatrix<T, D, C>>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
{
    shape::square(system.name(), t.shape());
    shape::solvable(system.name(), t.shape(), b.shape());
    system.solve(t, b)
}

/// `T̄ −= mask(op(T)⁻ᵀ·Ḡ·Xᵀ)` (`X·(op(T)⁻ᵀḠ)ᵀ` transposed for the `tr_` forms), the read
/// triangle only: computed for that triangle alone (half the product, no n×n temporary, no
/// masking pass) and subtracted in the slot.
fn pullback_matrix<T: Scalar, D: Dim, C: Dim>(
    system: System,
    g: &OMatrix<T, D, C>,
    t: &OMatrix<T, D, D>,
    x: &OMatrix<T, D, C>,
    acc: &mut Option<OMatrix<T, D, D>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C> + Allocator<C, D>,
{
    let u = solve_transposed(system, t, g);
    add_matrix_part(system, &u, t, x, acc)
}

/// `T̄ −= mask(u·Xᵀ)` (`X·uᵀ` for the `tr_` forms) for `u = op(T)⁻ᵀ·Ḡ`, the read triangle only.
fn add_matrix_part<T: Scalar, D: Dim, C: Dim>(
    system: System,
    u: &OMatrix<T, D, C>,
    t: &OMatrix<T, D, D>,
    x: &OMatrix<T, D, C>,
    acc: &mut Option<OMatrix<T, D, D>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
{
    // op(T) = T: T̄ = −u·xᵀ; op(T) = Tᵀ: T̄ = (−u·xᵀ)ᵀ = −x·uᵀ.
    let (p, q) = match system {
        System::Lower | System::Upper => (u, x),
        System::TrLower | System::TrUpper => (x, u),
    };
    let (n, k) = x.shape();
    let m = acc.get_or_insert_with(|| {
        let (r, c) = t.shape_generic();
        OMatrix::zeros_generic(r, c)
    });
    crate::dense::add_product_triangle(
        m.as_mut_slice(),
        n,
        -T::one(),
        p.as_slice(),
        q.as_slice(),
        k,
        system.lower(),
    );
}

/// `B̄ += op(T)⁻ᵀ·Ḡ`.
fn pullback_rhs<T: Scalar, D: Dim, C: Dim>(
    system: System,
    g: &OMatrix<T, D, C>,
    t: &OMatrix<T, D, D>,
    acc: &mut Option<OMatrix<T, D, C>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
{
    let u = solve_transposed(system, t, g);
    accumulate(acc, u)
}

/// Both pullbacks with one transposed solve: `u = op(T)⁻ᵀ·Ḡ`, `T̄ −= mask(u·Xᵀ)`, `B̄ += u`.
fn pullback_both<T: Scalar, D: Dim, C: Dim>(
    system: System,
    g: &OMatrix<T, D, C>,
    t: &OMatrix<T, D, D>,
    x: &OMatrix<T, D, C>,
    acc_t: &mut Option<OMatrix<T, D, D>>,
    acc_b: &mut Option<OMatrix<T, D, C>>,
) where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
{
    let u = solve_transposed(system, t, g);
    add_matrix_part(system, &u, t, x, acc_t);
    accumulate(acc_b, u)
}

/// `op(T)⁻ᵀ·Ḡ` for the pullbacks, by the slice kernel (the forward solve succeeded: the read
/// diagonal has no zero).
fn solve_transposed<T: Scalar, D: Dim, C: Dim>(
    system: System,
    t: &OMatrix<T, D, D>,
    g: &OMatrix<T, D, C>,
) -> OMatrix<T, D, C>
where
    DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
{
    system
        .transposed()
        .solve(t, g)
        .expect("matgrad: the triangular matrix was invertible in the forward sweep")
}

/// The primal and pullbacks of one triangular solve.
macro_rules! triangular_solves {
    ($( $(#[$doc:meta])* $name:ident, $checked:ident, $lhs:ident, $rhs:ident, $both:ident => $system:expr; )*) => {$(
        $(#[$doc])*
        ///
        /// # Panics
        /// If `T` is not square, `B` has not as many rows, or the triangle's diagonal has a
        /// zero (as the user's `unwrap` would).
        #[track_caller]
        pub fn $name<T: Scalar, D: Dim, C: Dim>(
            t: &OMatrix<T, D, D>,
            b: &OMatrix<T, D, C>,
        ) -> OMatrix<T, D, C>
        where
            DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
        {
            solve($system, t, b)
        }

        $(#[$doc])*
        /// `None` where the triangle's diagonal has a zero: the `Option` of nalgebra's method,
        /// for the user's `.expect(msg)`.
        ///
        /// # Panics
        /// If `T` is not square or `B` has not as many rows.
        #[track_caller]
        pub fn $checked<T: Scalar, D: Dim, C: Dim>(
            t: &OMatrix<T, D, D>,
            b: &OMatrix<T, D, C>,
        ) -> Option<OMatrix<T, D, C>>
        where
            DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
        {
            solve_checked($system, t, b)
        }

        /// `T̄ −= the read triangle of op(T)⁻ᵀ·Ḡ·Xᵀ` (transposed for a `tr_` form).
        pub fn $lhs<T: Scalar, D: Dim, C: Dim>(
            g: &OMatrix<T, D, C>,
            t: &OMatrix<T, D, D>,
            _b: &OMatrix<T, D, C>,
            x: &OMatrix<T, D, C>,
            acc: &mut Option<OMatrix<T, D, D>>,
        ) where
            DefaultAllocator: Allocator<D, D> + Allocator<D, C> + Allocator<C, D>,
        {
            pullback_matrix($system, g, t, x, acc)
        }

        /// `B̄ += op(T)⁻ᵀ·Ḡ`.
        pub fn $rhs<T: Scalar, D: Dim, C: Dim>(
            g: &OMatrix<T, D, C>,
            t: &OMatrix<T, D, D>,
            _b: &OMatrix<T, D, C>,
            _x: &OMatrix<T, D, C>,
            acc: &mut Option<OMatrix<T, D, C>>,
        ) where
            DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
        {
            pullback_rhs($system, g, t, acc)
        }

        /// `T̄ −= the read triangle of u·Xᵀ` (transposed for a `tr_` form) and `B̄ += u` for
        /// `u = op(T)⁻ᵀ·Ḡ`, solved once.
        pub fn $both<T: Scalar, D: Dim, C: Dim>(
            g: &OMatrix<T, D, C>,
            t: &OMatrix<T, D, D>,
            _b: &OMatrix<T, D, C>,
            x: &OMatrix<T, D, C>,
            acc_t: &mut Option<OMatrix<T, D, D>>,
            acc_b: &mut Option<OMatrix<T, D, C>>,
        ) where
            DefaultAllocator: Allocator<D, D> + Allocator<D, C>,
        {
            pullback_both($system, g, t, x, acc_t, acc_b)
        }
    )*};
}

triangular_solves! {
    /// `X = L⁻¹·B`, `L` the lower triangle of `T`.
    solve_lower_triangular, solve_lower_triangular_checked, solve_lower_triangular_pullback_lhs,
        solve_lower_triangular_pullback_rhs, solve_lower_triangular_pullback_both => System::Lower;
    /// `X = U⁻¹·B`, `U` the upper triangle of `T`.
    solve_upper_triangular, solve_upper_triangular_checked, solve_upper_triangular_pullback_lhs,
        solve_upper_triangular_pullback_rhs, solve_upper_triangular_pullback_both => System::Upper;
    /// `X = L⁻ᵀ·B`, `L` the lower triangle of `T`.
    tr_solve_lower_triangular, tr_solve_lower_triangular_checked, tr_solve_lower_triangular_pullback_lhs,
        tr_solve_lower_triangular_pullback_rhs, tr_solve_lower_triangular_pullback_both => System::TrLower;
    /// `X = U⁻ᵀ·B`, `U` the upper triangle of `T`.
    tr_solve_upper_triangular, tr_solve_upper_triangular_checked, tr_solve_upper_triangular_pullback_lhs,
        tr_solve_upper_triangular_pullback_rhs, tr_solve_upper_triangular_pullback_both => System::TrUpper;
}
