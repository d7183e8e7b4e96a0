#!/usr/bin/env python3
"""JAX on the functions of ../benches/factorisations.rs: for each function and size, the
median time of one call of the function alone (`jax.jit(f)`, "jax_primal"), of its value and
gradient (`jax.jit(jax.value_and_grad(f, argnums=all))`, "jax") and of the factorisation
alone ("jax_factor", where there is one), on the CPU in float64, written as JSON for
scripts/perf_report.py.

- cholesky_nll: ½⟨B, S⁻¹B⟩ + ln|S| by `jnp.linalg.cholesky`, `jax.scipy.linalg.cho_solve` and
  2·Σ ln Lᵢᵢ, ∂/∂S (symmetric, as ours) and ∂/∂B;
- lu_solve: ½‖M⁻¹B‖² + bᵀM⁻¹b by `jax.scipy.linalg.lu_factor` and two `lu_solve`, ∂/∂M, B, b;
- qr_solve: ½‖M⁻¹B‖² by `jnp.linalg.qr` and `solve_triangular(R, QᵀB)`, ∂/∂M, ∂/∂B;
- triangular_solve: ½‖L⁻¹B‖² by `jax.scipy.linalg.solve_triangular(L, B, lower=True)`, ∂/∂L
  (lower triangle) and ∂/∂B.

The inputs are built as the Rust bench builds them, from the same hash (`jax_bench.entry`):
S = AᵀA/n + I symmetrised, M = random + n·I, L = chol(S), B n×8, b n entries (S and L agree
with Rust's to rounding, not bit for bit: the products and factorisations are LAPACK's here).
Each case also reports the value and the gradient norm, which the report compares with the
#[grad] ones.

Timing is jax_bench.py's: warm up (the jit compile included) for --warm-up-time seconds, then
batches of calls, each ended by `jax.block_until_ready`, about 50 in --measurement-time
seconds and at least 10; the median over batches of the time per call.

    python peers/jax_factorisations.py --out factorisations-jax.json [--warm-up-time S]
        [--measurement-time S] [filter]
"""

import argparse
import json
import math
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jax.scipy.linalg as jsl  # noqa: E402
import numpy as np  # noqa: E402

from jax_bench import entry, grad_check, measure  # noqa: E402  (sets jax_enable_x64)

jax.config.update("jax_enable_x64", True)

SIZES = [16, 64, 256]
RHS = 8


def inputs(n):
    """S, M, L, B, b as benches/factorisations.rs makes them (numpy, float64)."""

    def matrix(seed, r, c):
        i, j = np.meshgrid(np.arange(r), np.arange(c), indexing="ij")
        return entry(seed, i + j * r)

    a = matrix(1, n, n)
    s = a.T @ a / n + np.eye(n)
    s = (s + s.T) * 0.5
    m = matrix(2, n, n) + n * np.eye(n)
    l_factor = np.linalg.cholesky(s)
    b = matrix(3, n, RHS)
    v = entry(4, np.arange(n))
    return {k: jnp.asarray(x) for k, x in dict(s=s, m=m, l=l_factor, b=b, v=v).items()}


def cholesky_nll(s, b):
    c = jnp.linalg.cholesky(s)
    z = jsl.cho_solve((c, True), b)
    return 0.5 * jnp.vdot(b, z) + 2.0 * jnp.sum(jnp.log(jnp.diag(c)))


def lu_solve(m, b, v):
    lu = jsl.lu_factor(m)
    x = jsl.lu_solve(lu, b)
    y = jsl.lu_solve(lu, v)
    return 0.5 * jnp.sum(x * x) + jnp.dot(v, y)


def qr_solve(m, b):
    q, r = jnp.linalg.qr(m)
    x = jsl.solve_triangular(r, q.T @ b, lower=False)
    return 0.5 * jnp.sum(x * x)


def triangular_solve(l_factor, b):
    x = jsl.solve_triangular(l_factor, b, lower=True)
    return 0.5 * jnp.sum(x * x)


# (name, function, argument names, the factorisation alone or None)
FUNCTIONS = [
    ("cholesky_nll", cholesky_nll, ("s", "b"), ("s", jnp.linalg.cholesky)),
    ("lu_solve", lu_solve, ("m", "b", "v"), ("m", jsl.lu_factor)),
    ("qr_solve", qr_solve, ("m", "b"), ("m", jnp.linalg.qr)),
    ("triangular_solve", triangular_solve, ("l", "b"), None),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm-up-time", type=float, default=1.0)
    parser.add_argument("--measurement-time", type=float, default=2.5)
    parser.add_argument("--out", help="the JSON file to write (default: stdout)")
    parser.add_argument("filter", nargs="?", help="only cases whose function/size contains this")
    opts = parser.parse_args()
    print(f"jax {jax.__version__} on {jax.devices()}, x64={jax.config.jax_enable_x64}")
    rows = []
    for n in SIZES:
        x = inputs(n)
        for name, f, names, factor in FUNCTIONS:
            case = f"{name}/{n}"
            if opts.filter and opts.filter not in case:
                continue
            args = tuple(x[k] for k in names)
            value, grad_norm = grad_check(
                jax.block_until_ready(jax.value_and_grad(f, argnums=tuple(range(len(args))))(*args))
            )
            fns = {
                "jax_primal": (jax.jit(f), args),
                "jax": (jax.jit(jax.value_and_grad(f, argnums=tuple(range(len(args))))), args),
            }
            if factor:
                fns["jax_factor"] = (jax.jit(factor[1]), (x[factor[0]],))
            for impl, (fn, fn_args) in fns.items():

                def call(fn=fn, fn_args=fn_args):
                    jax.block_until_ready(fn(*fn_args))

                median, samples, batch = measure(call, opts.warm_up_time, opts.measurement_time)
                print(f"{impl:<10} {case:<24} {median * 1e6:>12.2f} µs")
                rows.append(
                    {
                        "workload": name,
                        "size": str(n),
                        "impl": impl,
                        "median_us": median * 1e6,
                        "samples": samples,
                        "batch": batch,
                        "value": value,
                        "grad_norm": grad_norm,
                    }
                )
    text = json.dumps(rows, indent=1) + "\n"
    if opts.out:
        with open(opts.out, "w") as out:
            out.write(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
