//! The reverse sweep's nodes in long functions: one call per value that takes its cotangent
//! out of its slot and runs the value's pullback kernels on it.
//!
//! In a short function each node is written out as
//! `if let Some(ḡ) = slot.take() { k₀(&ḡ, a, b, &mut ā); k₁(ḡ, a, b, &mut b̄); }`. That is
//! a branch, a binding, a drop and two calls in the caller for every value, and in a function
//! of thousands of values it is most of what rustc and LLVM compile. A long function calls
//! `pull2_ro(&mut slot, a, b, &mut ā, &mut b̄, k₀, k₁)` instead: the kernels are passed as
//! function pointers (rustc infers their generic arguments from the pointer type, which the
//! other arguments fix), and the drivers below are instantiated once per combination of
//! types, not once per call. Optimised, the pointers are constants and the kernels inline as
//! before.
//!
//! The names say how many arguments sit between ḡ and the adjoint slot (`0` for the
//! pass-through kernels, `2` for `(x, y)` or `(a, b)`, `3` for `(x, extra, y)`), and how
//! each kernel receives ḡ: `r` borrowed, `o` owned (the last kernel, which may reuse its
//! buffer); `_same` when both kernels accumulate into one slot (`x * x`).

/// One kernel, ḡ owned and borrowed, for each list of arguments between ḡ and the slot.
macro_rules! pull_one {
    ($($owned:ident, $borrowed:ident ($($m:ident: $M:ident),*);)*) => {$(
        #[doc = concat!("`k(ḡ, ", $(stringify!($m), ", ",)* "d)` with ḡ taken out of `slot`, if it holds one.")]
        #[inline]
        #[allow(clippy::too_many_arguments)]
        pub fn $owned<G, $($M,)* D>(slot: &mut Option<G>, $($m: $M,)* d: &mut D, k: fn(G, $($M,)* &mut D)) {
            if let Some(g) = slot.take() {
                k(g, $($m,)* d);
            }
        }

        #[doc = concat!("`k(&ḡ, ", $(stringify!($m), ", ",)* "d)` with ḡ taken out of `slot`, if it holds one.")]
        #[inline]
        #[allow(clippy::too_many_arguments)]
        pub fn $borrowed<G, $($M,)* D>(slot: &mut Option<G>, $($m: $M,)* d: &mut D, k: fn(&G, $($M,)* &mut D)) {
            if let Some(g) = slot.take() {
                k(&g, $($m,)* d);
            }
        }
    )*};
}

/// Two kernels on one ḡ, for each list of arguments between ḡ and the slots (shared, so
/// `Copy`: references).
macro_rules! pull_two {
    ($($ro:ident, $rr:ident, $ro_same:ident, $rr_same:ident ($($m:ident: $M:ident),*);)*) => {$(
        #[doc = concat!("`k₀(&ḡ, ", $(stringify!($m), ", ",)* "d₀)` then `k₁(ḡ, ", $(stringify!($m), ", ",)* "d₁)` with ḡ taken out of `slot`, if it holds one.")]
        #[inline]
        #[allow(clippy::too_many_arguments)]
        pub fn $ro<G, $($M: Copy,)* D0, D1>(
            slot: &mut Option<G>, $($m: $M,)* d0: &mut D0, d1: &mut D1,
            k0: fn(&G, $($M,)* &mut D0), k1: fn(G, $($M,)* &mut D1),
        ) {
            if let Some(g) = slot.take() {
                k0(&g, $($m,)* d0);
                k1(g, $($m,)* d1);
            }
        }

        #[doc = concat!("`k₀(&ḡ, ", $(stringify!($m), ", ",)* "d₀)` then `k₁(&ḡ, ", $(stringify!($m), ", ",)* "d₁)` with ḡ taken out of `slot`, if it holds one.")]
        #[inline]
        #[allow(clippy::too_many_arguments)]
        pub fn $rr<G, $($M: Copy,)* D0, D1>(
            slot: &mut Option<G>, $($m: $M,)* d0: &mut D0, d1: &mut D1,
            k0: fn(&G, $($M,)* &mut D0), k1: fn(&G, $($M,)* &mut D1),
        ) {
            if let Some(g) = slot.take() {
                k0(&g, $($m,)* d0);
                k1(&g, $($m,)* d1);
            }
        }

        #[doc = concat!("`k₀(&ḡ, ", $(stringify!($m), ", ",)* "d)` then `k₁(ḡ, ", $(stringify!($m), ", ",)* "d)`, both into one slot, with ḡ taken out of `slot`, if it holds one.")]
        #[inline]
        #[allow(clippy::too_many_arguments)]
        pub fn $ro_same<G, $($M: Copy,)* D>(
            slot: &mut Option<G>, $($m: $M,)* d: &mut D,
            k0: fn(&G, $($M,)* &mut D), k1: fn(G, $($M,)* &mut D),
        ) {
            if let Some(g) = slot.take() {
                k0(&g, $($m,)* d);
                k1(g, $($m,)* d);
            }
        }

        #[doc = concat!("`k₀(&ḡ, ", $(stringify!($m), ", ",)* "d)` then `k₁(&ḡ, ", $(stringify!($m), ", ",)* "d)`, both into one slot, with ḡ taken out of `slot`, if it holds one.")]
        #[inline]
        #[allow(clippy::too_many_arguments)]
        pub fn $rr_same<G, $($M: Copy,)* D>(
            slot: &mut Option<G>, $($m: $M,)* d: &mut D,
            k0: fn(&G, $($M,)* &mut D), k1: fn(&G, $($M,)* &mut D),
        ) {
            if let Some(g) = slot.take() {
                k0(&g, $($m,)* d);
                k1(&g, $($m,)* d);
            }
        }
    )*};
}

pull_one! {
    pull0_o, pull0_r ();
    pull2_o, pull2_r (m0: M0, m1: M1);
    pull3_o, pull3_r (m0: M0, m1: M1, m2: M2);
}

pull_two! {
    pull0_ro, pull0_rr, pull0_ro_same, pull0_rr_same ();
    pull2_ro, pull2_rr, pull2_ro_same, pull2_rr_same (m0: M0, m1: M1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{mul_pullback_lhs, mul_pullback_rhs, mul_pullback_rhs_reuse_g, pass_through};
    use nalgebra::dmatrix;

    #[test]
    fn an_empty_slot_runs_no_kernel() {
        let (a, b) = (dmatrix![1.0, 2.0], dmatrix![3.0; 4.0]);
        let (mut a_bar, mut b_bar) = (None, None);
        let mut y_bar: Option<nalgebra::DMatrix<f64>> = None;
        pull2_ro(
            &mut y_bar,
            &a,
            &b,
            &mut a_bar,
            &mut b_bar,
            mul_pullback_lhs,
            mul_pullback_rhs_reuse_g,
        );
        assert!(a_bar.is_none() && b_bar.is_none());
    }

    #[test]
    fn the_kernels_run_on_the_taken_cotangent_as_written_out() {
        let (a, b) = (dmatrix![1.0, 2.0; 3.0, 4.0], dmatrix![0.5, -1.0; 2.0, 0.25]);
        let g = dmatrix![1.0, -2.0; 0.5, 3.0];
        let (mut a_ref, mut b_ref) = (None, None);
        mul_pullback_lhs(&g, &a, &b, &mut a_ref);
        mul_pullback_rhs(&g, &a, &b, &mut b_ref);
        let (mut a_bar, mut b_bar) = (None, None);
        let mut y_bar = Some(g.clone());
        pull2_ro(
            &mut y_bar,
            &a,
            &b,
            &mut a_bar,
            &mut b_bar,
            mul_pullback_lhs,
            mul_pullback_rhs_reuse_g,
        );
        assert!(y_bar.is_none(), "the slot is read for the last time");
        assert_eq!((a_bar, b_bar), (a_ref, b_ref));

        // x * x: both kernels into one slot.
        let mut x_bar = None;
        let mut y_bar = Some(g.clone());
        pull2_rr_same(
            &mut y_bar,
            &a,
            &a,
            &mut x_bar,
            mul_pullback_lhs,
            mul_pullback_rhs,
        );
        assert_eq!(x_bar, Some(&g * a.transpose() + a.transpose() * &g));

        let mut p = None;
        pull0_r(&mut Some(g.clone()), &mut p, pass_through);
        assert_eq!(p, Some(g));
    }
}
