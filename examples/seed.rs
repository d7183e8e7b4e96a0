//! The seed's worked examples in one command: each one's value, and how far the gradient
//! `#[grad]` generated is from the seed's closed form and from finite differences.
//!
//! `cargo run --release --example seed`
//!
//! Each example is also a program of its own (`cargo run --example least_squares`); here
//! they are modules. To add one: write `examples/<name>.rs` with `pub fn report() -> Report`,
//! include it below, and add `<name>::report()` to the list in `main`.

#[path = "support/mod.rs"]
mod support;

// Their `main` is not called here, and their own copy of `support` goes unused: each
// example names `crate::support`, this file's.
#[allow(dead_code)]
#[path = "least_squares.rs"]
mod least_squares;

#[allow(dead_code)]
#[path = "frobenius.rs"]
mod frobenius;

#[allow(dead_code)]
#[path = "prml.rs"]
mod prml;

#[allow(dead_code)]
#[path = "batchnorm.rs"]
mod batchnorm;

#[allow(dead_code)]
#[path = "rnn.rs"]
mod rnn;

#[allow(dead_code)]
#[path = "autoencoder.rs"]
mod autoencoder;

fn main() {
    let reports = [
        least_squares::report(),
        frobenius::report(),
        prml::report(),
        batchnorm::report(),
        rnn::report(),
        autoencoder::report(),
    ];
    println!("{}", support::table(&reports));
    for derivation in [
        least_squares::derivation(),
        frobenius::derivation(),
        prml::derivation(),
        batchnorm::derivation(),
    ] {
        println!("\n{derivation}");
    }
    if !reports.iter().all(support::Report::agrees) {
        std::process::exit(1);
    }
}
