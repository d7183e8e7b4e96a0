// The checker shared by the generated programs of a batch (written to `src/support.rs` of
// the scratch crate, and inlined into reproducers). Not compiled as part of difftest.
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, OMatrix};
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

/// Severity order of the classes.
const CLASSES: [&str; 6] = ["pass", "inconclusive", "gradient-mismatch", "value-mismatch", "runtime-panic", "invalid"];

/// The outcome of one program's checks, printed as `DT` lines.
pub struct Out {
    pid: String,
    fun: String,
    class: usize,
    detail: String,
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
        Out { pid: pid.into(), fun: String::new(), class: 0, detail: String::new() }
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
            self.set(4, format!("panicked: {}{loc}", panic_text(p)));
        }
    }
    /// The original function's value; `None` (and `invalid` or `inconclusive`) when it
    /// panics or is not finite and moderate.
    pub fn primal<Y: Probe>(&mut self, f: impl FnOnce() -> Y) -> Option<Y> {
        match catch_unwind(AssertUnwindSafe(f)) {
            Err(p) => {
                self.set(5, format!("the original function panicked: {}", panic_text(p)));
                None
            }
            Ok(y) if !(max_abs(&y) < 1e8) => {
                self.set(1, format!("ill-conditioned: the value reaches {:e}", max_abs(&y)));
                None
            }
            Ok(y) => Some(y),
        }
    }
    /// The value from the generated code.
    pub fn value<Y: Probe>(&mut self, got: &Y, want: &Y) {
        let scale = max_abs(want).max(1.0);
        for i in 0..want.n() {
            let (g, w) = (got.get(i), want.get(i));
            if !((g - w).abs() <= 1e-11 * scale) {
                self.set(3, format!("value entry {i}: got {g:e}, expected {w:e}"));
                return;
            }
        }
    }
    /// Compares a gradient with finite differences of `f` at two step sizes.
    pub fn grad<X: Probe>(&mut self, param: &str, g: &X, x: &X, mut f: impl FnMut(&X) -> f64) {
        if g.n() != x.n() {
            self.set(2, format!("∂/∂{param}: {} entries for a parameter of {}", g.n(), x.n()));
            return;
        }
        let d1 = fd(&mut f, x, 1e-6);
        let d2 = fd(&mut f, x, 1e-4);
        // Central differences at a relative step of 1e-6 carry rounding noise of about
        // ε·|f|/h ≈ 1e-10·|f|: with the tolerance of 1e-5 below, errors are relative to at
        // least 1e-4·max(1, |f|), so that noise alone (a true gradient of 1e-11 read as 0)
        // never fails a check.
        let mut s = 1e-4 * f(x).abs().max(1.0);
        for i in 0..x.n() {
            s = s.max(g.get(i).abs()).max(d1[i].abs()).max(d2[i].abs());
        }
        let (mut e1, mut e2, mut e12, mut worst) = (0.0f64, 0.0f64, 0.0f64, 0);
        for i in 0..x.n() {
            let a = (g.get(i) - d1[i]).abs() / s;
            if !(a <= e1) {
                e1 = if a.is_nan() { f64::INFINITY } else { a };
                worst = i;
            }
            e2 = e2.max((g.get(i) - d2[i]).abs() / s);
            e12 = e12.max((d1[i] - d2[i]).abs() / s);
        }
        if !s.is_finite() || e1.min(e2) <= 1e-5 {
            if !s.is_finite() {
                self.set(1, format!("∂/∂{param}: non-finite finite differences"));
            }
            return;
        }
        let d = format!(
            "∂/∂{param} entry {worst}: got {:e}, finite differences {:e} (h=1e-6) and {:e} (h=1e-4); rel. error {e1:.1e}, between the two {e12:.1e}",
            g.get(worst), d1[worst], d2[worst]
        );
        self.set(if e12 <= 1e-5 { 2 } else { 1 }, d);
    }
    /// Prints the result line.
    pub fn finish(&mut self) {
        println!("DT\tresult\t{}\t{}\t{}", self.pid, CLASSES[self.class], self.detail);
        let _ = std::io::stdout().flush();
    }
}
