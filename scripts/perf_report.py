#!/usr/bin/env python3
"""Writes docs/PERFORMANCE.md and docs/performance.svg (issue 5) from the results of a
benchmark run: criterion's estimates of the primal, generated and hand-written gradients
(<target>/criterion/<workload>/<impl>/<size>/new/), and the JSON files in
<target>/bench-results/ that scripts/bench.sh leaves: allocations.json (benches/allocations.rs),
candle*.json (peers/), jax*.json (peers/jax_bench.py), compile_cost.json
(scripts/compile_cost.py) and meta.json (the run's settings); for the factorisations,
criterion's baselines factorisations-run1 and -run2 (benches/factorisations.rs, run twice by
scripts/bench_factorisations.sh), factorisations-jax.json (peers/jax_factorisations.py),
factorisations.json (our values and gradient norms) and factorisations-meta.json. The
"Second order" section and the compile-time cost of `forward` (issue 11) are
scripts/second_order_report.py's: rendered from their results when this target directory has
them, else kept from the page as it was.

scripts/bench.sh runs everything and then this; alone, it re-renders the last results:

    python3 scripts/perf_report.py [--target-dir DIR] [--docs DIR]

The chart needs matplotlib (scripts/bench.sh installs it in its venv); without it the report
is written without a new chart.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import subprocess
import sys

import across_runs
import loop_report
import second_order_report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (name, title, function, size parameters, sizes) in the order of benches/workloads/.
WORKLOADS = [
    ("least_squares", "Least squares", "‖Ax − b‖², ∂/∂x", ["n"], ["16", "128", "512"]),
    ("frobenius", "Frobenius", "‖XAᵀ − B‖²_F, ∂/∂X", ["n"], ["16", "128", "512"]),
    (
        "prml",
        "PRML",
        "½‖T − ΦW‖²_F, ∂/∂W",
        ["N", "M", "K"],
        ["32x8x2", "1000x64x10", "10000x256x10"],
    ),
    (
        "batch_norm",
        "Batch norm",
        "pullback of G: dX, dγ, dβ",
        ["m", "d"],
        ["32x16", "256x64", "1024x256"],
    ),
    (
        "rnn",
        "RNN",
        "Σₜ‖hₜ‖², ∂/∂W, U, b",
        ["H", "I", "T"],
        ["16x8x20", "64x32x50", "256x128x50"],
    ),
    (
        "autoencoder",
        "Tied autoencoder",
        "‖b₂ + Wᵀσ(Wx + b₁) − x‖², ∂/∂W, b₁, b₂",
        ["h", "d"],
        ["16x64", "64x784", "256x2048"],
    ),
    (
        "classifier",
        "Linear classifier",
        "mean softmax cross-entropy of W·X + b, ∂/∂W, b",
        ["C", "D", "N"],
        ["10x16x32", "10x64x256", "10x784x256"],
    ),
    (
        "attention",
        "Attention",
        "½‖V·softmax(KᵀQ/√d)‖², ∂/∂W_q, W_k, W_v",
        ["D", "d", "N"],
        ["16x8x16", "64x32x64", "128x64x128"],
    ),
    (
        "layer_norm_linear",
        "Layer norm + linear",
        "½‖W·(γ ⊙ LN(X) + β) − T‖², ∂/∂γ, β, W",
        ["D", "M", "N"],
        ["16x8x32", "64x32x128", "256x128x128"],
    ),
    (
        "gaussian",
        "Gaussian",
        "−ln p(X | μ, LLᵀ + εI), ∂/∂μ, L",
        ["d", "n"],
        ["4x32", "32x256", "64x512"],
    ),
]
IMPLS = ["primal", "generated", "hand", "jax", "candle"]
IMPL_NAMES = {
    "primal": "primal",
    "generated": "generated",
    "hand": "hand-written",
    "jax": "JAX",
    "candle": "candle",
}
CLASSES = ["small", "middle", "large"]

# The targets of issue 5.
GEN_OVER_HAND = 1.10
GEN_OVER_PRIMAL = 3.0
LARGE_OVER_PEER = 1.2
# Peers must compute what #[grad] computes: value and gradient norm to this, relative.
AGREE = 1e-8


def size_label(dims, size):
    """`n = 512`, `N×M×K = 10000×256×10`."""
    return f"{'×'.join(dims)} = {size.replace('x', '×')}"


def fmt_us(v):
    if v is None:
        return "—"
    if v < 10:
        return f"{v:.2f}"
    if v < 100:
        return f"{v:.1f}"
    return f"{v:,.0f}"


def fmt_ratio(r, limit=None):
    if r is None:
        return "—"
    text = f"{r:.2f}"
    if limit is not None and r > limit:
        text += " ✗"
    return text


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_criterion(target):
    """{(workload, size, impl): median µs} from criterion's new/ estimates."""
    times = {}
    pattern = os.path.join(target, "criterion", "*", "*", "*", "new", "benchmark.json")
    for bench_path in glob.glob(pattern):
        bench = read_json(bench_path)
        estimates = read_json(os.path.join(os.path.dirname(bench_path), "estimates.json"))
        key = (bench["group_id"], bench.get("value_str") or "", bench["function_id"])
        times[key] = estimates["median"]["point_estimate"] / 1000.0
    return times


def load_peers(results):
    """{(workload, size, impl): row} from candle*.json and jax*.json, the newest file winning
    for a case measured in several (a filtered run writes candle-<filter>.json)."""
    rows = {}
    files = glob.glob(os.path.join(results, "candle*.json")) + glob.glob(
        os.path.join(results, "jax*.json")
    )
    for path in sorted(files, key=os.path.getmtime):
        for row in read_json(path):
            rows[(row["workload"], row["size"], row["impl"])] = row
    return rows


def load_profiles(results):
    """{(workload, size, impl): [(percent, function)]} from scripts/profile.sh's files."""
    out = {}
    for path in glob.glob(os.path.join(results, "profiles", "*.txt")):
        name = os.path.basename(path)[: -len(".txt")]
        workload, size, impl = name.rsplit("-", 2) if name.count("-") >= 2 else (name, "", "")
        lines = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"\s*([0-9.]+)%\s+\[\.\]\s+(.*)", line.rstrip())
                if m:
                    lines.append((float(m.group(1)), m.group(2)))
        out[(workload, size, impl)] = lines
    return out


# Library functions whose profile names say less than what they do.
SYMBOLS = [
    (r"Workload>::generated$", "the generated gradient (kernels inlined into it)"),
    (r"Workload>::hand$", "the hand-written gradient (kernels inlined into it)"),
    (r"Workload>::primal$", "the primal"),
    (r"^__memmove", "memmove: copying buffers"),
    (r"^__memset", "memset: zero-filling buffers"),
    (r"^(_int_malloc|malloc|_int_free|cfree|unlink_chunk|malloc_consolidate|_int_memalign|__libc_malloc|__libc_free)\b", "the allocator"),
    (r"^(__tanh|tanh|__expm1|__exp|exp)", "libm (tanh, exp)"),
    (r"^gemm_f64::|^gemm_common::|^gemm::", "the gemm crate's kernels"),
    (r"^matrixmultiply::", "matrixmultiply (nalgebra's products)"),
]


def short_symbol(sym):
    """A profile's function name, readable: known library functions named for what they do,
    generic parameters and closure suffixes dropped, `matgrad_runtime::` shortened."""
    for pattern, text in SYMBOLS:
        if re.search(pattern, sym):
            return text
    sym = sym.replace("::{{closure}}", "")
    # Drop generic arguments <...>, innermost first.
    while True:
        new = re.sub(r"<[^<>]*>", "", sym)
        if new == sym:
            break
        sym = new
    sym = sym.replace("matgrad_runtime::", "runtime ")
    return f"`{sym}`"


def top_functions(lines, n=6):
    """The first `n` distinct readable names with their summed self time."""
    merged = {}
    for pct, sym in lines:
        # The benchmark's own set-up (the inputs, made once) is not the gradient's.
        if "workloads::data::" in sym or pct < 0.5:
            continue
        name = short_symbol(sym)
        merged[name] = merged.get(name, 0.0) + pct
    return sorted(merged.items(), key=lambda kv: -kv[1])[:n]


# Per workload: what the profile of its misses shows, and what would close them. The
# mechanisms, not numbers: the numbers are the tables' and change with every run.
EXPLAIN = {
    "least_squares": (
        "Both sides run the same two nalgebra matrix-vector kernels (`gemv` for `A·x`, `gemv_tr` "
        "for `Aᵀ·r̄`): at n = 16 the gradient takes a fifth of a microsecond, and the "
        "generated code's fixed costs per call (its two allocations are the hand-written "
        "one's; the rest is shape checks and the adjoint slots' bookkeeping) are a visible "
        "share. At n = 512 the two products read the 2 MB matrix twice and are bound by "
        "memory bandwidth; JAX's (XLA's, through Eigen) matrix-vector product runs on both "
        "cores with AVX2, nalgebra's on one core with SSE2 (the crates are built without "
        "`-C target-cpu`). What would close it: a multi-threaded `gemv` for large products in "
        "`matgrad-runtime/src/transposed.rs` (rows split across threads), or building with "
        "`RUSTFLAGS='-C target-cpu=native'`, which speeds up the hand-written code alike."
    ),
    "frobenius": (
        "At n = 16 both sides are two 16×16 products (16³ multiply-adds: the generated "
        "code's take the path measured for their class, the hand-written code's nalgebra's); "
        "the rest of the difference is the generated code's fixed per-call work (adjoint "
        "slots, shape checks) on a gradient of about a microsecond. From n = 128 the products take the path measured fastest "
        "for their size class and orientation (docs/products.md; the Machine section above "
        "says which), "
        "where the hand-written code's run on nalgebra's (matrixmultiply's threads). "
        "Allocations: both sides make the same two buffers (the residual and the gradient); "
        "the rest are the product libraries' packing buffers (matrixmultiply makes one per "
        "product, the gemm crate keeps its own per thread) and rayon's task bookkeeping."
    ),
    "prml": (
        "At N×M×K = 32×8×2 the gradient takes a third of a microsecond and the generated "
        "code's fixed costs show: the hand-written code folds ½, the 2 of ‖·‖² and the sign "
        "of T − ΦW into one `gemm` coefficient, the generated code scales the residual in "
        "place (one extra pass over 64 entries) and negates it when passing it through. "
        "What would close it: folding scalar factors of a pullback chain into the next "
        "product's coefficient (a peephole on the reverse sweep)."
    ),
    "batch_norm": (
        "The generated pullback runs each operation of the body as its own pass over the "
        "m×d data, each with its own buffer: the forward sweep's centring, squaring, "
        "division, scaling and shift, and in the reverse sweep the broadcast pullbacks (a "
        "column sum and an entry-wise pass each), the pullback of the mean (a full m×d "
        "matrix of ḡ/m) and of the square. The hand-written code walks each column twice, "
        "everything fused, with four allocations. In the profile that is the runtime's "
        "broadcast, row-mean and column-sum kernels one after the other, and memmove (the "
        "copy of the cotangent a reusable pullback must make). JAX is faster than both at "
        "the larger sizes: XLA fuses the whole graph into a few loops and runs them on both "
        "cores. What would close it: fusing chains of entry-wise and broadcast operations "
        "in the generator (one loop per chain, column by column, as the hand-written code "
        "does), pullbacks that read only shapes not keeping values (`row_mean`, "
        "`broadcast_add`), and splitting the column loop across threads for large m×d. A "
        "first fusion (commits 6e81a9e and 6d4f284, reverted) made batch norm slower, not "
        "faster (256×64: 122–135 µs against 73 µs unfused): its per-entry loops computed "
        "every lane's term and summed the broadcast lanes' terms entry by entry, with σ's "
        "divisions in every entry, at about 4 cycles an entry, where each unfused kernel "
        "streams from L2 at under one; chains of entry-for-entry lanes alone were 3× faster "
        "fused. Fusion pays here once the work on lanes constant down a column (σ, 1/σ, γ/σ) "
        "leaves the per-entry loop (issue 13's notes). The times here are those of a process "
        "in which earlier cases have freed large blocks, so glibc's allocator has raised its "
        "mmap threshold and serves the 128 KB–1 MB buffers from its heap. In a process that "
        "runs batch norm alone, every such buffer is a fresh mmap, paid in page faults on every "
        "call: the generated gradient took 372–388 µs at 256×64 and 7.5–7.8 ms at 1024×256 "
        "(the hand-written one 90–94 µs and 2.5–2.7 ms), and `batch_norm_pullback_with` in a "
        "workspace 60–63 µs and 1.5 ms, 0.16–0.20 of it (`benches/ratios.rs -- batch_norm`, "
        "two runs). That is what a training loop over such a layer sees without a workspace."
    ),
    "rnn": (
        "Each step's values live in their own buffers on the loop's tape, and each step's "
        "cotangents in new ones: about eight allocations per step where the hand-written "
        "backpropagation through time makes ten in all; at H = 16 the gradient is "
        "allocation-bound (the allocator is near the top of the profile). The hand-written "
        "code also computes U·xₜ for every step in one `gemm` before the loop, where the "
        "generated code does one `gemv` per step. The left pullbacks W̄ += δₜ·tanh(hₜ₋₁)ᵀ "
        "and Ū += δₜ·xₜᵀ are collected over the loop and applied as one product at its end "
        "(as the hand-written code does). What would close the rest: a tape of fixed-shape "
        "values laid out as one matrix (a column per step) and cotangent buffers reused "
        "from step to step; hoisting products with loop-invariant operands out of the loop "
        "(U·[x₁…x_T]). JAX at the largest size runs the per-step products on both cores."
    ),
    "autoencoder": (
        "Time is below the hand-written gradient's; the allocations are not: each cotangent "
        "that flows into two operands (`b₂ + Wᵀv`, `Wx + b₁`) is copied for one of them, "
        "`sigmoid`'s pullback returns a new vector, and W̄ is built from two products where "
        "the hand-written code accumulates both into one buffer. At the largest size the "
        "gradient is two matrix-vector products over the 4 MB W and two rank-one updates of "
        "W̄ (v·z̄ᵀ from `Wᵀv`, ū·xᵀ from `Wx`), each a pass over 4 MB: memory-bound, where "
        "XLA fuses the two updates into one pass. What would close it: applying the two "
        "rank-one updates of W̄ as one rank-two product (the loops' deferred products, for "
        "straight-line code), and letting a pullback that only reads its cotangent borrow it "
        "from the operation that passes it on instead of owning a copy."
    ),
    "classifier": (
        "Both sides run the same `W·X` product and the `Z̄·Xᵀ` product of the gradient; the "
        "generated code takes the exponentials twice (`logsumexp_columns` in the forward "
        "sweep, then its pullback recomputes softmax(zⱼ) = exp(zⱼ − lseⱼ)), where the "
        "hand-written code keeps them from the one pass that also gives the loss; the "
        "exponentials are a third of the generated profile at the middle size. The labels' "
        "loop keeps a tape of the indices and picked values (two allocations whatever N "
        "is), and the picked entries' cotangents go into Z̄ one by one. What would close it: "
        "a pullback of `logsumexp_columns` that reuses the softmax its forward computed (a "
        "saved value, as `softmax`'s pullback reads its output)."
    ),
    "attention": (
        "From 64×32×64 every product goes through the same libraries as the hand-written "
        "code's (`mul_tn` for KᵀQ, the products' pullbacks with strided transposes); at "
        "16×8×16 the products (8×16×16) run the runtime's own loop, which packs nothing and "
        "allocates nothing (docs/products.md, \"Small products\"), where the hand-written "
        "code's go to matrixmultiply. What the generated code pays more: its own buffers for "
        "S, A, each cotangent and the scaled S̄, and the softmax's pullback as its own pass, "
        "where the hand-written code writes A over S and S̄ over Ā and reuses O's and V's "
        "buffers for Q̄ and K̄."
    ),
    "layer_norm_linear": (
        "X is an input, so the normalisation is computed forward only (no cotangent reaches "
        "it); the gradient is H = γ ⊙ X̂ + β, one product and its two pullbacks, and the "
        "column sums of H̄ and H̄ ⊙ X̂. At the small size the generated code's separate passes "
        "(mean, centring, square, mean, square root, division, scaling, shift: each its own "
        "buffer) cost what the product costs; the hand-written code makes X̂ and H in one "
        "pass over each column. What would close it: fusing chains of entry-wise and "
        "broadcast operations (as for batch norm)."
    ),
    "gaussian": (
        "The primal itself is a triangular solve with n right-hand sides (nalgebra's, "
        "column by column, unblocked: four fifths of the primal's profile), and the "
        "generated gradient adds a second one (the slice kernel's, L⁻ᵀ·Ḡ) and the lower "
        "triangle of u·zᵀ by `add_product_triangle`, a loop rather than a blocked product; "
        "those three are two thirds of its profile. The hand-written code instead forms "
        "Σ⁻¹ (d×d) and does all the work on the n samples by `gemm`, which is faster than "
        "the primal; written with nalgebra's solves like the primal, it is about as fast as "
        "the generated gradient. What would close it: blocked triangular solves (a "
        "triangle's diagonal blocks by substitution, the rest by `gemm`) in the runtime, "
        "and the triangle of u·zᵀ by `gemm` for large n."
    ),
}


# How the generated code earns its speed (the sweep's and the runtime's techniques).
FAST = [
    "**No tape at run time** for straight-line code: the forward sweep is the body, one "
    "runtime call per operation, and the reverse sweep the pullbacks in reverse order, all "
    "generated at compile time; loops keep one tuple of saved values per iteration.",
    "**Only what the reverse sweep reads is kept**: `+` and `-` pass their cotangent on "
    "without keeping either operand; inactive values get no adjoint.",
    "**Buffers are reused**: an operation whose operand is a temporary read once computes in "
    "its buffer (left or right operand); a cotangent is taken by value at its last use and "
    "the pullback that can writes into it; in `_grad` a value read for the last time by "
    "`‖·‖²` or `‖·‖` becomes its own cotangent, scaled in place; an empty adjoint slot is "
    "filled by the first contribution, never zero-filled then added to.",
    "**Products never materialise a transpose**: `Aᵀ·B`, `A·Bᵀ` and the products' pullbacks "
    "read the transposed operand through its strides; products of f32/f64 from 16³ "
    "multiply-adds take the path measured fastest for their size class (large ones per "
    "orientation; nalgebra's, or the "
    "gemm crate on one thread or on all cores; docs/products.md), accumulating in place "
    "(`beta = 1`).",
    "**Loops batch their rank-one updates**: the left pullbacks of `A·vₜ`, with `A` from "
    "before the loop, are collected and applied after it as one product "
    "`[ḡ₁…ḡ_T]·[v₁…v_T]ᵀ`.",
    "**Entry-wise kernels run over slices**, column by column for broadcasts, with eight "
    "partial sums for sums and dot products, so that they vectorise; results are written "
    "once into a new buffer, not copied and then overwritten.",
]


def render_misses(rows, allocations, profiles):
    """The section explaining every missed target from the profiles of its workload."""
    out = []
    w = out.append
    missed = {}
    for r in rows:
        t = r["t"]
        reasons = []
        gh = ratio(t["generated"], t["hand"])
        if gh is not None and gh > GEN_OVER_HAND:
            reasons.append(f"generated ÷ hand-written {gh:.2f}")
        gp, hp = ratio(t["generated"], t["primal"]), ratio(t["hand"], t["primal"])
        if gp is not None and hp is not None and hp <= GEN_OVER_PRIMAL < gp:
            reasons.append(f"generated ÷ primal {gp:.2f}")
        peer = ratio(t["generated"], best_peer(t))
        limit = LARGE_OVER_PEER if r["class"] == "large" else 1.0
        if peer is not None and peer > limit:
            reasons.append(f"generated ÷ fastest peer {peer:.2f}")
        g = allocations.get((r["workload"], r["size"], "generated"))
        h = allocations.get((r["workload"], r["size"], "hand"))
        if g and h and g["allocations"] > h["allocations"]:
            reasons.append(f"{g['allocations']} allocations against {h['allocations']}")
        if reasons:
            missed.setdefault(r["workload"], []).append((r, reasons))
    w("## Where the misses come from")
    w("")
    if not missed:
        w("Every target is met.")
        w("")
        return out
    w(
        "For each workload with a missed target: what misses, what its profile shows and what "
        "would close the gap. Profiles by `scripts/profile.sh` (`perf record` of the benchmark "
        "alone, self time per function; a kernel inlined into its caller counts there), of the "
        "generated and the hand-written gradient at the workload's worst case."
    )
    w("")
    for name, title, *_ in WORKLOADS:
        if name not in missed:
            continue
        cases = missed[name]
        w(f"### {title}")
        w("")
        for r, reasons in cases:
            w(f"- {size_label(r['dims'], r['size'])}: {'; '.join(reasons)}")
        w("")
        w(EXPLAIN.get(name, ""))
        w("")
        # The worst case by generated ÷ hand-written time.
        worst = max(cases, key=lambda c: ratio(c[0]["t"]["generated"], c[0]["t"]["hand"]) or 0)[0]
        gen = profiles.get((name, worst["size"], "generated"))
        hand = profiles.get((name, worst["size"], "hand"))
        if gen or hand:
            gen_top, hand_top = top_functions(gen or []), top_functions(hand or [])
            w(f"Profile at {size_label(worst['dims'], worst['size'])} (self time):")
            w("")
            w("| generated | % | hand-written | % |")
            w("| --- | ---: | --- | ---: |")
            for k in range(max(len(gen_top), len(hand_top))):
                g_name, g_pct = gen_top[k] if k < len(gen_top) else ("", None)
                h_name, h_pct = hand_top[k] if k < len(hand_top) else ("", None)
                g_text = f"{g_pct:.0f}" if g_pct is not None else ""
                h_text = f"{h_pct:.0f}" if h_pct is not None else ""
                w(f"| {g_name} | {g_text} | {h_name} | {h_text} |")
            w("")
        else:
            w("(No profile: run `scripts/profile.sh`, which needs `perf`.)")
            w("")
    return out


def load_allocations(results):
    path = os.path.join(results, "allocations.json")
    if not os.path.exists(path):
        return {}
    return {(r["workload"], r["size"], r["impl"]): r for r in read_json(path)}


def command(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine():
    """The CPU model and core count (lscpu), memory, OS and compiler."""
    info = {}
    lscpu = command("lscpu") or ""
    fields = {}
    for line in lscpu.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip()] = v.strip()
    info["cpu"] = fields.get("Model name") or platform.processor() or "unknown"
    info["cpus"] = fields.get("CPU(s)") or str(os.cpu_count())
    info["threads_per_core"] = fields.get("Thread(s) per core")
    info["cores_per_socket"] = fields.get("Core(s) per socket")
    info["sockets"] = fields.get("Socket(s)")
    info["hypervisor"] = fields.get("Hypervisor vendor")
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
        info["memory"] = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        info["memory"] = None
    info["os"] = f"{platform.system()} {platform.release()}"
    info["rustc"] = command("rustc", "--version")
    return info


def build_rows(times, peers):
    """One row per workload and size: the five medians (µs, None where missing)."""
    rows = []
    for name, title, function, dims, sizes in WORKLOADS:
        for cls, size in zip(CLASSES, sizes):
            t = {}
            for impl in IMPLS:
                if impl in ("jax", "candle"):
                    row = peers.get((name, size, impl))
                    t[impl] = row["median_us"] if row else None
                else:
                    t[impl] = times.get((name, size, impl))
            rows.append(
                {
                    "workload": name,
                    "title": title,
                    "dims": dims,
                    "size": size,
                    "class": cls,
                    "t": t,
                }
            )
    return rows


def ratio(a, b):
    return a / b if a is not None and b else None


def best_peer(t):
    peers = [v for v in (t["jax"], t["candle"]) if v is not None]
    return min(peers) if peers else None


def targets(rows, allocations):
    """Each target of issue 5: (description, met, total, misses)."""
    out = []

    def check(description, cases):
        cases = [(label, ok) for label, ok in cases if ok is not None]
        misses = [label for label, ok in cases if not ok]
        out.append((description, len(cases) - len(misses), len(cases), misses))

    def label(r):
        return f"{r['workload']} {r['size']}"

    check(
        f"generated ÷ hand-written ≤ {GEN_OVER_HAND:.2f}",
        [
            (
                label(r),
                None
                if ratio(r["t"]["generated"], r["t"]["hand"]) is None
                else ratio(r["t"]["generated"], r["t"]["hand"]) <= GEN_OVER_HAND,
            )
            for r in rows
        ],
    )
    cases = []
    for r in rows:
        gp, hp = ratio(r["t"]["generated"], r["t"]["primal"]), ratio(r["t"]["hand"], r["t"]["primal"])
        if gp is not None and hp is not None and hp <= GEN_OVER_PRIMAL:
            cases.append((label(r), gp <= GEN_OVER_PRIMAL))
    check(
        f"generated ÷ primal ≤ {GEN_OVER_PRIMAL:g} where hand-written ÷ primal ≤ {GEN_OVER_PRIMAL:g}",
        cases,
    )
    for impl, description in (
        ("generated", "allocations per call: generated ≤ hand-written"),
        ("workspace", "allocations per call with a workspace (`_grad_with`): ≤ hand-written"),
    ):
        cases = []
        for r in rows:
            ours = allocations.get((r["workload"], r["size"], impl))
            h = allocations.get((r["workload"], r["size"], "hand"))
            if ours and h:
                cases.append((label(r), ours["allocations"] <= h["allocations"]))
        check(description, cases)
    check(
        "generated faster than JAX and candle (small and middle sizes)",
        [
            (
                label(r),
                None
                if r["t"]["generated"] is None or best_peer(r["t"]) is None
                else r["t"]["generated"] < best_peer(r["t"]),
            )
            for r in rows
            if r["class"] != "large"
        ],
    )
    check(
        f"generated ÷ fastest peer ≤ {LARGE_OVER_PEER} (largest sizes)",
        [
            (
                label(r),
                None
                if ratio(r["t"]["generated"], best_peer(r["t"])) is None
                else ratio(r["t"]["generated"], best_peer(r["t"])) <= LARGE_OVER_PEER,
            )
            for r in rows
            if r["class"] == "large"
        ],
    )
    return out


def peer_agreement(peers, allocations):
    """Per peer: the largest relative difference from #[grad]'s value and gradient norm, and
    the cases beyond AGREE."""
    out = {}
    for (workload, size, impl), row in peers.items():
        ours = allocations.get((workload, size, "generated"))
        if not ours or ours.get("value") is None or row.get("value") is None:
            continue
        dv = abs(row["value"] - ours["value"]) / max(abs(ours["value"]), 1e-300)
        dg = abs(row["grad_norm"] - ours["grad_norm"]) / max(abs(ours["grad_norm"]), 1e-300)
        worst, bad = out.get(impl, (0.0, []))
        if max(dv, dg) > AGREE:
            bad = bad + [f"{workload} {size}"]
        out[impl] = (max(worst, dv, dg), bad)
    return out


def chart(rows, path):
    """Time against size, log scale, one panel per workload, one line per implementation."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: the chart is not redrawn", file=sys.stderr)
        return False
    plt.rcParams["svg.hashsalt"] = "matgrad-performance"
    plt.rcParams["font.size"] = 9
    style = {
        "primal": dict(color="0.55", linestyle="--", marker="o"),
        "generated": dict(color="C0", linewidth=2.4, marker="o"),
        "hand": dict(color="C1", marker="s"),
        "jax": dict(color="C2", marker="^"),
        "candle": dict(color="C3", marker="v"),
    }
    fig, axes = plt.subplots(2, 3, figsize=(12, 7.2))
    for ax, (name, title, function, dims, sizes) in zip(axes.flat, WORKLOADS):
        mine = [r for r in rows if r["workload"] == name]
        xs = list(range(len(mine)))
        for impl in IMPLS:
            pts = [(x, r["t"][impl]) for x, r in zip(xs, mine) if r["t"][impl] is not None]
            if pts:
                ax.plot(*zip(*pts), label=IMPL_NAMES[impl], **style[impl])
        ax.set_yscale("log")
        ax.set_xticks(xs)
        ax.set_xticklabels([r["size"].replace("x", "×") for r in mine])
        ax.set_xlabel(" × ".join(dims))
        ax.set_title(f"{title}: {function}", fontsize=9)
        ax.grid(True, which="major", alpha=0.35)
        ax.grid(True, which="minor", alpha=0.12)
        ax.set_xlim(-0.25, len(xs) - 0.75)
    for ax in axes[:, 0]:
        ax.set_ylabel("µs per call (median, log scale)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    for ax in axes.flat[1:]:
        for h, l in zip(*ax.get_legend_handles_labels()):
            if l not in labels:
                handles.append(h)
                labels.append(l)
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return True


# The rustc phases of the compile-cost breakdown, as `-Z time-passes` names them.
PHASE_NAMES = [
    ("expand_crate", "macro expansion"),
    ("type_check_crate", "type checking"),
    ("MIR_borrow_checking", "borrow checking"),
    ("monomorphization_collector_graph_walk", "monomorphization"),
    ("codegen_crate", "code generation (to LLVM IR)"),
    ("LLVM_passes", "LLVM passes (worker threads, overlapping the row above)"),
    ("total", "rustc in total"),
]


def load_compile_cost(results):
    path = os.path.join(results, "compile_cost.json")
    return read_json(path) if os.path.exists(path) else None


def load_compile_long(results):
    path = os.path.join(results, "compile_long.json")
    return read_json(path) if os.path.exists(path) else None


def render_long_functions(w, data):
    """The compile time of one long function with and without #[grad], by length."""
    w(
        f"One function of N statements (`scripts/compile_long.py`; `--print-source 20` shows "
        f"one), mixing scalars and matrices as user code does, compiled in a library crate with "
        f"`#[grad(x, w, a)]` and without the attribute: `cargo build` (debug, not incremental), "
        f"median of {data.get('runs', '?')} runs each, alternating, on {data.get('finished', '?')}"
        + (f" at commit `{data['commit']}`" if data.get("commit") else "")
        + f"; load {data.get('load_before') or '?'} before, {data.get('load_after') or '?'} after. "
        "The phases are rustc's `-Z time-passes` of one more build of each (seconds, with / "
        "without; type checking includes the coherence check, which type-checks the functions "
        "returning `impl Fn`)."
    )
    w("")
    w("| N | without (s) | with (s) | ratio | macro | type checking | borrow checking | LLVM | failure |")
    w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    phases = {e["n"]: e for e in data.get("phases") or []}
    for r in data.get("rows", []):
        e = phases.get(r["n"])

        def phase(key):
            if not e:
                return "—"
            a, b = e["with"]["phases"].get(key), e["without"]["phases"].get(key)
            return f"{fmt_s(a)} / {fmt_s(b)}"

        fails = "; ".join(
            f"{v}: {r['failure'][v]['what']}" for v in ("with", "without") if r["failure"].get(v)
        )
        macro = fmt_s(e.get("macro_expansion_s")) if e else "—"
        w(
            f"| {r['n']:,} | {fmt_s(r['median']['without'])} | {fmt_s(r['median']['with'])} | "
            f"{fmt_s(r['ratio'])} | {macro} | {phase('type_check_crate')} | "
            f"{phase('MIR_borrow_checking')} | {phase('LLVM_passes')} | {fails} |"
        )
    w("")
    w(
        "What makes a long function compile at all, and closer to linearly: the forward sweep "
        "is cut into blocks of 64 statements that return what later code reads (every `let` "
        "opens a scope nested in the previous one, and LLVM's debug info recursed through "
        "thousands of them: rustc overflowed its stack at about 2 000 statements), adjoint "
        "slots are declared 64 to a `let`, `_pullback` (always) and `_grad` (from 400 values) "
        "call the hidden `vjp` instead of repeating its sweeps, and the imports that hide "
        "outer items from generated locals list only the names each companion uses, 16 to a "
        "`use` (rustc's unused-import check is quadratic in the names of one `use`). From 400 "
        "values, adjoint slots are typed by zero-sized witnesses taken right after each "
        "binding, which closes rustc's inference variables early, and each value's pullback is "
        "one call of a runtime driver with the kernels as function pointers "
        "(`__rt::pull2_ro(&mut y_bar, &a, &b, &mut a_bar, &mut b_bar, __rt::mul_pullback_lhs, "
        "__rt::mul_pullback_rhs_reuse_g)`) instead of `if let Some(g) = take(&mut y_bar) { .. }` "
        "around the kernel calls: the branch, the binding, its drop and the calls were most "
        "of what rustc and LLVM compiled. Every generated call names the runtime through an "
        "alias of the expansion (`use ::matgrad::__private as __rt;`), three tokens where the "
        "full path was nine: half of a long function's tokens were those paths."
    )
    w("")
    w(
        "Those two changes took the 2 000-statement function from about 15 s to about 10.4 s "
        "against about 1.25 s without the attribute (four alternating builds of each in one "
        "session), from 12× to about 8×; this table's run, on a quieter machine, says 7.1×. "
        "Tried on the same function by rewriting its expanded code (so without the macro's "
        "time), each against the `if let` form built in the same session (the machine's speed "
        "drifts by a third from hour to hour): a closure per pullback (`pull(&mut y_bar, |g| "
        "..)`) 1.7 times as long (each closure is a function of its own for rustc and LLVM); "
        "drivers generic over `impl FnOnce` kernels 0.87 (rustc infers the kernels' generic "
        "arguments through `Fn` bounds); the function-pointer drivers 0.78; one runtime "
        "function per operation, with no kernel arguments (`mul_node(&mut y_bar, &a, &b, "
        "&mut a_bar, &mut b_bar)`), 0.60 to 0.69, the best, at the price of a node function "
        "per operation and combination of active operands in the runtime; declaring every "
        "binding at the top (`let (a, b, ..);`, then assignments) instead of the blocks, no "
        "gain."
    )
    w("")
    w(
        "Where the 2 000-statement build goes now (`-Z self-profile`): LLVM about 3 s (debug "
        "info is about a sixth: `-C debuginfo=0` saves 15 %), type checking 2.1 s (1.55 s "
        "of it the hidden `vjp`, against 0.47 s for the function itself), borrow checking "
        "1.5 s, the macro 1.6 to 2.1 s. Of the macro's time, 0.4 s is its own work when it is "
        "compiled optimised; the rest is running an unoptimised proc macro (a project with "
        "long `#[grad]` functions gains about 1.5 s per 2 000 statements from "
        "`[profile.dev.build-override] opt-level = 3`), and within it the forward sweep's "
        "cutting into blocks (parsing the generated statements again, quoting them back) is "
        "about 0.8 s. The target of at most 5× the function without the attribute at "
        "2 000 statements is not met: the generated code of a long function is the forward "
        "sweep (as large as the function), an adjoint slot per value and a pullback call per "
        "value (one or two kernels each), about three times the function, plus the function "
        "itself and the macro. What would close most of the rest: one runtime node function "
        "per operation (above: about 10 % of the build), the blocks cut from the generator's "
        "steps instead of re-parsed tokens (about 0.8 s of macro), fewer slots (values whose "
        "cotangent only passes through, as `+` does, could share their operand's slot)."
    )
    w("")


def fmt_s(v):
    return "—" if v is None else f"{v:.2f}"


def fmt_ms(v):
    return "—" if v is None else f"{v * 1000:,.0f}"


def busy_note(load_before, cpus):
    """The warning for a measurement started on a busy machine, or None."""
    first = str(load_before or "").split()
    if not first or not cpus or float(first[0]) <= 0.5 * cpus:
        return None
    return (
        f"> **Measured on a busy machine** (1-minute load average {first[0]} on {cpus} CPUs "
        "before it started): the times below are noisy. Rerun `python3 scripts/compile_cost.py` "
        "on an idle machine."
    )


def render_expansion(w, exp):
    """The table of expansion times per #[grad] function."""
    rows = exp.get("functions", [])
    w(
        "The macro itself, `expand_grad` in `matgrad-macros-core` (parsing the "
        "function, lowering the body, generating the sweeps of each companion, emitting the "
        "tokens), on every `#[grad]` function of `examples/` and `benches/workloads/`, in the "
        f"{exp.get('profile', 'release')} build of an ignored unit test "
        "(`matgrad-macros-core/tests/expansion_cost.rs`): the median of "
        f"{exp.get('runs', '?')} expansions after {exp.get('warm_up', '?')} warm-up ones. Outside "
        "a compiler, proc-macro2 runs on its own token streams, so this is the macro's own work; "
        "inside rustc every token also crosses the proc-macro bridge (the expansion phase below "
        "measures that). Source lines: the function from `fn` to its closing brace. Tokens: "
        "leaves and groups, of the function as the macro receives it and of its expansion (the "
        "function itself included). Expanded lines: the expansion formatted by rustfmt."
    )
    w("")
    w("| function | file | source lines | tokens in → out | expanded lines | median µs |")
    w("| --- | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        lines = r.get("expanded_lines")
        w(
            f"| `{r['name']}` | `{r['file']}` | {r['source_lines']} | "
            f"{r['item_tokens']:,} → {r['expanded_tokens']:,} | "
            f"{'—' if lines is None else f'{lines:,}'} | {fmt_us(r['median_us'])} |"
        )
    w("")
    groups = [("examples/", "the examples"), ("benches/", "the benchmark workloads")]
    totals = []
    for prefix, label in groups:
        mine = [r for r in rows if r["file"].startswith(prefix)]
        if mine:
            total = sum(r["median_us"] for r in mine) / 1000
            totals.append(f"{total:.1f} ms for the {len(mine)} functions of {label}")
    if totals:
        w("Total: " + "; ".join(totals) + ".")
        w("")


def render_builds(w, build):
    """The with/without compile times and the rustc phases of the difference."""
    n = build.get("functions") or 0
    files = ", ".join(f"`{m}`" for m in build.get("modules", {}).values())
    w(
        f"The {n} `#[grad]` functions of the examples ({files}) are copied, with their doc comments and `use` lines, into a library crate twice "
        "(`<target>/compile-cost/crates/`): `with`, as written, and `without`, the same "
        "functions with the `#[grad]` attribute deleted, so the primal functions alone. The "
        "companions are public, so rustc compiles all of them as it would in a user's library. "
        "Both crates depend on a copy of the matgrad crates, built once beforehand; each "
        "measurement touches `src/lib.rs` and compiles one crate, alternating, "
        f"{build.get('runs', '?')} times per crate, not incrementally (`CARGO_INCREMENTAL=0`), so each is a full compilation of the "
        "crate and nothing else. Wall-clock of the cargo command, median, in seconds:"
    )
    w("")
    w("| compilation | with `#[grad]` | without | difference | per function (ms) |")
    w("| --- | ---: | ---: | ---: | ---: |")
    labels = {
        "check": "`cargo check`",
        "debug": "`cargo build` (debug)",
        "release": "`cargo build --release`",
    }
    for profile, m in build.get("median", {}).items():
        a, b = m.get("with"), m.get("without")
        diff = a - b if a is not None and b is not None else None
        per = fmt_ms(diff / n) if diff is not None and n else "—"
        w(f"| {labels.get(profile, profile)} | {fmt_s(a)} | {fmt_s(b)} | {fmt_s(diff)} | {per} |")
    w("")
    phases = build.get("phases")
    if not phases:
        return
    w(
        "Where the difference goes: rustc's own timing of its phases (`-Z time-passes`, "
        "allowed on the stable compiler by `RUSTC_BOOTSTRAP=1`, in a target directory of its "
        "own) in a debug compilation of each crate, median, in milliseconds:"
    )
    w("")
    w("| phase | with `#[grad]` | without | difference |")
    w("| --- | ---: | ---: | ---: |")
    for key, label in PHASE_NAMES:
        a, b = phases["with"].get(key), phases["without"].get(key)
        diff = a - b if a is not None and b is not None else None
        w(f"| {label} | {fmt_ms(a)} | {fmt_ms(b)} | {fmt_ms(diff)} |")
    w("")
    diff = {k: phases["with"].get(k, 0) - phases["without"].get(k, 0) for k, _ in PHASE_NAMES}
    if all(phases[v].get(k) is not None for v in ("with", "without") for k, _ in PHASE_NAMES):
        w(
            f"Of the {fmt_ms(diff['total'])} ms more that rustc spends, macro expansion is "
            f"{fmt_ms(diff['expand_crate'])} ms (the macro's own work and the token traffic "
            f"through the bridge), type and borrow checking of the generated code "
            f"{fmt_ms(diff['type_check_crate'] + diff['MIR_borrow_checking'])} ms, "
            "monomorphization and code generation most of the rest."
        )
        w("")


def render_compile_cost(cost, cpus, long_functions=None):
    """The section on what #[grad] adds to compile time, or how to measure it."""
    out = []
    w = out.append
    w("## Compile-time cost")
    w("")
    if not cost:
        w(
            "Not measured yet: `python3 scripts/compile_cost.py` (which `scripts/bench.sh` runs "
            "after the benchmarks) writes `<target>/bench-results/compile_cost.json`, and this "
            "section then shows the macro's expansion time per annotated function and the "
            "compile time of the examples' functions with and without `#[grad]`."
        )
        w("")
        return out
    w(
        f"What `#[grad]` adds to compiling the code that uses it, measured by "
        f"`scripts/compile_cost.py` (run by `scripts/bench.sh`) on {cost.get('finished', '?')}"
        + (f" at commit `{cost['commit']}`" if cost.get("commit") else "")
        + f", {cost.get('rustc') or 'rustc'}; 1-minute load average {cost.get('load_before') or '?'} "
        f"before, {cost.get('load_after') or '?'} after."
    )
    w("")
    note = busy_note(cost.get("load_before"), cpus)
    if note:
        w(note)
        w("")
    if cost.get("expansion"):
        w("### Expansion time per annotated function")
        w("")
        render_expansion(w, cost["expansion"])
    if cost.get("build"):
        w("### A build with and without `#[grad]`")
        w("")
        render_builds(w, cost["build"])
    if long_functions:
        w("### Long functions")
        w("")
        render_long_functions(w, long_functions)
    w("### What keeps it low, and what it costs")
    w("")
    w(
        "- The macro parses the function once with syn and lowers the body once "
        "(`lower.rs`) into an IR of single-assignment values in nested regions (loops, "
        "branches); the sweeps are generated from that IR. It does no type inference: an "
        "operation is recognised by its syntax (`*`, `+`, the method's name), and a generated "
        "binding carries a type only where the user's `let` wrote one; rustc infers the rest."
    )
    w(
        "- Each operation becomes a call to a generic function of `matgrad-runtime` "
        "(`__private::mul`, `__private::mul_pullback_rhs`, ...), and rustc's trait resolution "
        "picks the kernel: the derivative rules are written, parsed and type-checked once, in "
        "the runtime crate, not emitted as code per operation, and each kernel is "
        "monomorphized once per combination of types in the user's crate, however many "
        "functions use it."
    )
    ratios = [
        r["expanded_tokens"] / r["item_tokens"]
        for r in (cost.get("expansion") or {}).get("functions", [])
        if r.get("item_tokens")
    ]
    growth = (
        f"{min(ratios):.0f} to {max(ratios):.0f} times the tokens of the function"
        if ratios
        else "many times the tokens of the function"
    )
    w(
        "- What costs: every function gets two copies of a forward and a reverse sweep: the "
        "hidden `vjp` through which other `#[grad]` functions call it (and which `<f>_pullback` "
        "wraps when its arguments are references and numbers), and `<f>_grad`'s own fused "
        "sweeps, the fastest form (a long function's `_grad` wraps `vjp` too); plus the "
        f"gradient struct and the graph constant: its expansion has {growth} (table above). "
        "rustc type-checks all of it, and in a library generates code for all of it, called "
        "or not."
    )
    w("")
    return out


# The factorisations' benchmarks: (criterion group, title, function, the factorisation alone).
FACTORISATIONS = [
    (
        "cholesky_nll",
        "Cholesky",
        "½⟨B, S⁻¹B⟩ + ln |S| by `s.clone().cholesky().unwrap()`, `c.solve(b)`, "
        "`c.ln_determinant()`; ∂/∂S, ∂/∂B",
        "`s.clone().cholesky()`",
    ),
    (
        "lu_solve",
        "LU",
        "½‖M⁻¹B‖² + bᵀM⁻¹b by `m.clone().lu()`, `lu.solve(b).unwrap()` for B (n×8) and b; "
        "∂/∂M, ∂/∂B, ∂/∂b",
        "`m.clone().lu()`",
    ),
    (
        "qr_solve",
        "QR",
        "½‖M⁻¹B‖² by `m.clone().qr().solve(b).unwrap()`; ∂/∂M, ∂/∂B",
        "`m.clone().qr()`",
    ),
    (
        "triangular_solve",
        "Triangular solve",
        "½‖L⁻¹B‖² by `l.solve_lower_triangular(b).unwrap()`; ∂/∂L, ∂/∂B",
        None,
    ),
]
FACTORISATION_SIZES = ["16", "64", "256"]
FACTORISATION_RUNS = ["factorisations-run1", "factorisations-run2"]
# Griewank's bound: a value and gradient costs at most a small multiple of the function.
FACTORISATION_BOUND = 3.0

# What dominates each function's gradient, and what in the kernels is slower than it needs to
# be: the mechanisms, from the profiles (`perf record` of the bench with `--profile-time`), not
# the tables' numbers, which change with every run.
FACTORISATION_NOTES = {
    "cholesky_nll": (
        "The gradient of ln |S| is S⁻¹, a dense n×n matrix: `ln_determinant_pullback` "
        "(`matgrad-runtime/src/cholesky.rs`) computes it as LAPACK's `dpotri` does, L⁻¹ by "
        "blocks and then the lower half of L⁻ᵀL⁻¹ by blocks, mirrored (`dense.rs`: about 2n³/3 "
        "flops, most of them in `gemm`), where it took nalgebra's `Cholesky::inverse()` before "
        "(two column-by-column solves against the identity, about 3n³ flops). That puts the "
        "gradient within the target at n = 256 (it was 8 to 10 times the function); no gradient "
        "that forms S̄ densely can go much below: factorisation, inverse and solves come to at "
        "least about 3× the factorisation alone. At n = 16 and 64 the function is mostly the two "
        "solves with B, and the gradient adds the inverse, the two copies `cholesky()` makes of "
        "its matrix (one for nalgebra, one kept as the factorisation's matrix, which the "
        "readings' pullbacks use) and a pass checking symmetry (one comparison per entry when the "
        "matrix is exactly symmetric); each solve is pulled back to S and B by one kernel "
        "(`solve_pullback_both`: Su = ḡ solved once for both). The small sizes are the noisiest "
        "rows (see the spread): the ratio at n = 64 was 3.0 in the run before this one."
    ),
    "lu_solve": (
        "At n = 256 the factorisation (nalgebra's `LU::new`, O(n³), unblocked) is most of both "
        "the function and its gradient, and the pullbacks are O(n²·8): the gradient costs about "
        "the function again. The transposed solves of the pullbacks read the packed factor in "
        "place, four right-hand sides at a time (`dense.rs`), and M̄ gets each solve's −u·xᵀ as "
        "a rank-k update straight into its slot; each solve is pulled back to M and to B (or b) "
        "by one kernel, `solve_pullback_both`, solving Mᵀu = ḡ once. "
        "JAX differentiates through `lu_factor` itself, with n×n triangular solves, so its "
        "gradient costs several times its function at n = 256."
    ),
    "qr_solve": (
        "The transposed solve of the pullback (`matgrad-runtime/src/qr.rs`, "
        "`solve_transposed`: Aᵀy = ḡ as y = Q·R⁻ᵀḡ) applies the n stored Householder reflections "
        "to R⁻ᵀḡ (O(n²) per right-hand side), where it formed Q before (as much work as the "
        "factorisation): the gradient is now the factorisation and O(n²·8) work, about 1.6 to "
        "2.4 times the function. R is still copied out of nalgebra's packed factorisation (its "
        "diagonal is private); the transposed solve runs once for M̄ and B̄ together."
    ),
    "triangular_solve": (
        "All of it is O(n²·8): the function is one triangular solve, and the gradient one "
        "more, Lᵀu = ḡ, shared by L̄ and B̄ (`pullback_both`, `matgrad-runtime/src/"
        "triangular.rs`, the registry's joint pullback), then the lower triangle of u·xᵀ "
        "subtracted straight into L̄'s slot (half the product, no n×n temporary). Before the "
        "two pullbacks shared u, it was 3.4 to 6 times the function at n = 256. JAX's per-call "
        "overhead (tens of µs) makes it slower than ours at every size measured."
    ),
}

# The kernels' redundant work the profiles show, for the runtime's and the generator's owners.
FACTORISATION_KERNELS = [
    "**n×n copies**: `cholesky()` and `lu()` copy their matrix twice (for nalgebra, which "
    "takes it by value, and for the `Factored` the readings' pullbacks read), after the "
    "`.clone()` the user wrote; `cholesky_pullback` and `lu_pullback` copy the cotangent they "
    "pass on (it arrives by reference). About 3 % of the Cholesky gradient at n = 64.",
    "**nalgebra's kernels**: its Cholesky, LU and QR factorisations and its forward "
    "triangular solves are unblocked and single-threaded, where JAX calls LAPACK (OpenBLAS): "
    "JAX's factorisations alone are faster at n = 256. That gap is nalgebra's, in the "
    "function and its gradient alike. (nalgebra 0.35's `gemm` misreads a transposed left "
    "operand on its small-size path; `dense.rs` goes through `gemm_tr` there.)",
]


def load_factorisations(target, results):
    """The factorisations' results: {"times": {(function, size, impl): [µs per run]},
    "jax": {(function, size, impl): row}, "values": {(function, size): row}, "meta": {}},
    or None before the first run."""
    times = {}
    for run, baseline in enumerate(FACTORISATION_RUNS):
        pattern = os.path.join(target, "criterion", "*", "*", "*", baseline, "benchmark.json")
        for bench_path in glob.glob(pattern):
            bench = read_json(bench_path)
            estimates = read_json(os.path.join(os.path.dirname(bench_path), "estimates.json"))
            key = (bench["group_id"], bench.get("value_str") or "", bench["function_id"])
            if key[0] not in {f[0] for f in FACTORISATIONS}:
                continue
            times.setdefault(key, [None] * len(FACTORISATION_RUNS))[run] = (
                estimates["median"]["point_estimate"] / 1000.0
            )

    def rows(name):
        path = os.path.join(results, name)
        return read_json(path) if os.path.exists(path) else []

    jax_rows = {(r["workload"], r["size"], r["impl"]): r for r in rows("factorisations-jax.json")}
    values = {(r["workload"], r["size"]): r for r in rows("factorisations.json")}
    meta_path = os.path.join(results, "factorisations-meta.json")
    meta = read_json(meta_path) if os.path.exists(meta_path) else {}
    if not times and not jax_rows:
        return None
    return {"times": times, "jax": jax_rows, "values": values, "meta": meta}


def render_factorisations(data):
    """The section on the factorisations: value and gradient against the function, the
    factorisation alone and JAX."""
    out = []
    w = out.append
    w("## Factorisations")
    w("")
    if not data:
        w(
            "Not measured yet: `scripts/bench_factorisations.sh` (which `scripts/bench.sh` runs) "
            "times `benches/factorisations.rs` twice and `peers/jax_factorisations.py`, and this "
            "section then shows each factorisation's value and gradient against the function "
            "alone, the factorisation alone and JAX."
        )
        w("")
        return out
    meta = data["meta"]
    times, jax_rows = data["times"], data["jax"]

    def best(key):
        """The faster of the runs' medians: load from other processes only slows a run."""
        runs = [v for v in times.get(key, []) if v is not None]
        return min(runs) if runs else None

    def jax(name, size, impl):
        row = jax_rows.get((name, size, impl))
        return row["median_us"] if row else None

    def spread(name, size):
        """The largest difference between the two runs' medians of a row, relative to their
        mean."""
        out = []
        for impl in ("primal", "generated", "factor"):
            runs = times.get((name, size, impl), [])
            if len(runs) == 2 and None not in runs:
                out.append(abs(runs[0] - runs[1]) / (0.5 * (runs[0] + runs[1])))
        return max(out) if out else None

    w(
        "Each factorisation under `#[grad]`: its value and gradient "
        "(`<f>_grad`, with respect to every matrix argument) against the function alone (the "
        "original function, plain nalgebra) and the factorisation alone, and against JAX on the "
        "same inputs (`jax.jit(f)` and `jax.jit(jax.value_and_grad(f))`, CPU, float64; "
        "`peers/jax_factorisations.py`"
        + (
            f"; LAPACK, which JAX's factorisations call, on {meta['openblas_threads']} thread"
            + ("s" if str(meta["openblas_threads"]) != "1" else "")
            + " (`OPENBLAS_NUM_THREADS`), as nalgebra's factorisations run"
            if meta.get("openblas_threads")
            else ""
        )
        + "). The function bodies are in `benches/factorisations.rs`: "
        "S = AᵀA/n + I (symmetric positive definite), M = a random matrix + n·I, L = S's "
        "Cholesky factor, B n×8 and b n entries, from the hash inputs of the other benchmarks; "
        "S and L agree with JAX's to rounding (the products and factorisations differ). Measured "
        "by `scripts/bench_factorisations.sh`"
        + (f", {meta['started']} to {meta['finished']}" if meta.get("started") else "")
        + (f", at commit `{meta['commit']}`" if meta.get("commit") else "")
        + (f", on {meta['cpu']} ({meta['cpus']} CPUs)" if meta.get("cpu") else "")
        + (f", {meta['rustc']}, JAX {meta['jax']}" if meta.get("rustc") else "")
        + (
            f"; {meta['warm_up']} s warm-up and {meta['measurement']} s measurement per case "
            "(20 samples at n = 256)"
            if meta.get("warm_up") is not None
            else ""
        )
        + (
            f"; 1-minute load average {meta.get('load_before') or '?'} before, "
            f"{meta.get('load_after') or '?'} after."
            if meta
            else "."
        )
    )
    w("")
    cpus = int(meta["cpus"]) if str(meta.get("cpus", "")).isdigit() else None
    load0 = str(meta.get("load_before") or "").split()
    busy = bool(load0 and cpus and float(load0[0]) > 0.5 * cpus)
    if busy or meta.get("quick"):
        reasons = []
        if meta.get("quick"):
            reasons.append("a quick run")
        if busy:
            reasons.append(f"1-minute load average {load0[0]} on {cpus} CPUs before it started")
        w(
            ("> **Measured on a busy machine** (" if busy else "> **A quick run** (")
            + "; ".join(reasons)
            + "): the times are noisy, by as much as the two runs' spread (last column) says. "
            "Rerun `scripts/bench_factorisations.sh` on an idle machine."
        )
        w("")
    w(
        "Times in µs: the faster of the two criterion runs' medians (load from other "
        "processes only slows a run down; both runs are under [Both runs](#both-runs)); JAX's: "
        "the median of batches timed as in `peers/`. "
        f"**÷ primal**: value and gradient ÷ the function, the target (Griewank's bound) "
        f"≤ {FACTORISATION_BOUND:g}; **÷ factorisation**: value and gradient ÷ the "
        "factorisation alone, the issue's other reading of the target (at small n the "
        "factorisation is a small part of the function, most of which is the solves with 8 "
        "right-hand sides and fixed costs, so this ratio is large there whatever the "
        "factorisation's gradient costs); **ours ÷ JAX**: our "
        "value and gradient ÷ JAX's. ✗ marks a ratio past 3. **spread**: the largest difference "
        "between the two runs' medians in the row, relative to their mean."
    )
    w("")
    met = {"primal": [0, 0, []], "factor": [0, 0, []]}
    for name, title, function, factor in FACTORISATIONS:
        w(f"### {title}: {function}")
        w("")
        w(
            "| n | primal | value and gradient | ÷ primal | factorisation alone | "
            "÷ factorisation | JAX primal | JAX value and gradient | JAX ÷ its primal | "
            "ours ÷ JAX | spread |"
        )
        w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for size in FACTORISATION_SIZES:
            p, g, f = (best((name, size, i)) for i in ("primal", "generated", "factor"))
            jp, jg = jax(name, size, "jax_primal"), jax(name, size, "jax")
            gp, gf = ratio(g, p), ratio(g, f)
            for key, r in (("primal", gp), ("factor", gf)):
                if r is not None:
                    met[key][1] += 1
                    if r <= FACTORISATION_BOUND:
                        met[key][0] += 1
                    else:
                        met[key][2].append(f"{title} {size}")
            sp = spread(name, size)
            w(
                f"| {size} | {fmt_us(p)} | {fmt_us(g)} | {fmt_ratio(gp, FACTORISATION_BOUND)} | "
                f"{fmt_us(f)} | {fmt_ratio(gf, FACTORISATION_BOUND)} | {fmt_us(jp)} | "
                f"{fmt_us(jg)} | {fmt_ratio(ratio(jg, jp))} | {fmt_ratio(ratio(g, jg))} | "
                + ("—" if sp is None else f"{sp * 100:.0f} %")
                + " |"
            )
        w("")
        if FACTORISATION_NOTES.get(name):
            w(FACTORISATION_NOTES[name])
            w("")
    w("### Targets")
    w("")
    w("| target | met | misses |")
    w("| --- | ---: | --- |")
    for key, text in (
        ("primal", f"value and gradient ÷ function ≤ {FACTORISATION_BOUND:g}"),
        ("factor", f"value and gradient ÷ factorisation alone ≤ {FACTORISATION_BOUND:g}"),
    ):
        ok, total, misses = met[key]
        w(f"| {text} | {ok} / {total} | {', '.join(misses) or '—'} |")
    w("")
    if FACTORISATION_KERNELS:
        w("### What is slow, and what would close the gaps")
        w("")
        for item in FACTORISATION_KERNELS:
            w(f"- {item}")
        w("")
    worst = None
    for (name, size), ours in data["values"].items():
        row = jax_rows.get((name, size, "jax"))
        if not row:
            continue
        dv = abs(row["value"] - ours["value"]) / max(abs(ours["value"]), 1e-300)
        dg = abs(row["grad_norm"] - ours["grad_norm"]) / max(abs(ours["grad_norm"]), 1e-300)
        worst = max(worst or 0.0, dv, dg)
    if worst is not None:
        w(
            "JAX computes the same values and gradients: the largest relative difference of a "
            f"value or gradient norm from ours is {worst:.1e} "
            + ("(agrees" if worst <= AGREE else "(**differs**")
            + f", tolerance {AGREE:g}; `<target>/bench-results/factorisations.json` and "
            "`factorisations-jax.json`)."
        )
        w("")
    w("### Both runs")
    w("")
    w("The medians of each criterion run (µs), run 1 / run 2:")
    w("")
    w("| function | n | primal | value and gradient | factorisation alone |")
    w("| --- | ---: | ---: | ---: | ---: |")
    for name, title, _, _ in FACTORISATIONS:
        for size in FACTORISATION_SIZES:

            def both(impl):
                runs = times.get((name, size, impl))
                if not runs:
                    return "—"
                return " / ".join(fmt_us(v) for v in runs)

            w(f"| {title} | {size} | {both('primal')} | {both('generated')} | {both('factor')} |")
    w("")
    return out


def render(
    rows,
    allocations,
    peers,
    meta,
    info,
    chart_name,
    compile_cost=None,
    profiles=None,
    long_functions=None,
    factorisations=None,
    results="",
):
    out = []
    w = out.append
    when = meta.get("finished") or datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"
    )
    w("# Performance")
    w("")
    w(
        "Issue 5's benchmarks: the value and gradient `#[grad]` generates, against the function "
        "alone (primal), a careful hand-written closed-form gradient, JAX and candle, on the "
        "seed's workloads. Written by `scripts/perf_report.py` from the run of "
        f"`scripts/bench.sh` finished {when}"
        + (f" at commit `{meta['commit']}`" if meta.get("commit") else "")
        + "; do not edit it by hand."
    )
    w("")
    quick = meta.get("quick")
    load = meta.get("load_before"), meta.get("load_after")
    cpus = int(info["cpus"]) if str(info.get("cpus", "")).isdigit() else None
    # Busy: more than half the CPUs already in use before the run started (the load after
    # it includes the benchmarks' own).
    busy = bool(load[0] and cpus and float(str(load[0]).split()[0]) > 0.5 * cpus)
    if quick or busy:
        reasons = []
        if quick:
            reasons.append(
                f"a quick run ({meta.get('warm_up')} s warm-up, {meta.get('measurement')} s "
                "measurement)"
            )
        if busy:
            reasons.append(
                f"the machine was busy (1-minute load average {str(load[0]).split()[0]} "
                f"on {cpus} CPUs before the run)"
            )
        w(
            "> **Smoke test, not a measurement:** "
            + " and ".join(reasons)
            + ". The numbers below show that the harness works; do not draw conclusions "
            "from them. Rerun `scripts/bench.sh` on an idle machine."
        )
        w("")
    if meta.get("filter"):
        w(
            f"> The last run re-measured only `{meta['filter']}`; the other workloads' numbers "
            "come from earlier runs, and the settings and load below are the last run's."
        )
        w("")
    w("## Regenerate")
    w("")
    w("```sh")
    w("scripts/bench.sh            # everything: criterion, allocations, candle, JAX, compile time, then this report")
    w("```")
    w("")
    w(
        "`scripts/bench.sh --quick` warms up 1 s and measures 2 s per case instead of 3 s and "
        "5 s (a smoke test); `scripts/bench.sh <workload>` reruns one workload (the other "
        "results are kept); `python3 scripts/perf_report.py` only re-renders this page from "
        "the last results; `python3 scripts/compile_cost.py` re-measures only the compile-time "
        "cost, `scripts/bench_factorisations.sh` (or `scripts/bench.sh factorisations`) only the "
        "factorisations. It needs the Rust toolchain and Python 3 with `venv`; JAX and matplotlib are "
        "pip-installed into `target/bench-venv`. Nothing of this runs in `cargo test`: candle "
        "lives in `peers/`, outside the workspace."
    )
    w("")
    w("## Machine")
    w("")
    cores = info.get("cores_per_socket")
    sockets = info.get("sockets")
    tpc = info.get("threads_per_core")
    core_text = f"{info['cpus']} CPUs"
    if cores and sockets and tpc:
        core_text += f" ({sockets} socket × {cores} cores × {tpc} thread per core)"
    generation = across_runs.cpu_generation()
    cpu = f"{info['cpu']} ({generation})" if generation else info["cpu"]
    w(f"- CPU: {cpu}, {core_text}" + (f", {info['hypervisor']} guest" if info.get("hypervisor") else ""))
    features = loop_report.cpu_features()
    if features:
        w(f"- vector features: {', '.join(features)}")
    paths = loop_report.product_paths(results)
    if paths:
        w(f"- {paths}")
    if info.get("memory"):
        w(f"- memory: {info['memory']}")
    w(f"- OS: {info['os']}; {info.get('rustc') or 'rustc: unknown'}")
    versions = []
    for key, name in (("jax", "JAX"), ("candle", "candle-core"), ("nalgebra", "nalgebra")):
        if meta.get(key):
            versions.append(f"{name} {meta[key]}")
    if versions:
        w(f"- libraries: {', '.join(versions)}")
    if meta.get("rayon_num_threads"):
        w(f"- candle ran with `RAYON_NUM_THREADS={meta['rayon_num_threads']}`; JAX with its default CPU threads")
    if meta.get("warm_up"):
        w(
            f"- settings: {meta['warm_up']} s warm-up, {meta['measurement']} s measurement per case; "
            f"1-minute load average {load[0] or '?'} before the run, {load[1] or '?'} after"
        )
    w("")
    w("")
    w(loop_report.WHAT_TO_EXPECT)
    w("")
    w(f"![Median time per call against size, log scale, per implementation and workload]({chart_name})")
    w("")
    w("## Median time per call (µs)")
    w("")
    w(
        "| workload | size | primal | generated | hand-written | JAX | candle "
        "| generated ÷ hand-written | generated ÷ primal | hand-written ÷ primal | generated ÷ fastest peer |"
    )
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        t = r["t"]
        gp = ratio(t["generated"], t["primal"])
        hp = ratio(t["hand"], t["primal"])
        gp_limit = GEN_OVER_PRIMAL if hp is not None and hp <= GEN_OVER_PRIMAL else None
        peer = ratio(t["generated"], best_peer(t))
        peer_limit = LARGE_OVER_PEER if r["class"] == "large" else 1.0
        w(
            f"| {r['title']} | {size_label(r['dims'], r['size'])} | "
            + " | ".join(fmt_us(t[i]) for i in IMPLS)
            + f" | {fmt_ratio(ratio(t['generated'], t['hand']), GEN_OVER_HAND)}"
            + f" | {fmt_ratio(gp, gp_limit)} | {fmt_ratio(hp)} | {fmt_ratio(peer, peer_limit)} |"
        )
    w("")
    w(
        "✗ marks a ratio past its target. **primal**: the original function under `#[grad]`. "
        "**generated**: `<f>_grad` (batch norm, a matrix-valued function: `batch_norm_pullback` "
        "and one pull of the cotangent G). **hand-written**: the seed's closed form with in-place "
        "`gemm`/`gemv`, transposes as strided views, buffers reused "
        "(`benches/workloads/`, checked against the generated gradients by "
        "`tests/bench_workloads.rs`). **JAX**: `jax.jit(jax.value_and_grad(f))` (batch norm: "
        "`jax.vjp` and one pull, jitted), CPU, float64. **candle**: the forward pass on `Var`s "
        "and `backward()` (batch norm: the gradient of ⟨Y, G⟩), CPU, f64. The Rust times are "
        "criterion's medians; the peers' are the median of batches timed the same way "
        "(`peers/`). The fastest peer is the faster of JAX and candle."
    )
    w("")
    w("## Targets")
    w("")
    w("| target | met | misses |")
    w("| --- | ---: | --- |")
    for description, met, total, misses in targets(rows, allocations):
        miss_text = ", ".join(misses) if misses else "—"
        w(f"| {description} | {met} / {total} | {miss_text} |")
    w("")
    out.extend(render_misses(rows, allocations, profiles or {}))
    w("## What the generated code does to be fast")
    w("")
    for item in FAST:
        w(f"- {item}")
    w("")
    w("## Heap allocations per call")
    w("")
    w(
        "Counted by a global allocator (`benches/allocations.rs`; `alloc`, `alloc_zeroed` and "
        "`realloc` each count one), one call after a warm-up call, the returned value and "
        "gradients included. Large products allocate packing buffers inside the library "
        "that computes them (matrixmultiply for nalgebra's, the gemm crate for the runtime's), "
        "on both sides. *With a workspace*: `_grad_with` (batch norm: `_pullback_with`, "
        "`#[grad(.., workspace)]`) in a workspace two calls warm, the third call counted: what "
        "remains is the product libraries' packing buffers, a loop's own vectors, buffers lent "
        "to `#[vjp]` rules and the factorisations' buffers (README, \"Repeated calls without "
        "allocating\")."
    )
    w("")
    w("| workload | size | primal | generated | with a workspace | hand-written | generated bytes | hand-written bytes |")
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        a = {
            i: allocations.get((r["workload"], r["size"], i))
            for i in ("primal", "generated", "workspace", "hand")
        }
        if not any(a.values()):
            continue

        def n(i, field="allocations"):
            return f"{a[i][field]:,}" if a[i] else "—"

        mark = " ✗" if a["generated"] and a["hand"] and a["generated"]["allocations"] > a["hand"]["allocations"] else ""
        w(
            f"| {r['title']} | {size_label(r['dims'], r['size'])} | {n('primal')} | "
            f"{n('generated')}{mark} | {n('workspace')} | {n('hand')} | {n('generated', 'bytes')} | {n('hand', 'bytes')} |"
        )
    w("")
    w("## Do the peers compute the same thing?")
    w("")
    w(
        "All implementations read the same inputs, bit for bit (a splitmix64 hash of the entry's "
        "index, `benches/workloads/data.rs`, reimplemented in `peers/`). Each peer reports its "
        "value and gradient norm for every case; the largest relative difference from the "
        f"`#[grad]` ones:"
    )
    w("")
    agreement = peer_agreement(peers, allocations)
    if agreement:
        for impl, (worst, bad) in sorted(agreement.items()):
            verdict = "agrees" if not bad else f"**differs** on {', '.join(bad)}"
            w(f"- {IMPL_NAMES[impl]}: {worst:.1e} ({verdict}, tolerance {AGREE:g})")
    else:
        w("- no peer results or no allocation/value results to compare")
    w("")
    out.extend(loop_report.render_ratios(results))
    out.extend(loop_report.render_checkpoint(results))
    out.extend(render_factorisations(factorisations))
    out.extend(render_compile_cost(compile_cost, cpus, long_functions))
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--target-dir",
        default=os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"),
        help="cargo's target directory (default: $CARGO_TARGET_DIR, else ./target)",
    )
    parser.add_argument("--docs", default=os.path.join(ROOT, "docs"))
    opts = parser.parse_args()
    results = os.path.join(opts.target_dir, "bench-results")
    times = load_criterion(opts.target_dir)
    peers = load_peers(results)
    allocations = load_allocations(results)
    meta_path = os.path.join(results, "meta.json")
    meta = read_json(meta_path) if os.path.exists(meta_path) else {}
    if not times and not peers:
        sys.exit(f"no results under {opts.target_dir}: run scripts/bench.sh first")
    rows = build_rows(times, peers)
    os.makedirs(opts.docs, exist_ok=True)
    chart_name = "performance.svg"
    drawn = chart(rows, os.path.join(opts.docs, chart_name))
    compile_cost = load_compile_cost(results)
    profiles = load_profiles(results)
    long_functions = load_compile_long(results)
    factorisations = load_factorisations(opts.target_dir, results)
    text = render(
        rows,
        allocations,
        peers,
        meta,
        machine(),
        chart_name,
        compile_cost,
        profiles,
        long_functions,
        factorisations,
        results,
    )
    path = os.path.join(opts.docs, "PERFORMANCE.md")
    previous = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            previous = f.read()
    text = second_order_report.splice(text, previous, opts.target_dir)
    text = loop_report.keep_compile_cost(text, previous)
    text = across_runs.insert(text, os.path.join(opts.docs, "performance"))
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    missing = [
        f"{r['workload']}/{r['size']}/{i}" for r in rows for i in IMPLS if r["t"][i] is None
    ]
    if missing:
        print(f"missing results: {', '.join(missing)}", file=sys.stderr)
    print(f"wrote {path}" + (f" and {os.path.join(opts.docs, chart_name)}" if drawn else ""))


if __name__ == "__main__":
    main()
