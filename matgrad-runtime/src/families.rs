//! The table macros of kernel families that span several modules: each operation is one entry,
//! invoked in the module of the operation so that its primal stays beside its pullbacks, the
//! way nalgebra's `componentwise_binop_impl!` makes `op`, `op_mut` and `op_assign` from one line.
//! (The families within one module have their table macro there: the broadcasts, the scalar
//! functions, the activations, `max` and `min`.)

/// One entry per entry-wise binary operation on two values of one shape makes its primal,
/// `zₛ = f(xₛ, yₛ)`, and the same computed in the left operand's buffer and in the right
/// one's (the two names after `in`). `op` names the operation in shape panics.
macro_rules! entrywise_binary {
    ($(
        $(#[$doc:meta])*
        $primal:ident($op:literal) = $f:expr, in $reuse_lhs:ident, $reuse_rhs:ident;
    )*) => {$(
        $(#[$doc])*
        #[inline]
        #[track_caller]
        pub fn $primal<V: $crate::Dense>(lhs: &V, rhs: &V) -> V {
            $crate::shape::same($op, lhs.shape(), rhs.shape());
            lhs.zip_entries(rhs, $f)
        }

        #[doc = concat!("[`", stringify!($primal), "`] computed in `lhs`'s buffer.")]
        #[inline]
        #[track_caller]
        pub fn $reuse_lhs<V: $crate::Dense>(mut lhs: V, rhs: &V) -> V {
            $crate::shape::same($op, lhs.shape(), rhs.shape());
            $crate::families::zip_into(lhs.entries_mut(), rhs.entries(), $f);
            lhs
        }

        #[doc = concat!("[`", stringify!($primal), "`] computed in `rhs`'s buffer.")]
        #[inline]
        #[track_caller]
        pub fn $reuse_rhs<V: $crate::Dense>(lhs: &V, mut rhs: V) -> V {
            $crate::shape::same($op, lhs.shape(), rhs.shape());
            $crate::families::zip_into_rhs(lhs.entries(), rhs.entries_mut(), $f);
            rhs
        }
    )*};
}
pub(crate) use entrywise_binary;

/// `lₛ = f(lₛ, rₛ)` for every entry.
#[inline(always)]
pub(crate) fn zip_into<T: Copy>(l: &mut [T], r: &[T], f: impl Fn(T, T) -> T) {
    for (a, b) in l.iter_mut().zip(r) {
        *a = f(*a, *b);
    }
}

/// `rₛ = f(lₛ, rₛ)` for every entry.
#[inline(always)]
pub(crate) fn zip_into_rhs<T: Copy>(l: &[T], r: &mut [T], f: impl Fn(T, T) -> T) {
    for (b, a) in r.iter_mut().zip(l) {
        *b = f(*a, *b);
    }
}

/// One entry per function of a matrix `X` (`OMatrix<T, R, C>`) makes its primal, `Y = F(X)`
/// of the type after `->`, and its pullback `(ḡ, X, Y, slot)`, each from its body with the
/// arguments named as the entry names them. `where` adds the allocator bound the result
/// needs to `DefaultAllocator: Allocator<R, C>`.
macro_rules! matrix_functions {
    ($(
        $(#[$primal_attr:meta])*
        $primal:ident($x:ident) -> $out:ty $(where $alloc:path)? { $($primal_body:tt)* }
        $(#[$pullback_attr:meta])*
        $pullback:ident($g:ident, $px:ident, $y:ident, $acc:ident) { $($pullback_body:tt)* }
    )*) => {$(
        $(#[$primal_attr])*
        #[inline]
        pub fn $primal<T, R, C>($x: &::nalgebra::OMatrix<T, R, C>) -> $out
        where
            T: $crate::Scalar,
            R: ::nalgebra::Dim,
            C: ::nalgebra::Dim,
            ::nalgebra::DefaultAllocator: ::nalgebra::allocator::Allocator<R, C> $(+ $alloc)?,
        {
            $($primal_body)*
        }

        $(#[$pullback_attr])*
        #[inline]
        pub fn $pullback<T, R, C>(
            $g: &$out,
            $px: &::nalgebra::OMatrix<T, R, C>,
            $y: &$out,
            $acc: &mut Option<::nalgebra::OMatrix<T, R, C>>,
        ) where
            T: $crate::Scalar,
            R: ::nalgebra::Dim,
            C: ::nalgebra::Dim,
            ::nalgebra::DefaultAllocator: ::nalgebra::allocator::Allocator<R, C> $(+ $alloc)?,
        {
            $($pullback_body)*
        }
    )*};
}
pub(crate) use matrix_functions;
