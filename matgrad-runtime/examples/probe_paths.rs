//! Times each size class's probe in each orientation, as a process does the first time it
//! computes a product of them, and prints the path chosen: what docs/products.md reports.
//! `cargo run --release -p matgrad-runtime --example probe_paths` (`MATGRAD_GEMM` unset).
use matgrad_runtime::{class_path, Orientation, SizeClass};
use std::time::Instant;

fn main() {
    let mut total = 0.0;
    for class in SizeClass::ALL {
        for orientation in Orientation::ALL {
            let start = Instant::now();
            let path = class_path(class, orientation);
            let ms = start.elapsed().as_secs_f64() * 1e3;
            total += ms;
            println!(
                "{:<13} {}: {:<14} {ms:6.1} ms",
                class.name(),
                orientation.name(),
                path.name()
            );
        }
    }
    println!("all probes: {total:.1} ms");
}
