#!/usr/bin/env python3
"""Measures what #[grad] adds to compile time (issue 5) and writes
<target>/bench-results/compile_cost.json for scripts/perf_report.py:

1. expansion time per annotated function: the ignored test of
   matgrad-macros-core/tests/expansion_cost.rs (release), which runs the macro's `expand_grad` on
   every #[grad] function of examples/, benches/workloads/ and src/activations.rs;
2. a build with and without: the #[grad] functions of examples/*.rs, copied into a library
   crate twice under <target>/compile-cost/crates/ (`with`: as written; `without`: the
   #[grad] attributes deleted, the primal functions only), both depending on a copy of the
   matgrad crates (so that edits to the workspace meanwhile change nothing), dependencies
   built once; then, per profile (`cargo check`, debug and release `cargo build`),
   `touch src/lib.rs` and a compilation of each crate, alternating, RUNS times. The
   difference of the medians is what the macro costs: expansion plus compiling the
   generated code;
3. where that difference goes: rustc's `-Z time-passes` (expansion, type checking, borrow
   checking, monomorphization, code generation) of a debug build of each crate, RUNS times,
   with RUSTC_BOOTSTRAP=1 in a target directory of its own.

    python3 scripts/compile_cost.py [--runs N]

scripts/bench.sh runs it after the benchmarks. $CARGO_TARGET_DIR (default ./target) is the
target directory; the timed builds are not incremental (CARGO_INCREMENTAL=0), so each is a
full compilation of the crate.
"""

import argparse
import datetime
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRAD_LINE = re.compile(r"^\s*#\[(?:matgrad::)?grad(?:\(.*\))?\]\s*$")
# The cargo command of each measured profile.
PROFILES = {"check": ["check"], "debug": ["build"], "release": ["build", "--release"]}
# The phases of rustc's `-Z time-passes` that are recorded, in order.
PHASES = [
    "expand_crate",
    "type_check_crate",
    "MIR_borrow_checking",
    "monomorphization_collector_graph_walk",
    "codegen_crate",
    "LLVM_passes",
    "total",
]
VARIANTS = ("with", "without")


def load():
    """The 1-, 5- and 15-minute load averages, as bench.sh records them."""
    try:
        with open("/proc/loadavg", encoding="utf-8") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return ""


def run(args, cwd=ROOT, env=None):
    """Runs a command, its output to stderr; exits on failure."""
    print("$ " + " ".join(args), file=sys.stderr, flush=True)
    done = subprocess.run(args, cwd=cwd, env=env, stdout=sys.stderr)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(args)}")


def expansion(work):
    """Runs the ignored expansion-cost test (release) and returns its JSON."""
    out = os.path.join(work, "expansion.json")
    env = dict(os.environ, EXPANSION_COST_OUT=out)
    args = ["cargo", "test", "-p", "matgrad-macros-core", "--release", "--test", "expansion_cost", "--"]
    run(args + ["--ignored", "--exact", "expansion_time_per_function"], env=env)
    with open(out, encoding="utf-8") as f:
        return json.load(f)


def item_end(text, start):
    """The index just past the item starting at `start`: its closing brace, matched past
    comments and string literals."""
    depth, i, opened = 0, start, False
    while i < len(text):
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
            continue
        c = text[i]
        if c == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "{":
            depth, opened = depth + 1, True
        elif c == "}":
            depth -= 1
            if opened and depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced braces")


def grad_functions(text):
    """The #[grad] functions of a source file, each with its doc comment and attributes."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    out = []
    for n, line in enumerate(lines):
        if not GRAD_LINE.match(line):
            continue
        first = n
        while first > 0 and lines[first - 1].lstrip().startswith(("///", "#[")):
            first -= 1
        out.append(text[offsets[first] : item_end(text, offsets[n])])
    return out


def uses(text):
    """The file's top-level `use` declarations, except those of its own modules."""
    found = re.findall(r"^use [^;]*;", text, flags=re.M)
    return [u for u in found if not re.search(r"\b(crate|super|self)::", u)]


def write(path, text):
    """Writes `text` to `path` unless it is already there (so that cargo sees no change)."""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def crate_sources():
    """{module: (source file, header, [#[grad] functions])} for examples/*.rs."""
    modules = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*.rs"))):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        functions = grad_functions(text)
        if functions:
            name = os.path.splitext(os.path.basename(path))[0]
            modules[name] = (os.path.relpath(path, ROOT), "\n".join(uses(text)), functions)
    return modules


def strip_grad(function):
    """The function without its #[grad] attribute: the primal alone."""
    return "".join(l for l in function.splitlines(keepends=True) if not GRAD_LINE.match(l))


def snapshot(work):
    """Copies the matgrad crates (manifests, README, src/, benches/) to <work>/matgrad, so
    that edits to the workspace during the measurement do not rebuild them in a timed build;
    unchanged files keep their times. Returns the copy's path."""
    dest = os.path.join(work, "matgrad")
    paths = ["Cargo.toml", "README.md"]
    for crate in ("", "matgrad-macros", "matgrad-macros-core", "matgrad-runtime"):
        paths.append(os.path.join(crate, "Cargo.toml"))
        for sub in ("src", "benches"):
            top = os.path.join(ROOT, crate, sub)
            for d, _, files in os.walk(top):
                paths += [os.path.relpath(os.path.join(d, f), ROOT) for f in files]
    for rel in sorted(set(paths)):
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            write(os.path.join(dest, rel), f.read())
    return dest


def make_crates(work, matgrad, modules):
    """The workspace <work> with the crates `with` and `without`, depending on the matgrad
    crate at `matgrad`; returns the source lines and #[grad] functions of `with`."""
    os.makedirs(work, exist_ok=True)
    # The workspace's versions (cargo then drops the entries these crates do not use).
    shutil.copy(os.path.join(ROOT, "Cargo.lock"), os.path.join(work, "Cargo.lock"))
    write(
        os.path.join(work, "Cargo.toml"),
        '[workspace]\nmembers = ["with", "without"]\nresolver = "2"\n',
    )
    lines = 0
    for variant in VARIANTS:
        manifest = (
            f'[package]\nname = "compile-cost-{variant}"\nversion = "0.0.0"\nedition = "2021"\n'
            "publish = false\n\n[dependencies]\n"
            f"matgrad = {{ path = {json.dumps(matgrad)} }}\nnalgebra = \"0.35\"\n"
        )
        write(os.path.join(work, variant, "Cargo.toml"), manifest)
        lib = [
            "//! The #[grad] functions of examples/*.rs"
            + (" with the attributes deleted." if variant == "without" else "."),
            "#![allow(unused_imports, dead_code, clippy::all)]",
        ]
        for name, (source, header, functions) in modules.items():
            lib.append(f"pub mod {name};")
            if variant == "without":
                functions = [strip_grad(f) for f in functions]
            text = f"//! From {source}.\n\n{header}\n\n" + "\n\n".join(functions) + "\n"
            write(os.path.join(work, variant, "src", f"{name}.rs"), text)
            lines += text.count("\n") if variant == "with" else 0
        write(os.path.join(work, variant, "src", "lib.rs"), "\n".join(lib) + "\n")
    return lines, sum(len(f) for _, _, f in modules.values())


def cargo(variant, profile, *rest):
    """The cargo command that compiles `variant` in `profile`."""
    return ["cargo", *PROFILES[profile], "-p", f"compile-cost-{variant}", *rest]


def timed_build(work, variant, profile, env):
    """Seconds of compiling `variant` in `profile` after touching its lib.rs."""
    os.utime(os.path.join(work, variant, "src", "lib.rs"))
    start = time.perf_counter()
    done = subprocess.run(cargo(variant, profile, "--quiet"), cwd=work, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"the build of {work}/{variant} ({profile}) failed")
    return seconds


def rustc_phases(work, variant, env):
    """{phase: seconds} of one debug compilation of `variant`, from `-Z time-passes`."""
    os.utime(os.path.join(work, variant, "src", "lib.rs"))
    args = ["cargo", "rustc", "--quiet", "-p", f"compile-cost-{variant}", "--", "-Z", "time-passes"]
    done = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"cargo rustc -Z time-passes of {variant} failed:\n{done.stderr}")
    found = {}
    for m in re.finditer(r"^time:\s+([\d.]+);.*\s(\S+)\s*$", done.stderr, flags=re.M):
        found.setdefault(m.group(2), float(m.group(1)))
    return {p: found.get(p) for p in PHASES}


def phases(work, runs):
    """The median of each rustc phase, per crate, in a target directory of its own: `-Z` needs
    RUSTC_BOOTSTRAP=1, which would change the dependencies' fingerprints in the other."""
    env = dict(
        os.environ,
        CARGO_INCREMENTAL="0",
        RUSTC_BOOTSTRAP="1",
        CARGO_TARGET_DIR=os.path.join(os.path.dirname(work), "target-time-passes"),
    )
    env.pop("RUSTFLAGS", None)
    for variant in VARIANTS:
        run(cargo(variant, "debug"), cwd=work, env=env)
    samples = {v: [] for v in VARIANTS}
    for _ in range(runs):  # alternating, as the timed builds
        for variant in VARIANTS:
            samples[variant].append(rustc_phases(work, variant, env))
    return {
        v: {p: median([s[p] for s in samples[v]]) for p in PHASES} for v in VARIANTS
    }


def median(values):
    """The median of the values that are not None, or None."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def builds(work, runs):
    """The compile times of both crates in each profile ({profile: {variant: [seconds]}}),
    their medians, and the rustc phases of a debug build."""
    modules = crate_sources()
    crates = os.path.join(work, "crates")
    lines, functions = make_crates(crates, snapshot(work), modules)
    env = dict(os.environ, CARGO_INCREMENTAL="0", CARGO_TARGET_DIR=os.path.join(work, "target"))
    env.pop("RUSTFLAGS", None)
    for profile in PROFILES:  # dependencies, and a first build of each crate
        for variant in VARIANTS:
            run(cargo(variant, profile), cwd=crates, env=env)
    times = {p: {v: [] for v in VARIANTS} for p in PROFILES}
    for profile in PROFILES:
        for k in range(runs):
            for variant in VARIANTS if k % 2 == 0 else reversed(VARIANTS):
                t = timed_build(crates, variant, profile, env)
                times[profile][variant].append(round(t, 3))
                print(f"{profile} {variant}: {t:.2f} s", file=sys.stderr, flush=True)
    return {
        "modules": {name: source for name, (source, _, _) in modules.items()},
        "functions": functions,
        "source_lines": lines,
        "runs": runs,
        "incremental": False,
        "times": times,
        "median": {p: {v: median(times[p][v]) for v in VARIANTS} for p in PROFILES},
        "phases": phases(crates, runs),
    }


def commit():
    """The short commit, marked when the tree has uncommitted changes (as bench.sh does)."""
    def git(*args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    c = git("rev-parse", "--short", "HEAD")
    return c + (" (with uncommitted changes)" if c and git("status", "--porcelain") else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed builds per crate and profile")
    opts = parser.parse_args()
    target = os.path.abspath(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"))
    os.environ["CARGO_TARGET_DIR"] = target
    results = os.path.join(target, "bench-results")
    work = os.path.join(target, "compile-cost")
    os.makedirs(results, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    load_before = load()
    out = {"expansion": expansion(work), "build": builds(work, opts.runs)}
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    out.update(
        finished=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        commit=commit(),
        rustc=rustc,
        load_before=load_before,
        load_after=load(),
    )
    path = os.path.join(results, "compile_cost.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
