//! Fused chains (`fused_map`, the reductions, their pullbacks): one lane of each role, the
//! value against a loop over the entries written here, the pullback against finite
//! differences for every lane.

use crate::common::{away_from_zero, dmatrix, dvector, inner, rng, row_dvector, FD_TOL};
use matgrad_runtime::{
    check_gradient, fused_column_mean, fused_column_sum, fused_map, fused_mean, fused_pullback,
    fused_pullback_reduced, fused_row_mean, fused_row_sum, fused_sum, lane_broadcast, lane_full,
    lane_scalar, Reduction,
};
use nalgebra::{DMatrix, DVector, RowDVector};
use rand::rngs::StdRng;

/// Shapes `m×n`: square and not, one row, one column, 1×1, and no rows.
const SHAPES: &[(usize, usize)] = &[(3, 2), (2, 5), (4, 4), (1, 4), (5, 1), (1, 1), (0, 3)];

/// `f(a, r, c, s) = (a·r + c)/s` of one entry of each lane.
fn f([a, r, c, s]: [f64; 4]) -> f64 {
    (a * r + c) / s
}

/// Its derivatives, scaled by `ḡ`, as the generated closure gives them.
fn df([a, r, c, s]: [f64; 4], g: f64) -> [f64; 4] {
    [g * r / s, g * a / s, g / s, -g * (a * r + c) / (s * s)]
}

/// The lanes' values: `a` m×n, a row `r`, a column `c`, a scalar `s` away from zero.
struct Lanes {
    a: DMatrix<f64>,
    r: RowDVector<f64>,
    c: DVector<f64>,
    s: f64,
}

impl Lanes {
    fn new(rng: &mut StdRng, m: usize, n: usize) -> Lanes {
        Lanes {
            a: dmatrix(rng, m, n),
            r: row_dvector(rng, n),
            c: dvector(rng, m),
            s: away_from_zero(rng, 0.5, 2.0),
        }
    }

    /// The chain's entries, by a loop written here.
    fn reference(&self) -> DMatrix<f64> {
        DMatrix::from_fn(self.a.nrows(), self.a.ncols(), |i, j| {
            f([self.a[(i, j)], self.r[j], self.c[i], self.s])
        })
    }

    fn map(&self) -> DMatrix<f64> {
        fused_map(&self.a, self.lanes(), f)
    }

    fn lanes(&self) -> [matgrad_runtime::Lane<'_, f64>; 4] {
        [
            lane_full(&self.a, "component_mul"),
            lane_broadcast(&self.r, "broadcast_mul"),
            lane_broadcast(&self.c, "broadcast_add"),
            lane_scalar(&self.s, "div"),
        ]
    }
}

/// Checks each lane's cotangent `cot` against the finite-difference gradient of
/// `φ = value(lanes with that lane moved)`.
#[track_caller]
fn check_lanes(at: &str, l: &Lanes, cot: &[Vec<f64>; 4], value: impl Fn(&Lanes) -> f64) {
    let with = |k: usize, v: &[f64]| {
        let mut moved = Lanes {
            a: l.a.clone(),
            r: l.r.clone(),
            c: l.c.clone(),
            s: l.s,
        };
        match k {
            0 => moved.a.as_mut_slice().copy_from_slice(v),
            1 => moved.r.as_mut_slice().copy_from_slice(v),
            2 => moved.c.as_mut_slice().copy_from_slice(v),
            _ => moved.s = v[0],
        }
        value(&moved)
    };
    let points: [Vec<f64>; 4] = [
        l.a.as_slice().to_vec(),
        l.r.as_slice().to_vec(),
        l.c.as_slice().to_vec(),
        vec![l.s],
    ];
    for k in 0..4 {
        let x = DVector::from_vec(points[k].clone());
        let grad = DVector::from_vec(cot[k].clone());
        let report = check_gradient(|p: &DVector<f64>| with(k, p.as_slice()), &x, &grad);
        assert!(report.passes(FD_TOL), "{at}, lane {k}: {report}");
    }
}

#[test]
fn fused_map_is_the_chain_entry_by_entry_and_its_pullback_each_lanes_gradient() {
    let mut rng = rng(71);
    for &(m, n) in SHAPES {
        let l = Lanes::new(&mut rng, m, n);
        assert_eq!(l.map(), l.reference(), "{m}×{n}");
        let g = dmatrix(&mut rng, m, n);
        let cot = fused_pullback(g.clone(), l.lanes(), [true; 4], df);
        check_lanes(&format!("fused_map {m}×{n}"), &l, &cot, |l| {
            inner(&g, &l.map())
        });
        // A lane not wanted gets nothing; the others are unchanged.
        let some = fused_pullback(g.clone(), l.lanes(), [true, false, true, false], df);
        assert!(some[1].is_empty() && some[3].is_empty());
        assert_eq!((&some[0], &some[2]), (&cot[0], &cot[2]));
    }
}

#[test]
fn each_reduction_of_a_chain_and_its_pullback() {
    let mut rng = rng(72);
    for &(m, n) in SHAPES {
        let l = Lanes::new(&mut rng, m, n);
        let y = l.reference();
        let at = |what: &str| format!("{what} of a {m}×{n} chain");
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
        // The values, against nalgebra's reductions of the entries.
        assert!(
            close(fused_sum(&l.a, l.lanes(), f), y.sum()),
            "{}",
            at("sum")
        );
        assert!(
            close(fused_mean(&l.a, l.lanes(), f), y.mean()),
            "{}",
            at("mean")
        );
        let rows = [
            (fused_row_sum(&l.a, l.lanes(), f), y.row_sum()),
            (fused_row_mean(&l.a, l.lanes(), f), y.row_mean()),
        ];
        for (got, want) in rows {
            assert!(
                got.iter().zip(&want).all(|(a, b)| close(*a, *b)),
                "{}",
                at("row")
            );
        }
        let columns = [
            (fused_column_sum(&l.a, l.lanes(), f), y.column_sum()),
            (fused_column_mean(&l.a, l.lanes(), f), y.column_mean()),
        ];
        for (got, want) in columns {
            assert!(
                got.iter().zip(&want).all(|(a, b)| close(*a, *b)),
                "{}",
                at("column")
            );
        }
        // The pullbacks, for a random cotangent of each reduction's shape.
        let gs = rng_scalar(&mut rng);
        for r in [Reduction::Sum, Reduction::Mean] {
            let cot = fused_pullback_reduced(gs, &l.a, r, l.lanes(), [true; 4], df);
            check_lanes(&at(&format!("{r:?}")), &l, &cot, |l| {
                gs * match r {
                    Reduction::Sum => fused_sum(&l.a, l.lanes(), f),
                    _ => fused_mean(&l.a, l.lanes(), f),
                }
            });
        }
        let gr = row_dvector(&mut rng, n);
        for r in [Reduction::RowSum, Reduction::RowMean] {
            let cot = fused_pullback_reduced(gr.clone(), &l.a, r, l.lanes(), [true; 4], df);
            check_lanes(&at(&format!("{r:?}")), &l, &cot, |l| {
                gr.dot(&match r {
                    Reduction::RowSum => fused_row_sum(&l.a, l.lanes(), f),
                    _ => fused_row_mean(&l.a, l.lanes(), f),
                })
            });
        }
        let gc = dvector(&mut rng, m);
        for r in [Reduction::ColumnSum, Reduction::ColumnMean] {
            let cot = fused_pullback_reduced(gc.clone(), &l.a, r, l.lanes(), [true; 4], df);
            check_lanes(&at(&format!("{r:?}")), &l, &cot, |l| {
                gc.dot(&match r {
                    Reduction::ColumnSum => fused_column_sum(&l.a, l.lanes(), f),
                    _ => fused_column_mean(&l.a, l.lanes(), f),
                })
            });
        }
    }
}

fn rng_scalar(rng: &mut StdRng) -> f64 {
    away_from_zero(rng, 0.5, 2.0)
}

#[test]
#[should_panic(expected = "`component_mul` needs operands of the same shape, got 3×2 and 2×3")]
fn a_full_lane_of_another_shape_panics_naming_its_operation() {
    let a = DMatrix::<f64>::zeros(3, 2);
    let b = DMatrix::<f64>::zeros(2, 3);
    let _ = fused_map(
        &a,
        [
            lane_full(&a, "component_mul"),
            lane_full(&b, "component_mul"),
        ],
        |[x, y]| x * y,
    );
}

#[test]
#[should_panic(expected = "`broadcast_sub` cannot apply a 1×3 row to every row of a 3×2 matrix")]
fn a_broadcast_lane_that_does_not_fit_panics_naming_its_operation() {
    let a = DMatrix::<f64>::zeros(3, 2);
    let r = RowDVector::<f64>::zeros(3);
    let _ = fused_map(
        &a,
        [
            lane_full(&a, "broadcast_sub"),
            lane_broadcast(&r, "broadcast_sub"),
        ],
        |[x, y]| x - y,
    );
}

#[test]
#[should_panic(expected = "`row_mean`")]
fn a_reduction_cotangent_of_another_shape_panics() {
    let a = DMatrix::<f64>::zeros(3, 2);
    let g = RowDVector::<f64>::zeros(3);
    let _ = fused_pullback_reduced(
        g,
        &a,
        Reduction::RowMean,
        [lane_full(&a, "map")],
        [true],
        |_, g| [g],
    );
}
