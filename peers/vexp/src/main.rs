//! See Cargo.toml. `cargo run --release [-- bench|accuracy [reference.bin]]`.

#[path = "../../../matgrad-runtime/src/vmath.rs"]
#[allow(dead_code)]
mod vmath;

use simdeez::math::{SimdMathF64Core, SimdMathF64Hyperbolic};
use simdeez::prelude::*;
use simdeez::simd_runtime_generate;
use std::hint::black_box;
use std::time::Instant;
use wide::f64x4;

type Kernel = fn(&[f64], &mut [f64]);

fn std_exp(x: &[f64], out: &mut [f64]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = v.exp();
    }
}
fn std_tanh(x: &[f64], out: &mut [f64]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = v.tanh();
    }
}
/// The runtime's scalar `sigmoid` today.
fn sigmoid_scalar(v: f64) -> f64 {
    if v >= 0.0 {
        1.0 / (1.0 + (-v).exp())
    } else {
        let e = v.exp();
        e / (1.0 + e)
    }
}
fn std_sigmoid(x: &[f64], out: &mut [f64]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = sigmoid_scalar(*v);
    }
}

/// `vmath`'s kernel `$f` at one level: the baseline loop, AVX2+FMA, AVX-512F.
macro_rules! levels {
    ($f:ident => $base:ident, $avx2:ident, $avx512:ident) => {
        fn $base(x: &[f64], out: &mut [f64]) {
            for (o, v) in out.iter_mut().zip(x) {
                *o = vmath::$f::<false>(*v);
            }
        }
        fn $avx2(x: &[f64], out: &mut [f64]) {
            #[target_feature(enable = "avx2,fma")]
            fn k(x: &[f64], out: &mut [f64]) {
                for (o, v) in out.iter_mut().zip(x) {
                    *o = vmath::$f::<true>(*v);
                }
            }
            assert!(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"));
            unsafe { k(x, out) }
        }
        fn $avx512(x: &[f64], out: &mut [f64]) {
            #[target_feature(enable = "avx512f")]
            fn k(x: &[f64], out: &mut [f64]) {
                for (o, v) in out.iter_mut().zip(x) {
                    *o = vmath::$f::<true>(*v);
                }
            }
            assert!(is_x86_feature_detected!("avx512f"));
            unsafe { k(x, out) }
        }
    };
}
levels!(exp1 => vm_exp_base, vm_exp_avx2, vm_exp_avx512);
levels!(tanh1 => vm_tanh_base, vm_tanh_avx2, vm_tanh_avx512);
levels!(sigmoid1 => vm_sig_base, vm_sig_avx2, vm_sig_avx512);

/// `wide`'s f64x4 `$m` over the slice (std on the remainder), as compiled (SSE2 pairs in the
/// default build: `wide` picks its instructions at compile time).
macro_rules! wide_map {
    ($name:ident, $m:ident, $tail:expr) => {
        fn $name(x: &[f64], out: &mut [f64]) {
            let n = x.len() / 4 * 4;
            for (o, v) in out[..n].chunks_exact_mut(4).zip(x[..n].chunks_exact(4)) {
                let r: [f64; 4] = f64x4::from([v[0], v[1], v[2], v[3]]).$m().into();
                o.copy_from_slice(&r);
            }
            for (o, v) in out[n..].iter_mut().zip(&x[n..]) {
                *o = $tail(*v);
            }
        }
    };
}
wide_map!(wide_exp, exp, f64::exp);
wide_map!(wide_tanh, tanh, f64::tanh);

/// `op` over the vectors of `x`, std's `tail` on the remainder.
#[inline(always)]
fn simdeez_map<S: Simd>(
    x: &[f64],
    out: &mut [f64],
    op: impl Fn(S::Vf64) -> S::Vf64,
    tail: fn(f64) -> f64,
) {
    let w = S::Vf64::WIDTH;
    let n = x.len() / w * w;
    let mut i = 0;
    while i < n {
        op(S::Vf64::load_from_slice(&x[i..])).copy_to_slice(&mut out[i..]);
        i += w;
    }
    for j in n..x.len() {
        out[j] = tail(x[j]);
    }
}
simd_runtime_generate!(
    fn simdeez_exp(x: &[f64], out: &mut [f64]) {
        simdeez_map::<S>(x, out, |v| v.exp_u35(), f64::exp)
    }
);
simd_runtime_generate!(
    fn simdeez_tanh(x: &[f64], out: &mut [f64]) {
        simdeez_map::<S>(x, out, |v| v.tanh_u35(), f64::tanh)
    }
);
fn simdeez_exp_k(x: &[f64], out: &mut [f64]) {
    simdeez_exp(x, out)
}
fn simdeez_tanh_k(x: &[f64], out: &mut [f64]) {
    simdeez_tanh(x, out)
}

/// A deterministic stream of uniform numbers in `[0, 1)`.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

fn have_avx2() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}
fn have_avx512() -> bool {
    is_x86_feature_detected!("avx512f")
}

/// The kernels of one function, by name; those the CPU cannot run are left out.
fn kernels(function: &str) -> Vec<(&'static str, Kernel)> {
    let mut k: Vec<(&'static str, Kernel, bool)> = match function {
        "exp" => vec![
            ("std f64::exp", std_exp, true),
            ("vmath dispatch", vmath::exp, true),
            ("vmath baseline", vm_exp_base, true),
            ("vmath avx2+fma", vm_exp_avx2, have_avx2()),
            ("vmath avx512f", vm_exp_avx512, have_avx512()),
            ("wide f64x4", wide_exp, true),
            ("simdeez exp_u35", simdeez_exp_k, true),
        ],
        "tanh" => vec![
            ("std f64::tanh", std_tanh, true),
            ("vmath dispatch", vmath::tanh, true),
            ("vmath baseline", vm_tanh_base, true),
            ("vmath avx2+fma", vm_tanh_avx2, have_avx2()),
            ("vmath avx512f", vm_tanh_avx512, have_avx512()),
            ("wide f64x4", wide_tanh, true),
            ("simdeez tanh_u35", simdeez_tanh_k, true),
        ],
        _ => vec![
            ("scalar (std exp)", std_sigmoid, true),
            ("vmath dispatch", vmath::sigmoid, true),
            ("vmath baseline", vm_sig_base, true),
            ("vmath avx2+fma", vm_sig_avx2, have_avx2()),
            ("vmath avx512f", vm_sig_avx512, have_avx512()),
        ],
    };
    k.retain(|e| e.2);
    k.into_iter().map(|(n, f, _)| (n, f)).collect()
}

/// Median ns per entry of `f` over `x`, 7 samples of about 4 M entries each.
fn time(f: Kernel, x: &[f64], out: &mut [f64]) -> f64 {
    let reps = (4_000_000 / x.len()).max(1);
    f(x, out); // warm up (and touch `out`)
    let mut samples: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f(black_box(x), black_box(&mut *out));
            }
            t.elapsed().as_secs_f64() * 1e9 / (reps * x.len()) as f64
        })
        .collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[3]
}

fn bench() {
    let sizes = [64usize, 4096, 1 << 20];
    for (function, lo, hi) in [
        ("exp", -10.0, 10.0),
        ("tanh", -5.0, 5.0),
        ("sigmoid", -10.0, 10.0),
    ] {
        println!("\n{function} on U[{lo}, {hi}]: ns per entry (median of 7), speed-up over the first row");
        println!(
            "{:<20} {:>16} {:>16} {:>16}",
            "kernel", "n = 64", "n = 4096", "n = 2^20"
        );
        let mut base = vec![0.0; sizes.len()];
        for (row, (name, f)) in kernels(function).into_iter().enumerate() {
            let mut line = format!("{name:<20}");
            for (j, &n) in sizes.iter().enumerate() {
                let mut rng = Lcg(42 + n as u64);
                let x: Vec<f64> = (0..n).map(|_| rng.uniform(lo, hi)).collect();
                let mut out = vec![0.0; n];
                let ns = time(f, &x, &mut out);
                if row == 0 {
                    base[j] = ns;
                }
                line += &format!(" {:>8.3} ({:>4.1}x)", ns, base[j] / ns);
            }
            println!("{line}");
        }
    }
}

/// The distance in representable doubles; NaN against NaN is 0, NaN against a number is MAX.
fn ulps(a: f64, b: f64) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() {
            0
        } else {
            u64::MAX
        };
    }
    let ord = |v: f64| {
        let b = v.to_bits() as i64;
        if b < 0 {
            i64::MIN.wrapping_sub(b)
        } else {
            b
        }
    };
    ord(a).abs_diff(ord(b))
}

/// The largest ulp distance of each kernel from `reference` over `x`, with where it is, and how
/// many entries differ at all.
fn compare(title: &str, function: &str, x: &[f64], reference: &[f64]) {
    println!(
        "\n{title} ({} inputs): max ulp, count > 0 ulp, count > 1 ulp, worst x",
        x.len()
    );
    let mut out = vec![0.0; x.len()];
    for (name, f) in kernels(function) {
        f(x, &mut out);
        let (mut worst, mut at, mut over0, mut over1) = (0u64, 0.0, 0usize, 0usize);
        for ((&xi, &o), &r) in x.iter().zip(&out).zip(reference) {
            let u = ulps(o, r);
            over0 += (u > 0) as usize;
            over1 += (u > 1) as usize;
            if u > worst {
                worst = u;
                at = xi;
            }
        }
        println!("  {name:<20} {worst:>20} {over0:>10} {over1:>10}   {at:e}");
    }
}

/// Inputs of one function: uniform over ranges, log-uniform magnitudes, and the edge cases.
fn sweep(function: &str) -> Vec<f64> {
    let mut rng = Lcg(7);
    let mut x = Vec::new();
    let mut add = |n: usize, lo: f64, hi: f64, x: &mut Vec<f64>| {
        for _ in 0..n {
            x.push(rng.uniform(lo, hi));
        }
    };
    match function {
        "exp" => {
            add(4_000_000, -745.5, 709.9, &mut x);
            add(2_000_000, -1.0, 1.0, &mut x);
            add(1_000_000, -745.2, -707.0, &mut x); // subnormal results
            add(1_000_000, 700.0, 709.8, &mut x); // near overflow
        }
        "tanh" => {
            add(4_000_000, -25.0, 25.0, &mut x);
            add(2_000_000, -1.0, 1.0, &mut x);
        }
        _ => {
            add(4_000_000, -800.0, 800.0, &mut x);
            add(2_000_000, -40.0, 40.0, &mut x);
        }
    }
    // Log-uniform magnitudes, both signs.
    let mut rng = Lcg(9);
    for _ in 0..1_000_000 {
        let m = 10f64.powf(rng.uniform(-320.0, 2.9));
        x.push(if rng.next() < 0.5 { -m } else { m });
    }
    x.extend(edges());
    x
}

fn edges() -> Vec<f64> {
    vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        5e-324,
        -5e-324,
        1e-300,
        -1e-300,
        1e-8,
        -1e-8,
        0.5,
        0.55,
        709.78,
        709.782712893384,
        709.7827128933841,
        709.79,
        710.0,
        -708.39,
        -708.4,
        -744.44,
        -745.13,
        -745.1332191019411,
        -745.1332191019412,
        -745.14,
        -746.0,
        19.0,
        19.07,
        20.0,
        21.0,
        -21.0,
        1e308,
        -1e308,
        f64::MAX,
        f64::MIN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -f64::NAN,
    ]
}

fn accuracy(reference: Option<&str>) {
    let scalar: [(&str, fn(f64) -> f64); 3] = [
        ("exp", f64::exp),
        ("tanh", f64::tanh),
        ("sigmoid", sigmoid_scalar),
    ];
    for (function, f) in scalar {
        let x = sweep(function);
        let r: Vec<f64> = x.iter().map(|v| f(*v)).collect();
        compare(&format!("{function} against std"), function, &x, &r);
    }
    // The edge cases, one by one.
    for (function, f) in scalar {
        println!("\n{function} at the edges: x, std, then each kernel (= if bit-identical)");
        let x = edges();
        let results: Vec<(&str, Vec<f64>)> = kernels(function)
            .into_iter()
            .skip(1)
            .map(|(n, k)| {
                let mut out = vec![0.0; x.len()];
                k(&x, &mut out);
                (n, out)
            })
            .collect();
        for (i, v) in x.iter().enumerate() {
            let s = f(*v);
            let mut line = format!("  {v:>24e} {s:>24e}");
            for (_, out) in &results {
                let o = out[i];
                if o.to_bits() == s.to_bits() || (o.is_nan() && s.is_nan()) {
                    line += "  =";
                } else {
                    line += &format!("  {o:e} ({} ulp)", ulps(o, s));
                }
            }
            println!("{line}");
        }
        let names: Vec<&str> = results.iter().map(|r| r.0).collect();
        println!("  (columns: {})", names.join(", "));
    }
    // Against correctly rounded values (mpmath, 60 digits).
    if let Some(path) = reference {
        let bytes = std::fs::read(path).expect("the reference file");
        let v: Vec<f64> = bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        for (j, function) in ["exp", "tanh", "sigmoid"].iter().enumerate() {
            let rows: Vec<&[f64]> = v.chunks_exact(4).collect();
            let x: Vec<f64> = rows.iter().map(|r| r[0]).collect();
            let r: Vec<f64> = rows.iter().map(|r| r[1 + j]).collect();
            compare(
                &format!("{function} against the correctly rounded value"),
                function,
                &x,
                &r,
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.to_string())
        })
        .unwrap_or_default();
    println!(
        "{cpu}; avx2 {}, fma {}, avx512f {}; compiled with target avx2: {}, avx512f: {}",
        is_x86_feature_detected!("avx2"),
        is_x86_feature_detected!("fma"),
        is_x86_feature_detected!("avx512f"),
        cfg!(target_feature = "avx2"),
        cfg!(target_feature = "avx512f"),
    );
    match args.get(1).map(String::as_str) {
        Some("accuracy") => accuracy(args.get(2).map(String::as_str)),
        _ => bench(),
    }
}
