use matgrad::grad;

#[grad]
fn f(x: f64, k: u8) -> f64 {
    // A `match` on a constant works; binding a part of a differentiated value does not.
    let y = match k {
        0 => x,
        _ => x * 2.0,
    };
    match y {
        z if z > 1.0 => z * 3.0,
        _ => y,
    }
}

fn main() {}
