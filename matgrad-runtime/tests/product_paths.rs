//! Products take one of three paths, chosen once per process, size class and orientation
//! (`product_path`) by timing them: nalgebra's product, the gemm crate on one thread, or on
//! rayon's. `MATGRAD_GEMM` forces one, so the test runs itself once under each and once
//! measuring, and each run holds `A·B`, `Aᵀ·B`, `A·Bᵀ` and the product's pullbacks
//! (accumulating into a filled slot too) to a plain triple loop, in every size class: so every
//! class's choice in every orientation is made, and exercised.

use matgrad_runtime::{
    class_path, mul, mul_nt, mul_pullback_lhs, mul_pullback_rhs, mul_tn, product_path,
    product_paths, Orientation, ProductPath, SizeClass,
};
use nalgebra::DMatrix;
use std::process::Command;

fn matrix(r: usize, c: usize, seed: f64) -> DMatrix<f64> {
    DMatrix::from_fn(r, c, |i, j| ((i * 7 + j * 3) as f64 * 0.37 + seed).sin())
}

/// `A·B` by the definition: entry (i, j) the sum over l of A(i, l)·B(l, j), row i of A read
/// as column i of a copy of Aᵀ (fast enough unoptimised for the large classes' shapes).
fn reference(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    let (at, k) = (a.transpose(), a.ncols());
    let (at, bs) = (at.as_slice(), b.as_slice());
    DMatrix::from_fn(a.nrows(), b.ncols(), |i, j| {
        let (row, col) = (&at[i * k..(i + 1) * k], &bs[j * k..(j + 1) * k]);
        row.iter().zip(col).map(|(x, y)| x * y).sum()
    })
}

fn assert_close(what: &str, got: &DMatrix<f64>, want: &DMatrix<f64>) {
    let err = (got - want).amax() / want.amax();
    assert!(err < 1e-13, "{what}: off by {err:e}");
}

/// Under the process's choice: products of every size class (skinny either way, medium,
/// large, large and skinny), and below the classes, in every orientation.
#[test]
fn products_under_this_process_choice() {
    let shapes = [
        (3, 4, 5),
        (300, 40, 7),
        (6, 300, 40),
        (40, 50, 60),
        (170, 160, 160),
        (40, 4200, 30),
    ];
    for (m, k, n) in shapes {
        for orientation in Orientation::ALL {
            let want = match m * n * k < matgrad_runtime::PATHS_FROM {
                true => ProductPath::Nalgebra,
                false => class_path(SizeClass::of(m, n, k), orientation),
            };
            assert_eq!(product_path(m, n, k, orientation), want);
        }
        check_products(m, k, n);
    }
    // Every class was asked for in every orientation, and a forced path is every choice.
    let choice = std::env::var("MATGRAD_GEMM").unwrap_or_default();
    let forced = ProductPath::ALL.into_iter().find(|p| p.name() == choice);
    for (class, paths) in SizeClass::ALL.iter().zip(product_paths()) {
        for (orientation, path) in Orientation::ALL.iter().zip(paths) {
            let path = path.unwrap_or_else(|| panic!("{class:?} {orientation:?} not chosen"));
            assert!(forced.is_none_or(|f| f == path), "{choice}: {path:?}");
        }
    }
}

/// `A·B`, `Aᵀ·B`, `A·Bᵀ` and the pullbacks of `A·B` (m×k by k×n) against a triple loop.
fn check_products(m: usize, k: usize, n: usize) {
    let (a, b) = (matrix(m, k, 0.1), matrix(k, n, 0.7));
    assert_close("A·B", &mul(&a, &b), &reference(&a, &b));
    let at = matrix(k, m, 0.3);
    assert_close("Aᵀ·B", &mul_tn(&at, &b), &reference(&at.transpose(), &b));
    let bt = matrix(n, k, 0.9);
    assert_close("A·Bᵀ", &mul_nt(&a, &bt), &reference(&a, &bt.transpose()));
    // Ā = Ḡ·Bᵀ, B̄ = Aᵀ·Ḡ, into an empty slot and added to a filled one.
    let g = matrix(m, n, 1.3);
    let (mut da, mut db) = (None, Some(DMatrix::from_element(k, n, 1.0)));
    mul_pullback_lhs(&g, &a, &b, &mut da);
    mul_pullback_rhs(&g, &a, &b, &mut db);
    assert_close("Ā", &da.unwrap(), &reference(&g, &b.transpose()));
    let want = reference(&a.transpose(), &g).add_scalar(1.0);
    assert_close("B̄ + 1", &db.unwrap(), &want);
}

#[test]
fn every_path_computes_the_same_products() {
    if std::env::var("MATGRAD_GEMM").is_ok() {
        return; // a child run: the other test is its work
    }
    let me = std::env::current_exe().expect("the test binary");
    // The three paths forced, then a value that names none: the paths are measured.
    let choices = ProductPath::ALL.map(ProductPath::name);
    for choice in choices.into_iter().chain(["measure"]) {
        let out = Command::new(&me)
            .env("MATGRAD_GEMM", choice)
            .args(["--exact", "products_under_this_process_choice"])
            .output()
            .expect("the test binary runs");
        assert!(
            out.status.success(),
            "MATGRAD_GEMM={choice}:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
