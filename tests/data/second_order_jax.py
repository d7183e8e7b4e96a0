"""Generate JAX reference second-order derivatives of the worked examples' functions.

Every function below is the body of the Rust function of the same name in
tests/second_order_jax.rs (copied from examples/*.rs, tests/fallible.rs and
tests/spectral.rs), written with jax.numpy in float64. Every argument is held as a 2-D array
of the Rust argument's shape: a DVector of length n as n x 1, a RowDVector of length d as
1 x d; the RNN's inputs x_1..x_T as the columns of one I x T matrix "xs".

    least_squares(a, x, b)          = |a x - b|^2                                 wrt x
    frobenius(x, a, b)              = |x a^T - b|_F^2                             wrt x
    log_likelihood(w, phi, t, beta) = (NK/2) ln(beta / 2 pi) - beta/2 |phi w - t|_F^2  wrt w
                                      (examples/prml.rs: the linear model's, wrt W)
    gaussian_nll(s, mu, x)          = 1/2 |L^-1 (x - mu)|^2 + 1/2 ln|S|, S = L L^T     wrt s, mu
                                      (tests/fallible.rs: a log-determinant and a triangular
                                      solve of the Cholesky factor; S symmetric positive
                                      definite)
    batch_norm(x, gamma, beta, eps) = the m x d matrix Y of examples/batchnorm.rs
                                                                              wrt x, gamma, beta
                                      (matrix-valued: value and JVP only)
    batch_norm_loss(x, gamma, beta, eps, g) = sum(g * batch_norm(x, gamma, beta, eps))
                                                                              wrt x, gamma, beta
    rnn_loss(w, u, b, h0, xs)       = sum_t 1/2 |h_t|^2, h_t = w tanh(h_{t-1}) + u x_t + b
                                                                              wrt w, u, b
    autoencoder(w, b1, b2, x)       = |b2 + w^T sigmoid(w x + b1) - x|^2      wrt w, b1, b2
    logistic_loss(w, x, y, lambda)  = mean(softplus(-(x w) * y)) + lambda/2 |w|^2   wrt w
                                      (examples/newton.rs)
    softmax_ce(w, x, y)             = -sum(y * log_softmax_rows(x w)) / n     wrt w
                                      (y one-hot, n x k)
    eig_sin(s)                      = sum_i sin(lambda_i(s)), s symmetric     wrt s
    svd_sin(a)                      = sum_i sin(sigma_i(a)), a not square     wrt a

At two sizes each (FUNCTIONS below: least squares with A 7x4 and 3x2; Frobenius with X 5x3
and 2x4; PRML with Phi 9x4, W 4x2 and Phi 5x2, W 2x3; the Gaussian in 3 and 5 dimensions;
batch normalisation of 4x3 and 6x5 batches; the RNN with H, I, T = 3, 2, 3 and 4, 3, 4; the
autoencoder with W 3x5 and 4x2; the logistic loss with 12x3 and 30x6 data; the cross-entropy
with W 3x4 and 5x2; eig_sin of 3x3 and 5x5; svd_sin of 3x2 and 4x6), with inputs drawn from
numpy.random.default_rng(20261211) in the order of each function's argument list, then a
direction v (one matrix per differentiated parameter, uniform in [-1, 1); symmetrised for
the symmetric s of gaussian_nll and eig_sin). For each case it records

    value    f(args)
    grad     jax.grad(f, argnums=<differentiated>)(args), one matrix per parameter
    jvp      jax.jvp(f, args, (0.., v, ..))[1]: a number (a matrix for batch_norm)
    hvp      jax.jvp(jax.grad(f, argnums), args, (0.., v, ..))[1]: one matrix per parameter
    hessian  when there are at most 60 differentiated entries: jax.hessian of f as a function
             of theta, the differentiated parameters flattened in nalgebra's order (each one
             column-major, i.e. numpy order="F") and stacked in the order of the Rust
             signature: hessian[i][j] = d^2 f / d theta_i d theta_j. Else null.

The symmetric matrices go through jnp.linalg.cholesky / eigh, which symmetrise their input:
JAX differentiates f((s + s^T)/2), so the gradient of s is symmetric and the Hessian's rows
(and columns) of s_ij and s_ji are equal: the convention of the Rust runtime
(matgrad-runtime/src/factorisations.rs, "Symmetric matrices").

Self-checks before writing: the Hessian's row-by-row product with the stacked direction is
the structured HVP, its first derivative (jax.grad of the flattened f) the structured
gradient, both to 1e-12; and against central finite differences (h = 1e-6, asserted < 1e-6
relative to the largest entry): the JVP against f along v, the HVP against the gradient along
v. The worst finite-difference error is printed per function.

Writes tests/data/second_order_jax.json as

    {"generator": "...", "functions": {name: {"params": [differentiated names, in order],
        "cases": [{"inputs": {arg: rows or number}, "direction": {param: rows},
                   "value": number (rows for batch_norm), "jvp": number (rows),
                   "grad": {param: rows}, "hvp": {param: rows}, "hessian": rows or null}]}}}

with every matrix as a list of rows, one row per line. Each transformation is jitted (about
a minute). To rerun, from the repository root, after installing jax[cpu]
(python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install "jax[cpu]"):

    /tmp/jaxenv/bin/python tests/data/second_order_jax.py
"""
import json
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import jax.scipy.linalg as jsl  # noqa: E402

OUT = Path(__file__).with_name("second_order_jax.json")
SEED = 20261211
MAX_HESSIAN = 60
FD_H, FD_TOL = 1e-6, 1e-6


def least_squares(a, x, b):
    return jnp.sum((a @ x - b) ** 2)


def frobenius(x, a, b):
    return jnp.sum((x @ a.T - b) ** 2)


def log_likelihood(w, phi, t, beta):
    constant = t.size / 2.0 * jnp.log(beta / (2.0 * jnp.pi))
    return constant - beta / 2.0 * jnp.sum((phi @ w - t) ** 2)


def gaussian_nll(s, mu, x):
    c = jnp.linalg.cholesky(s)
    z = jsl.solve_triangular(c, x - mu, lower=True)
    return 0.5 * jnp.sum(z**2) + 0.5 * 2.0 * jnp.sum(jnp.log(jnp.diag(c)))


def batch_norm(x, gamma, beta, eps):
    mu = jnp.mean(x, axis=0, keepdims=True)
    centred = x - mu
    var = jnp.mean(centred * centred, axis=0, keepdims=True)
    xhat = centred / jnp.sqrt(var + eps)
    return xhat * gamma + beta


def batch_norm_loss(x, gamma, beta, eps, g):
    return jnp.sum(g * batch_norm(x, gamma, beta, eps))


def rnn_loss(w, u, b, h0, xs):
    h, loss = h0, 0.0
    for t in range(xs.shape[1]):
        h = w @ jnp.tanh(h) + u @ xs[:, t : t + 1] + b
        loss = loss + 0.5 * jnp.sum(h**2)
    return loss


def autoencoder(w, b1, b2, x):
    v = jax.nn.sigmoid(w @ x + b1)
    return jnp.sum((b2 + w.T @ v - x) ** 2)


def logistic_loss(w, x, y, lam):
    margins = (x @ w) * y
    return jnp.mean(jax.nn.softplus(-margins)) + 0.5 * lam * jnp.sum(w**2)


def softmax_ce(w, x, y):
    return -jnp.sum(y * jax.nn.log_softmax(x @ w, axis=1)) / x.shape[0]


def eig_sin(s):
    return jnp.sum(jnp.sin(jnp.linalg.eigh(s)[0]))


def svd_sin(a):
    return jnp.sum(jnp.sin(jnp.linalg.svd(a, compute_uv=False)))


# Input generators: each returns the arguments in the Rust order (2-D arrays, or floats).
def u(rng, r, c):
    return rng.uniform(-1.0, 1.0, (r, c))


def well_conditioned(rng, r, c):
    """Uniform plus twice the identity's first min(r, c) diagonal entries."""
    return u(rng, r, c) + 2.0 * np.eye(r, c)


def spd(rng, n):
    m = u(rng, n, n)
    return m.T @ m + np.eye(n)


def one_hot(rng, n, k):
    return np.eye(k)[rng.integers(0, k, n)]


def labels(rng, n):
    return np.where(rng.uniform(size=(n, 1)) < 0.5, -1.0, 1.0)


# name -> (function, argument names, differentiated names, symmetric names, [input makers])
FUNCTIONS = {
    "least_squares": (least_squares, ["a", "x", "b"], ["x"], [], [
        lambda g: (well_conditioned(g, 7, 4), u(g, 4, 1), u(g, 7, 1)),
        lambda g: (well_conditioned(g, 3, 2), u(g, 2, 1), u(g, 3, 1)),
    ]),
    "frobenius": (frobenius, ["x", "a", "b"], ["x"], [], [
        lambda g: (u(g, 5, 3), well_conditioned(g, 4, 3), u(g, 5, 4)),
        lambda g: (u(g, 2, 4), well_conditioned(g, 3, 4), u(g, 2, 3)),
    ]),
    "log_likelihood": (log_likelihood, ["w", "phi", "t", "beta"], ["w"], [], [
        lambda g: (u(g, 4, 2), well_conditioned(g, 9, 4), u(g, 9, 2), 2.5),
        lambda g: (u(g, 2, 3), well_conditioned(g, 5, 2), u(g, 5, 3), 0.7),
    ]),
    "gaussian_nll": (gaussian_nll, ["s", "mu", "x"], ["s", "mu"], ["s"], [
        lambda g: (spd(g, 3), u(g, 3, 1), u(g, 3, 1)),
        lambda g: (spd(g, 5), u(g, 5, 1), u(g, 5, 1)),
    ]),
    "batch_norm": (batch_norm, ["x", "gamma", "beta", "eps"], ["x", "gamma", "beta"], [], [
        lambda g: (u(g, 4, 3), 1.0 + 0.5 * u(g, 1, 3), u(g, 1, 3), 1e-5),
        lambda g: (u(g, 6, 5), 1.0 + 0.5 * u(g, 1, 5), u(g, 1, 5), 1e-5),
    ]),
    "batch_norm_loss": (batch_norm_loss, ["x", "gamma", "beta", "eps", "g"],
                        ["x", "gamma", "beta"], [], [
        lambda g: (u(g, 4, 3), 1.0 + 0.5 * u(g, 1, 3), u(g, 1, 3), 1e-5, u(g, 4, 3)),
        lambda g: (u(g, 6, 5), 1.0 + 0.5 * u(g, 1, 5), u(g, 1, 5), 1e-5, u(g, 6, 5)),
    ]),
    "rnn_loss": (rnn_loss, ["w", "u", "b", "h0", "xs"], ["w", "u", "b"], [], [
        lambda g: (0.5 * u(g, 3, 3), u(g, 3, 2), u(g, 3, 1), u(g, 3, 1), u(g, 2, 3)),
        lambda g: (0.5 * u(g, 4, 4), u(g, 4, 3), u(g, 4, 1), u(g, 4, 1), u(g, 3, 4)),
    ]),
    "autoencoder": (autoencoder, ["w", "b1", "b2", "x"], ["w", "b1", "b2"], [], [
        lambda g: (u(g, 3, 5), u(g, 3, 1), u(g, 5, 1), u(g, 5, 1)),
        lambda g: (u(g, 4, 2), u(g, 4, 1), u(g, 2, 1), u(g, 2, 1)),
    ]),
    "logistic_loss": (logistic_loss, ["w", "x", "y", "lambda"], ["w"], [], [
        lambda g: (u(g, 3, 1), 2.0 * u(g, 12, 3), labels(g, 12), 1e-3),
        lambda g: (u(g, 6, 1), 2.0 * u(g, 30, 6), labels(g, 30), 1e-2),
    ]),
    "softmax_ce": (softmax_ce, ["w", "x", "y"], ["w"], [], [
        lambda g: (u(g, 3, 4), 2.0 * u(g, 6, 3), one_hot(g, 6, 4)),
        lambda g: (u(g, 5, 2), 2.0 * u(g, 10, 5), one_hot(g, 10, 2)),
    ]),
    "eig_sin": (eig_sin, ["s"], ["s"], ["s"], [
        lambda g: (spd(g, 3),),
        lambda g: (spd(g, 5),),
    ]),
    "svd_sin": (svd_sin, ["a"], ["a"], [], [
        lambda g: (well_conditioned(g, 3, 2),),
        lambda g: (well_conditioned(g, 4, 6),),
    ]),
}


def rows(a):
    return [[float(v) for v in r] for r in np.atleast_2d(np.asarray(a))]


def flat(a):
    """nalgebra's order: column-major."""
    return np.asarray(a).reshape(-1, order="F")


def symmetrise(a):
    return 0.5 * (a + a.T)


def directions(rng, args, names, diff, sym):
    out = []
    for name in diff:
        shape = np.shape(args[names.index(name)])
        d = rng.uniform(-1.0, 1.0, shape)
        out.append(symmetrise(d) if name in sym else d)
    return out


def tangents(args, names, diff, dirs):
    """The tangent of every argument: v for the differentiated ones, zero otherwise."""
    by_name = dict(zip(diff, dirs))
    return tuple(
        jnp.asarray(by_name[n]) if n in by_name else jnp.zeros_like(jnp.asarray(a))
        for n, a in zip(names, args)
    )


def flattened(f, args, names, diff):
    """f as a function of theta (the differentiated entries, nalgebra's order) and theta."""
    shapes = [np.shape(args[names.index(n)]) for n in diff]
    sizes = [int(np.prod(s)) for s in shapes]

    def g(theta):
        full, at = list(args), 0
        for n, shape, size in zip(diff, shapes, sizes):
            full[names.index(n)] = jnp.reshape(theta[at : at + size], shape, order="F")
            at += size
        return f(*full)

    return g, np.concatenate([flat(args[names.index(n)]) for n in diff]), sum(sizes)


def dump(obj, pad=""):
    """JSON with one matrix row per line (json.dumps gives repr-exact floats)."""
    inner = pad + " "
    if isinstance(obj, dict):
        items = [f"{inner}{json.dumps(k)}: {dump(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and obj and isinstance(obj[0], (dict, list)):
        return "[\n" + ",\n".join(inner + dump(v, inner) for v in obj) + "\n" + pad + "]"
    return json.dumps(obj)


def fd_error(approx, exact):
    approx, exact = np.asarray(approx), np.asarray(exact)
    return float(np.max(np.abs(approx - exact)) / max(1.0, np.max(np.abs(exact))))


def case(f, names, diff, sym, args, rng):
    args = [jnp.asarray(a, dtype=jnp.float64) for a in args]
    argnums = tuple(names.index(n) for n in diff)
    dirs = directions(rng, args, names, diff, sym)
    tans = tangents(args, names, diff, dirs)
    value, jvp = jax.jit(lambda a, t: jax.jvp(f, a, t))(tuple(args), tans)
    grad_f = jax.jit(jax.grad(f, argnums=argnums)) if np.ndim(value) == 0 else None
    f = jax.jit(f)
    moved = lambda t: [a + t * d for a, d in zip(args, tans)]  # noqa: E731
    fd_jvp = (np.asarray(f(*moved(FD_H))) - np.asarray(f(*moved(-FD_H)))) / (2 * FD_H)
    worst = fd_error(fd_jvp, jvp)
    out = {"inputs": {n: rows(a) if np.ndim(a) else float(a) for n, a in zip(names, args)},
           "direction": {n: rows(d) for n, d in zip(diff, dirs)}}
    if grad_f is None:
        out.update(value=rows(value), jvp=rows(jvp))
        return out, worst
    grad = grad_f(*args)
    _, hvp = jax.jit(lambda a, t: jax.jvp(grad_f, a, t))(tuple(args), tans)
    fd_hvp = [(np.asarray(p) - np.asarray(m)) / (2 * FD_H)
              for p, m in zip(grad_f(*moved(FD_H)), grad_f(*moved(-FD_H)))]
    worst = max(worst, *(fd_error(a, e) for a, e in zip(fd_hvp, hvp)))
    g, theta, size = flattened(f, args, names, diff)
    assert np.max(np.abs(jax.grad(g)(theta) - np.concatenate([flat(x) for x in grad]))) < 1e-12
    hessian = None
    if size <= MAX_HESSIAN:
        hessian = np.asarray(jax.jit(jax.hessian(g))(theta))
        stacked_v = np.concatenate([flat(d) for d in dirs])
        stacked_hvp = np.concatenate([flat(x) for x in hvp])
        assert fd_error(hessian @ stacked_v, stacked_hvp) < 1e-12
        hessian = rows(hessian)
    out.update(value=float(value), jvp=float(jvp), grad={n: rows(x) for n, x in zip(diff, grad)},
               hvp={n: rows(x) for n, x in zip(diff, hvp)}, hessian=hessian)
    return out, worst


def main():
    rng = np.random.default_rng(SEED)
    functions = {}
    for name, (f, names, diff, sym, makers) in FUNCTIONS.items():
        cases, worst = [], 0.0
        for make in makers:
            c, w = case(f, names, diff, sym, make(rng), rng)
            cases.append(c)
            worst = max(worst, w)
        assert worst < FD_TOL, (name, worst)
        print(f"{name:16} worst finite-difference error (JVP, HVP) {worst:.1e}")
        functions[name] = {"params": diff, "cases": cases}
    generator = (f"jax {jax.__version__}: float64; jax.grad, jax.jvp, jax.jvp of jax.grad, "
                 "jax.hessian of the flattened parameters; "
                 f"inputs numpy.random.default_rng({SEED})")
    OUT.write_text(dump({"generator": generator, "functions": functions}) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
