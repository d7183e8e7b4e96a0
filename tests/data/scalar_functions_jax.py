"""Generate JAX reference values for nine scalar functions.

For each function below, evaluates f(x) with jax.numpy and f'(x) with
jax.grad (automatic differentiation, not hand-written formulas), in float64,
at fixed points, and writes tests/data/scalar_functions_jax.json as

    {"generator": "...", "functions": {name: [[x, value, derivative], ...]}}

To rerun, from the repository root, after installing jax[cpu]
(python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install "jax[cpu]"):

    /tmp/jaxenv/bin/python tests/data/scalar_functions_jax.py
"""
import json
import math
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

OUT = Path(__file__).with_name("scalar_functions_jax.json")

LOG_POINTS = [1e-6, 0.1, 0.5, 1.0, 2.0, 10.0, 1e5]
HYP_POINTS = [-5.0, -1.0, -1e-3, 0.0, 0.4, 3.0, 10.0]

FUNCTIONS = {
    "ln_1p": (jnp.log1p, [-0.9, -0.5, -1e-8, 0.0, 1e-8, 0.3, 2.0, 1e3]),
    # JAX differentiates expm1 as expm1(x) + 1, so its derivative at -20.0 is
    # only good to ~2e-8 relative (exp(-20) = 2.061153622438558e-09).
    "exp_m1": (jnp.expm1, [-20.0, -1.0, -1e-8, 0.0, 1e-8, 0.7, 5.0]),
    "log2": (jnp.log2, LOG_POINTS),
    "log10": (jnp.log10, LOG_POINTS),
    "sinh": (jnp.sinh, HYP_POINTS),
    "cosh": (jnp.cosh, HYP_POINTS),
    "atan": (jnp.arctan, [-100.0, -2.0, -0.5, 0.0, 0.5, 1.0, 50.0]),
    "recip": (jnp.reciprocal, [-3.0, -0.25, 1e-3, 0.5, 1.0, 7.0]),
    # cbrt'(0) is infinite, so 0 is deliberately not a point.
    "cbrt": (jnp.cbrt, [-8.0, -0.3, 1e-6, 0.2, 1.0, 27.0, 1e4]),
}


def main():
    table = {}
    for name, (f, points) in FUNCTIONS.items():
        df = jax.grad(f)
        rows = []
        for x in points:
            xa = jnp.asarray(x, dtype=jnp.float64)
            value, deriv = float(f(xa)), float(df(xa))
            if not (math.isfinite(value) and math.isfinite(deriv)):
                raise SystemExit(f"non-finite result: {name}({x}) = {value}, {deriv}")
            rows.append([x, value, deriv])
        table[name] = rows
    generator = (f"jax {jax.__version__}: values from jax.numpy, derivatives "
                 f"from jax.grad, float64 (jax_enable_x64)")
    # One [x, value, derivative] row per line; json.dumps gives repr-exact floats.
    blocks = [f"  {json.dumps(name)}: [\n"
              + ",\n".join(f"   {json.dumps(row)}" for row in rows) + "\n  ]"
              for name, rows in table.items()]
    text = (f'{{\n "generator": {json.dumps(generator)},\n "functions": {{\n'
            + ",\n".join(blocks) + "\n }\n}\n")
    assert json.loads(text) == {"generator": generator, "functions": table}
    OUT.write_text(text)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
