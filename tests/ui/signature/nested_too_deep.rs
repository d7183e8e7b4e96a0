use autodiff::grad;

// Brackets nested 140 deep: the macro refuses them before parsing (its parser would
// overflow the compiler's stack).
#[grad]
#[allow(unused_parens)]
fn f(x: f64) -> f64 {
    ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((x))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))
}

fn main() {}
