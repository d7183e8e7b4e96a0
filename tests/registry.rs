//! Every runtime item the registry's entries and the generator name exists: this file does
//! not compile otherwise (`__registry_kernels!` imports each of them by name).

matgrad::__registry_kernels!();

#[test]
fn every_kernel_the_registry_names_exists() {
    // Reaching this test means the imports above resolved.
}
