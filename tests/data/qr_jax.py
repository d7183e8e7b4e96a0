"""Generate JAX reference gradients of functions of the QR factorisation.

For each shape (m, n) below, tall, square or wide, draws a (m x n, uniform in [-1, 1) plus
the identity on its top square, so R is well away from singular), w (m x k) and w2 (k x n),
k = min(m, n), and
evaluates with jax.numpy (float64), Q, R = jnp.linalg.qr(a) (reduced),

    f_q(a, w)   = sum(w * Q * Q)
    f_r(a, w2)  = sum(w2 * R * R)

which are invariant to the signs the factorisation may give Q's columns and R's rows
(LAPACK's and nalgebra's Householder reflections differ there), and their gradients with
jax.grad w.r.t. a (for a wide a, JAX's qr_jvp_rule splits a = [X | Y]); and for the square cases f_solve(a, b) = 0.5 * |solve(a, b)|^2 with b
(m x 2). Writes tests/data/qr_jax.json as

    {"generator": "...", "cases": [{"m", "n", "a", "w", "w2", "b", "functions":
        {"f_q": {"value", "grad": {"a"}}, "f_r": {...}, "f_solve": {... "grad": {"a", "b"}}}}]}

(f_solve only where m == n). Each gradient is checked here against central finite
differences (h = 1e-6).

To rerun, from the repository root, after installing jax[cpu]
(python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install "jax[cpu]"):

    /tmp/jaxenv/bin/python tests/data/qr_jax.py
"""
import json
from pathlib import Path

import numpy as np
import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

OUT = Path(__file__).with_name("qr_jax.json")
SHAPES = [(1, 1), (3, 3), (5, 3), (4, 2), (4, 4), (2, 3), (3, 5), (1, 3)]


def rows(a):
    return [[float(v) for v in r] for r in np.atleast_2d(np.asarray(a))]


def f_q(a, w):
    q, _ = jnp.linalg.qr(a)
    return jnp.sum(w * q * q)


def f_r(a, w2):
    _, r = jnp.linalg.qr(a)
    return jnp.sum(w2 * r * r)


def f_solve(a, b):
    x = jnp.linalg.solve(a, b)
    return 0.5 * jnp.sum(x * x)


def fd_check(f, args, k, g):
    h, worst = 1e-6, 0.0
    x = np.array(args[k])
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += h
        down[idx] -= h
        a1, a2 = list(args), list(args)
        a1[k], a2[k] = up, down
        fd = (f(*a1) - f(*a2)) / (2 * h)
        worst = max(worst, abs(fd - g[idx]) / max(1.0, np.max(np.abs(g))))
    assert worst < 1e-6, worst
    return worst


def main():
    rng = np.random.default_rng(20261205)
    cases, worst = [], 0.0
    for m, n in SHAPES:
        a = rng.uniform(-1, 1, (m, n)) + np.eye(m, n)
        k = min(m, n)
        w = rng.uniform(-1, 1, (m, k))
        w2 = rng.uniform(-1, 1, (k, n))
        b = rng.uniform(-1, 1, (m, 2))
        functions = {}
        for name, f, args in [("f_q", f_q, (a, w)), ("f_r", f_r, (a, w2))]:
            g = np.asarray(jax.grad(f)(*args))
            worst = max(worst, fd_check(f, args, 0, g))
            functions[name] = {"value": float(f(*args)), "grad": {"a": rows(g)}}
        if m == n:
            ga, gb = (np.asarray(v) for v in jax.grad(f_solve, argnums=(0, 1))(a, b))
            worst = max(worst, fd_check(f_solve, (a, b), 0, ga), fd_check(f_solve, (a, b), 1, gb))
            functions["f_solve"] = {"value": float(f_solve(a, b)), "grad": {"a": rows(ga), "b": rows(gb)}}
        cases.append({"m": m, "n": n, "a": rows(a), "w": rows(w), "w2": rows(w2), "b": rows(b),
                      "functions": functions})
    generator = (f"jax {jax.__version__}: values from jax.numpy, gradients from jax.grad, float64; "
                 "inputs numpy.random.default_rng(20261205)")
    OUT.write_text(json.dumps({"generator": generator, "cases": cases}, indent=1) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases), worst finite-difference error {worst:.1e}")


if __name__ == "__main__":
    main()
