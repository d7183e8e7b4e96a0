//! `matgrad::optim` against optax, an independent implementation, in float64
//! (`tests/data/optim_optax.py` writes `tests/data/optim_optax.json`).
//!
//! Every optimiser case replays the script's gradients from its initial parameters (a 3×2
//! matrix `w`, a 4-vector `b`, a scalar `s`) and is held after every step to the parameters
//! optax's `update` gave, to [`OPTAX_TOL`] relative to each leaf's largest entry: on a
//! `Vec<DMatrix<f64>>` of the three leaves, on a struct of a matrix, a vector and a float, and
//! (to [`F32_TOL`]) on `f32` leaves. Our optimisers follow PyTorch's conventions; each case
//! below names the PyTorch call it is and the script the optax chain that is the same
//! optimiser (SGD's dampening, which optax lacks, is a schedule scaling the gradient by 1 at the
//! first step and 1 − τ after it, before `optax.trace`).
//!
//! Also: `clip_by_global_norm` against `optax.clip_by_global_norm`, every schedule against its
//! optax schedule at steps 0..=25, Adam reaching the minimiser of a least-squares problem whose
//! gradient `#[grad]` computes, a warm step's allocations (only the vectors of leaf
//! references), and the panics on gradients and parameters of other shapes.
//! `cargo test --test optim -- --nocapture` prints the worst error of each comparison.

mod common;

use common::{json_matrix, json_number, reference_data};
use matgrad::optim::{
    clip_by_global_norm, from_fn, Adam, AdamW, CosineDecay, ExponentialDecay, Optimiser, Schedule,
    Sgd, StepDecay, WarmupCosineDecay,
};
use matgrad::{grad, Differentiable, Leaf, LeafMut};
use nalgebra::{DMatrix, DVector};
use serde_json::Value;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Against optax: the same float64 formulas, apart by rounding only.
const OPTAX_TOL: f64 = 1e-12;
/// `f32` parameters against optax's float64 trajectory.
const F32_TOL: f64 = 2e-6;

fn data() -> Value {
    reference_data("optim_optax")
}

// ================================================================== the reference's pytrees

/// The reference's pytree `{"w", "b", "s"}` as its leaves, in that order: 3×2, 4×1 and 1×1.
fn tree(v: &Value) -> Vec<DMatrix<f64>> {
    let s = json_number(&v["s"]);
    vec![
        json_matrix(&v["w"]),
        json_matrix(&v["b"]),
        DMatrix::from_element(1, 1, s),
    ]
}

/// The parameters of the struct test: the pytree's leaves as a matrix, a vector and a float.
#[derive(Clone, Debug)]
struct Net {
    w: DMatrix<f64>,
    b: DVector<f64>,
    s: f64,
}

impl Net {
    fn from_tree(v: &Value) -> Net {
        let [w, b, s] = <[DMatrix<f64>; 3]>::try_from(tree(v)).unwrap();
        Net {
            w,
            b: b.column(0).into_owned(),
            s: s[(0, 0)],
        }
    }
}

/// Written out as `#[derive(Differentiable)]` would generate it.
impl Differentiable for Net {
    type Scalar = f64;
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Leaf<'a, f64>)) {
        self.w.visit(f);
        self.b.visit(f);
        self.s.visit(f);
    }
    fn visit_mut<'a>(&'a mut self, f: &mut dyn FnMut(LeafMut<'a, f64>)) {
        self.w.visit_mut(f);
        self.b.visit_mut(f);
        self.s.visit_mut(f);
    }
    fn visit_named<'a>(&'a self, path: &mut String, f: &mut dyn FnMut(&str, Leaf<'a, f64>)) {
        named_field(&self.w, "w", path, f);
        named_field(&self.b, "b", path, f);
        named_field(&self.s, "s", path, f);
    }
}

fn named_field<'a, V: Differentiable<Scalar = f64>>(
    v: &'a V,
    name: &str,
    path: &mut String,
    f: &mut dyn FnMut(&str, Leaf<'a, f64>),
) {
    let len = path.len();
    if len > 0 {
        path.push('.');
    }
    path.push_str(name);
    v.visit_named(path, f);
    path.truncate(len);
}

/// Any parameters' leaves as `f64` matrices, to compare with the reference.
fn as_tree<P: Differentiable>(p: &P) -> Vec<DMatrix<f64>>
where
    P::Scalar: Into<f64>,
{
    let matrix = |l: &Leaf<'_, P::Scalar>| {
        let (r, c) = l.shape;
        DMatrix::from_fn(r, c, |i, j| l.entries[i + j * r].into())
    };
    p.leaves().iter().map(matrix).collect()
}

/// `max |aᵢ − bᵢ| / max(‖a‖∞, ‖b‖∞)` over the worst leaf (leaves of equal shapes asserted).
fn tree_error(got: &[DMatrix<f64>], expected: &[DMatrix<f64>]) -> f64 {
    assert_eq!(
        got.len(),
        expected.len(),
        "the trees have different numbers of leaves"
    );
    let mut worst = 0.0_f64;
    for (a, b) in got.iter().zip(expected) {
        assert_eq!(a.shape(), b.shape(), "a leaf's shape changed");
        let scale = a.amax().max(b.amax());
        let diff = (a - b).amax();
        let e = if scale > 0.0 { diff / scale } else { diff };
        // NaN must fail, so a NaN error replaces any other.
        if e.is_nan() || e > worst {
            worst = e;
        }
    }
    worst
}

// =================================================== the optimisers of the reference cases

/// The optimiser of each case of the reference data, as PyTorch would write it.
fn optimiser<P: Differentiable + 'static>(case: &str) -> Box<dyn Optimiser<P>> {
    let warmup_cosine = WarmupCosineDecay::new(0.0, 0.2, 2, 5).end_value(0.01);
    match case {
        // SGD(lr=0.1)
        "sgd" => Box::new(Sgd::new(0.1)),
        // SGD(lr=0.1, momentum=0.9)
        "sgd_momentum" => Box::new(Sgd::new(0.1).momentum(0.9)),
        // SGD(lr=0.1, momentum=0.9, nesterov=True)
        "sgd_nesterov" => Box::new(Sgd::new(0.1).momentum(0.9).nesterov(true)),
        // SGD(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)
        "sgd_dampening_weight_decay" => Box::new(
            Sgd::new(0.1)
                .momentum(0.9)
                .dampening(0.3)
                .weight_decay(0.01),
        ),
        // SGD(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05)
        "sgd_nesterov_weight_decay" => Box::new(
            Sgd::new(0.05)
                .momentum(0.8)
                .nesterov(true)
                .weight_decay(0.05),
        ),
        // SGD(lr=0.1, weight_decay=0.2)
        "sgd_weight_decay" => Box::new(Sgd::new(0.1).weight_decay(0.2)),
        "sgd_momentum_warmup_cosine" => Box::new(Sgd::new(warmup_cosine).momentum(0.9)),
        // Adam(lr=0.01)
        "adam" => Box::new(Adam::new(0.01)),
        // Adam(lr=0.02, betas=(0.8, 0.99), eps=1e-3)
        "adam_betas_eps" => Box::new(Adam::new(0.02).betas(0.8, 0.99).eps(1e-3)),
        // Adam(lr=0.01, weight_decay=0.1)
        "adam_weight_decay" => Box::new(Adam::new(0.01).weight_decay(0.1)),
        "adam_exponential" => Box::new(Adam::new(
            ExponentialDecay::new(0.05, 0.5).transition_steps(2),
        )),
        // AdamW(lr=0.01, weight_decay=0.1)
        "adamw" => Box::new(AdamW::new(0.01).weight_decay(0.1)),
        "adamw_cosine" => Box::new(
            AdamW::new(CosineDecay::new(0.05, 4).alpha(0.1))
                .betas(0.85, 0.995)
                .eps(1e-6)
                .weight_decay(0.2),
        ),
        other => panic!("no optimiser for the reference case {other}"),
    }
}

const CASES: usize = 13;

/// Runs `opt` from the reference's parameters through its gradients, made into `P` by `make`,
/// and returns the worst error over the steps against the case's trajectory.
fn replay<P: Differentiable>(
    opt: &mut dyn Optimiser<P>,
    data: &Value,
    case: &str,
    make: impl Fn(&Value) -> P,
) -> f64
where
    P::Scalar: Into<f64>,
{
    let trajectory = data["optimisers"][case]["trajectory"].as_array().unwrap();
    let grads = data["grads"].as_array().unwrap();
    assert_eq!(
        trajectory.len(),
        grads.len(),
        "{case}: one state per gradient"
    );
    let mut params = make(&data["params"]);
    let mut worst = 0.0_f64;
    for (k, (g, expected)) in grads.iter().zip(trajectory).enumerate() {
        opt.step(&mut params, &make(g));
        let e = tree_error(&as_tree(&params), &tree(expected));
        assert!(!e.is_nan(), "{case}, step {}: NaN in the parameters", k + 1);
        worst = worst.max(e);
    }
    assert_eq!(opt.steps(), grads.len());
    worst
}

/// Every case of the reference data through `optimiser::<P>`, each to `tol`.
fn all_cases<P: Differentiable + 'static>(what: &str, make: impl Fn(&Value) -> P, tol: f64)
where
    P::Scalar: Into<f64>,
{
    let data = data();
    let cases = data["optimisers"].as_object().unwrap();
    assert_eq!(cases.len(), CASES, "the reference data's cases changed");
    for case in cases.keys() {
        let worst = replay(&mut *optimiser::<P>(case), &data, case, &make);
        println!("{what:10} {case:28} worst relative error {worst:.1e}");
        assert!(
            worst <= tol,
            "{what}: {case} is {worst:e} from optax ({})",
            cases[case]["optax"]
        );
    }
}

#[test]
fn optimisers_match_optax_on_a_vec_of_matrices() {
    all_cases("Vec", tree, OPTAX_TOL);
}

#[test]
fn optimisers_match_optax_on_a_struct() {
    all_cases("struct", Net::from_tree, OPTAX_TOL);
}

#[test]
fn optimisers_match_optax_in_f32() {
    let narrow =
        |v: &Value| -> Vec<DMatrix<f32>> { tree(v).iter().map(|m| m.map(|x| x as f32)).collect() };
    all_cases("f32", narrow, F32_TOL);
}

#[test]
fn reset_starts_over() {
    let data = data();
    let mut opt = optimiser::<Vec<DMatrix<f64>>>("adamw_cosine");
    let mut params = tree(&data["params"]);
    for g in data["grads"].as_array().unwrap().iter().rev() {
        opt.step(&mut params, &tree(g));
    }
    opt.reset();
    assert_eq!(opt.steps(), 0);
    assert_eq!(opt.learning_rate(), 0.05);
    let worst = replay(&mut *opt, &data, "adamw_cosine", tree);
    assert!(worst <= OPTAX_TOL, "after reset: {worst:e} from optax");
}

#[test]
fn learning_rate_is_the_schedules_at_each_step() {
    let data = data();
    let values = data["schedules"]["warmup_cosine_short"]["values"]
        .as_array()
        .unwrap();
    let mut opt = optimiser::<Vec<DMatrix<f64>>>("sgd_momentum_warmup_cosine");
    let mut params = tree(&data["params"]);
    for (t, g) in data["grads"].as_array().unwrap().iter().enumerate() {
        let expected = json_number(&values[t]);
        let got = opt.learning_rate();
        assert!(
            (got - expected).abs() <= OPTAX_TOL * expected.abs(),
            "step {t}: the learning rate is {got}, optax's {expected}"
        );
        opt.step(&mut params, &tree(g));
    }
}

// ================================================================================ clipping

#[test]
fn clipping_matches_optax() {
    let data = data();
    let cases = data["clip"].as_array().unwrap();
    assert!(
        cases.len() >= 10,
        "the reference data's clipping cases changed"
    );
    let (mut clipped, mut worst) = (0, 0.0_f64);
    for (k, case) in cases.iter().enumerate() {
        let max_norm = json_number(&case["max_norm"]);
        let mut g = tree(&case["grads"]);
        let norm = clip_by_global_norm(&mut g, max_norm);
        let expected = json_number(&case["norm"]);
        assert!(
            (norm - expected).abs() <= OPTAX_TOL * expected,
            "case {k}: the norm is {norm}, optax's {expected}"
        );
        let e = tree_error(&g, &tree(&case["clipped"]));
        assert!(
            e <= OPTAX_TOL,
            "case {k} (max_norm {max_norm}): {e:e} from optax"
        );
        worst = worst.max(e);
        clipped += usize::from(expected > max_norm);
    }
    assert!(
        clipped >= 5,
        "too few cases are clipped to test the scaling"
    );
    println!("clip_by_global_norm: worst relative error {worst:.1e}");
}

#[test]
fn clipping_works_in_f32() {
    let mut g: Vec<DVector<f32>> = vec![DVector::from_vec(vec![3.0, 0.0]), DVector::zeros(1)];
    g[1][0] = 4.0;
    let norm = clip_by_global_norm(&mut g, 2.5);
    assert_eq!(norm, 5.0_f32);
    assert!((g[0][0] - 1.5).abs() < 1e-6 && (g[1][0] - 2.0).abs() < 1e-6);
}

// =============================================================================== schedules

/// The schedule of each case of the reference data.
fn schedule(case: &str) -> Box<dyn Schedule> {
    match case {
        "constant" => Box::new(0.3),
        "step_decay" => Box::new(StepDecay::new(0.5, 3, 0.7)),
        "exponential" => Box::new(ExponentialDecay::new(0.5, 0.9)),
        "exponential_begin_end" => Box::new(
            ExponentialDecay::new(0.5, 0.6)
                .transition_steps(4)
                .transition_begin(3)
                .end_value(0.1),
        ),
        "exponential_growth" => Box::new(
            ExponentialDecay::new(0.1, 1.5)
                .transition_steps(2)
                .end_value(0.6),
        ),
        "cosine" => Box::new(CosineDecay::new(0.4, 10)),
        "cosine_alpha_exponent" => Box::new(CosineDecay::new(0.4, 10).alpha(0.2).exponent(2.0)),
        "warmup_cosine" => Box::new(WarmupCosineDecay::new(0.0, 1.0, 5, 20).end_value(0.05)),
        "warmup_cosine_exponent" => Box::new(WarmupCosineDecay::new(0.1, 0.8, 3, 12).exponent(1.5)),
        "warmup_cosine_short" => Box::new(WarmupCosineDecay::new(0.0, 0.2, 2, 5).end_value(0.01)),
        "warmup_cosine_no_warmup" => {
            Box::new(WarmupCosineDecay::new(0.0, 0.6, 0, 8).end_value(0.1))
        }
        other => panic!("no schedule for the reference case {other}"),
    }
}

#[test]
fn schedules_match_optax() {
    let data = data();
    let cases = data["schedules"].as_object().unwrap();
    assert_eq!(cases.len(), 11, "the reference data's schedules changed");
    for (case, reference) in cases {
        let s = schedule(case);
        let values = reference["values"].as_array().unwrap();
        assert!(values.len() > 20);
        let mut worst = 0.0_f64;
        for (t, v) in values.iter().enumerate() {
            let (got, expected) = (s.lr(t), json_number(v));
            let e = (got - expected).abs() / expected.abs().max(f64::MIN_POSITIVE);
            assert!(
                e <= OPTAX_TOL || got == expected,
                "{case} at step {t}: {got}, optax's {expected} ({})",
                reference["optax"]
            );
            worst = worst.max(if got == expected { 0.0 } else { e });
        }
        println!("{case:24} worst relative error {worst:.1e}");
    }
}

#[test]
fn a_closure_is_a_schedule() {
    let half_life = from_fn(|t| 0.8 * 0.5_f64.powi(t as i32 / 10));
    let mut opt = Sgd::new(half_life);
    let mut x = 1.0_f64;
    for _ in 0..10 {
        opt.step(&mut x, &1.0);
    }
    assert_eq!(opt.learning_rate(), 0.4);
    assert!((x - (1.0 - 10.0 * 0.8)).abs() < 1e-12);
}

// ============================================================================= convergence

/// ‖A₁x₁ + A₂x₂ − y‖²: a least-squares problem in two blocks of unknowns.
#[grad(x1, x2)]
fn residual(
    a1: &DMatrix<f64>,
    x1: &DVector<f64>,
    a2: &DMatrix<f64>,
    x2: &DVector<f64>,
    y: &DVector<f64>,
) -> f64 {
    let r = a1 * x1 + a2 * x2 - y;
    r.norm_squared()
}

#[test]
fn adam_reaches_a_least_squares_minimiser() {
    let mut rng = common::rng(12);
    let (a1, a2) = (
        common::dmatrix(&mut rng, 8, 3),
        common::dmatrix(&mut rng, 8, 2),
    );
    let y = common::dvector(&mut rng, 8);
    // The minimiser from the normal equations of A = [A₁ A₂].
    let a = DMatrix::from_fn(8, 5, |i, j| if j < 3 { a1[(i, j)] } else { a2[(i, j - 3)] });
    let normal = (a.transpose() * &a)
        .cholesky()
        .expect("A has full column rank");
    let best = normal.solve(&(a.transpose() * &y));
    let mut x: Vec<DVector<f64>> = vec![DVector::zeros(3), DVector::zeros(2)];
    let mut opt = Adam::new(CosineDecay::new(0.05, 5000).alpha(1e-3));
    for _ in 0..5000 {
        let (_, g) = residual_grad(&a1, &x[0], &a2, &x[1], &y);
        opt.step(&mut x, &vec![g.x1, g.x2]);
    }
    let found = DVector::from_iterator(5, x.iter().flat_map(|b| b.iter().copied()));
    let error = (&found - &best).amax();
    println!("Adam: ‖x − x*‖∞ = {error:.1e} after 5000 steps");
    assert!(
        error < 1e-6,
        "Adam stopped at {found}, the minimiser is {best}"
    );
}

// ============================================================================= allocations

/// The system allocator, counting this thread's allocations and bytes (tests run on several
/// threads).
struct Counting;

thread_local! {
    static ALLOCATED: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

fn count(bytes: usize) {
    ALLOCATED.with(|c| {
        let (calls, total) = c.get();
        c.set((calls + 1, total + bytes as u64));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The allocations and bytes `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> (u64, u64) {
    let before = ALLOCATED.with(Cell::get);
    f();
    let after = ALLOCATED.with(Cell::get);
    (after.0 - before.0, after.1 - before.1)
}

#[test]
fn a_warm_step_allocates_only_leaf_references() {
    let params: Vec<DMatrix<f64>> = vec![
        DMatrix::from_element(300, 200, 0.5),
        DMatrix::from_element(200, 1, -0.5),
        DMatrix::from_element(1, 1, 2.0),
    ];
    let grads: Vec<DMatrix<f64>> = params.iter().map(|p| p.map(|v| 0.1 * v)).collect();
    let optimisers: Vec<(&str, Box<dyn Optimiser<_>>, u64)> = vec![
        ("Sgd", Box::new(Sgd::new(0.1).weight_decay(0.01)), 2),
        (
            "Sgd with momentum",
            Box::new(Sgd::new(0.1).momentum(0.9)),
            3,
        ),
        ("Adam", Box::new(Adam::new(1e-3)), 4),
        ("AdamW", Box::new(AdamW::new(1e-3)), 4),
    ];
    for (name, mut opt, vectors) in optimisers {
        let mut p = params.clone();
        let (_, first_bytes) = allocations(|| opt.step(&mut p, &grads));
        let (calls, bytes) = allocations(|| opt.step(&mut p, &grads));
        println!("{name}: first step {first_bytes} bytes, then {calls} allocations, {bytes} bytes");
        // One vector of leaf references for the parameters, the gradient and each buffer.
        assert!(
            calls <= vectors,
            "{name}: {calls} allocations in a warm step"
        );
        assert!(
            bytes <= 64 * 3 * vectors,
            "{name}: {bytes} bytes in a warm step"
        );
    }
    let mut g = grads.clone();
    let (calls, _) = allocations(|| {
        clip_by_global_norm(&mut g, 1.0);
    });
    assert_eq!(calls, 0, "clip_by_global_norm allocates");
}

// ==================================================================== shapes and arguments

#[test]
#[should_panic(expected = "Adam::step: the gradient of `[1]` is 3×1 but the parameter is 4×1")]
fn a_gradient_of_another_shape_is_named() {
    let mut params = vec![DMatrix::<f64>::zeros(3, 2), DMatrix::zeros(4, 1)];
    let grads = vec![DMatrix::zeros(3, 2), DMatrix::zeros(3, 1)];
    Adam::new(0.1).step(&mut params, &grads);
}

#[test]
#[should_panic(expected = "Sgd::step: the gradient of `b` is 3×1 but the parameter is 4×1")]
fn a_struct_fields_gradient_of_another_shape_is_named() {
    let data = data();
    let mut params = Net::from_tree(&data["params"]);
    let mut grads = params.clone();
    grads.b = DVector::zeros(3);
    Sgd::new(0.1).momentum(0.9).step(&mut params, &grads);
}

#[test]
#[should_panic(expected = "Sgd::step: the gradient has 1 leaves but the parameters have 2")]
fn a_gradient_with_fewer_leaves() {
    let mut params = vec![DVector::<f64>::zeros(2), DVector::zeros(2)];
    Sgd::new(0.1).step(&mut params, &vec![DVector::zeros(2)]);
}

#[test]
#[should_panic(expected = "AdamW::step: `[0]` is 2×2 but was 3×2 when the optimiser's state")]
fn parameters_of_other_shapes_after_the_first_step() {
    let mut opt = AdamW::new(0.1);
    let (mut params, grads) = (
        vec![DMatrix::<f64>::zeros(3, 2)],
        vec![DMatrix::zeros(3, 2)],
    );
    opt.step(&mut params, &grads);
    let (mut other, grads) = (
        vec![DMatrix::<f64>::zeros(2, 2)],
        vec![DMatrix::zeros(2, 2)],
    );
    opt.step(&mut other, &grads);
}

#[test]
#[should_panic(expected = "Sgd: Nesterov momentum needs a momentum > 0 and zero dampening")]
fn nesterov_without_momentum() {
    let mut x = 1.0_f64;
    Sgd::new(0.1).nesterov(true).step(&mut x, &1.0);
}

#[test]
#[should_panic(expected = "Adam: beta2 must be in [0, 1), not 1")]
fn a_beta_of_one() {
    let _: Adam<f64> = Adam::new(0.1).betas(0.9, 1.0);
}
