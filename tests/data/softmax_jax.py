"""Generate JAX reference values and gradients of logsumexp, softmax and log_softmax.

Draws inputs with numpy.random.default_rng(20261204) (entries uniform in [-1, 1)), in this
order:

    random vectors, for each length in [1, 3, 6]: x (uniform times 3), then w
    extreme vectors x = [1000, -1000, 0.5] and [-1000, -999, -1001]: w for each
    random matrix: xm 3×4 (uniform times 3), then wm 3×4, w_rows (length 3), w_cols (length 4)
    extreme matrix xm = [[1000, -1000, 0], [-1000, -999.5, -1001]]: wm 2×3, w_rows (length 2),
                                                                     w_cols (length 3)

and evaluates, in float64 with jax.numpy / jax.nn / jax.scipy.special, these scalar functions
and their gradients with jax.grad:

    vectors (gradients w.r.t. x and w, except logsumexp: x only):
        logsumexp(x):          logsumexp(x)
        f_softmax(x, w):       sum(w * softmax(x))
        f_log_softmax(x, w):   sum(w * log_softmax(x))
    matrices (gradients w.r.t. xm only; "rows" = axis=1, i.e. each row is normalised /
    reduced on its own; "cols" = axis=0, each column):
        f_lse_rows(xm):        sum(w_rows * logsumexp(xm, axis=1))
        f_lse_cols(xm):        sum(w_cols * logsumexp(xm, axis=0))
        f_softmax_rows(xm):    sum(wm * softmax(xm, axis=1))
        f_softmax_cols(xm):    sum(wm * softmax(xm, axis=0))
        f_log_softmax_rows(xm): sum(wm * log_softmax(xm, axis=1))
        f_log_softmax_cols(xm): sum(wm * log_softmax(xm, axis=0))

The raw softmax / log_softmax (and, for matrices, logsumexp per axis) are recorded too. It
writes tests/data/softmax_jax.json as

    {"generator": "...",
     "vectors": [{"extreme": bool, "x": vec, "w": vec, "softmax": vec, "log_softmax": vec,
                  "functions": {"logsumexp": {"value": v, "grad": {"x": vec}},
                                "f_softmax": {"value": v, "grad": {"x": vec, "w": vec}},
                                "f_log_softmax": {"value": v, "grad": {"x": vec, "w": vec}}}},
                 ...],
     "matrices": [{"extreme": bool, "xm": rows, "wm": rows, "w_rows": vec, "w_cols": vec,
                   "softmax_rows": rows, "softmax_cols": rows,
                   "log_softmax_rows": rows, "log_softmax_cols": rows,
                   "logsumexp_rows": vec (one per row), "logsumexp_cols": vec (one per column),
                   "functions": {"f_lse_rows": {"value": v, "grad": {"xm": rows}},
                                 "f_lse_cols": ..., "f_softmax_rows": ..., "f_softmax_cols": ...,
                                 "f_log_softmax_rows": ..., "f_log_softmax_cols": ...}},
                  ...]}

with vectors as flat lists and matrices as lists of rows; the vector cases are in the draw
order above (lengths 1, 3, 6, then the two extreme ones), the matrix cases random then
extreme. Every value and gradient is asserted finite (in particular at the ±1000 cases). As a
self-check, every gradient of every case, the ±1000 cases included, is compared with central
finite differences (h = 1e-6), and the worst relative error (max |fd - grad| / max(1, max
|grad|) per argument) is printed per function and asserted < 1e-6.

To rerun, from the repository root, after installing jax[cpu]
(python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install "jax[cpu]"):

    /tmp/jaxenv/bin/python tests/data/softmax_jax.py
"""
import json
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax.scipy.special import logsumexp  # noqa: E402

OUT = Path(__file__).with_name("softmax_jax.json")

SEED = 20261204
VECTOR_LENGTHS = [1, 3, 6]
EXTREME_VECTORS = [[1000.0, -1000.0, 0.5], [-1000.0, -999.0, -1001.0]]
MATRIX_SHAPE = (3, 4)
EXTREME_MATRIX = [[1000.0, -1000.0, 0.0], [-1000.0, -999.5, -1001.0]]
FD_H = 1e-6
FD_TOL = 1e-6


def rows(a):
    return [[float(v) for v in r] for r in np.asarray(a)]


def vec(a):
    return [float(v) for v in np.asarray(a)]


def f_logsumexp(x):
    return logsumexp(x)


def f_softmax(x, w):
    return jnp.sum(w * jax.nn.softmax(x))


def f_log_softmax(x, w):
    return jnp.sum(w * jax.nn.log_softmax(x))


# name -> (function, argument names); gradients are taken w.r.t. every argument
VECTOR_FUNCTIONS = {
    "logsumexp": (f_logsumexp, ("x",)),
    "f_softmax": (f_softmax, ("x", "w")),
    "f_log_softmax": (f_log_softmax, ("x", "w")),
}


def matrix_functions(wm, w_rows, w_cols):
    """name -> function of xm alone (the weights are constants of the case)."""
    wm, w_rows, w_cols = jnp.asarray(wm), jnp.asarray(w_rows), jnp.asarray(w_cols)
    return {
        "f_lse_rows": lambda xm: jnp.sum(w_rows * logsumexp(xm, axis=1)),
        "f_lse_cols": lambda xm: jnp.sum(w_cols * logsumexp(xm, axis=0)),
        "f_softmax_rows": lambda xm: jnp.sum(wm * jax.nn.softmax(xm, axis=1)),
        "f_softmax_cols": lambda xm: jnp.sum(wm * jax.nn.softmax(xm, axis=0)),
        "f_log_softmax_rows": lambda xm: jnp.sum(wm * jax.nn.log_softmax(xm, axis=1)),
        "f_log_softmax_cols": lambda xm: jnp.sum(wm * jax.nn.log_softmax(xm, axis=0)),
    }


def value_and_grads(f, args):
    value = float(f(*args))
    grads = jax.grad(f, argnums=tuple(range(len(args))))(*args)
    return value, [np.asarray(g) for g in grads]


def fd_check(f, args, grads):
    """Worst relative error of central differences vs jax.grad over all arguments of f."""
    base = [np.array(a, dtype=np.float64) for a in args]
    fv = lambda xs: float(f(*[jnp.asarray(v) for v in xs]))  # noqa: E731
    errs = []
    for ai, g in enumerate(grads):
        fd = np.zeros_like(g)
        for idx in np.ndindex(g.shape):
            plus = [v.copy() for v in base]
            minus = [v.copy() for v in base]
            plus[ai][idx] += FD_H
            minus[ai][idx] -= FD_H
            fd[idx] = (fv(plus) - fv(minus)) / (2 * FD_H)
        errs.append(float(np.max(np.abs(fd - g)) / max(1.0, np.max(np.abs(g)))))
    return errs


def check(label, name, f, args, value, grads, worst):
    finite = np.isfinite(value) and all(np.all(np.isfinite(g)) for g in grads)
    assert finite, (label, name, value, grads)
    errs = fd_check(f, args, grads)
    assert max(errs) < FD_TOL, (label, name, errs)
    key = (name, label.startswith("extreme"))
    worst[key] = max(worst.get(key, 0.0), max(errs))


def main():
    rng = np.random.default_rng(SEED)
    u = lambda *shape: rng.uniform(-1.0, 1.0, size=shape)  # noqa: E731
    worst = {}

    vector_inputs = []
    for k in VECTOR_LENGTHS:
        x = 3.0 * u(k)
        w = u(k)
        vector_inputs.append((False, x, w))
    for x in EXTREME_VECTORS:
        vector_inputs.append((True, np.array(x), u(len(x))))

    a, b = MATRIX_SHAPE
    xm = 3.0 * u(a, b)
    matrix_inputs = [(False, xm, u(a, b), u(a), u(b))]
    xm = np.array(EXTREME_MATRIX)
    a, b = xm.shape
    matrix_inputs.append((True, xm, u(a, b), u(a), u(b)))

    vectors = []
    for extreme, x, w in vector_inputs:
        label = f"{'extreme' if extreme else 'random'} vector len {len(x)}"
        xj = jnp.asarray(x)
        sm, lsm = np.asarray(jax.nn.softmax(xj)), np.asarray(jax.nn.log_softmax(xj))
        assert np.all(np.isfinite(sm)) and np.all(np.isfinite(lsm)), (label, sm, lsm)
        case = {"extreme": extreme, "x": vec(x), "w": vec(w), "softmax": vec(sm),
                "log_softmax": vec(lsm)}
        inp = {"x": x, "w": w}
        functions = {}
        for name, (f, argnames) in VECTOR_FUNCTIONS.items():
            args = [jnp.asarray(inp[n]) for n in argnames]
            value, grads = value_and_grads(f, args)
            check(label, name, f, args, value, grads, worst)
            functions[name] = {"value": value,
                               "grad": {n: vec(g) for n, g in zip(argnames, grads)}}
        case["functions"] = functions
        vectors.append(case)

    matrices = []
    for extreme, xm, wm, w_rows, w_cols in matrix_inputs:
        label = f"{'extreme' if extreme else 'random'} matrix {xm.shape[0]}x{xm.shape[1]}"
        xj = jnp.asarray(xm)
        raw = {
            "softmax_rows": jax.nn.softmax(xj, axis=1),
            "softmax_cols": jax.nn.softmax(xj, axis=0),
            "log_softmax_rows": jax.nn.log_softmax(xj, axis=1),
            "log_softmax_cols": jax.nn.log_softmax(xj, axis=0),
            "logsumexp_rows": logsumexp(xj, axis=1),
            "logsumexp_cols": logsumexp(xj, axis=0),
        }
        case = {"extreme": extreme, "xm": rows(xm), "wm": rows(wm), "w_rows": vec(w_rows),
                "w_cols": vec(w_cols)}
        for key, v in raw.items():
            v = np.asarray(v)
            assert np.all(np.isfinite(v)), (label, key, v)
            case[key] = vec(v) if v.ndim == 1 else rows(v)
        functions = {}
        for name, f in matrix_functions(wm, w_rows, w_cols).items():
            value, grads = value_and_grads(f, [xj])
            check(label, name, f, [xj], value, grads, worst)
            functions[name] = {"value": value, "grad": {"xm": rows(grads[0])}}
        case["functions"] = functions
        matrices.append(case)

    for (name, extreme), err in sorted(worst.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        kind = "extreme (±1000) cases" if extreme else "random cases"
        print(f"fd check {name:18s} {kind:21s} worst rel err {err:.3e}")
    generator = (f"jax {jax.__version__}: values from jax.numpy / jax.nn / jax.scipy.special, "
                 f"gradients from jax.grad, float64; inputs numpy.random.default_rng({SEED})")
    OUT.write_text(json.dumps({"generator": generator, "vectors": vectors,
                               "matrices": matrices}, indent=1) + "\n")
    print(f"wrote {OUT} ({len(vectors)} vector cases, {len(matrices)} matrix cases)")


if __name__ == "__main__":
    main()
