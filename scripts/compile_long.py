#!/usr/bin/env python3
"""Compile time of one long #[grad] function against the same function without the
attribute, for a range of lengths (the long-function issue: a #[grad] function of 1 000 or
2 000 statements crashed rustc's debug build, and compile time grew quadratically).

For each N (default 125, 250, 500, 1000, 2000) it writes one function of N statements typical
of user code, mixing scalars and matrices (`let s3 = s2 * x + s1.sin();`, `let m4 = &m3 * w;`,
`let s5 = m4.norm_squared() + s4;`, ...) and returning a float, into two library crates of a
scratch workspace under <target>/compile-long/crates: `with` (under `#[grad(x, w, a)]`) and
`without` (the function alone). Both depend on a snapshot of the matgrad crates (the facade
and its path dependencies, from the working tree or from `--rev`), with the workspace's
Cargo.lock, so their dependencies are built once and edits to the workspace meanwhile change
nothing. Then, RUNS times, alternating, it touches each crate's lib.rs and times a full,
non-incremental `cargo build` (debug, the default profile; `--profile check` or `release` for
the others) and reports the medians and their ratio. A rustc that crashes (the stack
overflow in LLVM's debug-info pass) is reported as "crash (stack overflow)" for that N and
not run again.

Then (unless --no-phases) one more compilation of each crate per N with rustc's
`-Z time-passes` (RUSTC_BOOTSTRAP=1, in a target directory of its own: for this measurement
only, never the library's build) shows where the time goes; the macro's own expansion is
`expand_crate` with the attribute minus without.

    python3 scripts/compile_long.py [--sizes 125,250,500,1000,2000] [--runs 3]
        [--profile debug] [--no-phases] [--json out.json] [--rev HEAD | --matgrad DIR]
    python3 scripts/compile_long.py --print-source 20     # the generated function

$CARGO_TARGET_DIR (default ./target) is the target directory; --work puts the scratch
workspace elsewhere. Run one measurement at a time, on an otherwise idle machine: the times
are wall-clock.
"""

import argparse
import datetime
import json
import os
import random
import resource
import re
import shutil
import statistics
import subprocess
import sys
import time

from compile_cost import commit  # the short commit, marked when the tree has changes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROFILES = {"check": ["check"], "debug": ["build"], "release": ["build", "--release"]}
VARIANTS = ("without", "with")
# The phases of rustc's `-Z time-passes` that are reported, in order.
PHASES = [
    "expand_crate",
    "type_check_crate",
    "MIR_borrow_checking",
    "MIR_effect_checking",
    "monomorphization_collector_graph_walk",
    "codegen_crate",
    "LLVM_passes",
    "link",
    "total",
]
STACK_OVERFLOW = re.compile(r"overflowed its stack|stack overflow", re.I)


def load():
    """The 1-, 5- and 15-minute load averages."""
    try:
        with open("/proc/loadavg", encoding="utf-8") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return ""


def cpu_name():
    """The CPU's model name, from lscpu or /proc/cpuinfo."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"^Model name:\s*(.+)$", out, flags=re.M)
        if m:
            return m.group(1).strip()
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), flags=re.M)
            return m.group(1).strip() if m else ""
    except OSError:
        return ""


# ---------------------------------------------------------------------------- the function


def statements(n, seed=1):
    """N `let` statements mixing scalars (`s<k>`, f64) and n×n matrices (`m<k>`), each reading
    the latest value of its kind (so every statement reaches the output) and one or two older
    ones; and the returned expression. Parameters: `x: f64`, `w` and `a`: `&DMatrix<f64>`."""
    rng = random.Random(seed)
    scalars, matrices = ["x"], ["m1"]
    out = ["let m1 = a * w;"]

    def older(pool):
        """One of the 8 values before the latest (the latest if it is alone)."""
        return pool[-2 - rng.randrange(min(len(pool) - 1, 8))] if len(pool) > 1 else pool[0]

    for k in range(2, n + 1):
        s, m = scalars[-1], matrices[-1]
        s2, m2 = older(scalars), older(matrices)
        kind = rng.randrange(10)
        if kind == 0:
            line, new = f"let s{k} = {s} * x + {s2}.sin();", "s"
        elif kind == 1:
            line, new = f"let m{k} = &{m} * w;", "m"
        elif kind == 2:
            line, new = f"let s{k} = {m}.norm_squared() + {s};", "s"
        elif kind == 3:
            line, new = f"let m{k} = &{m} + &{m2} * {s};", "m"
        elif kind == 4:
            line, new = f"let s{k} = ({s} - {s2}).tanh() * 0.5;", "s"
        elif kind == 5:
            line, new = f"let m{k} = {m}.component_mul(&{m2}) - w;", "m"
        elif kind == 6:
            line, new = f"let s{k} = {m}.dot(&{m2}) / (1.0 + {s} * {s});", "s"
        elif kind == 7:
            line, new = f"let m{k} = {m2}.transpose() * &{m};", "m"
        elif kind == 8:
            line, new = f"let s{k} = {m}.sum() * {s2} + {s}.cos();", "s"
        else:
            line, new = f"let m{k} = (&{m} - &{m2}) * 0.5;", "m"
        (scalars if new == "s" else matrices).append(f"{new}{k}")
        out.append(line)
    return out, f"{scalars[-1]} + {matrices[-1]}.sum()"


def source(n, annotated):
    """The crate's lib.rs: the function of N statements, under #[grad] or not."""
    body, result = statements(n)
    attr = "#[grad(x, w, a)]\n" if annotated else ""
    lines = "\n".join("    " + s for s in body)
    return (
        f"//! One function of {n} statements"
        + (" under #[grad].\n" if annotated else ", without #[grad].\n")
        + "#![allow(unused_imports, dead_code, clippy::all)]\n"
        + "use matgrad::grad;\nuse nalgebra::DMatrix;\n\n"
        + f"{attr}pub fn long(x: f64, w: &DMatrix<f64>, a: &DMatrix<f64>) -> f64 {{\n"
        + f"{lines}\n    {result}\n}}\n"
    )


# ---------------------------------------------------------------------------- the workspace


def write(path, text):
    """Writes `text` to `path` unless it is already there (so that cargo sees no change)."""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


TARGET_SECTIONS = re.compile(r"^\[\[(?:bench|example|test|bin)\]\]\n(?:[^\[\n][^\n]*\n|\n)*", re.M)
PATH_DEP = re.compile(r'\bpath\s*=\s*"([^"]+)"')
INCLUDE = re.compile(r'include_(?:str|bytes)!\(\s*"([^"]+)"\s*\)')


class Source:
    """The files of the workspace: the working tree, or a git revision (`--rev`)."""

    def __init__(self, rev=None):
        self.rev = rev

    def git(self, *args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True)
        if done.returncode != 0:
            sys.exit(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def read(self, rel):
        if self.rev is None:
            with open(os.path.join(ROOT, rel), "rb") as f:
                return f.read()
        return self.git("show", f"{self.rev}:{rel}")

    def exists(self, rel):
        if self.rev is None:
            return os.path.isfile(os.path.join(ROOT, rel))
        done = subprocess.run(["git", "cat-file", "-e", f"{self.rev}:{rel}"], cwd=ROOT, capture_output=True)
        return done.returncode == 0

    def files_under(self, rel_dir):
        if self.rev is None:
            out = []
            for d, _, files in os.walk(os.path.join(ROOT, rel_dir)):
                out += [os.path.relpath(os.path.join(d, f), ROOT) for f in files]
            return out
        listed = self.git("ls-tree", "-r", "--name-only", self.rev, "--", rel_dir or ".")
        return [l for l in listed.decode().splitlines() if l]


def path_crates(source):
    """The facade crate (ROOT) and every crate it reaches by `path = ".."` dependencies
    (development ones too: cargo loads them for the workspace), as paths relative to ROOT."""
    found, queue = [], [""]
    while queue:
        rel = queue.pop()
        if rel in found:
            continue
        found.append(rel)
        manifest = source.read(os.path.join(rel, "Cargo.toml")).decode("utf-8")
        for dep in PATH_DEP.findall(manifest):
            dep_rel = os.path.normpath(os.path.join(rel, dep))
            if not dep_rel.startswith("..") and source.exists(os.path.join(dep_rel, "Cargo.toml")):
                queue.append("" if dep_rel == "." else dep_rel)
    return found


def snapshot(work, rev=None):
    """Copies the matgrad crates (the facade and its path dependencies: manifests, src/,
    build.rs, README and the files their sources include_str!), from the working tree or
    from git revision `rev`, to <work>/matgrad (<work>/matgrad-<rev>), so that edits to the
    workspace during the measurement rebuild nothing; returns the copy's path. The copies'
    manifests lose their [[bench]]/[[example]]/[[test]]/[[bin]] sections (their files are not
    copied) and the workspace lists the copied crates only."""
    source = Source(rev)
    dest = os.path.join(work, "matgrad" + (f"-{re.sub(r'[^A-Za-z0-9_.-]', '_', rev)}" if rev else ""))
    crates = path_crates(source)
    paths = set()
    for crate in crates:
        for name in ("Cargo.toml", "README.md", "build.rs"):
            if source.exists(os.path.normpath(os.path.join(crate, name))):
                paths.add(os.path.normpath(os.path.join(crate, name)))
        for rel in source.files_under(os.path.join(crate, "src") if crate else "src"):
            paths.add(rel)
            if rel.endswith(".rs"):
                for inc in INCLUDE.findall(source.read(rel).decode("utf-8", errors="replace")):
                    included = os.path.normpath(os.path.join(os.path.dirname(rel), inc))
                    if source.exists(included):
                        paths.add(included)
    for rel in sorted(paths):
        data = source.read(rel)
        if os.path.basename(rel) == "Cargo.toml":
            text = TARGET_SECTIONS.sub("", data.decode("utf-8"))
            if rel == "Cargo.toml":
                members = ", ".join(json.dumps(c) for c in crates if c)
                text = re.sub(r"(?ms)^members\s*=\s*\[.*?\]", f"members = [{members}]", text)
            data = text.encode("utf-8")
        target = os.path.join(dest, rel)
        if os.path.exists(target):
            with open(target, "rb") as f:
                if f.read() == data:
                    continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
    return dest


def make_workspace(crates, matgrad):
    """The workspace <crates> with the crates `with` and `without`, both depending on the
    matgrad facade at `matgrad` (so that their dependencies are the same, built once)."""
    os.makedirs(crates, exist_ok=True)
    shutil.copy(os.path.join(ROOT, "Cargo.lock"), os.path.join(crates, "Cargo.lock"))
    write(
        os.path.join(crates, "Cargo.toml"),
        '[workspace]\nmembers = ["with", "without"]\nresolver = "2"\n',
    )
    for variant in VARIANTS:
        write(
            os.path.join(crates, variant, "Cargo.toml"),
            f'[package]\nname = "compile-long-{variant}"\nversion = "0.0.0"\nedition = "2021"\n'
            "publish = false\n\n[dependencies]\n"
            f"matgrad = {{ path = {json.dumps(matgrad)} }}\nnalgebra = \"0.35\"\n",
        )


def set_size(crates, n):
    for variant in VARIANTS:
        write(os.path.join(crates, variant, "src", "lib.rs"), source(n, variant == "with"))


def cargo(variant, profile, *rest):
    return ["cargo", *PROFILES[profile], "-p", f"compile-long-{variant}", *rest]


CRASH = re.compile(r"SIGSEGV|SIGABRT|SIGBUS|signal: \d+|internal compiler error")


def outcome(returncode, stderr, timed_out):
    """None for success, else what went wrong: "crash (stack overflow)", "crash (SIGSEGV)",
    "timeout" or "error" (a compile error)."""
    if timed_out:
        return "timeout"
    if returncode == 0:
        return None
    if STACK_OVERFLOW.search(stderr):
        return "crash (stack overflow)"
    m = CRASH.search(stderr)
    return f"crash ({m.group(0)})" if m else "error"


def children_cpu():
    """User + system CPU seconds of the finished child processes so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_build(args, cwd, env, timeout):
    """(seconds, failure or None, stderr, CPU seconds) of one build. The CPU time (cargo and
    rustc, all threads) is less disturbed than the wall time by other work on the machine."""
    cpu = children_cpu()
    start = time.perf_counter()
    try:
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        returncode, stderr, timed_out = done.returncode, done.stderr or "", False
    except subprocess.TimeoutExpired as e:
        stderr = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        returncode, timed_out = -1, True
    return time.perf_counter() - start, outcome(returncode, stderr, timed_out), stderr, children_cpu() - cpu


def timed_build(crates, variant, profile, env, timeout):
    """A full compilation of `variant` (its lib.rs touched): (seconds, failure, stderr, CPU s)."""
    os.utime(os.path.join(crates, variant, "src", "lib.rs"))
    return run_build(cargo(variant, profile, "--quiet"), crates, env, timeout)


def rustc_phases(crates, variant, profile, env, timeout):
    """({phase: seconds}, failure) of one compilation with `-Z time-passes`; the phases that
    ran before a crash are there."""
    os.utime(os.path.join(crates, variant, "src", "lib.rs"))
    args = ["cargo", "rustc", "--quiet", "-p", f"compile-long-{variant}"]
    args += {"check": ["--profile", "check"], "debug": [], "release": ["--release"]}[profile]
    _, failure, stderr, _ = run_build(args + ["--", "-Z", "time-passes"], crates, env, timeout)
    found = {}
    for m in re.finditer(r"^time:\s+([\d.]+);.*\s(\S+)\s*$", stderr, flags=re.M):
        found.setdefault(m.group(2), float(m.group(1)))
    return {p: found.get(p) for p in PHASES}, failure


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


# ---------------------------------------------------------------------------- main


def measure(opts):
    target = os.path.abspath(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"))
    work = os.path.abspath(opts.work or os.path.join(target, "compile-long"))
    crates = os.path.join(work, "crates")
    matgrad = os.path.abspath(opts.matgrad) if opts.matgrad else snapshot(work, opts.rev)
    make_workspace(crates, matgrad)
    env = dict(os.environ, CARGO_INCREMENTAL="0", CARGO_TARGET_DIR=os.path.join(work, "target"))
    for k in ("RUSTFLAGS", "RUSTC_BOOTSTRAP", "CARGO_BUILD_RUSTFLAGS", "RUST_MIN_STACK"):
        env.pop(k, None)
    sizes = opts.sizes
    # The dependencies, once, with the smallest function.
    set_size(crates, min(sizes))
    for variant in VARIANTS:
        print(f"$ {' '.join(cargo(variant, opts.profile))}  (dependencies)", file=sys.stderr, flush=True)
        done = subprocess.run(cargo(variant, opts.profile), cwd=crates, env=env, stdout=sys.stderr)
        if done.returncode != 0:
            sys.exit(f"the first build of {crates}/{variant} failed")
    rows = []
    for n in sizes:
        set_size(crates, n)
        times = {v: [] for v in VARIANTS}
        cpu = {v: [] for v in VARIANTS}
        failures = {v: None for v in VARIANTS}
        for k in range(opts.runs):
            for variant in VARIANTS if k % 2 == 0 else tuple(reversed(VARIANTS)):
                if failures[variant]:
                    continue  # a crash is deterministic: not run again
                t, failure, stderr, c = timed_build(crates, variant, opts.profile, env, opts.timeout)
                if failure:
                    failures[variant] = {"what": failure, "after_s": round(t, 2)}
                    lines = stderr.strip().splitlines()
                    tail = "\n".join([l for l in lines if l.startswith(("error", "note: rustc"))][:3])
                    print(f"N={n} {variant}: {failure} after {t:.1f} s\n{tail}", file=sys.stderr, flush=True)
                else:
                    times[variant].append(round(t, 3))
                    cpu[variant].append(round(c, 3))
                    print(f"N={n} {variant}: {t:.2f} s (CPU {c:.2f} s)", file=sys.stderr, flush=True)
        row = {
            "n": n,
            "times": times,
            "cpu": cpu,
            "median": {v: median(times[v]) for v in VARIANTS},
            "median_cpu": {v: median(cpu[v]) for v in VARIANTS},
            "failure": failures,
        }
        w, a = row["median"]["without"], row["median"]["with"]
        row["ratio"] = round(a / w, 2) if a and w else None
        w, a = row["median_cpu"]["without"], row["median_cpu"]["with"]
        row["ratio_cpu"] = round(a / w, 2) if a and w else None
        rows.append(row)
    phases = None
    if opts.phases:
        # `-Z time-passes` needs RUSTC_BOOTSTRAP=1, which changes the dependencies'
        # fingerprints: a target directory of its own.
        penv = dict(env, RUSTC_BOOTSTRAP="1", CARGO_TARGET_DIR=os.path.join(work, "target-time-passes"))
        set_size(crates, min(sizes))
        for variant in VARIANTS:
            print(f"$ RUSTC_BOOTSTRAP=1 {' '.join(cargo(variant, opts.profile))}  (dependencies)", file=sys.stderr, flush=True)
            subprocess.run(cargo(variant, opts.profile), cwd=crates, env=penv, stdout=sys.stderr)
        phases = []
        for n in sizes:
            set_size(crates, n)
            entry = {"n": n}
            for variant in VARIANTS:
                found, failure = rustc_phases(crates, variant, opts.profile, penv, opts.timeout)
                entry[variant] = {"phases": found, "failure": failure}
                print(f"N={n} {variant} -Z time-passes: {failure or ''} {found}", file=sys.stderr, flush=True)
            w = entry["without"]["phases"].get("expand_crate")
            a = entry["with"]["phases"].get("expand_crate")
            entry["macro_expansion_s"] = round(a - w, 3) if a is not None and w is not None else None
            phases.append(entry)
    return {
        "profile": opts.profile,
        "runs": opts.runs,
        "incremental": False,
        "matgrad": matgrad,
        "rev": opts.rev,
        "rows": rows,
        "phases": phases,
    }


def fmt(v, digits=2):
    return "—" if v is None else f"{v:.{digits}f}"


def table(out):
    """The results as text: the build times, then (with --phases) rustc's phases."""
    lines = [
        f"cargo {' '.join(PROFILES[out['profile']])} ({out['profile']} profile, not incremental), "
        f"median of {out['runs']} runs; {out['cpu']} ({out['cores']} cores), {out['rustc']}; "
        f"load {out['load_before']} → {out['load_after']}",
        "",
        f"{'N':>6}  {'without s':>9}  {'with s':>8}  {'ratio':>6}   {'CPU s: without':>14}  {'with':>6}  {'ratio':>6}  failure",
    ]
    for r in out["rows"]:
        fails = []
        for v in ("with", "without"):
            f = r["failure"][v]
            if f:
                fails.append(("" if v == "with" else "without: ") + f"{f['what']} after {f['after_s']:.1f} s")
        lines.append(
            f"{r['n']:>6}  {fmt(r['median']['without']):>9}  {fmt(r['median']['with']):>8}  "
            f"{fmt(r['ratio']):>6}   {fmt(r['median_cpu']['without']):>14}  {fmt(r['median_cpu']['with']):>6}  "
            f"{fmt(r['ratio_cpu']):>6}  {'; '.join(fails)}"
        )
    if out.get("phases"):
        shown = [
            ("expand_crate", "expansion"),
            ("type_check_crate", "typeck"),
            ("MIR_borrow_checking", "borrowck"),
            ("codegen_crate", "codegen"),
            ("LLVM_passes", "LLVM"),
            ("total", "total"),
        ]
        lines += [
            "",
            "rustc -Z time-passes, one build each, s (with #[grad] / without; typeck includes the",
            "coherence check, which type- and borrow-checks the functions returning impl Fn):",
            f"{'N':>6}  {'macro':>6}  " + "  ".join(f"{label:>13}" for _, label in shown) + "  failure",
        ]
        for e in out["phases"]:
            cells = []
            for key, _ in shown:
                a, w = e["with"]["phases"].get(key), e["without"]["phases"].get(key)
                cells.append(f"{fmt(a) + ' / ' + fmt(w):>13}")
            fail = e["with"]["failure"] or ""
            lines.append(f"{e['n']:>6}  {fmt(e['macro_expansion_s']):>6}  " + "  ".join(cells) + f"  {fail}")
        lines.append("(macro: expand_crate with − without, the macro's own expansion as rustc runs it)")
    return "\n".join(lines)


def short_rev(rev):
    """`rev` (e.g. HEAD) as a short commit hash."""
    done = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or rev


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="125,250,500,1000,2000", help="comma-separated N (default %(default)s)")
    parser.add_argument("--runs", type=int, default=3, help="timed builds per crate and N (default %(default)s)")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="debug", help="default %(default)s")
    parser.add_argument("--no-phases", dest="phases", action="store_false", help="skip rustc -Z time-passes")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a build is abandoned")
    parser.add_argument("--json", help="also write the results to this file as JSON")
    parser.add_argument("--work", help="the scratch directory (default <target>/compile-long)")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--rev", help="measure this git revision (e.g. HEAD) instead of the working tree")
    src.add_argument("--matgrad", help="depend on the matgrad facade in this directory instead of a snapshot")
    parser.add_argument("--print-source", type=int, metavar="N", help="print the annotated function of N statements and exit")
    opts = parser.parse_args()
    if opts.print_source:
        print(source(opts.print_source, True), end="")
        return
    opts.sizes = [int(s) for s in opts.sizes.split(",") if s.strip()]
    before = load()
    out = measure(opts)
    out.update(
        finished=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        commit=short_rev(opts.rev) if opts.rev else commit(),
        rustc=subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip(),
        cpu=cpu_name(),
        cores=os.cpu_count(),
        load_before=before,
        load_after=load(),
    )
    print(table(out))
    if opts.json:
        with open(opts.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)
        print(f"wrote {opts.json}")


if __name__ == "__main__":
    main()
