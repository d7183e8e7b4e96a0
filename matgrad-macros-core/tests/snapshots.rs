//! Snapshot tests of whole expansions: the `_grad` companion the macro generates for a few
//! representative functions, formatted, in `tests/snapshots/*.snap` (reviewed). A change to
//! the generator shows here as a diff; accept it with `cargo insta review` or
//! `INSTA_UPDATE=always cargo test -p matgrad-macros-core --test snapshots`.

use matgrad_macros_core::{expand_grad, Context};

/// The item named `name` of the expansion of `#[grad(args)]` on `source`, formatted.
fn companion(args: &str, source: &str, name: &str) -> String {
    let out = expand_grad(
        args.parse().unwrap(),
        source.parse().unwrap(),
        &Context::default(),
    );
    let file: syn::File = syn::parse2(out).expect("the expansion is valid Rust");
    let item = file
        .items
        .into_iter()
        .find(|i| matches!(i, syn::Item::Fn(f) if f.sig.ident == name))
        .unwrap_or_else(|| panic!("no `{name}` in the expansion"));
    prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: vec![item],
    })
}

/// The least-squares loss, whose `_grad` and `_pullback` are both snapshotted.
const LEAST_SQUARES: &str =
    "fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let r = a * x - b;
    r.norm_squared()
}";

#[test]
fn least_squares() {
    insta::assert_snapshot!(companion("x", LEAST_SQUARES, "least_squares_grad"));
}

#[test]
fn rnn_loop() {
    insta::assert_snapshot!(companion(
        "w, u, b",
        "fn rnn(w: &DMatrix<f64>, u: &DMatrix<f64>, b: &DVector<f64>, h0: &DVector<f64>, xs: &[DVector<f64>]) -> f64 {
            let mut h = h0.clone();
            let mut loss = 0.0;
            for x in xs.iter() {
                h = w * tanh(&h) + u * x + b;
                loss += 0.5 * h.norm_squared();
            }
            loss
        }",
        "rnn_grad"
    ));
}

#[test]
fn branches_and_constants() {
    insta::assert_snapshot!(companion(
        "x",
        "fn piecewise(x: f64, k: usize, scale: Option<f64>) -> f64 {
            let n = k as f64 + 1.0;
            let mut y = if x > 0.0 { x * n } else { x.sin() };
            match k {
                0 => y = y * y,
                _ => {}
            }
            if let Some(c) = scale {
                y = y * c;
            }
            #[cfg(any())]
            let y = y * 100.0;
            y
        }",
        "piecewise_grad"
    ));
}

#[test]
fn map_closure_and_call() {
    insta::assert_snapshot!(companion(
        "x, gamma",
        "fn normalise(x: &DMatrix<f64>, gamma: &RowDVector<f64>, eps: f64) -> f64 {
            let mu = x.row_mean();
            let centred = x.broadcast_sub(&mu);
            let var = centred.component_mul(&centred).row_mean();
            let xhat = centred.broadcast_div(&var.map(|v| (v + eps).sqrt()));
            helper(&xhat.broadcast_mul(gamma))
        }",
        "normalise_grad"
    ));
}

/// `_pullback` wraps `vjp` when its arguments are references and numbers.
#[test]
fn pullback_through_vjp() {
    insta::assert_snapshot!(companion("x", LEAST_SQUARES, "least_squares_pullback"));
}
