use matgrad::grad;

// Configured out, `y /= ..` changes the loop's `y`; configured in, the `#[cfg]` one: the
// macro cannot tell which, so it asks for a name of its own (difftest seed 11, p03545).
#[grad]
fn f(x: f64) -> f64 {
    let mut y = x;
    for _ in 0..2 {
        y *= 1.5;
        #[cfg(any())]
        let mut y = y * 100.0;
        y /= x + 1.0;
    }
    y
}

fn main() {}
