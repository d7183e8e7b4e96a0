use matgrad::grad;

#[grad]
fn f(x: f64, n: usize) -> f64 {
    let mut y = x;
    for t in 0..n {
        if t % 2 == 0 {
            continue;
        }
        y = y * 0.5;
    }
    y
}

fn main() {}
