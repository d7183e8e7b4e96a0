#!/usr/bin/env python3
"""JAX on the workloads of ../benches/workloads/: for each workload and size, the median
time of one `jax.jit(jax.value_and_grad(f))` call (batch norm: `jax.jit` of `jax.vjp` and one
pull of the cotangent G, as the Rust side times `batch_norm_pullback` and one pull), on the
CPU in float64, written as JSON for scripts/perf_report.py.

The inputs are the Rust benchmarks' bit for bit (`entry` is `data::entry` there), and each
case also reports its value and gradient norm, which the report compares with the #[grad]
ones.

Timing, as peers/src/main.rs: warm up (which includes the jit compile) for --warm-up-time
seconds, then time batches of calls, each ended by `jax.block_until_ready`, sized so about 50
fit, until --measurement-time seconds have passed and at least 10 were taken; the median over
batches of the time per call.

    pip install jax        # CPU wheels; scripts/bench.sh does this in a venv
    python peers/jax_bench.py --out jax.json [--warm-up-time S] [--measurement-time S] [filter]
"""

import argparse
import json
import math
import os
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jax.scipy.linalg  # noqa: E402
import jax.scipy.special  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)

MASK = (1 << 64) - 1


def entry(seed, k):
    """Entry k (column-major, an array) of input number `seed`: uniform in [-1/2, 1/2); the
    splitmix64 hash of `data::entry` in the Rust benchmarks, in wrapping uint64 arithmetic."""
    k = np.asarray(k, dtype=np.uint64)
    base = np.uint64((seed * 0x9E3779B97F4A7C15) & MASK)
    z = base + (k + np.uint64(1)) * np.uint64(0xD1B54A32D192ED03)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / float(1 << 53)) - 0.5


def matrix(seed, r, c, scale=1.0, shift=0.0):
    """The r×c input `seed` times `scale` plus `shift`; entry (i, j) is entry(seed, i + j·r)."""
    i, j = np.meshgrid(np.arange(r), np.arange(c), indexing="ij")
    return jnp.asarray(shift + scale * entry(seed, i + j * r))


def vector(seed, n, scale=1.0):
    return jnp.asarray(scale * entry(seed, np.arange(n)))


def row(seed, n, scale, shift):
    return jnp.asarray(shift + scale * entry(seed, np.arange(n)))


def label(*dims):
    return "x".join(str(d) for d in dims)


# ------------------------------------------------------------------ the workloads
# Each returns (name, size, fn, args, check) where fn is jitted and check(out) gives the value
# and the gradient norm of fn(*args)'s output.


def grad_check(out):
    value, grads = out
    leaves = jax.tree_util.tree_leaves(grads)
    return float(value), math.sqrt(sum(float(jnp.sum(g * g)) for g in leaves))


def least_squares(n):
    def f(x, a, b):
        return jnp.sum((a @ x - b) ** 2)

    args = (vector(2, n), matrix(1, n, n), vector(3, n))
    return "least_squares", label(n), jax.jit(jax.value_and_grad(f)), args, grad_check


def frobenius(n):
    def f(x, a, b):
        return jnp.sum((x @ a.T - b) ** 2)

    args = (matrix(1, n, n), matrix(2, n, n), matrix(3, n, n))
    return "frobenius", label(n), jax.jit(jax.value_and_grad(f)), args, grad_check


def prml(n, m, k):
    def f(w, phi, t):
        return 0.5 * jnp.sum((t - phi @ w) ** 2)

    args = (matrix(2, m, k), matrix(1, n, m), matrix(3, n, k))
    return "prml", label(n, m, k), jax.jit(jax.value_and_grad(f)), args, grad_check


def batch_norm(m, d):
    eps = 1e-5

    def bn(x, gamma, beta):
        mu = jnp.mean(x, axis=0, keepdims=True)
        xc = x - mu
        var = jnp.mean(xc * xc, axis=0, keepdims=True)
        return gamma * (xc / jnp.sqrt(var + eps)) + beta

    def pull(x, gamma, beta, g):
        y, vjp = jax.vjp(bn, x, gamma, beta)
        return y, vjp(g)

    g = matrix(4, m, d)
    args = (matrix(1, m, d), row(2, d, 0.5, 1.0), row(3, d, 1.0, 0.0), g)

    def check(out):
        y, grads = out
        return float(jnp.sum(y * g)), grad_check((0.0, grads))[1]

    return "batch_norm", label(m, d), jax.jit(pull), args, check


def rnn(h, i, steps):
    def f(w, u, b, h0, xs):
        def step(state, x):
            state = w @ jnp.tanh(state) + u @ x + b
            return state, jnp.sum(state * state)

        _, terms = jax.lax.scan(step, h0, xs)
        return jnp.sum(terms)

    xs = matrix(5, i, steps).T  # row t is x_{t+1}
    args = (
        matrix(1, h, h, 1.0 / math.sqrt(h)),
        matrix(2, h, i, 1.0 / math.sqrt(i)),
        vector(3, h),
        vector(4, h),
        xs,
    )
    fn = jax.jit(jax.value_and_grad(f, argnums=(0, 1, 2)))
    return "rnn", label(h, i, steps), fn, args, grad_check


def autoencoder(h, d):
    def f(w, b1, b2, x):
        z = b2 + w.T @ jax.nn.sigmoid(w @ x + b1) - x
        return jnp.sum(z * z)

    args = (
        matrix(1, h, d, 1.0 / math.sqrt(d)),
        vector(2, h, 0.1),
        vector(3, d, 0.1),
        vector(4, d),
    )
    fn = jax.jit(jax.value_and_grad(f, argnums=(0, 1, 2)))
    return "autoencoder", label(h, d), fn, args, grad_check


def labels(seed, n, classes):
    """The labels of `classifier::labels`: floor((entry + 1/2)·C), at most C − 1."""
    return np.minimum(((entry(seed, np.arange(n)) + 0.5) * classes).astype(np.int64), classes - 1)


def classifier(c, d, n):
    def f(w, b, x, y):
        z = w @ x + b[:, None]
        lse = jax.scipy.special.logsumexp(z, axis=0)
        picked = z[y, jnp.arange(z.shape[1])]
        return jnp.mean(lse - picked)

    args = (
        matrix(1, c, d, 1.0 / math.sqrt(d)),
        vector(2, c),
        matrix(3, d, n),
        jnp.asarray(labels(4, n, c)),
    )
    fn = jax.jit(jax.value_and_grad(f, argnums=(0, 1)))
    return "classifier", label(c, d, n), fn, args, grad_check


def attention(dx, d, n):
    def f(wq, wk, wv, x):
        q, k, v = wq @ x, wk @ x, wv @ x
        a = jax.nn.softmax(k.T @ q / math.sqrt(d), axis=0)
        o = v @ a
        return 0.5 * jnp.sum(o * o)

    s = 1.0 / math.sqrt(dx)
    args = (matrix(1, d, dx, s), matrix(2, d, dx, s), matrix(3, d, dx, s), matrix(4, dx, n))
    fn = jax.jit(jax.value_and_grad(f, argnums=(0, 1, 2)))
    return "attention", label(dx, d, n), fn, args, grad_check


def layer_norm_linear(d, m, n):
    eps = 1e-5

    def f(gamma, beta, w, x, t):
        mu = jnp.mean(x, axis=0, keepdims=True)
        xc = x - mu
        var = jnp.mean(xc * xc, axis=0, keepdims=True)
        h = gamma[:, None] * (xc / jnp.sqrt(var + eps)) + beta[:, None]
        r = w @ h - t
        return 0.5 * jnp.sum(r * r)

    args = (
        row(1, d, 0.5, 1.0),
        vector(2, d),
        matrix(3, m, d, 1.0 / math.sqrt(d)),
        matrix(4, d, n),
        matrix(5, m, n),
    )
    fn = jax.jit(jax.value_and_grad(f, argnums=(0, 1, 2)))
    return "layer_norm_linear", label(d, m, n), fn, args, grad_check


def gaussian(d, n):
    eps = 1e-3

    def f(mu, l, x):
        sigma = l @ l.T + eps * jnp.eye(d)
        c = jnp.linalg.cholesky(sigma)
        z = jax.scipy.linalg.solve_triangular(c, x - mu[:, None], lower=True)
        log_det = 2.0 * jnp.sum(jnp.log(jnp.diag(c)))
        return 0.5 * jnp.sum(z * z) + 0.5 * n * (log_det + d * math.log(2.0 * math.pi))

    args = (
        vector(1, d, 0.2),
        matrix(2, d, d, 0.5 / math.sqrt(d)) + jnp.eye(d),
        matrix(3, d, n),
    )
    fn = jax.jit(jax.value_and_grad(f, argnums=(0, 1)))
    return "gaussian", label(d, n), fn, args, grad_check


CASES = [
    (least_squares, (16,)),
    (least_squares, (128,)),
    (least_squares, (512,)),
    (frobenius, (16,)),
    (frobenius, (128,)),
    (frobenius, (512,)),
    (prml, (32, 8, 2)),
    (prml, (1000, 64, 10)),
    (prml, (10000, 256, 10)),
    (batch_norm, (32, 16)),
    (batch_norm, (256, 64)),
    (batch_norm, (1024, 256)),
    (rnn, (16, 8, 20)),
    (rnn, (64, 32, 50)),
    (rnn, (256, 128, 50)),
    (autoencoder, (16, 64)),
    (autoencoder, (64, 784)),
    (autoencoder, (256, 2048)),
    (classifier, (10, 16, 32)),
    (classifier, (10, 64, 256)),
    (classifier, (10, 784, 256)),
    (attention, (16, 8, 16)),
    (attention, (64, 32, 64)),
    (attention, (128, 64, 128)),
    (layer_norm_linear, (16, 8, 32)),
    (layer_norm_linear, (64, 32, 128)),
    (layer_norm_linear, (256, 128, 128)),
    (gaussian, (4, 32)),
    (gaussian, (32, 256)),
    (gaussian, (64, 512)),
]


def measure(f, warm_up, measurement):
    """The median seconds per call of f, the number of batches and the batch size."""
    start = time.perf_counter()
    calls = 0
    while calls == 0 or time.perf_counter() - start < warm_up:
        f()
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    batch = max(1, math.ceil(measurement / 50.0 / per_call))
    samples = []
    start = time.perf_counter()
    while len(samples) < 10 or time.perf_counter() - start < measurement:
        t = time.perf_counter()
        for _ in range(batch):
            f()
        samples.append((time.perf_counter() - t) / batch)
    return float(np.median(samples)), len(samples), batch


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm-up-time", type=float, default=3.0)
    parser.add_argument("--measurement-time", type=float, default=5.0)
    parser.add_argument("--out", help="the JSON file to write (default: stdout)")
    parser.add_argument("filter", nargs="?", help="only cases whose workload/size contains this")
    opts = parser.parse_args()
    print(f"jax {jax.__version__} on {jax.devices()}, x64={jax.config.jax_enable_x64}")
    rows = []
    for make, dims in CASES:
        name, size, fn, args, check = make(*dims)
        case = f"{name}/{size}"
        if opts.filter and opts.filter not in case:
            continue
        value, grad_norm = check(jax.block_until_ready(fn(*args)))

        def call():
            jax.block_until_ready(fn(*args))

        median, samples, batch = measure(call, opts.warm_up_time, opts.measurement_time)
        print(f"jax {case:<28} {median * 1e6:>12.2f} µs")
        rows.append(
            {
                "workload": name,
                "size": size,
                "impl": "jax",
                "median_us": median * 1e6,
                "samples": samples,
                "batch": batch,
                "value": value,
                "grad_norm": grad_norm,
            }
        )
    text = json.dumps(rows, indent=1) + "\n"
    if opts.out:
        with open(opts.out, "w") as f:
            f.write(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
