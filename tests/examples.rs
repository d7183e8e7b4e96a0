//! The seed's worked examples (`examples/*.rs`) as tests: each generated gradient must match
//! the seed's closed form and central finite differences.

#[path = "../examples/support/mod.rs"]
mod support;

#[allow(dead_code)]
#[path = "../examples/least_squares.rs"]
mod least_squares;

#[allow(dead_code)]
#[path = "../examples/frobenius.rs"]
mod frobenius;

#[allow(dead_code)]
#[path = "../examples/prml.rs"]
mod prml;

use support::Report;

#[track_caller]
fn assert_agrees(report: Report) {
    assert!(
        report.vs_closed_form < 1e-9,
        "{}: the generated gradient is {:e} from the closed form\n{report}",
        report.name,
        report.vs_closed_form
    );
    assert!(
        report.vs_finite_differences < 1e-6,
        "{}: the generated gradient is {:e} from finite differences\n{report}",
        report.name,
        report.vs_finite_differences
    );
}

#[test]
fn least_squares() {
    assert_agrees(least_squares::report());
}

#[test]
fn frobenius() {
    assert_agrees(frobenius::report());
}

#[test]
fn prml() {
    assert_agrees(prml::report());
}

#[test]
fn the_table_says_all_agree() {
    let table = support::table(&[least_squares::report(), frobenius::report(), prml::report()]);
    assert!(table.contains("\nall 3 agree"), "{table}");
}

#[test]
fn the_data_is_well_conditioned() {
    let mut rng = support::rng(0);
    for (rows, cols) in [(7, 4), (4, 3), (9, 4), (3, 8), (20, 20)] {
        let m = support::well_conditioned(&mut rng, rows, cols);
        let s = m.singular_values();
        let condition = s.max() / s.min();
        assert!(
            condition < 3.0,
            "{rows}×{cols}: condition number {condition}"
        );
    }
}
