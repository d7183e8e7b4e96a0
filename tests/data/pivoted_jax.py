"""Generate JAX reference gradients of functions of pivoted factorisations' factors.

For each shape (m, n) below, draws a (m x n, uniform in [-1, 1) plus twice the identity's
columns in a random order, so well conditioned and pivoted), w (m x k), w2 (k x n),
k = min(m, n), and b (m x 2), and evaluates with jax.numpy (float64):

- the QR factorisation with column pivoting as nalgebra computes it, A P = Q R: the pivots
  are nalgebra's `ColPivQR` rule (at step i, the column of the entry of largest absolute
  value in the trailing block of the matrix reduced so far by Householder reflections
  v = x + sign(x0) |x| e1), recomputed here in numpy and written out as "perm" (the column
  order of A P); with P held fixed (it is locally constant), Q, R = jnp.linalg.qr(a[:, perm]),

      cp_q(a, w)    = sum(w * Q * Q)
      cp_r(a, w2)   = sum(w2 * R * R)

  invariant to the signs LAPACK and nalgebra give Q's columns and R's rows; and for the
  square cases cp_solve(a, b) = 0.5 * |solve(a, b)|^2;
- for the square cases, the LU factorisation with partial pivoting, P A = L U
  (jax.scipy.linalg.lu: LAPACK's pivots, nalgebra's too: the largest entry of the column),

      lu_l(a, w)    = sum(w * L)
      lu_u(a, w)    = sum(w * U)

and their gradients with jax.grad w.r.t. a (and b). Writes tests/data/pivoted_jax.json as

    {"generator": "...", "cases": [{"m", "n", "a", "w", "w2", "b", "perm", "functions":
        {"cp_q": {"value", "grad": {"a"}}, "cp_r": ..., "cp_solve": {... "grad": {"a", "b"}},
         "lu_l": ..., "lu_u": ...}}]}

Each gradient is checked here against central finite differences (h = 1e-6; the pivots
are recomputed at each perturbed point, so a pivot that changed would show).

To rerun, from the repository root, after installing jax[cpu]
(python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install "jax[cpu]"):

    /tmp/jaxenv/bin/python tests/data/pivoted_jax.py
"""
import json
from pathlib import Path

import numpy as np
import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import jax.scipy.linalg as jsl  # noqa: E402

OUT = Path(__file__).with_name("pivoted_jax.json")
SHAPES = [(1, 1), (3, 3), (5, 3), (4, 4), (2, 4), (3, 5), (5, 5)]


def rows(a):
    return [[float(v) for v in r] for r in np.atleast_2d(np.asarray(a))]


def col_piv_order(a):
    """The column order of A P for nalgebra's `ColPivQR::new(a)`."""
    m = np.array(a, dtype=float)
    order = list(range(m.shape[1]))
    for i in range(min(m.shape)):
        block = np.abs(m[i:, i:])
        # nalgebra's icamax_full: the first largest entry in column-major order.
        flat = int(np.argmax(block.T.reshape(-1)))
        j = i + flat // block.shape[0]
        m[:, [i, j]] = m[:, [j, i]]
        order[i], order[j] = order[j], order[i]
        x = m[i:, i].copy()
        norm = np.linalg.norm(x)
        if norm == 0.0:
            continue
        v = x.copy()
        v[0] += np.sign(x[0]) * norm if x[0] != 0 else norm
        m[i:, i:] -= 2.0 * np.outer(v, v @ m[i:, i:]) / (v @ v)
    return order


def cp_q(a, w):
    q, _ = jnp.linalg.qr(a[:, jnp.array(col_piv_order(np.asarray(a)))])
    return jnp.sum(w * q * q)


def cp_r(a, w2):
    _, r = jnp.linalg.qr(a[:, jnp.array(col_piv_order(np.asarray(a)))])
    return jnp.sum(w2 * r * r)


def cp_solve(a, b):
    x = jnp.linalg.solve(a, b)
    return 0.5 * jnp.sum(x * x)


def lu_l(a, w):
    _, l, _ = jsl.lu(a)
    return jnp.sum(w * l)


def lu_u(a, w):
    _, _, u = jsl.lu(a)
    return jnp.sum(w * u)


def grad_at_fixed_pivots(f, args):
    """jax.grad of f w.r.t. its first argument, the pivots taken at args (a constant)."""
    order = jnp.array(col_piv_order(np.asarray(args[0])))
    if f in (cp_q, cp_r):
        def fixed(a, *rest):
            q, r = jnp.linalg.qr(a[:, order])
            return jnp.sum(rest[0] * q * q) if f is cp_q else jnp.sum(rest[0] * r * r)
        return np.asarray(jax.grad(fixed)(*args))
    return np.asarray(jax.grad(f)(*args))


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
    rng = np.random.default_rng(20261207)
    cases, worst = [], 0.0
    for m, n in SHAPES:
        k = min(m, n)
        a = rng.uniform(-1, 1, (m, n)) + 2.0 * np.eye(m, n)[:, rng.permutation(n)]
        w = rng.uniform(-1, 1, (m, k))
        w2 = rng.uniform(-1, 1, (k, n))
        b = rng.uniform(-1, 1, (m, 2))
        named = [("cp_q", cp_q, (a, w)), ("cp_r", cp_r, (a, w2))]
        if m == n:
            named += [("lu_l", lu_l, (a, w)), ("lu_u", lu_u, (a, w))]
        functions = {}
        for name, f, args in named:
            g = grad_at_fixed_pivots(f, args)
            worst = max(worst, fd_check(f, args, 0, g))
            functions[name] = {"value": float(f(*args)), "grad": {"a": rows(g)}}
        if m == n:
            ga, gb = (np.asarray(v) for v in jax.grad(cp_solve, argnums=(0, 1))(a, b))
            worst = max(worst, fd_check(cp_solve, (a, b), 0, ga), fd_check(cp_solve, (a, b), 1, gb))
            functions["cp_solve"] = {"value": float(cp_solve(a, b)), "grad": {"a": rows(ga), "b": rows(gb)}}
        cases.append({"m": m, "n": n, "a": rows(a), "w": rows(w), "w2": rows(w2), "b": rows(b),
                      "perm": [[float(j) for j in col_piv_order(a)]], "functions": functions})
    generator = (f"jax {jax.__version__}: values from jax.numpy, gradients from jax.grad, float64; "
                 "inputs numpy.random.default_rng(20261207)")
    OUT.write_text(json.dumps({"generator": generator, "cases": cases}, indent=1) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases), worst finite-difference error {worst:.1e}")


if __name__ == "__main__":
    main()
