"""Sections of docs/PERFORMANCE.md for issue 13, rendered by scripts/perf_report.py from
bench-results: the CPU's vector features (so that a reader can tell a machine effect from a
code effect), the interleaved ratios of `benches/ratios.rs`, and the checkpointed loops of
`benches/checkpoint.rs`."""

import json
import os

# The flags of /proc/cpuinfo that decide which kernels run: the gemm crate and
# matgrad_runtime::vmath pick AVX-512F where it is there, else AVX2 with FMA.
FEATURES = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512vl")

WHAT_TO_EXPECT = (
    "**What to expect on your CPU.** Products take the fastest of three paths, measured once "
    "per process for four size classes (skinny, medium, large, large skinny; the large ones "
    "per orientation, A·B, Aᵀ·B, A·Bᵀ; the first time a product of the class is asked for: "
    "a few ms, 10–35 ms for a large one): nalgebra's own product "
    "(matrixmultiply), the gemm crate on one thread, or on rayon's threads (docs/products.md; "
    "`MATGRAD_GEMM=nalgebra|gemm|gemm-threaded` forces one). Which wins differs between "
    "machines and shapes by up to 3×, so the product-bound workloads (Frobenius, least "
    "squares, PRML, the autoencoder) fall behind nalgebra-based hand-written code on no CPU by "
    "more than the choice's 10 % margin and the measurement's noise. Element-wise `tanh`, `sigmoid` and `exp` of `f64` matrices run "
    "`matgrad_runtime::vmath`'s loops for AVX-512F, else AVX2+FMA, else the baseline: without "
    "AVX-512 expect the element-wise workloads (batch norm, the RNN) about 1.5× slower "
    "element-wise kernels; the ratios to the hand-written code, which uses libm, move "
    "accordingly. `f64` products below 16³ multiply-adds with every dimension above 5 run the runtime's own loop (AVX-512F, else "
    "AVX2+FMA, else the baseline). Runs on other machines are kept in docs/performance/; "
    "\"Across runs and machines\" below puts their ratios beside this run's, with the median "
    "and spread of each case."
)


def cpu_features():
    """The listed vector features /proc/cpuinfo reports, in FEATURES order."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return [x for x in FEATURES if x in flags]
    except OSError:
        pass
    return []


CLASS_TEXT = {
    "skinny": "skinny (a dimension below 32)",
    "medium": "medium (below 2²² multiply-adds)",
    "large": "large",
    "large_skinny": "large skinny",
}
ORIENTATION_TEXT = {"nn": "A·B", "tn": "Aᵀ·B", "nt": "A·Bᵀ"}


def product_paths(results):
    """The paths the ratios run's products took (`product-paths.json`: per size class, per
    orientation, null where no product of them ran), as a sentence."""
    paths = _read(results, "product-paths.json")
    if not paths:
        return None
    parts = []
    for cls, text in CLASS_TEXT.items():
        by = paths.get(cls)
        if isinstance(by, str):  # a report from before the choice was per orientation
            parts.append(f"{text} by `{by}`")
        elif by and any(by.values()):
            ran = [f"{ORIENTATION_TEXT.get(o, o)} by `{p}`" for o, p in by.items() if p]
            parts.append(f"{text}: {', '.join(ran)}")
    if not parts:
        return None
    return "products (measured in the ratios run): " + "; ".join(parts)


def _read(results, name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def render_ratios(results):
    """The interleaved generated ÷ hand-written and gradient ÷ primal table, with a second
    run's ratios beside the first's where there is one (`ratios-2.json`)."""
    rows = _read(results, "ratios.json")
    out = ["## Ratios timed interleaved", ""]
    if not rows:
        return out + ["No results: `cargo bench --bench ratios` writes them.", ""]
    second = {(r["workload"], r["size"]): r for r in _read(results, "ratios-2.json") or []}
    out += [
        "The same three implementations timed by `benches/ratios.rs`, taking turns in batches "
        "of about a millisecond; each ratio is the median over rounds of the ratio within a "
        "round, so both sides of it saw the same load (criterion's medians above are taken "
        "minutes apart). Two runs, one after the other (`run 1 / run 2`); the times are run "
        "1's. Targets: generated ÷ hand-written ≤ 1, gradient ÷ primal ≤ 3 (✗ where both runs "
        "miss). *Workspace ÷ generated*: `_grad_with` (batch norm: `_pullback_with`) in one "
        "workspace, taking its turn too, over `_grad`.",
        "",
        "| workload | size | primal µs | generated µs | hand-written µs "
        "| generated ÷ hand-written | generated ÷ primal | workspace ÷ generated |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def pair(r, s, key, limit):
        values = [r[key]] + ([s[key]] if s else [])
        text = " / ".join(f"{v:.2f}" for v in values)
        return text + (" ✗" if all(v > limit for v in values) else "")

    def workspace(r, s):
        values = [x["workspace_over_generated"] for x in (r, s) if x and "workspace_over_generated" in x]
        return " / ".join(f"{v:.2f}" for v in values) or "—"

    for r in rows:
        s = second.get((r["workload"], r["size"]))
        out.append(
            f"| {r['workload']} | {r['size']} | {r['primal_us']:.1f} | {r['generated_us']:.1f} "
            f"| {r['hand_us']:.1f} | {pair(r, s, 'generated_over_hand', 1.0)} "
            f"| {pair(r, s, 'generated_over_primal', 3.0)} | {workspace(r, s)} |"
        )
    return out + [""]


def keep_compile_cost(text, previous):
    """`text` with the previous page's compile-time section where this run measured none."""
    heading = "## Compile-time cost"
    if not previous or heading not in previous or "Not measured yet" not in section(text, heading):
        return text
    return text.replace(section(text, heading), section(previous, heading), 1)


def section(text, heading):
    """The section of `text` from `heading` to the next `## ` heading (or the end)."""
    start = text.find(heading)
    if start < 0:
        return ""
    end = text.find("\n## ", start + len(heading))
    return text[start:] if end < 0 else text[start : end + 1]


def render_checkpoint(results):
    """Peak memory and time of the RNN gradient with and without `checkpoint`."""
    rows = _read(results, "checkpoint.json")
    out = ["## Long loops: `#[grad(checkpoint)]`", ""]
    if not rows:
        return out + ["No results: `cargo bench --bench checkpoint` writes them.", ""]
    h, i = rows[0]["h"], rows[0]["i"]
    out += [
        f"The RNN workload's gradient (H = {h}, I = {i}) over T steps, with and without "
        "`checkpoint` (`benches/checkpoint.rs`): the median time of several calls and the "
        "peak heap held during a call above what was held before it (the T inputs, "
        f"{8 * i + 16} bytes each at least, not counted). Targets: under 100 MB at T = 10⁶, "
        "at most 3× the time without checkpoints.",
        "",
        "| T | plain s | checkpointed s | checkpointed ÷ plain | plain peak MB | checkpointed peak MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        plain_s, plain_b = r.get("plain_s"), r.get("plain_bytes")
        ratio = f"{r['checkpointed_s'] / plain_s:.2f}" if plain_s else "—"
        out.append(
            f"| {r['steps']:,} | {f'{plain_s:.4f}' if plain_s else '—'} "
            f"| {r['checkpointed_s']:.4f} | {ratio} "
            f"| {f'{plain_b / 1e6:.1f}' if plain_b else '—'} | {r['checkpointed_bytes'] / 1e6:.2f} |"
        )
    return out + [""]
