"""Generate JAX reference values and gradients of a Kalman filter's negative log-likelihood.

The model (that of examples/kalman.rs with dt = 0.1): a constant-velocity point in the plane,
observed in position,

    F = I₄ with F[0,2] = F[1,3] = 0.1,   H = 2×4 zeros with H[0,0] = H[1,1] = 1,
    x0 = zeros(4),   P0 = I₄,

and, in float64 with jax.numpy / jax.scipy.linalg,

    nll(A, B, ys):  Q = A Aᵀ + 1e-6·I₄;  R = B Bᵀ + 1e-6·I₂;  x = x0;  P = P0;  nll = 0
                    for y in ys:
                        x = F x;  P = F P Fᵀ + Q
                        e = y - H x;  HP = H P;  S = HP Hᵀ + R;  L = cholesky(S)
                        nll += 0.5·(eᵀ cho_solve(L, e) + 2·Σ ln diag L + 2·ln(2π))
                        K = cho_solve(L, HP)ᵀ
                        x = x + K e;  P = P - K HP;  P = (P + Pᵀ)/2
                    return nll

with its gradients with respect to A (4×4) and B (2×2) from jax.grad. For each T in
[1, 5, 30], draws with numpy.random.default_rng(20261202), in this order per case:

    A = 0.3·uniform(-1, 1, 4×4) + 0.5·I₄
    B = 0.3·uniform(-1, 1, 2×2) + 0.7·I₂
    ys = standard_normal(T×2)

and writes tests/data/kalman_jax.json as

    {"generator": "...", "cases": [{"A": rows, "B": rows, "ys": rows, "value": v,
                                    "grad_A": rows, "grad_B": rows}, ...]}

(ys has T rows of 2). As a self-check, every entry of grad_A and grad_B of every case is
compared with central finite differences (h = 1e-6), and the worst relative error
(max |fd - grad| / max(1, max |grad|) per argument and case) is printed and asserted < 1e-6.

To rerun, from the repository root, after installing jax[cpu]
(python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install "jax[cpu]"):

    /tmp/jaxenv/bin/python tests/data/kalman_jax.py
"""
import json
import math
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax.scipy.linalg import cho_solve  # noqa: E402

OUT = Path(__file__).with_name("kalman_jax.json")

SEED = 20261202
STEPS = [1, 5, 30]
DT = 0.1
EPS = 1e-6
FD_H = 1e-6
FD_TOL = 1e-6


def rows(a):
    return [[float(v) for v in r] for r in np.asarray(a)]


def model():
    f = np.eye(4)
    f[0, 2] = DT
    f[1, 3] = DT
    h = np.zeros((2, 4))
    h[0, 0] = 1.0
    h[1, 1] = 1.0
    return jnp.asarray(f), jnp.asarray(h), jnp.zeros(4), jnp.eye(4)


F, H, X0, P0 = model()


def nll(a, b, ys):
    q = a @ a.T + EPS * jnp.eye(4)
    r = b @ b.T + EPS * jnp.eye(2)
    log_2pi = math.log(2.0 * math.pi)
    x, p = X0, P0
    total = 0.0
    for t in range(ys.shape[0]):
        x = F @ x
        p = F @ p @ F.T + q
        e = ys[t] - H @ x
        hp = H @ p
        s = hp @ H.T + r
        L = jnp.linalg.cholesky(s)
        total = total + 0.5 * (e @ cho_solve((L, True), e)
                               + 2.0 * jnp.sum(jnp.log(jnp.diag(L))) + 2.0 * log_2pi)
        k = cho_solve((L, True), hp).T
        x = x + k @ e
        p = p - k @ hp
        p = (p + p.T) / 2
    return total


nll_jit = jax.jit(nll)
grad_jit = jax.jit(jax.grad(nll, argnums=(0, 1)))


def make_inputs(rng, steps):
    a = 0.3 * rng.uniform(-1.0, 1.0, size=(4, 4)) + 0.5 * np.eye(4)
    b = 0.3 * rng.uniform(-1.0, 1.0, size=(2, 2)) + 0.7 * np.eye(2)
    ys = rng.standard_normal((steps, 2))
    return a, b, ys


def fd_check(a, b, ys, ga, gb):
    """Worst relative error of central differences vs jax.grad, per argument (A, B)."""
    fv = lambda a, b: float(nll_jit(jnp.asarray(a), jnp.asarray(b), jnp.asarray(ys)))  # noqa: E731
    errs = []
    for ai, g in enumerate((ga, gb)):
        fd = np.zeros_like(g)
        for i in range(g.shape[0]):
            for j in range(g.shape[1]):
                plus = [a.copy(), b.copy()]
                minus = [a.copy(), b.copy()]
                plus[ai][i, j] += FD_H
                minus[ai][i, j] -= FD_H
                fd[i, j] = (fv(*plus) - fv(*minus)) / (2 * FD_H)
        errs.append(float(np.max(np.abs(fd - g)) / max(1.0, np.max(np.abs(g)))))
    return errs


def main():
    rng = np.random.default_rng(SEED)
    cases = []
    worst = (0.0, None)
    for steps in STEPS:
        a, b, ys = make_inputs(rng, steps)
        args = (jnp.asarray(a), jnp.asarray(b), jnp.asarray(ys))
        value = float(nll_jit(*args))
        ga, gb = (np.asarray(g) for g in grad_jit(*args))
        assert np.isfinite(value) and np.all(np.isfinite(ga)) and np.all(np.isfinite(gb)), steps
        err_a, err_b = fd_check(a, b, ys, ga, gb)
        print(f"T={steps:2d}: nll = {value!r}; fd rel err A {err_a:.3e}, B {err_b:.3e}")
        for name, err in (("A", err_a), ("B", err_b)):
            assert err < FD_TOL, (steps, name, err)
            if err >= worst[0]:
                worst = (err, f"T={steps} grad_{name}")
        cases.append({
            "A": rows(a),
            "B": rows(b),
            "ys": rows(ys),
            "value": value,
            "grad_A": rows(ga),
            "grad_B": rows(gb),
        })
    print(f"worst fd rel err {worst[0]:.3e} ({worst[1]})")
    generator = (f"jax {jax.__version__}: values from jax.numpy / jax.scipy.linalg, "
                 f"gradients from jax.grad, float64; inputs numpy.random.default_rng({SEED})")
    OUT.write_text(json.dumps({"generator": generator, "cases": cases}, indent=1) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
