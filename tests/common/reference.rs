//! Functions of several matrices checked against reference data: the value and gradient JAX
//! computed, and central finite differences at the same inputs.

use super::{assert_fd, assert_value, json_matrix, json_number, rel_error};
use nalgebra::DMatrix;
use serde_json::Value;

/// The arguments of a [`Function`], in its order.
pub type Args = Vec<DMatrix<f64>>;

/// A `#[grad]` function of matrices: its arguments' names (the reference data's keys), its
/// value, and its value with the gradient of each argument.
pub struct Function {
    pub name: &'static str,
    pub args: &'static [&'static str],
    pub value: fn(&Args) -> f64,
    pub grad: fn(&Args) -> (f64, Args),
}

/// A one-argument `#[grad]` function `f` (with `f_grad`) of the argument `a` as a [`Function`].
#[macro_export]
macro_rules! function1 {
    ($f:ident, $g:ident, $a:ident) => {
        $crate::common::reference::Function {
            name: stringify!($f),
            args: &[stringify!($a)],
            value: |x| $f(&x[0]),
            grad: |x| {
                let (v, g) = $g(&x[0]);
                (v, vec![g.$a])
            },
        }
    };
}

/// A two-argument `#[grad]` function `f` (with `f_grad`) of arguments `a`, `b` as a
/// [`Function`].
#[macro_export]
macro_rules! function2 {
    ($f:ident, $g:ident, $a:ident, $b:ident) => {
        $crate::common::reference::Function {
            name: stringify!($f),
            args: &[stringify!($a), stringify!($b)],
            value: |x| $f(&x[0], &x[1]),
            grad: |x| {
                let (v, g) = $g(&x[0], &x[1]);
                (v, vec![g.$a, g.$b])
            },
        }
    };
}

/// The arguments of `f` in a case of the reference data (a matrix under each name).
pub fn arguments(case: &Value, f: &Function) -> Args {
    f.args.iter().map(|a| json_matrix(&case[*a])).collect()
}

/// Asserts that `f`'s value and gradients at the case's arguments are the reference's
/// `{"value": v, "grad": {arg: rows}}` to `tol`, and its value the original function's.
#[track_caller]
pub fn assert_matches_reference(
    what: &str,
    case: &Value,
    reference: &Value,
    f: &Function,
    tol: f64,
) {
    let args = arguments(case, f);
    let (v, grads) = (f.grad)(&args);
    let expected = json_number(&reference["value"]);
    assert!(
        (v - expected).abs() <= tol * expected.abs().max(1.0),
        "{what}: the value is {v}, the reference's {expected}"
    );
    assert_value(what, v, (f.value)(&args));
    for (name, g) in f.args.iter().zip(&grads) {
        let r = json_matrix(&reference["grad"][*name]);
        let e = rel_error(g, &r);
        assert!(
            e < tol,
            "{what}: the gradient of {name} is {g} but the reference's is {r} (relative error {e:e})"
        );
    }
}

/// Asserts that `f`'s gradient of each argument not in `skip` matches central finite
/// differences at the case's arguments.
#[track_caller]
pub fn assert_matches_finite_differences(what: &str, case: &Value, f: &Function, skip: &[&str]) {
    let args = arguments(case, f);
    let (_, grads) = (f.grad)(&args);
    for (k, name) in f.args.iter().enumerate() {
        if skip.contains(name) {
            continue;
        }
        let value = |x: &DMatrix<f64>| {
            let mut moved = args.clone();
            moved[k] = x.clone();
            (f.value)(&moved)
        };
        assert_fd(&format!("{what} d/d{name}"), value, &args[k], &grads[k]);
    }
}
