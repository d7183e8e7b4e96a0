"""Generate JAX reference values and gradients of eigh, expm and SVD functions.

Symmetric cases: for each n in [1, 2, 3, 5], draws inputs with
numpy.random.default_rng(20261203) (entries uniform in [-1, 1), drawn in this order per case):

    a: n×n              w: n×n
    s: m.T @ m + I with m n×n, then s = (s + s.T)/2 (exactly symmetric positive definite)
    e: n×n scaled so that its Frobenius norm is 1.0
    e_big: n×n scaled so that its Frobenius norm is 6.0

Rectangular cases: after all the symmetric cases, for each (r, c) in
[(1, 1), (3, 2), (2, 4), (4, 4)], from the same generator and in this order:

    m: r×c              p: r×c

and evaluates, in float64 with jax.numpy / jax.scipy.linalg, these scalar functions and
their gradients with jax.grad with respect to every argument:

    eig_values(a):     S = a@a.T + I; lam = eigh(S) eigenvalues; sum(sin(lam))
    eig_vectors(a, w): S = a@a.T + I; lam, V = eigh(S); W = w + w.T;
                       sum_i cos(lam_i) * (V[:,i] @ W @ V[:,i])
    eig_direct(s, w):  lam, V = eigh(s) (s used directly); W = w + w.T;
                       sum(sin(lam)) + sum_i cos(lam_i) * (V[:,i] @ W @ V[:,i])
                       (the gradient w.r.t. s is JAX's symmetric convention: eigh
                       symmetrizes its input, so grad[i,j] == grad[j,i] (asserted) and a
                       symmetric perturbation of s[i,j] and s[j,i] changes the value by
                       grad[i,j] + grad[j,i] per unit, i != j)
    expm_small(e, w):  sum(expm(e) * w)
    expm_big(e_big, w): sum(expm(e_big) * w)
    svd_values(m):     sigma = svd(m, compute_uv=False); sum(sin(sigma)) + sum(sigma**2)
    svd_vectors(m, p): U, sigma, Vt = svd(m, full_matrices=False);
                       sum_i cos(sigma_i) * (U[:,i] @ p @ Vt[i,:])

All functions are invariant to the order of the eigen/singular values and to the signs of
the eigen/singular vectors (u_i and v_i flipped together), so they do not depend on the
conventions of the decomposition. The script prints the smallest eigenvalue gap, singular
value gap and singular value of every case (the vector gradients divide by these), and
the 1-norm of e / e_big with the number of squarings jax.scipy.linalg.expm applies
(floor(log2(|A|_1 / 5.37)), clamped at 0; Padé degree 13 is used above |A|_1 = 2.1).
Note that with these draws every e_big has 5.37 < |A|_1 < 10.74 (5.84 to 7.99), so JAX
itself uses Padé 13 with 0 squarings, while an implementation following Higham (2005) /
scipy (s = ceil(log2(|A|_1 / 5.37))) squares once; the reference values agree either way.

It writes tests/data/spectral_jax.json as

    {"generator": "...",
     "symmetric": [{"n": n, "a": rows, "w": rows, "s": rows, "e": rows, "e_big": rows,
                    "functions": {"eig_values": {"value": v, "grad": {"a": rows}},
                                  "eig_vectors": {"value": v, "grad": {"a": rows, "w": rows}},
                                  "eig_direct": {"value": v, "grad": {"s": rows, "w": rows}},
                                  "expm_small": {"value": v, "grad": {"e": rows, "w": rows}},
                                  "expm_big": {"value": v, "grad": {"e_big": rows, "w": rows}}}},
                   ...],
     "rectangular": [{"r": r, "c": c, "m": rows, "p": rows,
                      "functions": {"svd_values": {"value": v, "grad": {"m": rows}},
                                    "svd_vectors": {"value": v,
                                                    "grad": {"m": rows, "p": rows}}}},
                     ...]}

where the gradient keys are the argument names above. As a self-check, every gradient of
every case is compared with central finite differences (h = 1e-6; symmetric perturbations
for eig_direct's s), and the worst relative error (max |fd - grad| / max(1, max |grad|) per
argument) is printed per function and asserted < 1e-6.

To rerun, from the repository root, after installing jax[cpu]
(python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install "jax[cpu]"):

    /tmp/jaxenv/bin/python tests/data/spectral_jax.py
"""
import json
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax.scipy.linalg import expm  # noqa: E402

OUT = Path(__file__).with_name("spectral_jax.json")

SEED = 20261203
SYM_SIZES = [1, 2, 3, 5]
RECT_SHAPES = [(1, 1), (3, 2), (2, 4), (4, 4)]
FD_H = 1e-6
FD_TOL = 1e-6
EXPM_MAXNORM = 5.371920351148152  # jax.scipy.linalg.expm, float64: squarings above this 1-norm


def rows(a):
    return [[float(v) for v in r] for r in np.asarray(a)]


def _quad_forms(V, W):
    """q_i = V[:,i] @ W @ V[:,i] for every column i."""
    return jnp.einsum("ji,jk,ki->i", V, W, V)


def eig_values(a):
    s = a @ a.T + jnp.eye(a.shape[0])
    lam = jnp.linalg.eigh(s)[0]
    return jnp.sum(jnp.sin(lam))


def eig_vectors(a, w):
    s = a @ a.T + jnp.eye(a.shape[0])
    lam, V = jnp.linalg.eigh(s)
    return jnp.sum(jnp.cos(lam) * _quad_forms(V, w + w.T))


def eig_direct(s, w):
    lam, V = jnp.linalg.eigh(s)
    return jnp.sum(jnp.sin(lam)) + jnp.sum(jnp.cos(lam) * _quad_forms(V, w + w.T))


def expm_small(e, w):
    return jnp.sum(expm(e) * w)


def expm_big(e_big, w):
    return jnp.sum(expm(e_big) * w)


def svd_values(m):
    sigma = jnp.linalg.svd(m, compute_uv=False)
    return jnp.sum(jnp.sin(sigma)) + jnp.sum(sigma ** 2)


def svd_vectors(m, p):
    U, sigma, Vt = jnp.linalg.svd(m, full_matrices=False)
    return jnp.sum(jnp.cos(sigma) * jnp.einsum("ji,jk,ik->i", U, p, Vt))


# name -> (function, argument names); gradients are taken w.r.t. every argument
SYM_FUNCTIONS = {
    "eig_values": (eig_values, ("a",)),
    "eig_vectors": (eig_vectors, ("a", "w")),
    "eig_direct": (eig_direct, ("s", "w")),
    "expm_small": (expm_small, ("e", "w")),
    "expm_big": (expm_big, ("e_big", "w")),
}
RECT_FUNCTIONS = {
    "svd_values": (svd_values, ("m",)),
    "svd_vectors": (svd_vectors, ("m", "p")),
}


def make_symmetric_inputs(rng, n):
    u = lambda r, c: rng.uniform(-1.0, 1.0, size=(r, c))  # noqa: E731
    a = u(n, n)
    w = u(n, n)
    sm = u(n, n)
    s = sm.T @ sm + np.eye(n)
    s = (s + s.T) / 2
    e = u(n, n)
    e = e * (1.0 / np.linalg.norm(e))
    e_big = u(n, n)
    e_big = e_big * (6.0 / np.linalg.norm(e_big))
    assert np.array_equal(s, s.T)
    return {"a": a, "w": w, "s": s, "e": e, "e_big": e_big}


def make_rectangular_inputs(rng, r, c):
    u = lambda r, c: rng.uniform(-1.0, 1.0, size=(r, c))  # noqa: E731
    m = u(r, c)
    p = u(r, c)
    return {"m": m, "p": p}


def value_and_grads(f, args):
    value = float(f(*args))
    grads = jax.grad(f, argnums=tuple(range(len(args))))(*args)
    return value, [np.asarray(g) for g in grads]


def fd_check(name, f, argnames, inp, grads):
    """Worst relative error of central differences vs jax.grad over all arguments of f."""
    base = [np.array(inp[a], dtype=np.float64) for a in argnames]
    fv = lambda args: float(f(*[jnp.asarray(v) for v in args]))  # noqa: E731
    worst = 0.0
    for ai, an in enumerate(argnames):
        g = grads[ai]
        fd = np.zeros_like(g)
        r, c = g.shape
        symmetric = name == "eig_direct" and an == "s"
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


def min_gap(v):
    v = np.sort(np.asarray(v))
    return float(np.min(np.diff(v))) if v.size > 1 else float("inf")


def run_case(functions_spec, inp, label, worst):
    functions = {}
    for name, (f, argnames) in functions_spec.items():
        args = [jnp.asarray(inp[a]) for a in argnames]
        value, grads = value_and_grads(f, args)
        assert np.isfinite(value) and all(np.all(np.isfinite(g)) for g in grads), (label, name)
        if name == "eig_direct":
            gs = grads[0]
            asym = float(np.max(np.abs(gs - gs.T)))
            assert asym <= 1e-12 * max(1.0, float(np.max(np.abs(gs)))), (label, asym)
            print(f"{label}: eig_direct grad w.r.t. s, max |g - g.T| = {asym:.3e}")
        err = fd_check(name, f, argnames, inp, grads)
        worst[name] = max(worst.get(name, 0.0), err)
        functions[name] = {"value": value,
                           "grad": {a: rows(g) for a, g in zip(argnames, grads)}}
    return functions


def main():
    rng = np.random.default_rng(SEED)
    worst = {}
    symmetric = []
    for n in SYM_SIZES:
        inp = make_symmetric_inputs(rng, n)
        label = f"n={n}"
        sa = inp["a"] @ inp["a"].T + np.eye(n)
        print(f"{label}: min eigenvalue gap of a@a.T+I {min_gap(np.linalg.eigvalsh(sa)):.3e}, "
              f"of s {min_gap(np.linalg.eigvalsh(inp['s'])):.3e}")
        for key in ("e", "e_big"):
            l1 = float(np.linalg.norm(inp[key], 1))
            sq = max(0, int(np.floor(np.log2(l1 / EXPM_MAXNORM))))
            print(f"{label}: {key:5s} |.|_F = {np.linalg.norm(inp[key]):.6f}, "
                  f"|.|_1 = {l1:.4f}, expm squarings = {sq}")
        case = {"n": n}
        case.update({name: rows(v) for name, v in inp.items()})
        case["functions"] = run_case(SYM_FUNCTIONS, inp, label, worst)
        symmetric.append(case)
    rectangular = []
    for r, c in RECT_SHAPES:
        inp = make_rectangular_inputs(rng, r, c)
        label = f"r={r} c={c}"
        sv = np.linalg.svd(inp["m"], compute_uv=False)
        print(f"{label}: min singular value {float(np.min(sv)):.3e}, "
              f"min singular value gap {min_gap(sv):.3e}")
        case = {"r": r, "c": c}
        case.update({name: rows(v) for name, v in inp.items()})
        case["functions"] = run_case(RECT_FUNCTIONS, inp, label, worst)
        rectangular.append(case)
    for name, err in worst.items():
        print(f"fd check (all cases) {name:12s} worst rel err {err:.3e}")
    generator = (f"jax {jax.__version__}: values from jax.numpy / jax.scipy.linalg, "
                 f"gradients from jax.grad, float64; inputs numpy.random.default_rng({SEED})")
    OUT.write_text(json.dumps({"generator": generator, "symmetric": symmetric,
                               "rectangular": rectangular}, indent=1) + "\n")
    print(f"wrote {OUT} ({len(symmetric)} symmetric, {len(rectangular)} rectangular cases)")


if __name__ == "__main__":
    main()
