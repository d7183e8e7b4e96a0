//! candle (runtime autograd, CPU, f64) on the workloads of `../benches/workloads/`: for each
//! workload and size, the median time of one value-and-gradient (the forward pass on `Var`s,
//! `backward()`), written as JSON for `scripts/perf_report.py`.
//!
//! The inputs are the Rust benchmarks' bit for bit ([`entry`] is `data::entry` there), and
//! each case also reports its value and gradient norm, which the report compares with the
//! `#[grad]` ones: a peer computing something else would show.
//!
//! Timing: warm up for `--warm-up-time` seconds, then time batches of calls (sized so about
//! 50 batches fit) until `--measurement-time` seconds have passed and at least 10 batches
//! were taken; the median over batches of the time per call. `peers/jax_bench.py` does the
//! same.
//!
//! Set `RAYON_NUM_THREADS` (scripts/bench.sh sets it to the core count): without it candle
//! asks the OS for the CPU count on every product.

use candle_core::{backprop::GradStore, Device, Result, Tensor, Var};
use std::time::{Duration, Instant};

/// Entry `k` (column-major) of input number `seed`: uniform in [−½, ½); `data::entry` of the
/// Rust benchmarks.
fn entry(seed: u64, k: usize) -> f64 {
    let mut z = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(
        (k as u64)
            .wrapping_add(1)
            .wrapping_mul(0xD1B5_4A32_D192_ED03),
    );
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 * (1.0 / (1u64 << 53) as f64) - 0.5
}

/// The `r×c` input `seed` times `scale`, plus `shift` (candle is row-major; entry (i, j) is
/// `entry(seed, i + j·r)` as in nalgebra's column-major storage).
fn matrix(seed: u64, r: usize, c: usize, scale: f64, shift: f64) -> Result<Tensor> {
    let mut v = Vec::with_capacity(r * c);
    for i in 0..r {
        for j in 0..c {
            v.push(shift + scale * entry(seed, i + j * r));
        }
    }
    Tensor::from_vec(v, (r, c), &Device::Cpu)
}

/// The column vector `seed` of length `n`, times `scale`, as an n×1 matrix.
fn vector(seed: u64, n: usize, scale: f64) -> Result<Tensor> {
    matrix(seed, n, 1, scale, 0.0)
}

/// The row vector `seed` of length `n`, times `scale`, plus `shift`, as a 1×n matrix.
fn row(seed: u64, n: usize, scale: f64, shift: f64) -> Result<Tensor> {
    let v = (0..n).map(|j| shift + scale * entry(seed, j)).collect();
    Tensor::from_vec(v, (1, n), &Device::Cpu)
}

/// One workload at one size: `step` runs the forward pass and `backward()`, returning the
/// scalar loss and the gradients; `vars` are the differentiated inputs.
struct Case {
    workload: &'static str,
    size: String,
    vars: Vec<Var>,
    step: Box<dyn Fn() -> Result<(Tensor, GradStore)>>,
}

fn label(dims: &[usize]) -> String {
    dims.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("x")
}

/// ‖Ax − b‖², ∂/∂x.
fn least_squares(n: usize) -> Result<Case> {
    let a = matrix(1, n, n, 1.0, 0.0)?;
    let x = Var::from_tensor(&vector(2, n, 1.0)?)?;
    let b = vector(3, n, 1.0)?;
    let xv = x.clone();
    Ok(Case {
        workload: "least_squares",
        size: label(&[n]),
        vars: vec![x],
        step: Box::new(move || {
            let loss = (a.matmul(xv.as_tensor())? - &b)?.sqr()?.sum_all()?;
            let grads = loss.backward()?;
            Ok((loss, grads))
        }),
    })
}

/// ‖XAᵀ − B‖²_F, ∂/∂X.
fn frobenius(n: usize) -> Result<Case> {
    let x = Var::from_tensor(&matrix(1, n, n, 1.0, 0.0)?)?;
    let a = matrix(2, n, n, 1.0, 0.0)?;
    let b = matrix(3, n, n, 1.0, 0.0)?;
    let xv = x.clone();
    Ok(Case {
        workload: "frobenius",
        size: label(&[n]),
        vars: vec![x],
        step: Box::new(move || {
            let loss = (xv.as_tensor().matmul(&a.t()?)? - &b)?.sqr()?.sum_all()?;
            let grads = loss.backward()?;
            Ok((loss, grads))
        }),
    })
}

/// ½‖T − ΦW‖²_F, ∂/∂W.
fn prml(n: usize, m: usize, k: usize) -> Result<Case> {
    let phi = matrix(1, n, m, 1.0, 0.0)?;
    let w = Var::from_tensor(&matrix(2, m, k, 1.0, 0.0)?)?;
    let t = matrix(3, n, k, 1.0, 0.0)?;
    let wv = w.clone();
    Ok(Case {
        workload: "prml",
        size: label(&[n, m, k]),
        vars: vec![w],
        step: Box::new(move || {
            let loss = (&t - phi.matmul(wv.as_tensor())?)?
                .sqr()?
                .sum_all()?
                .affine(0.5, 0.0)?;
            let grads = loss.backward()?;
            Ok((loss, grads))
        }),
    })
}

/// Batch norm over the rows of X, pulled back from G: the gradients of ⟨Y, G⟩ with respect to
/// X, γ and β (candle has no vector-Jacobian product with a given cotangent; this is the
/// usual way to get one).
fn batch_norm(m: usize, d: usize) -> Result<Case> {
    const EPS: f64 = 1e-5;
    let x = Var::from_tensor(&matrix(1, m, d, 1.0, 0.0)?)?;
    let gamma = Var::from_tensor(&row(2, d, 0.5, 1.0)?)?;
    let beta = Var::from_tensor(&row(3, d, 1.0, 0.0)?)?;
    let g = matrix(4, m, d, 1.0, 0.0)?;
    let (xv, gv, bv) = (x.clone(), gamma.clone(), beta.clone());
    Ok(Case {
        workload: "batch_norm",
        size: label(&[m, d]),
        vars: vec![x, gamma, beta],
        step: Box::new(move || {
            let x = xv.as_tensor();
            let mu = x.mean_keepdim(0)?;
            let xc = x.broadcast_sub(&mu)?;
            let var = xc.sqr()?.mean_keepdim(0)?;
            let std = var.affine(1.0, EPS)?.sqrt()?;
            let xhat = xc.broadcast_div(&std)?;
            let y = xhat
                .broadcast_mul(gv.as_tensor())?
                .broadcast_add(bv.as_tensor())?;
            let loss = (y * &g)?.sum_all()?;
            let grads = loss.backward()?;
            Ok((loss, grads))
        }),
    })
}

/// l = Σₜ ‖hₜ‖², hₜ = W tanh(hₜ₋₁) + U xₜ + b; ∂/∂W, ∂/∂U, ∂/∂b.
fn rnn(h: usize, i: usize, steps: usize) -> Result<Case> {
    let w = Var::from_tensor(&matrix(1, h, h, 1.0 / (h as f64).sqrt(), 0.0)?)?;
    let u = Var::from_tensor(&matrix(2, h, i, 1.0 / (i as f64).sqrt(), 0.0)?)?;
    let b = Var::from_tensor(&vector(3, h, 1.0)?)?;
    let h0 = vector(4, h, 1.0)?;
    let xm = matrix(5, i, steps, 1.0, 0.0)?;
    let xs = (0..steps)
        .map(|t| xm.narrow(1, t, 1)?.contiguous())
        .collect::<Result<Vec<_>>>()?;
    let (wv, uv, bv) = (w.clone(), u.clone(), b.clone());
    Ok(Case {
        workload: "rnn",
        size: label(&[h, i, steps]),
        vars: vec![w, u, b],
        step: Box::new(move || {
            let (w, u, b) = (wv.as_tensor(), uv.as_tensor(), bv.as_tensor());
            let mut state = h0.clone();
            let mut terms = Vec::with_capacity(xs.len());
            for x in &xs {
                state = ((w.matmul(&state.tanh()?)? + u.matmul(x)?)? + b)?;
                terms.push(state.sqr()?.sum_all()?);
            }
            let loss = Tensor::stack(&terms, 0)?.sum_all()?;
            let grads = loss.backward()?;
            Ok((loss, grads))
        }),
    })
}

/// ‖b₂ + Wᵀσ(Wx + b₁) − x‖²; ∂/∂W, ∂/∂b₁, ∂/∂b₂. candle-core has no sigmoid; σ(u) is
/// written ½(1 + tanh(u/2)), exact and stable, three element-wise ops on an h-vector.
fn autoencoder(h: usize, d: usize) -> Result<Case> {
    let w = Var::from_tensor(&matrix(1, h, d, 1.0 / (d as f64).sqrt(), 0.0)?)?;
    let b1 = Var::from_tensor(&vector(2, h, 0.1)?)?;
    let b2 = Var::from_tensor(&vector(3, d, 0.1)?)?;
    let x = vector(4, d, 1.0)?;
    let (wv, b1v, b2v) = (w.clone(), b1.clone(), b2.clone());
    Ok(Case {
        workload: "autoencoder",
        size: label(&[h, d]),
        vars: vec![w, b1, b2],
        step: Box::new(move || {
            let w = wv.as_tensor();
            let u = (w.matmul(&x)? + b1v.as_tensor())?;
            let v = u.affine(0.5, 0.0)?.tanh()?.affine(0.5, 0.5)?;
            let z = ((b2v.as_tensor() + w.t()?.matmul(&v)?)? - &x)?;
            let loss = z.sqr()?.sum_all()?;
            let grads = loss.backward()?;
            Ok((loss, grads))
        }),
    })
}

/// Every case of issue 5, smallest first within each workload.
fn cases() -> Result<Vec<Case>> {
    Ok(vec![
        least_squares(16)?,
        least_squares(128)?,
        least_squares(512)?,
        frobenius(16)?,
        frobenius(128)?,
        frobenius(512)?,
        prml(32, 8, 2)?,
        prml(1000, 64, 10)?,
        prml(10000, 256, 10)?,
        batch_norm(32, 16)?,
        batch_norm(256, 64)?,
        batch_norm(1024, 256)?,
        rnn(16, 8, 20)?,
        rnn(64, 32, 50)?,
        rnn(256, 128, 50)?,
        autoencoder(16, 64)?,
        autoencoder(64, 784)?,
        autoencoder(256, 2048)?,
    ])
}

/// The median time per call of `f`, in seconds, and the batches and batch size it took.
fn measure(
    mut f: impl FnMut() -> Result<()>,
    warm_up: Duration,
    measurement: Duration,
) -> Result<(f64, usize, u64)> {
    let start = Instant::now();
    let mut calls = 0u64;
    while calls == 0 || start.elapsed() < warm_up {
        f()?;
        calls += 1;
    }
    let per_call = start.elapsed().as_secs_f64() / calls as f64;
    let batch = ((measurement.as_secs_f64() / 50.0 / per_call).ceil() as u64).max(1);
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 10 || start.elapsed() < measurement {
        let t = Instant::now();
        for _ in 0..batch {
            f()?;
        }
        samples.push(t.elapsed().as_secs_f64() / batch as f64);
    }
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        0.5 * (samples[n / 2 - 1] + samples[n / 2])
    };
    Ok((median, n, batch))
}

/// A JSON number, `null` for NaN and infinities.
fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:e}")
    } else {
        "null".into()
    }
}

fn main() -> Result<()> {
    let mut warm_up = 3.0;
    let mut measurement = 5.0;
    let mut out = None;
    let mut filter = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| panic!("{name} needs a value"))
        };
        match arg.as_str() {
            "--warm-up-time" => warm_up = value(&arg).parse().expect("seconds"),
            "--measurement-time" => measurement = value(&arg).parse().expect("seconds"),
            "--out" => out = Some(value(&arg)),
            _ if !arg.starts_with('-') => filter = Some(arg),
            _ => panic!("unknown argument {arg}; use --warm-up-time S --measurement-time S --out PATH [filter]"),
        }
    }
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        eprintln!(
            "note: RAYON_NUM_THREADS is not set; candle re-reads the CPU count on every product"
        );
    }
    let mut rows = Vec::new();
    for case in cases()? {
        let id = format!("{}/{}", case.workload, case.size);
        if filter.as_ref().is_some_and(|f| !id.contains(f.as_str())) {
            continue;
        }
        // One checked call: the value and the gradient norm, to compare with #[grad]'s.
        let (loss, grads) = (case.step)()?;
        let value = loss.to_scalar::<f64>()?;
        let mut sq = 0.0;
        for v in &case.vars {
            let g = grads.get(v.as_tensor()).expect("a gradient for every Var");
            sq += g.sqr()?.sum_all()?.to_scalar::<f64>()?;
        }
        let (median, samples, batch) = measure(
            || (case.step)().map(drop),
            Duration::from_secs_f64(warm_up),
            Duration::from_secs_f64(measurement),
        )?;
        println!("candle {id:<28} {:>12.2} µs", median * 1e6);
        rows.push(format!(
            "{{\"workload\": \"{}\", \"size\": \"{}\", \"impl\": \"candle\", \"median_us\": {}, \"samples\": {samples}, \"batch\": {batch}, \"value\": {}, \"grad_norm\": {}}}",
            case.workload,
            case.size,
            num(median * 1e6),
            num(value),
            num(sq.sqrt()),
        ));
    }
    let json = format!("[\n  {}\n]\n", rows.join(",\n  "));
    match out {
        Some(path) => std::fs::write(&path, json).expect("write the results"),
        None => print!("{json}"),
    }
    Ok(())
}
