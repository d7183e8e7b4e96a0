"""Generate JAX reference gradients of the largest and smallest absolute entry of a matrix.

For each matrix below, evaluates jnp.max(jnp.abs(m)) and jnp.min(jnp.abs(m)) with
jax.numpy and their gradients with jax.grad (float64), and writes
tests/data/extrema_jax.json as

    {"generator": "...", "cases": [{"m": rows, "amax": v, "amax_grad": rows,
                                    "amin": v, "amin_grad": rows}, ...]}

The matrices include ties of absolute value between entries of both signs and zeros, where
the gradient is a convention (JAX shares the cotangent among the tied entries, and |x| has
derivative sign(x), 0 at 0).

To rerun, from the repository root, after installing jax[cpu]
(python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install "jax[cpu]"):

    /tmp/jaxenv/bin/python tests/data/extrema_jax.py
"""
import json
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

OUT = Path(__file__).with_name("extrema_jax.json")

MATRICES = [
    [[0.5]],
    [[-0.5]],
    [[1.0, -2.0, 0.25], [3.5, -0.75, 2.0]],
    [[-3.0, 1.0], [3.0, -1.0]],  # |x| ties: ±3 for amax, ±1 for amin
    [[0.0, 2.0, -1.5], [0.7, -2.0, 0.0]],  # zeros: amin is 0; a ±2 tie for amax
    [[0.3, -0.8, 0.9, -0.1], [0.6, 0.2, -0.4, 0.5], [-0.7, 0.05, 0.35, -0.65]],
]


def rows(a):
    return [[float(v) for v in r] for r in a]


def main():
    amax = lambda m: jnp.max(jnp.abs(m))  # noqa: E731
    amin = lambda m: jnp.min(jnp.abs(m))  # noqa: E731
    cases = []
    for m in MATRICES:
        m = jnp.array(m, dtype=jnp.float64)
        cases.append({
            "m": rows(m),
            "amax": float(amax(m)),
            "amax_grad": rows(jax.grad(amax)(m)),
            "amin": float(amin(m)),
            "amin_grad": rows(jax.grad(amin)(m)),
        })
    generator = f"jax {jax.__version__}: values from jax.numpy, gradients from jax.grad, float64"
    OUT.write_text(json.dumps({"generator": generator, "cases": cases}, indent=1) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
