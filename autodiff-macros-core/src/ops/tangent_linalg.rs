//! The tangent rules of the linear-algebra operations: factorisations' readings, solves,
//! determinants, inverses, spectral functions and the exponential.

use super::tangent::{Build, Missing, Site};
use super::Op;
use crate::ir::ValueId;

/// ẏ for the linear-algebra operation `op` at `s` (its operand's tangent is not zero).
pub fn tangent(op: Op, b: &mut dyn Build, s: &Site) -> Result<Option<ValueId>, Missing> {
    let _ = (op, b, s);
    Err(Missing)
}
