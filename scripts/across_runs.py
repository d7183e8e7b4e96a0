"""The section of docs/PERFORMANCE.md that puts this run beside the earlier ones kept in
docs/performance/ (issue 13, item 6): per case, generated ÷ hand-written and generated ÷ the
fastest peer in every run, their median and their spread (least–greatest), and which machine
and commit each run was.

The earlier runs are read back from their pages (the "Median time per call" table and the
"Machine" list that scripts/perf_report.py wrote), so a run keeps counting once its page is
archived, and nothing but the pages needs keeping. The runs differ in machine and in commit:
the spread is of both, and the run list says which is which."""

import glob
import os
import re
import statistics

TABLE_HEAD = "| workload | size | primal | generated | hand-written | JAX | candle |"
SECTION = "## Across runs and machines"
BEFORE = "## Where the misses come from"


def cpu_generation():
    """The CPU's vendor, family and model from /proc/cpuinfo, with the microarchitecture
    where the family says it (AMD: family 25 is Zen 3 or Zen 4 by model, 26 is Zen 5), e.g.
    "family 25, model 17: Zen 4"; None where /proc/cpuinfo is not there."""
    fields = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    break
                if ":" in line:
                    k, v = line.split(":", 1)
                    fields[k.strip()] = v.strip()
    except OSError:
        return None
    if "cpu family" not in fields or "model" not in fields:
        return None
    family, model = int(fields["cpu family"]), int(fields["model"])
    text = f"family {family}, model {model}"
    if fields.get("vendor_id") == "AuthenticAMD":
        zen4 = 0x10 <= model <= 0x1F or 0x60 <= model <= 0x7F or 0xA0 <= model <= 0xAF
        name = {25: "Zen 4" if zen4 else "Zen 3", 26: "Zen 5"}.get(family)
        if name:
            text += f": {name}"
    return text


def number(cell):
    """A table cell as a float (thousands separated by commas), None for "–" or empty."""
    cell = cell.replace(",", "").replace("✗", "").strip()
    try:
        return float(cell)
    except ValueError:
        return None


def parse(text, label):
    """One report page: when and where it ran, and its medians per (workload, size)."""
    run = {"label": label, "cpu": "?", "features": "", "finished": "?", "commit": "?", "cases": {}}
    m = re.search(r"finished (\d{4}-\d\d-\d\d [\d:]+) UTC at commit `([0-9a-f]+)", text)
    if m:
        run["finished"], run["commit"] = m.group(1), m.group(2)
    m = re.search(r"^- CPU: (.*?), \d+ CPUs", text, re.M)
    if m:
        run["cpu"] = m.group(1)
    note = text.split("\n", 1)[0]
    m = re.search(r"family \d+, model \d+(: Zen \d)?", note)
    if m and "family" not in run["cpu"]:
        # Pages written before the CPU line named the family: the archive's note does.
        run["cpu"] += f" ({m.group(0)})"
    m = re.search(r"^- vector features: (.*)$", text, re.M)
    if m:
        run["features"] = m.group(1)
    elif "without AVX-512" in text.split("\n", 1)[0]:
        run["features"] = "no AVX-512 (the page's note; its features were not recorded)"
    lines = text.splitlines()
    if TABLE_HEAD not in "\n".join(lines):
        return run
    start = next(i for i, line in enumerate(lines) if line.startswith(TABLE_HEAD)) + 2
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        gen, hand, jax, candle = (number(c) for c in cells[3:7])
        run["cases"][(cells[0], cells[1])] = {"gen": gen, "hand": hand, "jax": jax, "candle": candle}
    return run


def simd(features):
    """The widest vector instructions the kernels pick from the features a page lists."""
    if not features or features.startswith("no "):
        return features or "not recorded"
    return "AVX-512" if "avx512f" in features else "AVX2" if "avx2" in features else "SSE"


def ratios(case):
    """generated ÷ hand-written and generated ÷ the fastest peer (None where missing)."""
    gen, hand = case["gen"], case["hand"]
    peers = [p for p in (case["jax"], case["candle"]) if p]
    return (
        gen / hand if gen and hand else None,
        gen / min(peers) if gen and peers else None,
    )


def spread(values):
    """The median and the least–greatest of the values present, as text."""
    values = [v for v in values if v is not None]
    if not values:
        return "–", "–"
    if len(values) == 1:
        return f"{values[0]:.2f}", "one run"
    return f"{statistics.median(values):.2f}", f"{min(values):.2f}–{max(values):.2f}"


def runs(current_text, archive):
    """This run, then the archived runs, newest first."""
    archived = []
    for path in glob.glob(os.path.join(archive, "*.md")):
        with open(path, encoding="utf-8") as f:
            archived.append(parse(f.read(), os.path.basename(path)[:-3]))
    archived.sort(key=lambda r: r["finished"], reverse=True)
    current = parse(current_text, "this run")
    # A page archived before this run was rendered is this run again.
    same = (current["finished"], current["commit"])
    archived = [r for r in archived if (r["finished"], r["commit"]) != same]
    return [r for r in [current] + archived if r["cases"]]


def table(all_runs, which, title):
    """One table: a row per case, a column per run, then the median and the spread."""
    out = [
        f"**{title}**",
        "",
        "| workload | size | " + " | ".join(f"run {k + 1}" for k in range(len(all_runs))) + " | median | least–greatest |",
        "| --- | --- | " + " | ".join("---:" for _ in all_runs) + " | ---: | ---: |",
    ]
    for key in all_runs[0]["cases"]:
        values = []
        for run in all_runs:
            case = run["cases"].get(key)
            values.append(ratios(case)[which] if case else None)
        median, least_greatest = spread(values)
        cells = ["–" if v is None else f"{v:.2f}" for v in values]
        out.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + f" | {median} | {least_greatest} |")
    return out


def counts(all_runs):
    """Per run: the cases with generated ÷ hand-written ≤ 1.10, and those faster than both
    peers, over the cases the run has."""
    out = []
    for k, run in enumerate(all_runs):
        pairs = [ratios(c) for c in run["cases"].values()]
        hand = [r for r, _ in pairs if r is not None]
        peer = [p for _, p in pairs if p is not None]
        out.append(
            f"run {k + 1}: generated ÷ hand-written ≤ 1.10 at {sum(r <= 1.10 for r in hand)} of "
            f"{len(hand)} cases, faster than the fastest peer at {sum(p < 1 for p in peer)} of {len(peer)}"
        )
    return out


def same_machine(all_runs):
    """For each CPU with two runs or more, how far apart its two newest runs put generated ÷
    hand-written, over the cases both have: the run-to-run noise of that machine (plus what
    changed between their commits), as text lines."""
    out = []
    for cpu in dict.fromkeys(r["cpu"] for r in all_runs):
        runs_of = [(k, r) for k, r in enumerate(all_runs) if r["cpu"] == cpu]
        if len(runs_of) < 2 or "family" not in cpu:
            continue
        (a, ra), (b, rb) = runs_of[:2]
        apart = []
        for key, case in ra["cases"].items():
            other = rb["cases"].get(key)
            x, y = ratios(case)[0], ratios(other)[0] if other else None
            if x and y:
                apart.append((max(x, y) / min(x, y) - 1, key))
        if not apart:
            continue
        apart.sort()
        widest = ", ".join(f"{w} {s} {100 * d:.0f} %" for d, (w, s) in reversed(apart[-3:]))
        out.append(
            f"{cpu}, runs {a + 1} and {b + 1} (`{ra['commit']}`, `{rb['commit']}`): generated ÷ "
            f"hand-written differs by a median of {100 * statistics.median(d for d, _ in apart):.0f} % "
            f"over {len(apart)} cases; most: {widest}"
        )
    return out


def section(current_text, archive):
    """The section's markdown lines (none when no run is parsed)."""
    all_runs = runs(current_text, archive)
    if not all_runs:
        return []
    out = [
        SECTION,
        "",
        "This run beside the earlier ones kept in docs/performance/ (issue 13, item 6), read back "
        "from their pages by `scripts/across_runs.py`. Each run's numbers are criterion medians; "
        "the median and the least–greatest here are over the runs. The runs differ in machine "
        "*and* in commit (the code got faster between them, and the peers' times moved between "
        "runs on one machine), so a wide spread says \"depends on the machine or the version\", "
        "and the newest runs say what the current code does.",
        "",
        "| run | finished | commit | CPU | SIMD | page |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for k, run in enumerate(all_runs):
        page = "docs/PERFORMANCE.md" if run["label"] == "this run" else f"docs/performance/{run['label']}.md"
        out.append(
            f"| {k + 1} | {run['finished']} | `{run['commit']}` | {run['cpu']} | "
            f"{simd(run['features'])} | {page} |"
        )
    out += [""] + [f"- {line}" for line in counts(all_runs)] + [""]
    noise = same_machine(all_runs)
    if noise:
        out += [
            "Two runs on one machine, one after the other, say how much a single run's ratio "
            "moves by itself (both are 2-vCPU virtual machines shared with other guests), plus "
            "whatever changed between their commits:",
            "",
        ] + [f"- {line}" for line in noise] + [""]
    out += table(all_runs, 0, "Generated ÷ hand-written") + [""]
    out += table(all_runs, 1, "Generated ÷ the fastest peer (JAX or candle)") + [""]
    return out


def insert(text, archive):
    """`text` with the section placed before "Where the misses come from" (at the end if that
    heading is missing)."""
    lines = section(text, archive)
    if not lines:
        return text
    block = "\n".join(lines) + "\n"
    at = text.find("\n" + BEFORE)
    if at < 0:
        return text.rstrip("\n") + "\n\n" + block
    return text[: at + 1] + block + "\n" + text[at + 1 :]
