// The checker shared by the generated programs of a batch (written to `src/support.rs` of
// the scratch crate, and inlined into reproducers). Not compiled as part of difftest.
use nalgebra::allocator::Allocator;
use nalgebra::{DMatrix, DefaultAllocator, Dim, OMatrix};
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Values whose entries the checker can read and perturb.
pub trait Probe: Clone {
    fn n(&self) -> usize;
    fn get(&self, i: usize) -> f64;
    fn set(&mut self, i: usize, v: f64);
}
impl Probe for f64 {
    fn n(&self) -> usize { 1 }
    fn get(&self, _: usize) -> f64 { *self }
    fn set(&mut self, _: usize, v: f64) { *self = v }
}
impl<R: Dim, C: Dim> Probe for OMatrix<f64, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    fn n(&self) -> usize { self.len() }
    fn get(&self, i: usize) -> f64 { self[i] }
    fn set(&mut self, i: usize, v: f64) { self[i] = v }
}

/// ⟨a, b⟩, the sum of entry-wise products.
pub fn inner<M: Probe>(a: &M, b: &M) -> f64 {
    (0..a.n()).map(|i| a.get(i) * b.get(i)).sum()
}

fn max_abs<M: Probe>(m: &M) -> f64 {
    (0..m.n()).map(|i| m.get(i).abs()).fold(0.0, f64::max)
}

/// Central differences with steps `rel·max(1, |xᵢ|)`.
fn fd<X: Probe>(f: &mut impl FnMut(&X) -> f64, x: &X, rel: f64) -> Vec<f64> {
    let mut p = x.clone();
    (0..x.n())
        .map(|i| {
            let xi = x.get(i);
            let h = rel * xi.abs().max(1.0);
            p.set(i, xi + h);
            let up = f(&p);
            p.set(i, xi - h);
            let down = f(&p);
            p.set(i, xi);
            (up - down) / (2.0 * h)
        })
        .collect()
}

/// Severity order of the classes: a first-order error (`gradient-mismatch`) outranks what
/// it causes in the forward companions' checks, which compare with `f_grad`.
const CLASSES: [&str; 8] = ["pass", "inconclusive", "hessian-mismatch", "tangent-mismatch", "gradient-mismatch", "value-mismatch", "runtime-panic", "invalid"];
const INCONCLUSIVE: usize = 1;
const HESSIAN: usize = 2;
const TANGENT: usize = 3;
const GRADIENT: usize = 4;
const VALUE: usize = 5;
const PANIC: usize = 6;
const INVALID: usize = 7;

/// The outcome of one program's checks, printed as `DT` lines.
pub struct Out {
    pid: String,
    fun: String,
    class: usize,
    detail: String,
    /// max(1, |f|∞) of the function being checked (for the forward checks' tolerances).
    scale: f64,
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    let s = if let Some(s) = p.downcast_ref::<&str>() { s.to_string() } else if let Some(s) = p.downcast_ref::<String>() { s.clone() } else { "panic".into() };
    s.replace(['\n', '\t'], " ")
}

/// Silences the default panic message (the checker reports panics itself).
pub fn quiet() {
    std::panic::set_hook(Box::new(|info| {
        let loc = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        LAST_LOCATION.with(|c| *c.borrow_mut() = loc);
    }));
}
thread_local! { static LAST_LOCATION: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) }; }

impl Out {
    pub fn new(pid: &str) -> Out {
        Out { pid: pid.into(), fun: String::new(), class: 0, detail: String::new(), scale: 1.0 }
    }
    fn set(&mut self, class: usize, detail: String) {
        if class > self.class {
            self.class = class;
            self.detail = format!("{}: {detail}", self.fun);
        }
    }
    /// Runs the checks of one function, catching panics.
    pub fn function(&mut self, name: &str, body: impl FnOnce(&mut Out) -> Option<()>) {
        self.fun = name.into();
        println!("DT\tbegin\t{}\t{name}", self.pid);
        let _ = std::io::stdout().flush();
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| body(&mut *self))) {
            let loc = LAST_LOCATION.with(|c| c.borrow().clone());
            self.set(PANIC, format!("panicked: {}{loc}", panic_text(p)));
        }
    }
    /// The original function's value; `None` (and `invalid` or `inconclusive`) when it
    /// panics or is not finite and moderate.
    pub fn primal<Y: Probe>(&mut self, f: impl FnOnce() -> Y) -> Option<Y> {
        match catch_unwind(AssertUnwindSafe(f)) {
            Err(p) => {
                self.set(INVALID, format!("the original function panicked: {}", panic_text(p)));
                None
            }
            Ok(y) if !(max_abs(&y) < 1e8) => {
                self.set(INCONCLUSIVE, format!("ill-conditioned: the value reaches {:e}", max_abs(&y)));
                None
            }
            Ok(y) => {
                self.scale = max_abs(&y).max(1.0);
                Some(y)
            }
        }
    }
    /// The value from the generated code.
    pub fn value<Y: Probe>(&mut self, got: &Y, want: &Y) {
        let scale = max_abs(want).max(1.0);
        for i in 0..want.n() {
            let (g, w) = (got.get(i), want.get(i));
            if !((g - w).abs() <= 1e-11 * scale) {
                self.set(VALUE, format!("value entry {i}: got {g:e}, expected {w:e}"));
                return;
            }
        }
    }
    /// Compares a gradient with the same gradient computed another way (`f_grad_with`
    /// against `f_grad`): equal to 1e-12 relative to the largest entry.
    pub fn same<X: Probe>(&mut self, what: &str, got: &X, want: &X) {
        if got.n() != want.n() {
            self.set(GRADIENT, format!("∂/∂{what}: {} entries where `_grad` has {}", got.n(), want.n()));
            return;
        }
        let scale = max_abs(want).max(1.0);
        for i in 0..want.n() {
            let (g, w) = (got.get(i), want.get(i));
            if !((g - w).abs() <= 1e-12 * scale) && !(g.is_nan() && w.is_nan()) {
                self.set(GRADIENT, format!("∂/∂{what} entry {i}: got {g:e}, `_grad` has {w:e}"));
                return;
            }
        }
    }
    /// Compares a gradient with finite differences of `f` at two step sizes.
    pub fn grad<X: Probe>(&mut self, param: &str, g: &X, x: &X, mut f: impl FnMut(&X) -> f64) {
        if g.n() != x.n() {
            self.set(GRADIENT, format!("∂/∂{param}: {} entries for a parameter of {}", g.n(), x.n()));
            return;
        }
        let d1 = fd(&mut f, x, 1e-6);
        let d2 = fd(&mut f, x, 1e-4);
        // Central differences at a relative step of 1e-6 carry rounding noise of about
        // ε·|f|/h ≈ 1e-10·|f|: with the tolerance of 1e-5 below, errors are relative to at
        // least 1e-4·max(1, |f|), so that noise alone (a true gradient of 1e-11 read as 0)
        // never fails a check.
        let got: Vec<f64> = (0..g.n()).map(|i| g.get(i)).collect();
        let floor = 1e-4 * f(x).abs().max(1.0);
        self.against_fd(GRADIENT, &format!("∂/∂{param}"), &got, [&d1, &d2], floor, ["1e-6", "1e-4"]);
    }
    /// Compares `got` with two finite differences `d` (steps `h`): a pass if either agrees
    /// to 1e-5 relative to the largest entry of the three (at least `floor`), a mismatch of
    /// `class` if neither does but they agree with each other, else inconclusive.
    fn against_fd(&mut self, class: usize, what: &str, got: &[f64], d: [&[f64]; 2], floor: f64, h: [&str; 2]) {
        let mut s = floor;
        for i in 0..got.len() {
            s = s.max(got[i].abs()).max(d[0][i].abs()).max(d[1][i].abs());
        }
        let (mut e1, mut e2, mut e12, mut worst) = (0.0f64, 0.0f64, 0.0f64, 0);
        for i in 0..got.len() {
            let a = (got[i] - d[0][i]).abs() / s;
            if !(a <= e1) {
                e1 = if a.is_nan() { f64::INFINITY } else { a };
                worst = i;
            }
            e2 = e2.max((got[i] - d[1][i]).abs() / s);
            e12 = e12.max((d[0][i] - d[1][i]).abs() / s);
        }
        if !s.is_finite() || e1.min(e2) <= 1e-5 {
            if !s.is_finite() {
                self.set(INCONCLUSIVE, format!("{what}: non-finite finite differences"));
            }
            return;
        }
        let detail = format!(
            "{what} entry {worst}: got {:e}, finite differences {:e} (h={}) and {:e} (h={}); rel. error {e1:.1e}, between the two {e12:.1e}",
            got[worst], d[0][worst], h[0], d[1][worst], h[1]
        );
        self.set(if e12 <= 1e-5 { class } else { INCONCLUSIVE }, detail);
    }
    /// Prints the result line.
    pub fn finish(&mut self) {
        println!("DT\tresult\t{}\t{}\t{}", self.pid, CLASSES[self.class], self.detail);
        let _ = std::io::stdout().flush();
    }
}

// ---------------------------------------------------------------- forward companions

/// ⟨a, b⟩ and Σ|aᵢbᵢ|, the scale of its terms.
pub fn terms<M: Probe>(a: &M, b: &M) -> (f64, f64) {
    (inner(a, b), (0..a.n()).map(|i| (a.get(i) * b.get(i)).abs()).sum())
}

/// m + t·d.
pub fn shift<M: Probe>(m: &M, d: &M, t: f64) -> M {
    let mut r = m.clone();
    for i in 0..m.n() {
        r.set(i, m.get(i) + t * d.get(i));
    }
    r
}

/// The part of the `k`-th unit direction of a parameter whose entries start at `offset` in
/// the stacked order of `f_hessian`: zero of `m`'s shape, one at `k − offset` if in range.
pub fn unit<M: Probe>(m: &M, k: usize, offset: usize) -> M {
    let mut r = m.clone();
    for i in 0..m.n() {
        r.set(i, if offset + i == k { 1.0 } else { 0.0 });
    }
    r
}

/// The entries, column-major.
pub fn flat<M: Probe>(m: &M) -> Vec<f64> {
    (0..m.n()).map(|i| m.get(i)).collect()
}

impl Out {
    /// `f_jvp`'s tangent (ẏ, or ⟨cot, ẏ⟩ for a matrix value, with the scale of its terms)
    /// against Σₖ⟨gₖ, vₖ⟩ with g from `f_grad` (or the pullback of cot), to 1e-9 relative to
    /// the scale of the terms (at least 1e-3·max(1, |f|)).
    pub fn tangent(&mut self, got: (f64, f64), want: &[(f64, f64)]) {
        let w: f64 = want.iter().map(|t| t.0).sum();
        let s = want.iter().map(|t| t.1).sum::<f64>().max(got.1).max(1e-3 * self.scale);
        if !((got.0 - w).abs() <= 1e-9 * s) {
            let d = format!("f_jvp's tangent {:e}, Σ⟨gradient, direction⟩ {w:e} (terms of scale {s:.1e})", got.0);
            self.set(TANGENT, d);
        }
    }
    /// `f_hvp`'s (or `f_hessian`'s) gradient against `f_grad`'s, to 1e-9 relative.
    pub fn same_grad<X: Probe>(&mut self, what: &str, param: &str, got: &X, want: &X) {
        if got.n() != want.n() {
            self.set(TANGENT, format!("{what}'s ∂/∂{param}: {} entries, f_grad's {}", got.n(), want.n()));
            return;
        }
        let s = max_abs(want).max(max_abs(got)).max(1e-3 * self.scale);
        for i in 0..want.n() {
            let (g, w) = (got.get(i), want.get(i));
            if !((g - w).abs() <= 1e-9 * s) {
                self.set(TANGENT, format!("{what}'s ∂/∂{param} entry {i}: {g:e}, f_grad's {w:e}"));
                return;
            }
        }
    }
    /// `f_hvp`'s H·v for one parameter against central differences of the gradient `g`
    /// along the directions, (g(x + h·v) − g(x − h·v))/2h, at h = 1e-5 and 1e-3 (inputs and
    /// directions are within 1), as the gradient is checked.
    pub fn hvp<X: Probe>(&mut self, param: &str, hv: &X, g: &X, mut grad_at: impl FnMut(f64) -> X) {
        if hv.n() != g.n() {
            self.set(HESSIAN, format!("(H·v) for {param}: {} entries for a parameter of {}", hv.n(), g.n()));
            return;
        }
        let mut d = |h: f64| {
            let (up, down) = (grad_at(h), grad_at(-h));
            (0..g.n()).map(|i| (up.get(i) - down.get(i)) / (2.0 * h)).collect::<Vec<f64>>()
        };
        let (d1, d2) = (d(1e-5), d(1e-3));
        let floor = 1e-4 * max_abs(g).max(1.0);
        self.against_fd(HESSIAN, &format!("(H·v) for {param}"), &flat(hv), [&d1, &d2], floor, ["1e-5", "1e-3"]);
    }
    /// `f_hessian`'s matrix: square of the differentiated entries, symmetric, its column k
    /// `f_hvp`'s H·v along the k-th unit direction (`cols[k]`), to 1e-8 of max(1, |H|∞).
    pub fn hessian(&mut self, h: &DMatrix<f64>, cols: &[Vec<f64>]) {
        let n = cols.len();
        if h.nrows() != n || h.ncols() != n || cols.iter().any(|c| c.len() != n) {
            self.set(HESSIAN, format!("f_hessian is {}×{} for {n} differentiated entries", h.nrows(), h.ncols()));
            return;
        }
        let s = max_abs(h).max(1.0);
        for j in 0..n {
            for i in 0..n {
                let (a, b, c) = (h[(i, j)], h[(j, i)], cols[j][i]);
                if !((a - b).abs() <= 1e-8 * s) {
                    self.set(HESSIAN, format!("f_hessian not symmetric: ({i}, {j}) {a:e}, ({j}, {i}) {b:e}"));
                    return;
                }
                if !((a - c).abs() <= 1e-8 * s) {
                    self.set(HESSIAN, format!("f_hessian ({i}, {j}) {a:e}, f_hvp along e{j}: {c:e}"));
                    return;
                }
            }
        }
    }
}

// ---------------------------------------------------------------- the `models` family

impl Out {
    /// A value the gradient must keep: a struct's entry count, a skipped field of the
    /// gradient (its parameter's value, a count or a frozen float); else a gradient mismatch.
    pub fn kept<T: PartialEq + std::fmt::Display>(&mut self, what: &str, got: T, want: T) {
        if got != want {
            self.set(GRADIENT, format!("{what}: {got}, expected {want}"));
        }
    }
}
