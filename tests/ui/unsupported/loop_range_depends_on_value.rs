use matgrad::grad;

#[grad]
fn f(x: f64) -> f64 {
    let mut y = x;
    for _ in 0..(x as usize) {
        y = y * 0.5;
    }
    y
}

fn main() {}
