#!/usr/bin/env python3
"""JAX on the second-order cases of ../benches/second_order.rs: for each workload and size,
the median time of one jitted call of the function (`primal`), `jax.value_and_grad`
(`gradient`; batch norm: `jax.vjp` and one pull), `jax.jvp` along the benchmark's fixed
directions (`jvp`) and, for the float-valued workloads, `jax.jvp(jax.grad(f))` (`hvp`:
forward-over-reverse, the gradient and H·v); then `jax.hessian` of the logistic loss in
d = 100 (`hessian`, forward-over-reverse on all unit vectors at once), all jit-compiled, on
the CPU in float64, written as JSON for scripts/second_order_report.py.

Inputs and directions are the Rust benchmark's bit for bit (`jax_bench.entry` is
`data::entry`; the directions are inputs 11, 12, 13 of each workload, see
benches/workloads/forward_cases.rs), and each case reports the value, the JVP's tangent,
the gradient's norm and ‖H·v‖, which the report compares with ours; the Hessian is written
whole. Timing as peers/jax_bench.py (its `measure`).

    python peers/jax_second_order.py --out jax-second-order.json \\
        [--warm-up-time S] [--measurement-time S] [filter]
"""

import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jax_bench as jb  # noqa: E402  (sets JAX to the CPU and float64)
from jax_bench import label, matrix, row, vector  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def norm(tree):
    return math.sqrt(sum(float(jnp.sum(g * g)) for g in jax.tree_util.tree_leaves(tree)))


def dot(a, b):
    leaves = zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b))
    return sum(float(jnp.sum(x * y)) for x, y in leaves)


# ------------------------------------------------------------------ the workloads
# Each returns (name, size, f, params, dirs, rest): f(*params, *rest) is the function, the
# derivatives are with respect to `params`, along `dirs`.


def least_squares(n):
    def f(x, a, b):
        return jnp.sum((a @ x - b) ** 2)

    return "least_squares", label(n), f, (vector(2, n),), (vector(11, n),), (matrix(1, n, n), vector(3, n))


def frobenius(n):
    def f(x, a, b):
        return jnp.sum((x @ a.T - b) ** 2)

    params, dirs = (matrix(1, n, n),), (matrix(11, n, n),)
    return "frobenius", label(n), f, params, dirs, (matrix(2, n, n), matrix(3, n, n))


def prml(n, m, k):
    def f(w, phi, t):
        return 0.5 * jnp.sum((t - phi @ w) ** 2)

    params, dirs = (matrix(2, m, k),), (matrix(11, m, k),)
    return "prml", label(n, m, k), f, params, dirs, (matrix(1, n, m), matrix(3, n, k))


def batch_norm(m, d):
    eps = 1e-5

    def f(x, gamma, beta):
        mu = jnp.mean(x, axis=0, keepdims=True)
        xc = x - mu
        var = jnp.mean(xc * xc, axis=0, keepdims=True)
        return gamma * (xc / jnp.sqrt(var + eps)) + beta

    params = (matrix(1, m, d), row(2, d, 0.5, 1.0), row(3, d, 1.0, 0.0))
    dirs = (matrix(11, m, d), row(12, d, 1.0, 0.0), row(13, d, 1.0, 0.0))
    return "batch_norm", label(m, d), f, params, dirs, ()


def rnn(h, i, steps):
    def f(w, u, b, h0, xs):
        def step(state, x):
            state = w @ jnp.tanh(state) + u @ x + b
            return state, jnp.sum(state * state)

        _, terms = jax.lax.scan(step, h0, xs)
        return jnp.sum(terms)

    params = (matrix(1, h, h, 1.0 / math.sqrt(h)), matrix(2, h, i, 1.0 / math.sqrt(i)), vector(3, h))
    dirs = (matrix(11, h, h), matrix(12, h, i), vector(13, h))
    rest = (vector(4, h), matrix(5, i, steps).T)  # row t of xs is x_{t+1}
    return "rnn", label(h, i, steps), f, params, dirs, rest


def autoencoder(h, d):
    def f(w, b1, b2, x):
        z = b2 + w.T @ jax.nn.sigmoid(w @ x + b1) - x
        return jnp.sum(z * z)

    params = (matrix(1, h, d, 1.0 / math.sqrt(d)), vector(2, h, 0.1), vector(3, d, 0.1))
    dirs = (matrix(11, h, d), vector(12, h), vector(13, d))
    return "autoencoder", label(h, d), f, params, dirs, (vector(4, d),)


CASES = [(make, dims) for make, dims in jb.CASES]
WORKLOADS = {
    "least_squares": least_squares,
    "frobenius": frobenius,
    "prml": prml,
    "batch_norm": batch_norm,
    "rnn": rnn,
    "autoencoder": autoencoder,
}


def programs(f, params, dirs, rest, matrix_valued, cotangent):
    """{impl: (jitted function of no arguments' inputs, its inputs)} of one case."""
    k = len(params)

    def of_params(*ps):
        return f(*ps, *rest)

    def gradient(*ps):
        if matrix_valued:
            y, pull = jax.vjp(of_params, *ps)
            return y, pull(cotangent)
        return jax.value_and_grad(of_params, argnums=tuple(range(k)))(*ps)

    def jvp(ps, ds):
        return jax.jvp(of_params, ps, ds)

    def hvp(ps, ds):
        return jax.jvp(jax.grad(of_params, argnums=tuple(range(k))), ps, ds)

    out = {
        "primal": (jax.jit(of_params), params),
        "gradient": (jax.jit(gradient), params),
        "jvp": (jax.jit(jvp), (params, dirs)),
    }
    if not matrix_valued:
        out["hvp"] = (jax.jit(hvp), (params, dirs))
    return out


def case_values(progs, matrix_valued, cotangent, dirs):
    """value, tangent, gradient norm and ‖H·v‖, as the Rust benchmark writes them."""
    y, grads = progs["gradient"][0](*progs["gradient"][1])
    _, y_dot = progs["jvp"][0](*progs["jvp"][1])
    if matrix_valued:
        return {
            "value": float(jnp.sum(y * cotangent)),
            "tangent": float(jnp.sum(y_dot * cotangent)),
            "grad_norm": norm(grads),
            "hvp_norm": None,
            "slope_check": dot(grads, dirs),
        }
    _, hv = progs["hvp"][0](*progs["hvp"][1])
    return {"value": float(y), "tangent": float(y_dot), "grad_norm": norm(grads), "hvp_norm": norm(hv)}


def logistic():
    """jax.hessian of the logistic loss of benches/workloads/forward_cases.rs (`Logistic`)."""
    n, d, lam = 200, 100, 0.01
    x = matrix(21, n, d)
    y = jnp.where(vector(22, n) >= 0.0, 1.0, -1.0)
    w = vector(23, d, 0.1)

    def f(w):
        margins = (x @ w) * y
        return jnp.mean(jax.nn.softplus(-margins)) + 0.5 * lam * jnp.sum(w * w)

    return {
        "primal": (jax.jit(f), (w,)),
        "gradient": (jax.jit(jax.value_and_grad(f)), (w,)),
        "hessian": (jax.jit(jax.hessian(f)), (w,)),
    }


def timed(name, size, impl, fn, args, opts, extra=None):
    call = lambda: jax.block_until_ready(fn(*args))  # noqa: E731
    call()
    median, samples, batch = jb.measure(call, opts.warm_up_time, opts.measurement_time)
    print(f"jax {name}/{impl}/{size:<16} {median * 1e6:>12.2f} µs", flush=True)
    row = {"workload": name, "size": size, "impl": impl, "median_us": median * 1e6}
    row.update(samples=samples, batch=batch, **(extra or {}))
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm-up-time", type=float, default=1.0)
    parser.add_argument("--measurement-time", type=float, default=2.5)
    parser.add_argument("--out", help="the JSON file to write (default: stdout)")
    parser.add_argument("filter", nargs="?", help="only cases whose workload/size contains this")
    opts = parser.parse_args()
    print(f"jax {jax.__version__} on {jax.devices()}, x64={jax.config.jax_enable_x64}")
    rows, values = [], []
    for make, dims in CASES:
        name, size, f, params, dirs, rest = WORKLOADS[make.__name__](*dims)
        if opts.filter and opts.filter not in f"{name}/{size}":
            continue
        matrix_valued = name == "batch_norm"
        cotangent = matrix(4, *dims) if matrix_valued else None
        progs = programs(f, params, dirs, rest, matrix_valued, cotangent)
        values.append({"workload": name, "size": size, **case_values(progs, matrix_valued, cotangent, dirs)})
        for impl, (fn, args) in progs.items():
            rows.append(timed(name, size, impl, fn, args, opts))
    hessian = None
    if not opts.filter or opts.filter in "hessian/100":
        progs = logistic()
        h = progs["hessian"][0](*progs["hessian"][1])
        hessian = {"d": 100, "hessian": [float(v) for v in jnp.ravel(h, order="F")]}
        for impl, (fn, args) in progs.items():
            rows.append(timed("hessian", "100", impl, fn, args, opts))
    text = json.dumps({"jax": jax.__version__, "times": rows, "values": values, "hessian": hessian}, indent=1)
    if opts.out:
        with open(opts.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
