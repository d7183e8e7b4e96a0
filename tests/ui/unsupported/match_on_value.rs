use autodiff::grad;

#[grad]
fn f(x: f64, k: u8) -> f64 {
    let y = match k {
        0 => x,
        _ => x * 2.0,
    };
    y * 3.0
}

fn main() {}
