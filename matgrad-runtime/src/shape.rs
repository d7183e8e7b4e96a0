//! Shape checks shared by the kernels: each panics with the operation and both shapes.

/// Formats a shape as `rows×cols`.
pub(crate) fn fmt(shape: (usize, usize)) -> String {
    format!("{}×{}", shape.0, shape.1)
}

/// Panics unless both operands of the element-wise operation `op` have the same shape.
#[track_caller]
pub(crate) fn same(op: &str, lhs: (usize, usize), rhs: (usize, usize)) {
    if lhs != rhs {
        panic!(
            "matgrad: `{op}` needs operands of the same shape, got {} and {}",
            fmt(lhs),
            fmt(rhs)
        );
    }
}

/// Panics unless a `lhs`-shaped matrix can multiply a `rhs`-shaped one.
#[track_caller]
pub(crate) fn multipliable(lhs: (usize, usize), rhs: (usize, usize)) {
    if lhs.1 != rhs.0 {
        panic!(
            "matgrad: `*` cannot multiply a {} matrix by a {} matrix: the left has {} columns, the right {} rows",
            fmt(lhs),
            fmt(rhs),
            lhs.1,
            rhs.0
        );
    }
}

/// Panics unless the operand of `op` is square.
#[track_caller]
pub(crate) fn square(op: &str, shape: (usize, usize)) {
    if shape.0 != shape.1 {
        panic!("matgrad: `{op}` needs a square matrix, got {}", fmt(shape));
    }
}

/// Panics unless a `rhs`-shaped row (`axis = "row"`, `1×ncols`) or column (`axis = "column"`,
/// `nrows×1`) can be broadcast over a `lhs`-shaped matrix by the operation `op`.
#[track_caller]
pub(crate) fn broadcastable(op: &str, axis: &str, lhs: (usize, usize), rhs: (usize, usize)) {
    let fits = match axis {
        "row" => rhs.0 == 1 && rhs.1 == lhs.1,
        _ => rhs.1 == 1 && rhs.0 == lhs.0,
    };
    if !fits {
        let need = match axis {
            "row" => fmt((1, lhs.1)),
            _ => fmt((lhs.0, 1)),
        };
        panic!(
            "matgrad: `{op}` cannot apply a {} {axis} to every {axis} of a {} matrix: it needs a {need} {axis}",
            fmt(rhs),
            fmt(lhs),
        );
    }
}

/// Panics unless a `rhs`-shaped right-hand side has as many rows as the `lhs`-shaped matrix
/// of the solve `op`.
#[track_caller]
pub(crate) fn solvable(op: &str, lhs: (usize, usize), rhs: (usize, usize)) {
    if lhs.0 != rhs.0 {
        panic!(
            "matgrad: `{op}` cannot solve with a {} matrix for a {} right-hand side: it needs {} rows",
            fmt(lhs),
            fmt(rhs),
            lhs.0
        );
    }
}
