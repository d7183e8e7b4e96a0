"""Generate JAX reference values and gradients of Cholesky, LU and triangular-solve functions.

For each case (n, k) in [(1, 1), (2, 1), (3, 2), (5, 3)], draws inputs with
numpy.random.default_rng(20261201) (entries uniform in [-1, 1), drawn in this order per case):

    a: n×n              x: n×k              w: n×n
    s: m.T @ m + I with m n×n, then s = (s + s.T)/2 (exactly symmetric positive definite)
    m: n×n + n·I (well conditioned)
    t: n×n with t[i,i] = 1.5 + |t[i,i]| (both triangles random: the solves must ignore one)

and evaluates, in float64 with jax.numpy / jax.scipy.linalg, these scalar functions and
their gradients with jax.grad with respect to every argument:

    chol_quad(a, x):    S = a@a.T + I, L = cholesky(S);
                        0.5*sum(x * cho_solve((L, True), x)) + 0.5*k*2*sum(log(diag(L)))
                        (= 0.5*tr(xᵀS⁻¹x) + 0.5*k*ln det S)
    chol_factor(a, w):  sum(cholesky(a@a.T + I) * w)
    chol_inverse(a, w): S = a@a.T + I; sum(inv(S) * w) + log(det(S))
    chol_direct(s, x):  L = cholesky(s); 0.5*sum(x * cho_solve((L, True), x)) + sum(log(diag(L)))
                        (the gradient w.r.t. s is JAX's symmetric convention: cholesky
                        symmetrizes its input, so grad[i,j] == grad[j,i] and a symmetric
                        perturbation of s[i,j] and s[j,i] changes the value by
                        grad[i,j] + grad[j,i] per unit, i != j)
    lu_all(m, x, w):    sol = solve(m, x); 0.5*sum(sol*sol) + det(m) + sum(inv(m) * w)
    tri_lower(t, x):    y = solve_triangular(t, x, lower=True)           (L y = x)
    tri_upper(t, x):    y = solve_triangular(t, x, lower=False)          (U y = x)
    tri_tr_lower(t, x): y = solve_triangular(t, x, lower=True, trans=1)  (Lᵀ y = x)
    tri_tr_upper(t, x): y = solve_triangular(t, x, lower=False, trans=1) (Uᵀ y = x)
                        each returning 0.5*sum(y*y) + sum(y)

and writes tests/data/linalg_jax.json as

    {"generator": "...", "cases": [{"n": n, "k": k, "a": rows, "x": rows, "w": rows,
                                    "s": rows, "m": rows, "t": rows,
                                    "functions": {"chol_quad": {"value": v,
                                                                "grad": {"a": rows, "x": rows}},
                                                  "chol_factor": {"value": v,
                                                                  "grad": {"a": rows, "w": rows}},
                                                  ...}}, ...]}

where the gradient keys are the argument names above. The triangular solves only read one
triangle of t: the script asserts that zeroing the other (strict) triangle leaves the value
unchanged and that the gradient there is exactly 0. As a self-check, every gradient of the
largest case is compared with central finite differences (h = 1e-6; symmetric perturbations
for chol_direct's s), and the worst relative error (max |fd - grad| / max(1, max |grad|) per
argument) is printed and asserted < 1e-6.

To rerun, from the repository root, after installing jax[cpu]
(python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install "jax[cpu]"):

    /tmp/jaxenv/bin/python tests/data/linalg_jax.py
"""
import json
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax.scipy.linalg import cho_solve, solve_triangular  # noqa: E402

OUT = Path(__file__).with_name("linalg_jax.json")

SEED = 20261201
SHAPES = [(1, 1), (2, 1), (3, 2), (5, 3)]
FD_H = 1e-6
FD_TOL = 1e-6


def rows(a):
    return [[float(v) for v in r] for r in np.asarray(a)]


def chol_quad(a, x):
    k = x.shape[1]
    s = a @ a.T + jnp.eye(a.shape[0])
    L = jnp.linalg.cholesky(s)
    z = cho_solve((L, True), x)
    return 0.5 * jnp.sum(x * z) + 0.5 * k * 2 * jnp.sum(jnp.log(jnp.diag(L)))


def chol_factor(a, w):
    L = jnp.linalg.cholesky(a @ a.T + jnp.eye(a.shape[0]))
    return jnp.sum(L * w)


def chol_inverse(a, w):
    s = a @ a.T + jnp.eye(a.shape[0])
    return jnp.sum(jnp.linalg.inv(s) * w) + jnp.log(jnp.linalg.det(s))


def chol_direct(s, x):
    L = jnp.linalg.cholesky(s)
    return 0.5 * jnp.sum(x * cho_solve((L, True), x)) + jnp.sum(jnp.log(jnp.diag(L)))


def lu_all(m, x, w):
    sol = jnp.linalg.solve(m, x)
    return 0.5 * jnp.sum(sol * sol) + jnp.linalg.det(m) + jnp.sum(jnp.linalg.inv(m) * w)


def _tri(lower, trans):
    def f(t, x):
        y = solve_triangular(t, x, lower=lower, trans=trans)
        return 0.5 * jnp.sum(y * y) + jnp.sum(y)
    return f


tri_lower = _tri(True, 0)
tri_upper = _tri(False, 0)
tri_tr_lower = _tri(True, 1)
tri_tr_upper = _tri(False, 1)

# name -> (function, argument names); gradients are taken w.r.t. every argument
FUNCTIONS = {
    "chol_quad": (chol_quad, ("a", "x")),
    "chol_factor": (chol_factor, ("a", "w")),
    "chol_inverse": (chol_inverse, ("a", "w")),
    "chol_direct": (chol_direct, ("s", "x")),
    "lu_all": (lu_all, ("m", "x", "w")),
    "tri_lower": (tri_lower, ("t", "x")),
    "tri_upper": (tri_upper, ("t", "x")),
    "tri_tr_lower": (tri_tr_lower, ("t", "x")),
    "tri_tr_upper": (tri_tr_upper, ("t", "x")),
}
TRI_LOWER = {"tri_lower": True, "tri_upper": False, "tri_tr_lower": True, "tri_tr_upper": False}


def make_inputs(rng, n, k):
    u = lambda r, c: rng.uniform(-1.0, 1.0, size=(r, c))  # noqa: E731
    a = u(n, n)
    x = u(n, k)
    w = u(n, n)
    sm = u(n, n)
    s = sm.T @ sm + np.eye(n)
    s = (s + s.T) / 2
    m = u(n, n) + n * np.eye(n)
    t = u(n, n)
    for i in range(n):
        t[i, i] = 1.5 + abs(t[i, i])
    assert np.array_equal(s, s.T)
    return {"a": a, "x": x, "w": w, "s": s, "m": m, "t": t}


def value_and_grads(f, args):
    value = float(f(*args))
    grads = jax.grad(f, argnums=tuple(range(len(args))))(*args)
    return value, [np.asarray(g) for g in grads]


def check_other_triangle(name, f, inp, grads):
    """solve_triangular must ignore the strict other triangle of t: same value, zero gradient there."""
    t, x = inp["t"], inp["x"]
    lower = TRI_LOWER[name]
    other = np.triu(np.ones_like(t, dtype=bool), 1) if lower else np.tril(np.ones_like(t, dtype=bool), -1)
    t0 = np.where(other, 0.0, t)
    v, v0 = float(f(jnp.asarray(t), jnp.asarray(x))), float(f(jnp.asarray(t0), jnp.asarray(x)))
    assert v == v0, (name, v, v0)
    assert np.all(grads[0][other] == 0.0), (name, grads[0])
    g0 = np.asarray(jax.grad(f)(jnp.asarray(t0), jnp.asarray(x)))
    assert np.array_equal(g0, grads[0]), (name, g0, grads[0])


def fd_check(name, f, argnames, inp, grads):
    """Worst relative error of central differences vs jax.grad over all arguments of f."""
    base = [np.array(inp[a], dtype=np.float64) for a in argnames]
    fv = lambda args: float(f(*[jnp.asarray(v) for v in args]))  # noqa: E731
    worst = 0.0
    for ai, an in enumerate(argnames):
        g = grads[ai]
        fd = np.zeros_like(g)
        r, c = g.shape
        symmetric = name == "chol_direct" and an == "s"
        for i in range(r):
            for j in range(c):
                if symmetric and j < i:
                    continue
                plus = [v.copy() for v in base]
                minus = [v.copy() for v in base]
                plus[ai][i, j] += FD_H
                minus[ai][i, j] -= FD_H
                if symmetric and i != j:
                    plus[ai][j, i] += FD_H
                    minus[ai][j, i] -= FD_H
                fd[i, j] = (fv(plus) - fv(minus)) / (2 * FD_H)
        if symmetric:
            # compare to g[i,j] + g[j,i] (i != j) and g[i,i], on the upper triangle
            ref = g + g.T - np.diag(np.diag(g))
            mask = np.triu(np.ones_like(g, dtype=bool))
            err = np.max(np.abs(fd - ref)[mask]) / max(1.0, np.max(np.abs(ref)))
        else:
            err = np.max(np.abs(fd - g)) / max(1.0, np.max(np.abs(g)))
        assert err < FD_TOL, (name, an, err)
        worst = max(worst, err)
    return worst


def main():
    rng = np.random.default_rng(SEED)
    cases = []
    fd_case = max(range(len(SHAPES)), key=lambda i: SHAPES[i][0])
    sym_report = []
    for ci, (n, k) in enumerate(SHAPES):
        inp = make_inputs(rng, n, k)
        case = {"n": n, "k": k}
        case.update({name: rows(v) for name, v in inp.items()})
        functions = {}
        for name, (f, argnames) in FUNCTIONS.items():
            args = [jnp.asarray(inp[a]) for a in argnames]
            value, grads = value_and_grads(f, args)
            assert np.isfinite(value) and all(np.all(np.isfinite(g)) for g in grads), name
            if name in TRI_LOWER:
                check_other_triangle(name, f, inp, grads)
            if name == "chol_direct":
                gs = grads[0]
                asym = float(np.max(np.abs(gs - gs.T)))
                assert asym <= 1e-12 * max(1.0, float(np.max(np.abs(gs)))), (n, k, asym)
                sym_report.append((n, k, asym))
            if ci == fd_case:
                err = fd_check(name, f, argnames, inp, grads)
                print(f"fd check n={n} k={k} {name:13s} worst rel err {err:.3e}")
            functions[name] = {"value": value,
                               "grad": {a: rows(g) for a, g in zip(argnames, grads)}}
        case["functions"] = functions
        cases.append(case)
    for n, k, asym in sym_report:
        print(f"chol_direct grad w.r.t. s, n={n} k={k}: max |g - g.T| = {asym:.3e}")
    generator = (f"jax {jax.__version__}: values from jax.numpy / jax.scipy.linalg, "
                 f"gradients from jax.grad, float64; inputs numpy.random.default_rng({SEED})")
    OUT.write_text(json.dumps({"generator": generator, "cases": cases}, indent=1) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
