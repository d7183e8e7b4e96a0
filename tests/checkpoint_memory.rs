//! `#[grad(checkpoint)]` bounds a loop's memory: the peak heap of an RNN gradient over
//! T = 4 000 steps, measured by a counting global allocator (this file is its own test
//! binary, with one test, so nothing else allocates meanwhile), is a small fraction of the
//! peak without checkpoints, and grows like √T rather than T.

use matgrad::{grad, tanh};
use nalgebra::{DMatrix, DVector};

#[path = "../benches/workloads/peak.rs"]
mod peak;

use peak::Peak;

#[global_allocator]
static GLOBAL: Peak = Peak;

#[grad(w, u, b)]
fn rnn(w: &DMatrix<f64>, u: &DMatrix<f64>, b: &DVector<f64>, xs: &[DVector<f64>]) -> f64 {
    let mut h = DVector::zeros(b.len());
    let mut l = 0.0;
    for x in xs.iter() {
        h = w * tanh(&h) + u * x + b;
        l += h.norm_squared();
    }
    l
}

#[grad(w, u, b, checkpoint)]
fn rnn_checkpointed(
    w: &DMatrix<f64>,
    u: &DMatrix<f64>,
    b: &DVector<f64>,
    xs: &[DVector<f64>],
) -> f64 {
    let mut h = DVector::zeros(b.len());
    let mut l = 0.0;
    for x in xs.iter() {
        h = w * tanh(&h) + u * x + b;
        l += h.norm_squared();
    }
    l
}

/// The peak heap above what was held before, over one call of `f`.
fn peak(f: impl FnOnce()) -> usize {
    peak::peak(f).1
}

#[test]
fn checkpointed_memory_grows_like_the_square_root_of_the_length() {
    let (h, i) = (16, 4);
    let w = DMatrix::from_fn(h, h, |r, c| ((r * 7 + c * 3) % 11) as f64 / 40.0 - 0.12);
    let u = DMatrix::from_fn(h, i, |r, c| ((r + 5 * c) % 7) as f64 / 10.0 - 0.3);
    let b = DVector::from_fn(h, |r, _| (r % 5) as f64 / 10.0 - 0.2);
    let inputs = |steps: usize| -> Vec<DVector<f64>> {
        (0..steps)
            .map(|t| DVector::from_fn(i, |r, _| ((t * 3 + r) % 13) as f64 / 13.0 - 0.5))
            .collect()
    };
    // Warm up: one-time allocations (the product kernels' buffers, which the gemm crate keeps
    // per thread once a product of the size has run) are not the loop's.
    let (xs_400, xs_4000) = (inputs(400), inputs(4_000));
    rnn_grad(&w, &u, &b, &xs_4000);
    rnn_checkpointed_grad(&w, &u, &b, &xs_4000);

    let plain_400 = peak(|| drop(rnn_grad(&w, &u, &b, &xs_400)));
    let plain_4000 = peak(|| drop(rnn_grad(&w, &u, &b, &xs_4000)));
    let checkpointed_400 = peak(|| drop(rnn_checkpointed_grad(&w, &u, &b, &xs_400)));
    let checkpointed_4000 = peak(|| drop(rnn_checkpointed_grad(&w, &u, &b, &xs_4000)));
    let report = format!(
        "peak bytes: plain {plain_400} (T = 400), {plain_4000} (T = 4000); \
         checkpointed {checkpointed_400}, {checkpointed_4000}"
    );
    eprintln!("{report}");
    // Without checkpoints the tape grows with T (10× the steps, about 10× the memory) ...
    assert!(plain_4000 > 7 * plain_400, "{report}");
    // ... with them like √T (10× the steps, about 3.2× the memory),
    assert!(checkpointed_4000 < 5 * checkpointed_400, "{report}");
    // and at 4 000 steps it is a small fraction of the tape.
    assert!(20 * checkpointed_4000 < plain_4000, "{report}");
}
