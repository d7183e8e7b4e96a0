#!/usr/bin/env python3
"""Writes the "Second order" section of docs/PERFORMANCE.md (issue 11) and the compile-time
cost of `forward` in its "Compile-time cost" section, from the results of
scripts/bench_second_order.sh and scripts/compile_forward.py under <target>: criterion's
baselines second-order-run<k> (benches/second_order.rs), bench-results/second-order-interleaved-run<k>.json
(the same benchmark's interleaved ratios), second-order-jax-run<k>.json (peers/jax_second_order.py), second-order-num-dual-run<k>.json (peers/num-dual/),
second_order.json (our values), second-order-meta.json, second-order-profiles/ and
compile_forward.json.

Both parts sit between marker comments, so this rewrites them in place, and
scripts/perf_report.py, which writes the rest of the page, calls `splice` to keep them (or to
render them afresh when the results are in its target directory):

    python3 scripts/second_order_report.py [--target-dir DIR] [--docs DIR]
"""

import argparse
import glob
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import second_order_text as txt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = ("<!-- second-order: written by scripts/second_order_report.py -->", "<!-- /second-order -->")
COMPILE = ("<!-- forward-compile-time: written by scripts/second_order_report.py -->", "<!-- /forward-compile-time -->")
SECTION_BEFORE = "## Compile-time cost"
COMPILE_BEFORE = "### What keeps it low, and what it costs"
JVP_OVER_PRIMAL = 2.0
HVP_OVER_GRADIENT = 2.5
IMPLS = ["primal", "gradient", "jvp", "hvp"]


def pr():
    """scripts/perf_report.py, for its formatting helpers (imported late: it imports this)."""
    import perf_report

    return perf_report


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def median(values):
    values = [v for v in values or [] if v is not None]
    return statistics.median(values) if values else None


def load(target):
    """The results, or None before the first run: {"runs": k, "ours": {(workload, size,
    impl): [µs per run]}, "jax": {..}, "num_dual": {..}, "values", "jax_values", "hessians",
    "meta", "profiles"}."""
    results = os.path.join(target, "bench-results")
    meta_path = os.path.join(results, "second-order-meta.json")
    meta = read_json(meta_path) if os.path.exists(meta_path) else {}
    runs = int(meta.get("runs") or 0)
    if not runs:
        return None
    ours, jax, num_dual, inter = {}, {}, {}, {}
    for k in range(runs):
        path = os.path.join(results, f"second-order-interleaved-run{k + 1}.json")
        for row in read_json(path) if os.path.exists(path) else []:
            inter.setdefault((row["workload"], row["size"]), [None] * runs)[k] = row
        pattern = os.path.join(target, "criterion", "second_order_*", "*", "*", f"second-order-run{k + 1}", "benchmark.json")
        for path in glob.glob(pattern):
            bench = read_json(path)
            est = read_json(os.path.join(os.path.dirname(path), "estimates.json"))
            key = (bench["group_id"][len("second_order_") :], bench.get("value_str") or "", bench["function_id"])
            ours.setdefault(key, [None] * runs)[k] = est["median"]["point_estimate"] / 1000.0
        for name, into in (("jax", jax), ("num-dual", num_dual)):
            path = os.path.join(results, f"second-order-{name}-run{k + 1}.json")
            if not os.path.exists(path):
                continue
            data = read_json(path)
            for row in data["times"]:
                into.setdefault((row["workload"], row["size"], row["impl"]), [None] * runs)[k] = row["median_us"]
            if k == 0:
                meta.setdefault(f"{name}_data", data)
    values_path = os.path.join(results, "second_order.json")
    values = read_json(values_path) if os.path.exists(values_path) else {"cases": [], "hessian": None}
    jax_data, nd_data = meta.pop("jax_data", {}), meta.pop("num-dual_data", {})
    profiles = {}
    for path in glob.glob(os.path.join(results, "second-order-profiles", "*.txt")):
        workload, size, impl = os.path.basename(path)[: -len(".txt")].rsplit("-", 2)
        with open(path, encoding="utf-8") as f:
            profiles[(workload, size, impl)] = txt.parse_profile(f.read())
    return {
        "runs": runs,
        "ours": ours,
        "jax": jax,
        "num_dual": num_dual,
        "interleaved": inter,
        "values": {(c["workload"], c["size"]): c for c in values["cases"]},
        "jax_values": {(c["workload"], c["size"]): c for c in jax_data.get("values", [])},
        "hessians": {
            "ours": (values.get("hessian") or {}).get("hessian"),
            "jax": (jax_data.get("hessian") or {}).get("hessian"),
            "num-dual": (nd_data.get("hessian") or {}).get("hessian"),
        },
        "hessian_meta": values.get("hessian") or {},
        "meta": meta,
        "profiles": profiles,
    }


def per_run_ratio(a, b):
    """The median over runs of a[k] / b[k] (each ratio from one run), or None."""
    return median([x / y for x, y in zip(a or [], b or []) if x is not None and y])


def interleaved(data, name, size, key):
    """[ratio per run] of the interleaved measurement (None where a run has none)."""
    runs = data["interleaved"].get((name, size)) or []
    return [r.get(key) if r else None for r in runs]


def rel_diff(a, b):
    if a is None or b is None:
        return None
    return abs(a - b) / max(abs(b), 1e-300)


def agreement(data, name, size):
    """The largest relative difference of our values from JAX's for one case, or None."""
    ours, jax = data["values"].get((name, size)), data["jax_values"].get((name, size))
    if not ours or not jax:
        return None
    keys = ["value", "tangent", "grad_norm"] + (["hvp_norm"] if ours.get("hvp_norm") is not None else [])
    return max(rel_diff(ours[k], jax[k]) for k in keys)


def case_row(data, name, title, dims, size):
    """One workload at one size: medians over runs, ratios within runs, JAX's, agreement.
    JVP ÷ primal and HVP ÷ gradient are the interleaved measurement's (criterion's where a
    run has none)."""
    t = {i: data["ours"].get((name, size, i)) for i in IMPLS}
    j = {i: data["jax"].get((name, size, i)) for i in IMPLS}
    row = {
        "workload": name,
        "title": title,
        "size": size,
        "label": pr().size_label(dims, size),
        "t": {i: median(v) for i, v in t.items()},
        "runs": t,
        "jax": {i: median(v) for i, v in j.items()},
        "jvp_primal_runs": interleaved(data, name, size, "jvp_over_primal"),
        "hvp_gradient_runs": interleaved(data, name, size, "hvp_over_gradient"),
        "jvp_primal_criterion": per_run_ratio(t["jvp"], t["primal"]),
        "hvp_gradient_criterion": per_run_ratio(t["hvp"], t["gradient"]),
        "jvp_jax": per_run_ratio(t["jvp"], j["jvp"]),
        "hvp_jax": per_run_ratio(t["hvp"], j["hvp"]),
        "jax_jvp_primal": per_run_ratio(j["jvp"], j["primal"]),
        "jax_hvp_gradient": per_run_ratio(j["hvp"], j["gradient"]),
        "agree": agreement(data, name, size),
    }
    row["jvp_primal"] = median(row["jvp_primal_runs"]) or row["jvp_primal_criterion"]
    row["hvp_gradient"] = median(row["hvp_gradient_runs"]) or row["hvp_gradient_criterion"]
    return row


def workload_rows(data):
    """One row per workload and size ([`case_row`])."""
    return [
        case_row(data, name, title, dims, size)
        for name, title, _, dims, sizes in pr().WORKLOADS
        for size in sizes
    ]


def hessian_agreement(h):
    """Largest |ΔH| over max |H| of JAX's and num-dual's Hessians against ours."""
    ours = h.get("ours")
    out = {}
    for peer in ("jax", "num-dual"):
        other = h.get(peer)
        if ours and other and len(ours) == len(other):
            scale = max(abs(v) for v in ours)
            out[peer] = max(abs(a - b) for a, b in zip(ours, other)) / scale
    return out


def render_section(data):
    """The "Second order" section's lines (markers included)."""
    out = [SECTION[0]]
    w = out.append
    rows = workload_rows(data)
    txt.render_intro(w, data)
    txt.render_workloads(w, rows, JVP_OVER_PRIMAL, HVP_OVER_GRADIENT)
    txt.render_targets(w, rows, JVP_OVER_PRIMAL, HVP_OVER_GRADIENT)
    txt.render_hessian(w, data, hessian_agreement(data["hessians"]))
    txt.render_where(w, rows, data, JVP_OVER_PRIMAL, HVP_OVER_GRADIENT)
    txt.render_runs(w, rows, data)
    w(SECTION[1])
    return out


def load_compile(target):
    path = os.path.join(target, "bench-results", "compile_forward.json")
    return read_json(path) if os.path.exists(path) else None


def render_compile(cost):
    out = [COMPILE[0]]
    txt.render_compile(out.append, cost)
    out.append(COMPILE[1])
    return out


def block(text, markers):
    """The lines of a marked block of `text`, markers included, or None."""
    start = text.find(markers[0])
    end = text.find(markers[1], start)
    if start < 0 or end < 0:
        return None
    return text[start : end + len(markers[1])].split("\n")


def put(text, markers, lines, before):
    """`text` with its marked block replaced by `lines`, or `lines` inserted before the line
    `before` (at the end without it)."""
    new = "\n".join(lines)
    start = text.find(markers[0])
    end = text.find(markers[1], start)
    if start >= 0 and end >= 0:
        return text[:start] + new + text[end + len(markers[1]) :]
    at = text.find("\n" + before + "\n")
    if at < 0:
        return text.rstrip("\n") + "\n\n" + new + "\n"
    return text[: at + 1] + new + "\n\n" + text[at + 1 :]


def splice(text, previous, target):
    """`text` (a page scripts/perf_report.py rendered) with both blocks: rendered from the
    results under `target` where there are some, else kept from `previous` (the page before)."""
    data, cost = load(target), load_compile(target)
    section = render_section(data) if data else block(previous or "", SECTION)
    compile_lines = render_compile(cost) if cost else block(previous or "", COMPILE)
    if section:
        text = put(text, SECTION, section, SECTION_BEFORE)
    if compile_lines:
        text = put(text, COMPILE, compile_lines, COMPILE_BEFORE)
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--target-dir",
        default=os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"),
        help="cargo's target directory (default: $CARGO_TARGET_DIR, else ./target)",
    )
    parser.add_argument("--docs", default=os.path.join(ROOT, "docs"))
    opts = parser.parse_args()
    path = os.path.join(opts.docs, "PERFORMANCE.md")
    with open(path, encoding="utf-8") as f:
        previous = f.read()
    if not load(opts.target_dir) and not load_compile(opts.target_dir):
        sys.exit(f"no second-order results under {opts.target_dir}: run scripts/bench_second_order.sh")
    text = splice(previous, previous, opts.target_dir)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
