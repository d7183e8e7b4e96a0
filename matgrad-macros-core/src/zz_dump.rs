#[test]
fn dump() {
    let src = r#"
pub fn ls(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let r = a * x - b;
    r.norm_squared()
}
"#;
    std::fs::write(
        "/tmp/zz_ls.rs",
        crate::testing::expanded("x, workspace", src),
    )
    .unwrap();
}
