"""Generate JAX reference values for two binary functions and two matrix-scalar ops.

Evaluates values with jax.numpy and every derivative with jax.grad (automatic
differentiation, not hand-written formulas), in float64, and writes
tests/data/binary_functions_jax.json as

    {"generator": "...",
     "powf": [[x, p, x**p, d/dx, d/dp], ...],
     "hypot": [[a, b, hypot(a, b), d/da, d/db], ...],
     "scale": [{"m": M, "a": a, "w": W, "value": L, "grad_m": dL/dM, "grad_a": dL/da}, ...],
     "add_scalar": [same fields, ...]}

where scale is L(M, a) = sum(W * (M * a)) and add_scalar is
L(M, a) = sum(W * tanh(M + a)), for 1x1, 2x3 and 4x4 matrices drawn with
numpy's default_rng(7) and default_rng(8). Matrices are lists of rows. Numbers that are
not finite are written as the strings "nan", "inf" or "-inf".

To rerun, from the repository root, after installing jax[cpu]
(python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install "jax[cpu]"):

    /tmp/jaxenv/bin/python tests/data/binary_functions_jax.py
"""
import json
import math
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

OUT = Path(__file__).with_name("binary_functions_jax.json")

# x = 0 is included on purpose: the rows record whatever jax.grad gives there.
POWF_POINTS = [(2.0, 3.0), (2.0, 0.5), (0.3, -1.7), (5.0, 2.5), (1.0, 7.3),
               (0.7, 0.0), (1e-3, 2.2), (10.0, -0.5), (0.0, 2.0), (0.0, 3.5)]
# (0, 0) is included on purpose: hypot is not differentiable there.
HYPOT_POINTS = [(3.0, 4.0), (-3.0, 4.0), (1e-3, 2.0), (5.0, -1e-8), (0.7, 0.7),
                (-2.0, -0.5), (1e150, 1e150), (0.0, 0.0)]
SHAPES = [(1, 1), (2, 3), (4, 4)]
MATRIX_OPS = {  # name: (loss(M, a, W), seed for numpy's default_rng)
    "scale": (lambda m, a, w: jnp.sum(w * (m * a)), 7),
    "add_scalar": (lambda m, a, w: jnp.sum(w * jnp.tanh(m + a)), 8),
}


def enc(v):
    """A float for JSON: finite as is, otherwise "nan", "inf" or "-inf"."""
    v = float(v)
    return v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))


def binary_rows(f, points):
    grad = jax.grad(f, argnums=(0, 1))
    rows = []
    for x, y in points:
        xa, ya = jnp.float64(x), jnp.float64(y)
        dx, dy = grad(xa, ya)
        rows.append([x, y, enc(f(xa, ya)), enc(dx), enc(dy)])
    return rows


def matrix_cases(loss, seed):
    # Per shape, in order: M ~ U[-1, 1], then a ~ U[-2, 2], then W ~ U[-1, 1].
    rng = np.random.default_rng(seed)
    cases = []
    for shape in SHAPES:
        m, a, w = rng.uniform(-1, 1, shape), float(rng.uniform(-2, 2)), rng.uniform(-1, 1, shape)
        ma, aa, wa = jnp.asarray(m), jnp.float64(a), jnp.asarray(w)
        g_m, g_a = jax.grad(loss, argnums=(0, 1))(ma, aa, wa)
        cases.append({"m": m.tolist(), "a": a, "w": w.tolist(), "value": enc(loss(ma, aa, wa)),
                      "grad_m": [[enc(v) for v in row] for row in np.asarray(g_m)],
                      "grad_a": enc(g_a)})
    return cases


def main():
    table = {"powf": binary_rows(jnp.power, POWF_POINTS),
             "hypot": binary_rows(jnp.hypot, HYPOT_POINTS)}
    for name, (loss, seed) in MATRIX_OPS.items():
        table[name] = matrix_cases(loss, seed)
    # Sanity-check the values against Python's math.
    for x, p, v, *_ in table["powf"]:
        assert math.isclose(v, math.pow(x, p), rel_tol=1e-14), (x, p, v)
    for a, b, v, *_ in table["hypot"]:
        assert math.isclose(v, math.hypot(a, b), rel_tol=1e-14), (a, b, v)
    generator = (f"jax {jax.__version__}: values from jax.numpy, derivatives "
                 f"from jax.grad, float64 (jax_enable_x64)")
    # One row (or one case) per line; json.dumps gives repr-exact floats.
    blocks = [f" {json.dumps(name)}: [\n" + ",\n".join(f"  {json.dumps(r)}" for r in rows)
              + "\n ]" for name, rows in table.items()]
    text = f'{{\n "generator": {json.dumps(generator)},\n' + ",\n".join(blocks) + "\n}\n"
    OUT.write_text(text)
    # Round trip: every number (and non-finite string) read back equals what was computed.
    assert json.loads(OUT.read_text()) == {"generator": generator, **table}
    for name, rows in table.items():
        print(f"{name}: {len(rows)} entries")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
