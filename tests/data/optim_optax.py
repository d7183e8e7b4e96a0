"""Generate optax reference trajectories for the optimisers of matgrad::optim (tests/optim.rs).

optax is an independent implementation of the same optimisers; everything runs in float64
(jax_enable_x64). The parameters are one pytree {"w": 3x2 matrix, "b": 4-vector, "s": scalar}
and there is a fixed sequence of STEPS gradient pytrees of the same shapes, all drawn from
numpy.random.default_rng(SEED) (standard normal; the gradients scaled by 1, 0.1, 10, ... in
turn so that Adam's normalisation and the clipping see several magnitudes).

Optimisers (CASES below): each is run from the same initial parameters through the same
gradients with optax's `update` and `apply_updates`, and the parameters after every step are
recorded. matgrad::optim follows PyTorch's conventions; the optax transform each case uses is
the exact equivalent:

    PyTorch SGD(lr, momentum=mu, nesterov)   optax.sgd(lr, momentum=mu, nesterov=...):
        b <- mu b + g, p <- p - lr b  (nesterov: p <- p - lr (g + mu b)), as optax.trace
    weight_decay=lam (L2, added to g)        optax.add_decayed_weights(lam) first in the chain
    dampening=tau                            PyTorch's buffer starts as the first gradient and is
        then b <- mu b + (1 - tau) g; optax.trace has no dampening, so the gradient is scaled
        before the trace by 1 at the first step and (1 - tau) after it:
        optax.scale_by_schedule(lambda n: where(n == 0, 1, 1 - tau)), then optax.trace(mu)
    Adam(lr, betas, eps)                     optax.adam(lr, b1, b2, eps) (eps outside the root)
    Adam(.., weight_decay=lam) (L2)          optax.add_decayed_weights(lam), then optax.adam
    AdamW(lr, betas, eps, weight_decay=lam)  optax.adamw(lr, b1, b2, eps, weight_decay=lam):
        p <- p - lr (m_hat / (sqrt(v_hat) + eps) + lam p)
    a learning-rate schedule                 the optax schedule as `learning_rate`: step t
        (counted from 0) uses schedule(t), as optax's count does

Clipping: optax.clip_by_global_norm(c) applied to each gradient pytree for c = half its norm,
twice its norm and 1, and to a zero gradient for c = 1, with optax.tree.norm as the norm.

Schedules (SCHEDULES below): each optax schedule evaluated at the counts 0..SCHEDULE_STEPS (past
their end, to see them hold their last value).

Every schedule, alone or as an optimiser's learning rate, is given its count as a float64
(float64_count): optax's own count is an int32, and `int32 / int` is float32 in JAX, so with
it exponential_decay and the warm-up of warmup_cosine_decay_schedule compute in float32 even
under jax_enable_x64 (0.45 comes out as 0.44999998807907104).

Writes tests/data/optim_optax.json as

    {"generator": "...", "params": pytree, "grads": [pytree, ...],
     "optimisers": {name: {"optax": "...", "trajectory": [pytree after step 1, 2, ...]}},
     "clip": [{"max_norm": c, "grads": pytree, "norm": n, "clipped": pytree}, ...],
     "schedules": {name: {"optax": "...", "values": [schedule(0), schedule(1), ...]}}}

with pytree = {"w": rows, "b": rows (a 4x1 column), "s": number}. To rerun, from the
repository root, in a venv with jax and optax (pip install "jax[cpu]" optax):

    python tests/data/optim_optax.py
"""
import json
from pathlib import Path

import jax
import numpy as np
import optax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

OUT = Path(__file__).with_name("optim_optax.json")
SEED = 20261212
STEPS = 6
SCHEDULE_STEPS = 25
SCALES = [1.0, 0.1, 10.0, 1.0, 0.01, 3.0]


def dampened_momentum(lr, momentum, dampening, weight_decay):
    """PyTorch's SGD with dampening as an optax chain (see the module docstring)."""
    first_undamped = optax.scale_by_schedule(
        lambda n: jnp.where(n == 0, 1.0, 1.0 - dampening))
    return optax.chain(optax.add_decayed_weights(weight_decay), first_undamped,
                       optax.trace(decay=momentum), optax.scale_by_learning_rate(lr))


def float64_count(schedule):
    """`schedule` evaluated at its step count as a float64 (see the module docstring)."""
    return lambda count: schedule(jnp.asarray(count, dtype=jnp.float64))


WARMUP_COSINE = optax.warmup_cosine_decay_schedule(
    init_value=0.0, peak_value=0.2, warmup_steps=2, decay_steps=5, end_value=0.01)

# name -> (optax transformation, its description)
CASES = {
    "sgd": (optax.sgd(0.1), "optax.sgd(0.1)"),
    "sgd_momentum": (optax.sgd(0.1, momentum=0.9), "optax.sgd(0.1, momentum=0.9)"),
    "sgd_nesterov": (optax.sgd(0.1, momentum=0.9, nesterov=True),
                     "optax.sgd(0.1, momentum=0.9, nesterov=True)"),
    "sgd_dampening_weight_decay": (
        dampened_momentum(0.1, 0.9, 0.3, 0.01),
        "chain(add_decayed_weights(0.01), scale_by_schedule(1 at count 0, else 1 - 0.3), "
        "trace(0.9), scale_by_learning_rate(0.1))"),
    "sgd_nesterov_weight_decay": (
        optax.chain(optax.add_decayed_weights(0.05), optax.trace(0.8, nesterov=True),
                    optax.scale_by_learning_rate(0.05)),
        "chain(add_decayed_weights(0.05), trace(0.8, nesterov=True), "
        "scale_by_learning_rate(0.05))"),
    "sgd_weight_decay": (
        optax.chain(optax.add_decayed_weights(0.2), optax.sgd(0.1)),
        "chain(add_decayed_weights(0.2), sgd(0.1))"),
    "sgd_momentum_warmup_cosine": (
        optax.sgd(float64_count(WARMUP_COSINE), momentum=0.9),
        "sgd(warmup_cosine_decay_schedule(0.0, 0.2, warmup_steps=2, decay_steps=5, "
        "end_value=0.01), momentum=0.9)"),
    "adam": (optax.adam(0.01), "optax.adam(0.01)"),
    "adam_betas_eps": (optax.adam(0.02, b1=0.8, b2=0.99, eps=1e-3),
                       "optax.adam(0.02, b1=0.8, b2=0.99, eps=1e-3)"),
    "adam_weight_decay": (optax.chain(optax.add_decayed_weights(0.1), optax.adam(0.01)),
                          "chain(add_decayed_weights(0.1), adam(0.01))"),
    "adam_exponential": (
        optax.adam(float64_count(
            optax.exponential_decay(0.05, transition_steps=2, decay_rate=0.5))),
        "adam(exponential_decay(0.05, transition_steps=2, decay_rate=0.5))"),
    "adamw": (optax.adamw(0.01, weight_decay=0.1), "optax.adamw(0.01, weight_decay=0.1)"),
    "adamw_cosine": (
        optax.adamw(float64_count(optax.cosine_decay_schedule(0.05, decay_steps=4, alpha=0.1)),
                    b1=0.85, b2=0.995, eps=1e-6, weight_decay=0.2),
        "adamw(cosine_decay_schedule(0.05, decay_steps=4, alpha=0.1), b1=0.85, b2=0.995, "
        "eps=1e-6, weight_decay=0.2)"),
}

# name -> (optax schedule, its description)
SCHEDULES = {
    "constant": (optax.constant_schedule(0.3), "constant_schedule(0.3)"),
    "step_decay": (optax.exponential_decay(0.5, transition_steps=3, decay_rate=0.7,
                                           staircase=True),
                   "exponential_decay(0.5, transition_steps=3, decay_rate=0.7, staircase=True)"),
    "exponential": (optax.exponential_decay(0.5, transition_steps=1, decay_rate=0.9),
                    "exponential_decay(0.5, transition_steps=1, decay_rate=0.9)"),
    "exponential_begin_end": (
        optax.exponential_decay(0.5, transition_steps=4, decay_rate=0.6, transition_begin=3,
                                end_value=0.1),
        "exponential_decay(0.5, transition_steps=4, decay_rate=0.6, transition_begin=3, "
        "end_value=0.1)"),
    "exponential_growth": (
        optax.exponential_decay(0.1, transition_steps=2, decay_rate=1.5, end_value=0.6),
        "exponential_decay(0.1, transition_steps=2, decay_rate=1.5, end_value=0.6)"),
    "cosine": (optax.cosine_decay_schedule(0.4, decay_steps=10),
               "cosine_decay_schedule(0.4, decay_steps=10)"),
    "cosine_alpha_exponent": (
        optax.cosine_decay_schedule(0.4, decay_steps=10, alpha=0.2, exponent=2.0),
        "cosine_decay_schedule(0.4, decay_steps=10, alpha=0.2, exponent=2.0)"),
    "warmup_cosine": (
        optax.warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=5, decay_steps=20,
                                           end_value=0.05),
        "warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=5, decay_steps=20, "
        "end_value=0.05)"),
    "warmup_cosine_exponent": (
        optax.warmup_cosine_decay_schedule(0.1, 0.8, warmup_steps=3, decay_steps=12,
                                           exponent=1.5),
        "warmup_cosine_decay_schedule(0.1, 0.8, warmup_steps=3, decay_steps=12, "
        "exponent=1.5)"),
    "warmup_cosine_short": (WARMUP_COSINE, "warmup_cosine_decay_schedule(0.0, 0.2, "
                            "warmup_steps=2, decay_steps=5, end_value=0.01): "
                            "sgd_momentum_warmup_cosine's"),
    "warmup_cosine_no_warmup": (
        optax.warmup_cosine_decay_schedule(0.0, 0.6, warmup_steps=0, decay_steps=8,
                                           end_value=0.1),
        "warmup_cosine_decay_schedule(0.0, 0.6, warmup_steps=0, decay_steps=8, "
        "end_value=0.1)"),
}


def pytree(rng, scale=1.0):
    return {"w": jnp.asarray(scale * rng.standard_normal((3, 2))),
            "b": jnp.asarray(scale * rng.standard_normal(4)),
            "s": jnp.asarray(scale * rng.standard_normal())}


def rows(a):
    return [[float(v) for v in r] for r in np.asarray(a)]


def as_json(tree):
    return {"w": rows(tree["w"]), "b": rows(np.asarray(tree["b"])[:, None]),
            "s": float(tree["s"])}


def dump(obj, pad=""):
    """JSON with one matrix row per line (json.dumps gives repr-exact floats)."""
    inner = pad + " "
    if isinstance(obj, dict):
        items = [f"{inner}{json.dumps(k)}: {dump(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and obj and isinstance(obj[0], (dict, list)):
        return "[\n" + ",\n".join(inner + dump(v, inner) for v in obj) + "\n" + pad + "]"
    return json.dumps(obj)


def trajectory(opt, params, grads):
    state = opt.init(params)
    out = []
    for g in grads:
        updates, state = opt.update(g, state, params)
        params = optax.apply_updates(params, updates)
        assert all(x.dtype == jnp.float64 for x in jax.tree.leaves(params))
        out.append(as_json(params))
    return out


def clip_cases(grads):
    out = []
    zero = jax.tree.map(jnp.zeros_like, grads[0])
    for g in grads + [zero]:
        norm = float(optax.tree.norm(g))
        # A zero gradient with max_norm 0 is 0/0 in optax; matgrad leaves it as it is.
        for max_norm in (0.5 * norm, 2.0 * norm, 1.0) if norm > 0 else (1.0,):
            clip = optax.clip_by_global_norm(max_norm)
            clipped, _ = clip.update(g, clip.init(g))
            out.append({"max_norm": max_norm, "grads": as_json(g), "norm": norm,
                        "clipped": as_json(clipped)})
    return out


def main():
    rng = np.random.default_rng(SEED)
    params = pytree(rng)
    grads = [pytree(rng, scale) for scale in SCALES[:STEPS]]
    optimisers = {name: {"optax": text, "trajectory": trajectory(opt, params, grads)}
                  for name, (opt, text) in CASES.items()}
    counts = range(SCHEDULE_STEPS + 1)
    schedules = {name: {"optax": text, "values": [float(float64_count(f)(n)) for n in counts]}
                 for name, (f, text) in SCHEDULES.items()}
    generator = (f"optax {optax.__version__}, jax {jax.__version__}: float64; "
                 f"numpy.random.default_rng({SEED})")
    data = {"generator": generator, "params": as_json(params),
            "grads": [as_json(g) for g in grads], "optimisers": optimisers,
            "clip": clip_cases(grads), "schedules": schedules}
    text = dump(data)
    assert "NaN" not in text and "Infinity" not in text
    OUT.write_text(text + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
