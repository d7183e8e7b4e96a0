//! `eˣ`, `tanh x` and `σ(x)` of every entry of an `f64` slice, in branch-free loops that the
//! compiler vectorises (issue 13: element-wise-heavy gradients spent a quarter of their time in
//! the scalar `exp` of libm).
//!
//! `exp` reduces `x = k·ln 2 + r` (Cody–Waite, `|r| ≤ ln 2 / 2`), evaluates `eʳ − 1` with a
//! degree-11 polynomial (Chebyshev fit, error below 3·10⁻¹⁷) and scales by `2ᵏ = 2^⌊k/2⌉·2^(k−⌊k/2⌉)`
//! built from the bits of the exponent, so that results near overflow and subnormal results
//! need no branch. Overflow, underflow, `±∞` and NaN come out of clamps written as selects.
//! Measured against `f64::exp`: at most 1 ulp apart, and the same at `±0`, `±∞`, NaN, the
//! overflow and underflow thresholds and over the subnormal range. `tanh` and `σ` are built on
//! it: `tanh` within 3 ulp of `f64::tanh` (2 of the correctly rounded value, as `f64::tanh`),
//! `σ` within 2 ulp of the runtime's scalar `σ`.
//!
//! Each function picks at run time the widest instructions the CPU has: AVX-512F, else AVX2
//! with FMA, else the baseline (SSE2 on x86-64) build of the same loop.

/// `log₂ e`.
const LOG2E: f64 = std::f64::consts::LOG2_E;
/// `ln 2` split in two: `LN2_HI` has 21 trailing zero bits, so `k·LN2_HI` is exact for the
/// `|k| ≤ 1100` the reduction meets (fdlibm's split).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 6.931471803691238e-1
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.9082149292705877e-10
/// `1.5·2⁵²`: `y + SHIFT − SHIFT` rounds `y` to the nearest integer, which the low bits of
/// `y + SHIFT` then hold.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// `q(r) ≈ (eʳ − 1 − r − r²/2) / r³` on `[−0.35, 0.35]`, highest degree first.
const Q: [f64; 9] = [
    2.509_640_987_696_882_5e-8,
    2.761_491_891_777_427_3e-7,
    2.755_727_851_077_911_4e-6,
    2.480_153_436_504_960_7e-5,
    1.984_126_985_512_527_8e-4,
    1.388_888_890_690_447_4e-3,
    8.333_333_333_332_06e-3,
    4.166_666_666_665_011_5e-2,
    1.666_666_666_666_666_6e-1,
];

/// `a·b + c`, fused where the instructions have it (a call to libm's `fma` otherwise).
#[inline(always)]
fn fmadd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `2ⁿ` for the integer `n` held in the low bits of `t = n + SHIFT`, `−1022 ≤ n ≤ 1023`.
#[inline(always)]
fn pow2(t: f64) -> f64 {
    f64::from_bits(t.to_bits().wrapping_add(1023) << 52)
}

/// `(k, eʳ − 1)` with `x = k·ln 2 + r`, `|r| ≤ ln 2 / 2` and `k` an integer (as a float), for
/// `|x| < 800` or NaN.
#[inline(always)]
fn reduce<const FMA: bool>(x: f64) -> (f64, f64) {
    let k = fmadd::<FMA>(x, LOG2E, SHIFT) - SHIFT;
    let r = fmadd::<FMA>(k, -LN2_HI, x);
    let r = fmadd::<FMA>(k, -LN2_LO, r);
    // Estrin's scheme: shorter dependency chains than Horner's, for the out-of-order core.
    let r2 = r * r;
    let r4 = r2 * r2;
    let a = fmadd::<FMA>(Q[7], r, Q[8]);
    let b = fmadd::<FMA>(Q[5], r, Q[6]);
    let c = fmadd::<FMA>(Q[3], r, Q[4]);
    let d = fmadd::<FMA>(Q[1], r, Q[2]);
    let ab = fmadd::<FMA>(b, r2, a);
    let cd = fmadd::<FMA>(d, r2, c);
    let q = fmadd::<FMA>(fmadd::<FMA>(Q[0], r4, cd), r4, ab);
    let h = fmadd::<FMA>(q, r, 0.5);
    (k, fmadd::<FMA>(r2, h, r))
}

/// `x`, or `lo` / `hi` beyond them; NaN stays NaN (comparisons, not `f64::max`, which drops it).
#[inline(always)]
fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    let x = if x < lo { lo } else { x };
    if x > hi {
        hi
    } else {
        x
    }
}

/// `eˣ`, without a branch.
#[inline(always)]
pub(crate) fn exp1<const FMA: bool>(x: f64) -> f64 {
    // e^-746 rounds to 0 and e^710 overflows, as the scaling below computes them.
    let x = clamp(x, -746.0, 710.0);
    let (k, p) = reduce::<FMA>(x);
    // 2ᵏ as two normal factors, the second applied last: one rounding for a subnormal result,
    // an exact product otherwise (or the overflow to ∞).
    let t1 = fmadd::<FMA>(k, 0.5, SHIFT);
    let t2 = (k - (t1 - SHIFT)) + SHIFT;
    let s1 = pow2(t1);
    fmadd::<FMA>(s1, p, s1) * pow2(t2)
}

/// `eˣ − 1` for `−41 ≤ x ≤ 0` (or NaN).
#[inline(always)]
fn exp_m1_negative<const FMA: bool>(x: f64) -> f64 {
    let (k, p) = reduce::<FMA>(x);
    let s = pow2(k + SHIFT);
    fmadd::<FMA>(s, p, s - 1.0)
}

/// `tanh x = −(e^(−2|x|) − 1) / (e^(−2|x|) + 1)` with the sign of `x`; `±1` past `|x| = 20`.
#[inline(always)]
pub(crate) fn tanh1<const FMA: bool>(x: f64) -> f64 {
    let a = clamp(x.abs(), 0.0, 20.0);
    let e = exp_m1_negative::<FMA>(-2.0 * a);
    (-e / (e + 2.0)).copysign(x)
}

/// `σ(x) = 1 / (1 + e⁻ˣ)`, as `eˣ / (1 + eˣ)` for `x < 0`, from `e^(−|x|)` (no overflow).
#[inline(always)]
pub(crate) fn sigmoid1<const FMA: bool>(x: f64) -> f64 {
    let e = exp1::<FMA>(-x.abs());
    let d = 1.0 + e;
    if x < 0.0 {
        e / d
    } else {
        1.0 / d
    }
}

/// For each function, `name(x, out)` writes `f(xᵢ)` into `out` and `name_in_place(x)` replaces
/// each `xᵢ`, through the widest instructions the CPU has.
macro_rules! slice_functions {
    ($($(#[$doc:meta])* $scalar:ident => $name:ident, $in_place:ident;)*) => {$(
        $(#[$doc])*
        ///
        /// # Panics
        /// If `x` and `out` differ in length.
        pub fn $name(x: &[f64], out: &mut [f64]) {
            assert_eq!(x.len(), out.len(), "matgrad: vmath input and output lengths differ");
            #[inline(always)]
            fn kernel<const FMA: bool>(x: &[f64], out: &mut [f64]) {
                for (o, v) in out.iter_mut().zip(x) {
                    *o = $scalar::<FMA>(*v);
                }
            }
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                fn avx512(x: &[f64], out: &mut [f64]) {
                    kernel::<true>(x, out)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2(x: &[f64], out: &mut [f64]) {
                    kernel::<true>(x, out)
                }
                match level() {
                    // SAFETY: the CPU has the features the function was compiled for.
                    Level::Avx512 => return unsafe { avx512(x, out) },
                    // SAFETY: as above.
                    Level::Avx2 => return unsafe { avx2(x, out) },
                    Level::Baseline => {}
                }
            }
            kernel::<false>(x, out)
        }

        $(#[$doc])*
        /// In place.
        pub fn $in_place(x: &mut [f64]) {
            #[inline(always)]
            fn kernel<const FMA: bool>(x: &mut [f64]) {
                for v in x.iter_mut() {
                    *v = $scalar::<FMA>(*v);
                }
            }
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                fn avx512(x: &mut [f64]) {
                    kernel::<true>(x)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2(x: &mut [f64]) {
                    kernel::<true>(x)
                }
                match level() {
                    // SAFETY: the CPU has the features the function was compiled for.
                    Level::Avx512 => return unsafe { avx512(x) },
                    // SAFETY: as above.
                    Level::Avx2 => return unsafe { avx2(x) },
                    Level::Baseline => {}
                }
            }
            kernel::<false>(x)
        }
    )*};
}

slice_functions! {
    /// `outᵢ = e^xᵢ`, within 1 ulp of `f64::exp`.
    exp1 => exp, exp_in_place;
    /// `outᵢ = tanh xᵢ`, within 3 ulp of `f64::tanh`.
    tanh1 => tanh, tanh_in_place;
    /// `outᵢ = σ(xᵢ) = 1 / (1 + e^−xᵢ)`, never overflowing.
    sigmoid1 => sigmoid, sigmoid_in_place;
}

/// The instructions the slice functions use on this CPU.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) enum Level {
    Avx512,
    Avx2,
    Baseline,
}

/// Detected once (`is_x86_feature_detected!` caches its answer).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn level() -> Level {
    if std::is_x86_feature_detected!("avx512f") {
        Level::Avx512
    } else if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        Level::Avx2
    } else {
        Level::Baseline
    }
}

/// The fewest entries worth a slice function: a scalar, or a tiny matrix, keeps the scalar
/// function (and no allocation more).
pub(crate) const VECTORISED_FROM: usize = 8;

/// `v` in place through `slice` where its entries are `f64`, at least [`VECTORISED_FROM`] of
/// them; else `scalar` of each entry. (A `Vec`, not a slice: `Any` downcasts only to sized
/// types.)
#[allow(clippy::ptr_arg)]
pub(crate) fn apply<T: 'static + Copy>(
    v: &mut Vec<T>,
    slice: fn(&mut [f64]),
    scalar: impl Fn(T) -> T,
) {
    if v.len() >= VECTORISED_FROM {
        if let Some(v) = (v as &mut dyn std::any::Any).downcast_mut::<Vec<f64>>() {
            return slice(v);
        }
    }
    v.iter_mut().for_each(|e| *e = scalar(*e));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The distance in representable doubles (0 for two NaNs, `u64::MAX` for one).
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

    /// Uniform inputs over each range, log-uniform magnitudes of both signs, and the edges.
    fn sweep(ranges: &[(f64, f64)]) -> Vec<f64> {
        let mut state = 0x853c_49e6_748f_ea9b_u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut x = Vec::new();
        for &(lo, hi) in ranges {
            x.extend((0..50_000).map(|_| lo + (hi - lo) * next()));
        }
        for _ in 0..50_000 {
            let m = 10f64.powf(-320.0 + 323.0 * next());
            x.push(if next() < 0.5 { -m } else { m });
        }
        x.extend(EDGES);
        x
    }

    const EDGES: [f64; 22] = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::MIN_POSITIVE,
        5e-324,
        -5e-324,
        1e-300,
        709.78,
        709.782_712_893_384,
        709.782_712_893_384_1,
        710.0,
        -708.4,
        -745.133_219_101_941_1,
        -745.133_219_101_941_2,
        -746.0,
        20.0,
        f64::MAX,
        f64::MIN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];

    /// The largest distance of the slice function (dispatched, and the baseline loop) from
    /// `reference` over `x`.
    fn worst(
        x: &[f64],
        slice: fn(&[f64], &mut [f64]),
        baseline: fn(f64) -> f64,
        reference: fn(f64) -> f64,
    ) -> u64 {
        let mut out = vec![0.0; x.len()];
        slice(x, &mut out);
        x.iter()
            .zip(&out)
            .map(|(&v, &o)| {
                let r = reference(v);
                ulps(o, r).max(ulps(baseline(v), r))
            })
            .max()
            .unwrap()
    }

    #[test]
    fn exp_is_within_one_ulp_of_std() {
        let x = sweep(&[
            (-745.5, 709.9),
            (-1.0, 1.0),
            (-745.2, -707.0),
            (700.0, 709.8),
        ]);
        assert_eq!(worst(&x, exp, exp1::<false>, f64::exp), 1);
    }

    #[test]
    fn exp_at_the_edges() {
        let x = [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            710.0,
            -746.0,
        ];
        let mut y = x;
        exp_in_place(&mut y);
        assert_eq!(&y[..4], &[1.0, 1.0, f64::INFINITY, 0.0]);
        assert!(y[4].is_nan());
        assert_eq!((y[5], y[6]), (f64::INFINITY, 0.0));
        // The largest finite result and the smallest subnormal one, as std has them.
        let mut y = [709.782_712_893_384, -745.133_219_101_941_1, -745.2];
        exp_in_place(&mut y);
        assert_eq!(y, [1.797_693_134_862_273_2e308, 5e-324, 0.0]);
    }

    #[test]
    fn tanh_is_within_three_ulp_of_std_and_odd() {
        let x = sweep(&[(-25.0, 25.0), (-1.0, 1.0)]);
        assert!(worst(&x, tanh, tanh1::<false>, f64::tanh) <= 3);
        let mut y = [
            0.0,
            -0.0,
            1e-300,
            -5e-324,
            30.0,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        tanh_in_place(&mut y);
        assert_eq!(y[0].to_bits(), 0.0f64.to_bits());
        assert_eq!(y[1].to_bits(), (-0.0f64).to_bits());
        assert_eq!(&y[2..6], &[1e-300, -5e-324, 1.0, -1.0]);
        assert!(y[6].is_nan());
    }

    #[test]
    fn sigmoid_is_within_two_ulp_of_the_scalar_form_and_never_overflows() {
        let scalar = |v: f64| {
            if v >= 0.0 {
                1.0 / (1.0 + (-v).exp())
            } else {
                v.exp() / (1.0 + v.exp())
            }
        };
        let x = sweep(&[(-800.0, 800.0), (-40.0, 40.0)]);
        assert!(worst(&x, sigmoid, sigmoid1::<false>, scalar) <= 2);
        let mut y = [
            0.0,
            800.0,
            -800.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        sigmoid_in_place(&mut y);
        assert_eq!(&y[..5], &[0.5, 1.0, 0.0, 1.0, 0.0]);
        assert!(y[5].is_nan());
    }

    #[test]
    fn every_length_and_in_place_agree() {
        for n in [0, 1, 3, 7, 8, 17, 64, 1001] {
            let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.37 - 9.0).collect();
            let mut out = vec![0.0; n];
            exp(&x, &mut out);
            let mut y = x.clone();
            exp_in_place(&mut y);
            assert_eq!(out, y);
            for (o, v) in out.iter().zip(&x) {
                assert!(ulps(*o, v.exp()) <= 1);
            }
        }
    }

    #[test]
    #[should_panic(expected = "lengths differ")]
    fn mismatched_lengths_panic() {
        exp(&[1.0, 2.0], &mut [0.0]);
    }
}
