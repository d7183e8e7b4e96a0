"""The explanatory parts of the "Second order" section (where the time goes, with the perf
profiles; the Hessian's notes) and the compile-time cost of `forward`, for
scripts/second_order_text.py. The mechanisms are written here; the numbers come from the
results and change with every run."""

import statistics


def pr():
    import perf_report

    return perf_report


def median(values):
    """The median of the values that are not None, or None."""
    values = [v for v in values or [] if v is not None]
    return statistics.median(values) if values else None


def run_ratio(a, b):
    """The median over runs of a[k] / b[k], or None."""
    pairs = [x / y for x, y in zip(a or [], b or []) if x is not None and y]
    return statistics.median(pairs) if pairs else None


# Per workload: what its JVP and HVP compute beyond the primal and the gradient (from the
# expansion, `cargo rustc --bench second_order -- -Zunpretty=expanded` with RUSTC_BOOTSTRAP=1),
# what the profiles show, and what would close the gap. Mechanisms, not numbers.
MECHANISMS = {
    "least_squares": (
        "The JVP is A·x and A·ẋ, two matrix-vector products each reading A where the primal has "
        "one, then ⟨r, Aẋ⟩: 2.0 from n = 128 on, the count of passes over A; at n = 16 also the "
        "fixed costs of two more buffers. The HVP is those two and Aᵀ·(2⟨r, Aẋ⟩-scaled Aẋ) and "
        "Aᵀ·(2r) back, four against the gradient's two: 2.0. What would bring the JVP under "
        "2: where a tangent's product shares an operand with the primal's (A·x and A·ẋ), one "
        "product A·[x ẋ] with a two-column right-hand side, one pass over A as in the primal."
    ),
    "frobenius": (
        "X·Aᵀ and Ẋ·Aᵀ against the primal's X·Aᵀ: 2.0 by the count of products, and 2.0 for "
        "the HVP (four products against two). At n = 128 and 512 the JVP is more because its "
        "products are not the primal's kernel: the function as written calls nalgebra's `*`, "
        "which runs matrixmultiply's AVX-512 kernel on this CPU "
        "(`matrixmultiply::dgemm_kernel::kernel_target_avx512` in the primal's profile), the "
        "generated code the gemm crate, which runs its AVX2 kernel "
        "(`gemm_f64::microkernel::fma::f64::x2x6`): its AVX-512 kernels need its `x86-v4` "
        "feature, which `matgrad-runtime` does not enable (on issue 5's AVX2-only AMD EPYC "
        "the gemm crate was the faster). What would close it: `gemm` with `x86-v4` where the "
        "CPU has AVX-512 (or the products at these sizes through matrixmultiply), and the two "
        "products stacked as one [X; Ẋ]·Aᵀ."
    ),
    "prml": (
        "As least squares with matrices: Φ·W and Φ·Ẇ forward, two products with Φᵀ back; "
        "2.0 for both ratios (at 10000×256×10 each product reads Φ, 20 MB, once). The same "
        "fix as least squares: Φ·[W Ẇ], one pass over Φ."
    ),
    "batch_norm": (
        "Meets its target: the tangent of each entry-wise and broadcast pass of the body is one "
        "more pass of the same kind over the m×d data, some of them cheaper than the primal's "
        "(no square root, the mean's tangent a mean)."
    ),
    "rnn": (
        "Each step of the JVP runs five matrix-vector products (W·tanh h, Ẇ·tanh h, "
        "W·(tanh′(h) ⊙ ḣ), U·x, U̇·x) where the primal runs two, and the HVP eight where the "
        "gradient runs three; and tanh is evaluated again for its tangent: `tanh_tangent` "
        "computes 1 − tanh²(x) from x, not from the tanh(x) the forward sweep has just "
        "computed, and its pullback (`entrywise_pullback` in `matgrad-runtime`) calls the "
        "derivatives' function once for each of its two cotangents, so an HVP step evaluates "
        "tanh four times where the gradient's evaluates it once. In the profiles at "
        "H×I×T = 64×32×50, tanh (`__tanh`, `__expm1_fma`) takes about 20 % of the HVP against "
        "14 % of the gradient, over four times the time; at 16×8×20 the allocator is a quarter of both "
        "(each step's tape entry holds nine values in the HVP, four in the gradient). What would "
        "close it: tangent rules of tanh, sigmoid and softplus that take the primal's output, "
        "which the forward sweep has computed (tanh′ = 1 − y² for y = tanh x), and a pullback "
        "evaluating the derivatives once per entry; and hoisting U·xₜ and U̇·xₜ out of the loop "
        "(one product with [x₁ … x_T] each, as issue 5's hand-written gradient does)."
    ),
    "autoencoder": (
        "The JVP is below the primal because the function as written computes `w.transpose() "
        "* v`, and nalgebra's `transpose()` copies the h×d matrix on every call (the body "
        "itself, where the copy is inlined, is over half the primal's profile at 256×2048), "
        "where the generated code's `mul_tn` reads W through its strides. The HVP makes 13 "
        "passes over h×d data (forward W·x, Ẇ·x, Wᵀv, Ẇᵀv, Wᵀv̇; back three pullbacks of "
        "`mul_tn`, each a matrix-vector product and a rank-one update, and the rank-one updates "
        "of W·x and Ẇ·x) against the gradient's five: 2.6 by count, and the updates that add "
        "into an already filled W̄ or Ẇ̄ read it as well as write it. The profiles are the three "
        "product kernels (`acc_nt`, `acc_nn`, `acc_tn`, over 90 % of both). What would close "
        "it: the rank-one updates of one slot applied as one rank-k product (W̄ += [v v̇ ū]·[..]ᵀ "
        "in one pass), as issue 5 suggests for the gradient."
    ),
}


# The size whose profiles a workload's paragraph quotes, where not its worst ratio's.
PROFILE_AT = {"rnn": "64x32x50"}


def profile_table(w, profiles, workload, size, impls):
    cols = [(i, pr().top_functions(profiles.get((workload, size, i), []), 6)) for i in impls]
    cols = [(i, c) for i, c in cols if c]
    if not cols:
        return
    w("| " + " | ".join(f"{i} | %" for i, _ in cols) + " |")
    w("| " + " | ".join("--- | ---:" for _ in cols) + " |")
    for k in range(max(len(c) for _, c in cols)):
        cells = []
        for _, c in cols:
            cells.append(f"{c[k][0]} | {c[k][1]:.0f}" if k < len(c) else " | ")
        w("| " + " | ".join(cells) + " |")
    w("")


def render(w, rows, data, jvp_bound, hvp_bound):
    w("### Where the time goes")
    w("")
    for paragraph in GENERAL:
        w(paragraph)
        w("")
    for name, title, _, _, _ in pr().WORKLOADS:
        mine = [r for r in rows if r["workload"] == name]
        misses = [
            r
            for r in mine
            if (r["jvp_primal"] or 0) > jvp_bound or (r["hvp_gradient"] or 0) > hvp_bound
        ]
        w(f"**{title}.** {MECHANISMS[name]}")
        w("")
        worst = max(misses or mine, key=lambda r: max(r["jvp_primal"] or 0, (r["hvp_gradient"] or 0) / 1.25))
        worst = next((r for r in mine if r["size"] == PROFILE_AT.get(name)), worst)
        impls = ["primal", "jvp", "gradient", "hvp"] if name != "batch_norm" else ["primal", "jvp", "gradient"]
        if any((name, worst["size"], i) in data["profiles"] for i in impls):
            w(f"Self time at {worst['label']} (`scripts/profile_second_order.sh`):")
            w("")
            profile_table(w, data["profiles"], name, worst["size"], impls)


GENERAL = [
    "The primal is the function as written: its products are nalgebra's operators. The "
    "generated code calls the runtime's kernels: the same nalgebra `gemv` for matrix-vector "
    "products (the runtime's `acc_nn`/`acc_tn`/`acc_nt` wrap it, and in the profiles it is "
    "inlined into them), but the gemm crate for matrix-matrix products with every dimension "
    "at least 32, and transposed operands read through strides instead of copied. So where "
    "a ratio to the primal differs from the count of operations, the kernels differ "
    "(Frobenius, the autoencoder below).",
    "`_jvp` is the body with, after each value that depends on a differentiated parameter, its "
    "tangent, made of the same runtime operations. For the functions that are linear in the "
    "differentiated parameter up to the final reduction (least squares, Frobenius, PRML) the "
    "tangent of each product is one more product of the same size, so JVP ÷ primal is 2 by "
    "construction, which the target ≤ 2 leaves no room over; it is more for the nonlinear ones, "
    "where the tangent of W·tanh(h) is two products (Ẇ·tanh(h) and W·(tanh′(h) ⊙ ḣ)).",
    "`_hvp` is reverse-over-forward: the macro's reverse mode applied to the tangent program, "
    "so its forward sweep is the JVP (the primal again, plus the tangents; nothing is shared "
    "with a `_grad` call made before) and its reverse sweep pulls back through both halves: "
    "the cotangent of the directions (the gradient) through the tangent operations, that of the "
    "parameters (H·v) through both. HVP ÷ gradient is about (JVP + its pullback) ÷ (primal + "
    "its pullback): 2 for the linear-then-reduce workloads, more where the tangent program has "
    "more than twice the primal's work.",
    "`_hessian` calls `_hvp` once per differentiated entry: it re-runs the primal, the tangent "
    "program and the whole reverse sweep per direction, d times, and allocates each sweep's "
    "buffers d times, where `jax.hessian` vmaps its HVP, so the d directions go through each "
    "operation together as one d-column matrix (X·V instead of d products X·vₖ) and the "
    "primal runs once.",
]


def render_hessian_notes(w, data):
    d = str(data["hessian_meta"].get("d", 100))
    runs = [r for r in data["interleaved"].get(("hessian", d)) or [] if r]
    same = median([1 / r["hvps_over_hessian"] for r in runs])
    per = median([r["hessian_us"] / r["hvp_us"] for r in runs])
    if per is None:
        per = run_ratio(data["ours"].get(("hessian", d, "hessian")), data["ours"].get(("hessian", d, "hvp")))
    if per is None:
        return
    w(
        f"Interleaved (as the workloads' ratios), `_hessian` takes {per:.0f} times one `_hvp` "
        f"(d = {d} HVPs and the columns written)"
        + (f" and {same:.2f} times the {d} calls of `_hvp` a user would write" if same else "")
        + ": it is those calls, nothing shared between them. What would bring it near "
        "`jax.hessian`: a batched `_hessian` that pushes all d unit directions through the "
        "tangent program at once, as a d-column matrix per parameter entry (one product X·V "
        "instead of d products X·eₖ, the primal and its reverse sweep once), which needs tangent "
        "rules over a batch of directions. num-dual's `Dual2Vec` carries the whole gradient "
        "(d entries) and Hessian (d² entries) through every scalar operation (nested forward "
        "mode, O(d²) work per nonlinear operation, heap-allocated at dynamic size; at static "
        "size every dual number is 80 kB, moved by value)."
    )
    w("")


def render_compile(w, cost):
    w("### `forward`: a build with and without")
    w("")
    times, med = cost["times"], cost["median"]
    mods = ", ".join(f"`{p}`" for p in cost["modules"].values())
    n = cost["functions"]
    w(
        f"The {n} `#[grad]` functions of {mods} (`scripts/compile_forward.py`) in a library "
        "crate three times: `forward`, every attribute with `forward`; `plain`, without it; "
        "`without`, the attributes deleted. Full (not incremental) builds of the crate alone, "
        f"its dependencies built beforehand, rotating the order, {cost['runs']} runs each, "
        f"median, seconds; {cost.get('finished', '?')} at commit `{cost.get('commit', '?')}`, "
        f"{cost.get('rustc', '')}; load {cost.get('load_before', '?')} before, "
        f"{cost.get('load_after', '?')} after."
    )
    w("")
    w("| compilation | without | `#[grad]` | `#[grad(.., forward)]` | forward − plain | forward ÷ plain | `forward` per function (ms) | runs (forward / plain) |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    names = {"check": "`cargo check`", "debug": "`cargo build` (debug)", "release": "`cargo build --release`"}
    for profile, m in med.items():
        f, p, o = m["forward"], m["plain"], m["without"]
        each = " / ".join(
            ", ".join(f"{x:.2f}" for x in times[profile][v]) for v in ("forward", "plain")
        )
        w(
            f"| {names.get(profile, profile)} | {o:.2f} | {p:.2f} | {f:.2f} | {f - p:.2f} "
            f"| {f / p:.2f} | {1000 * (f - p) / n:.0f} | {each} |"
        )
    w("")
    ph = cost.get("phases") or {}
    if ph:
        w("rustc's phases (`-Z time-passes`, debug, median, ms):")
        w("")
        w("| phase | without | `#[grad]` | `#[grad(.., forward)]` | forward − plain |")
        w("| --- | ---: | ---: | ---: | ---: |")
        for key, label in pr().PHASE_NAMES:
            vals = [ph.get(v, {}).get(key) for v in ("without", "plain", "forward")]
            if None in vals:
                continue
            o, p, f = (1000 * v for v in vals)
            w(f"| {label} | {o:.0f} | {p:.0f} | {f:.0f} | {f - p:.0f} |")
        w("")
    debug = med.get("debug") or next(iter(med.values()))
    w(
        f"`forward` makes the annotated functions' build {debug['forward'] / debug['plain']:.1f} times "
        "as long as with `#[grad]` alone: each function gains `_jvp` (the body and its tangent "
        "program), `_hvp` (that program, its forward sweep and its reverse sweep: the largest), "
        "`_hessian`, `_jacobian` and the hidden `tangent_vjp` through which callers "
        "differentiate it, all type-checked and, in a library, compiled whether called or not. "
        "That is why `forward` stays opt-in."
    )
    w("")
