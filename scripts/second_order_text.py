"""The tables and text of the "Second order" section of docs/PERFORMANCE.md and of the
compile-time cost of `forward`, for scripts/second_order_report.py (which loads the results
and places the blocks)."""

import re

import second_order_where as where


def pr():
    import perf_report

    return perf_report


def fmt_us(v):
    return pr().fmt_us(v)


def fmt_ratio(r, limit=None):
    return pr().fmt_ratio(r, limit)


def fmt_diff(d):
    return "—" if d is None else f"{d:.1e}"


def parse_profile(text):
    """[(percent, function)] of a `perf report --stdio` excerpt."""
    out = []
    for line in text.splitlines():
        m = re.match(r"\s*([0-9.]+)%\s+\[\.\]\s+(.*)", line.rstrip())
        if m:
            out.append((float(m.group(1)), m.group(2)))
    return out


def render_intro(w, data):
    m = data["meta"]
    w("## Second order")
    w("")
    w(
        "Issue 11's benchmarks: what `#[grad(.., forward)]` generates (`_jvp`, `_hvp`, "
        "`_hessian`) against the function and its gradient, JAX and num-dual. Written by "
        "`scripts/second_order_report.py` from `scripts/bench_second_order.sh`'s "
        f"{data['runs']} runs finished {m.get('finished', '?')}"
        + (f" at commit `{m['commit']}`" if m.get("commit") else "")
        + "; do not edit it by hand."
    )
    w("")
    w("### Regenerate")
    w("")
    w("```sh")
    w("scripts/bench_second_order.sh --runs 3   # criterion, JAX, num-dual per run, perf profiles, this section")
    w("python3 scripts/compile_forward.py       # the compile-time cost of `forward` (idle machine)")
    w("python3 scripts/second_order_report.py   # re-render both from the last results")
    w("```")
    w("")
    w(
        "`scripts/bench.sh` runs both with everything else (`scripts/bench.sh second_order`: "
        "only these). The benchmark is `benches/second_order.rs`; the workloads' forward-enabled "
        "copies are in `benches/workloads/forward.rs` (only that benchmark compiles them, so "
        "`cargo test` and `benches/gradients.rs` do not pay for `forward`), the cases and their "
        "fixed directions in `benches/workloads/forward_cases.rs`; the peers are "
        "`peers/jax_second_order.py` and `peers/num-dual/` (a cargo project of its own, outside "
        "the workspace, so neither `cargo test --workspace` nor the candle peer builds num-dual)."
    )
    w("")
    w("### Machine and settings")
    w("")
    w(f"- CPU: {m.get('cpu', '?')}, {m.get('cpus', '?')} CPUs, KVM guest")
    w(f"- instruction sets (from /proc/cpuinfo): {m.get('cpu_flags', '?')}")
    w(
        "- the Rust code is built without `-C target-cpu` (SSE2 code paths in nalgebra's own "
        "loops; the gemm crate picks AVX2/AVX-512 kernels at run time), JAX's XLA compiles "
        "for the host's features"
        if not m.get("rustflags")
        else f"- RUSTFLAGS: `{m['rustflags']}`"
    )
    w(f"- {m.get('rustc', 'rustc')}; JAX {m.get('jax', '?')}; num-dual 0.15")
    w(
        f"- {m.get('warm_up', '?')} s warm-up, {m.get('measurement', '?')} s measurement per case; "
        f"1-minute load average {m.get('load_before', '?')} before, after each run "
        + ", ".join(str(x) for x in m.get("load_after_each_run", []))
    )
    first = str(m.get("load_before") or "").split()
    if first and float(first[0]) > 0.5 * int(m.get("cpus") or 2):
        w(
            "- **the machine was shared** (other builds ran during the runs): single times are "
            "noisy, which is why every ratio below is taken within one run and the table shows "
            "the median over runs; the per-run times are at the end of the section"
        )
    w("")


def spread(values):
    """`min–max` of the runs' values, or —."""
    values = [v for v in values or [] if v is not None]
    return f"{min(values):.2f}–{max(values):.2f}" if len(values) > 1 else "—"


def render_workloads(w, rows, jvp_bound, hvp_bound):
    w("### Median time per call (µs), and the ratios")
    w("")
    w("| workload | size | primal | gradient | JVP | HVP | JVP ÷ primal | runs | HVP ÷ gradient | runs |")
    w("| --- | --- | " + " | ".join(["---:"] * 8) + " |")
    for r in rows:
        t = r["t"]
        w(
            f"| {r['title']} | {r['label']} | {fmt_us(t['primal'])} | {fmt_us(t['gradient'])} "
            f"| {fmt_us(t['jvp'])} | {fmt_us(t['hvp'])} | {fmt_ratio(r['jvp_primal'], jvp_bound)} "
            f"| {spread(r['jvp_primal_runs'])} | {fmt_ratio(r['hvp_gradient'], hvp_bound)} "
            f"| {spread(r['hvp_gradient_runs'])} |"
        )
    w("")
    w(
        f"✗ marks a ratio past its target (JVP ÷ primal ≤ {jvp_bound:g}, HVP ÷ gradient ≤ "
        f"{hvp_bound:g}). **primal**: the function. **gradient**: `<f>_grad` (batch norm: "
        "`_pullback` and one pull of its cotangent G, as in issue 5's table). **JVP**: `<f>_jvp` "
        "along fixed directions (inputs 11, 12, 13 of `benches/workloads/data.rs`, one per "
        "differentiated parameter, of its shape): the value and J·v. **HVP**: `<f>_hvp` along "
        "the same directions: the value, the gradient and H·v (float-valued functions only; "
        "batch norm is matrix-valued). Times: criterion's medians, the median over the runs. "
        "Ratios: the interleaved measurement (the four functions of a case take turns in rounds "
        "of about a millisecond each, and a ratio is the median over rounds of the ratio within "
        "a round, so both sides saw the same load), the median over the runs; **runs**: its "
        "smallest and largest value over the runs. On this shared machine the ratio of two "
        "criterion medians, taken seconds apart, moved by up to a factor 2 from run to run "
        "(the per-run table at the end of the section); the interleaved ratios by a few per cent."
    )
    w("")
    w("Against JAX (µs; ratios within a run, the median over runs):")
    w("")
    w(
        "| workload | size | JAX primal | JAX gradient | JAX JVP | JAX HVP | our JVP ÷ JAX's "
        "| our HVP ÷ JAX's | JAX JVP ÷ its primal | JAX HVP ÷ its gradient |"
    )
    w("| --- | --- | " + " | ".join(["---:"] * 8) + " |")
    for r in rows:
        j = r["jax"]
        w(
            f"| {r['title']} | {r['label']} | {fmt_us(j['primal'])} | {fmt_us(j['gradient'])} "
            f"| {fmt_us(j['jvp'])} | {fmt_us(j['hvp'])} | {fmt_ratio(r['jvp_jax'])} "
            f"| {fmt_ratio(r['hvp_jax'])} | {fmt_ratio(r['jax_jvp_primal'])} "
            f"| {fmt_ratio(r['jax_hvp_gradient'])} |"
        )
    w("")
    w(
        "**JAX**: `jax.jit` of the function, of `jax.value_and_grad` (batch norm: `jax.vjp` and "
        "one pull), of `jax.jvp(f, ..)` and of `jax.jvp(jax.grad(f), ..)` (forward-over-reverse: "
        "the gradient and H·v, no value), CPU, float64, the same inputs and directions "
        "(`peers/jax_second_order.py`); timed right after our cases in each run. A jitted call "
        "costs JAX tens of µs of dispatch, which dominates at the small sizes."
    )
    w("")


def render_targets(w, rows, jvp_bound, hvp_bound):
    jvp = [r for r in rows if r["jvp_primal"] is not None]
    hvp = [r for r in rows if r["hvp_gradient"] is not None]
    jvp_miss = [f"{r['workload']} {r['size']}" for r in jvp if r["jvp_primal"] > jvp_bound]
    hvp_miss = [f"{r['workload']} {r['size']}" for r in hvp if r["hvp_gradient"] > hvp_bound]
    agree = [r["agree"] for r in rows if r["agree"] is not None]
    w("### Targets")
    w("")
    w("| target | met | misses |")
    w("| --- | ---: | --- |")
    w(f"| JVP ÷ primal ≤ {jvp_bound:g} | {len(jvp) - len(jvp_miss)} / {len(jvp)} | {', '.join(jvp_miss) or '—'} |")
    w(f"| HVP ÷ gradient ≤ {hvp_bound:g} | {len(hvp) - len(hvp_miss)} / {len(hvp)} | {', '.join(hvp_miss) or '—'} |")
    w("")
    if agree:
        w(
            "JAX computes the same: the largest relative difference of a value, JVP tangent, "
            f"gradient norm or ‖H·v‖ from ours is {max(agree):.1e} "
            "(`<target>/bench-results/second_order.json` and `second-order-jax-run1.json`). "
            "Before timing, the benchmark checks each case's outputs against each other: the "
            "JVP's slope is ⟨∇f, v⟩ (batch norm: ⟨Ẏ, G⟩ is ⟨v, the pullback of G⟩) and the HVP's "
            "gradient is `_grad`'s."
        )
        w("")


def render_hessian(w, data, agreement):
    meta = data["hessian_meta"]
    d, n = meta.get("d", 100), meta.get("n", 200)
    ours, jax, nd = data["ours"], data["jax"], data["num_dual"]

    w(f"### The full Hessian at d = {d}")
    w("")
    w(
        f"The regularised logistic loss of `examples/newton.rs`, L(w) = (1/n)·Σᵢ softplus(−yᵢ·xᵢᵀw) "
        f"+ (λ/2)·‖w‖², n = {n} points in d = {d} dimensions (X = input 21, yᵢ = ±1 by the "
        "sign of input 22, w = 0.1·input 23, λ = 0.01: `Logistic` in "
        "`benches/workloads/forward_cases.rs`); its Hessian (1/n)·Xᵀ·diag(σ(mᵢ)(1 − σ(mᵢ)))·X + λI "
        "is 100×100. Median time per call (µs) over the runs, and ratios within a run (the "
        "median over runs; JAX and num-dual ran a minute after ours in each run):"
    )
    w("")
    base = ours.get(("hessian", str(d), "primal"))
    hess = ours.get(("hessian", str(d), "hessian"))
    rows = [
        ("ours", "the function", ours, "primal"),
        ("ours", "`_grad`", ours, "gradient"),
        ("ours", "one `_hvp`", ours, "hvp"),
        ("ours", "`_hessian` (one HVP per entry of w)", ours, "hessian"),
        ("ours", f"{d} calls of `_hvp` along the unit vectors", ours, "hvps"),
        ("JAX", "the function, jitted", jax, "primal"),
        ("JAX", "`jax.value_and_grad`, jitted", jax, "gradient"),
        ("JAX", "`jax.hessian` (forward-over-reverse, all directions at once), jitted", jax, "hessian"),
        ("num-dual", "the function on f64", nd, "primal"),
        ("num-dual", "`hessian` with `Dual2DVec64` (dynamic size)", nd, "hessian_dyn"),
        ("num-dual", f"`hessian` with `Dual2SVec64<{d}>` (static size)", nd, "hessian_static"),
    ]
    w("| implementation | what | µs | ÷ our function | ÷ our `_hessian` |")
    w("| --- | --- | ---: | ---: | ---: |")
    for who, what, src, impl in rows:
        v = src.get(("hessian", str(d), impl))
        med = where.median(v)
        # Each ratio within one run (a run times ours, JAX and num-dual one after the other).
        r1 = where.run_ratio(v, base)
        r2 = where.run_ratio(v, hess) if impl.startswith("hess") or impl == "hvps" else None
        w(f"| {who} | {what} | {fmt_us(med)} | {fmt_ratio(r1)} | {fmt_ratio(r2)} |")
    w("")
    closed = meta.get("closed_form_error")
    parts = []
    if closed is not None:
        parts.append(f"`_hessian` is within {closed:.1e} (largest |ΔH| over max |H|) of the closed form")
    if meta.get("hvps_error") is not None:
        parts.append(f"the {d} HVPs within {meta['hvps_error']:.1e}")
    for peer, name in (("jax", "JAX's"), ("num-dual", "num-dual's")):
        if peer in agreement:
            parts.append(f"{name} Hessian within {agreement[peer]:.1e} of ours")
    if parts:
        w("Agreement: " + "; ".join(parts) + ".")
        w("")
    where.render_hessian_notes(w, data)


def render_where(w, rows, data, jvp_bound, hvp_bound):
    where.render(w, rows, data, jvp_bound, hvp_bound)


def render_runs(w, rows, data):
    runs = data["runs"]
    w("### Every run")
    w("")
    w(
        f"Criterion's medians of each run (µs), run 1 / … / run {runs}, and each run's ratios by "
        "criterion (the two medians) and interleaved:"
    )
    w("")
    w("| workload | size | primal | gradient | JVP | HVP | JVP ÷ primal: criterion, interleaved | HVP ÷ gradient: criterion, interleaved |")
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")

    def each(v):
        return " / ".join(fmt_us(x) for x in v) if v else "—"

    def ratios(a, b, inter):
        crit = [x / y if x is not None and y else None for x, y in zip(a or [], b or [])]
        if not any(crit):
            return "—"
        fmt = lambda v: "—" if v is None else f"{v:.2f}"  # noqa: E731
        return " / ".join(fmt(v) for v in crit) + "; " + " / ".join(fmt(v) for v in inter or [])

    for r in rows:
        t = r["runs"]
        w(
            f"| {r['title']} | {r['label']} | {each(t['primal'])} | {each(t['gradient'])} "
            f"| {each(t['jvp'])} | {each(t['hvp'])} "
            f"| {ratios(t['jvp'], t['primal'], r['jvp_primal_runs'])} "
            f"| {ratios(t['hvp'], t['gradient'], r['hvp_gradient_runs'])} |"
        )
    w("")


def render_compile(w, cost):
    where.render_compile(w, cost)
