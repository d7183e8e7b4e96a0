"""Correctly rounded exp, tanh and sigmoid (mpmath, 60 digits) of 200 000 inputs, for
`cargo run --release -- accuracy reference.bin`: little-endian f64 rows (x, exp, tanh, sigmoid)."""
import random, struct, sys
import mpmath as mp

mp.mp.dps = 60
random.seed(11)
xs = [random.uniform(-745.2, 709.7) for _ in range(50_000)]
xs += [random.uniform(-20.0, 20.0) for _ in range(100_000)]
xs += [random.choice((-1, 1)) * 10 ** random.uniform(-300, 0) for _ in range(50_000)]
out = bytearray()
for x in xs:
    m = mp.mpf(x)
    e = float(mp.exp(m))  # mpf -> float rounds to nearest, subnormals included
    t = float(mp.tanh(m))
    s = float(1 / (1 + mp.exp(-m)))
    out += struct.pack("<4d", x, e, t, s)
open(sys.argv[1] if len(sys.argv) > 1 else "reference.bin", "wb").write(out)
