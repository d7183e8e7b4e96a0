#[path = "../benches/workloads/mod.rs"]
mod workloads;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use workloads::*;

struct Tracing;
static ON: AtomicBool = AtomicBool::new(false);
thread_local! { static IN: Cell<bool> = const { Cell::new(false) }; }

fn trace(size: usize) {
    if !ON.load(Relaxed) {
        return;
    }
    IN.with(|i| {
        if i.get() {
            return;
        }
        i.set(true);
        let bt = std::backtrace::Backtrace::force_capture().to_string();
        let frames: Vec<String> = bt
            .lines()
            .filter(|l| l.trim_start().starts_with("at "))
            .filter(|l| {
                l.contains("matgrad")
                    || l.contains("nalgebra")
                    || l.contains("matrixmultiply")
                    || l.contains("gemm")
                    || l.contains("workloads")
            })
            .filter(|l| !l.contains("workspace.rs"))
            .take(7)
            .map(|l| {
                l.trim()
                    .trim_start_matches("at ")
                    .rsplit('/')
                    .take(2)
                    .collect::<Vec<_>>()
                    .join("<")
            })
            .collect();
        eprintln!("ALLOC {size}: {}", frames.join(" | ").replace("  ", ""));
        i.set(false);
    });
}
unsafe impl GlobalAlloc for Tracing {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        trace(l.size());
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        trace(l.size());
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        trace(n);
        unsafe { System.realloc(p, l, n) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
}
#[global_allocator]
static A: Tracing = Tracing;

fn run<W: Workload>(which: usize) {
    let w = W::new(W::SIZES[which]);
    let mut ws = matgrad::Workspace::new();
    w.with_workspace(&mut ws);
    w.with_workspace(&mut ws);
    eprintln!("== {} {:?}", W::NAME, W::SIZES[which]);
    ON.store(true, Relaxed);
    std::hint::black_box(w.with_workspace(&mut ws));
    ON.store(false, Relaxed);
}

fn main() {
    let which: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    match std::env::args().nth(1).as_deref().unwrap_or("") {
        "ls" => run::<least_squares::LeastSquares>(which),
        "frob" => run::<frobenius::Frobenius>(which),
        "prml" => run::<prml::Prml>(which),
        "rnn" => run::<rnn::Rnn>(which),
        "ae" => run::<autoencoder::Autoencoder>(which),
        "cls" => run::<classifier::Classifier>(which),
        "att" => run::<attention::Attention>(which),
        "ln" => run::<layer_norm_linear::LayerNormLinear>(which),
        "gauss" => run::<gaussian::Gaussian>(which),
        _ => panic!("which workload"),
    }
}
