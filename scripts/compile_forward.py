#!/usr/bin/env python3
"""What `forward` adds to compile time (issue 11): the #[grad] functions of the examples and of
the benchmark workloads (SOURCES below, about two dozen), copied into a library crate three
times under <target>/compile-forward/crates/: `forward`, every attribute with `forward` among
its arguments (`#[grad(x, forward)]`, `#[grad(forward)]`); `plain`, every attribute without it;
`without`, the attributes deleted (the primal functions alone). All depend on a snapshot of
the matgrad crates (scripts/compile_cost.py's), dependencies built once; then, per profile
(`cargo check`, debug and release `cargo build`), `touch src/lib.rs` and a full (not
incremental) compilation of each crate, rotating the order, RUNS times; and rustc's
`-Z time-passes` of a debug build of each (RUNS times, RUSTC_BOOTSTRAP=1, a target directory
of its own). Writes <target>/bench-results/compile_forward.json for
scripts/second_order_report.py.

    python3 scripts/compile_forward.py [--runs N] [--profiles check,debug,release]

Run it on an idle machine: each release build of `forward` takes tens of seconds on 2 cores.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import compile_cost as cc  # noqa: E402

ROOT = cc.ROOT
# The files whose #[grad] functions are compiled: (module, path). Left out: examples/kalman.rs
# (its function takes the example's own `Model` type), examples/seed.rs (none), the scratch
# files examples/zz_*.rs.
SOURCES = [
    ("autoencoder", "examples/autoencoder.rs"),
    ("batchnorm", "examples/batchnorm.rs"),
    ("frobenius", "examples/frobenius.rs"),
    ("least_squares", "examples/least_squares.rs"),
    ("prml", "examples/prml.rs"),
    ("rnn", "examples/rnn.rs"),
    ("gru", "examples/gru.rs"),
    ("pca", "examples/pca.rs"),
    ("newton", "examples/newton.rs"),
    ("wl_least_squares", "benches/workloads/least_squares.rs"),
    ("wl_frobenius", "benches/workloads/frobenius.rs"),
    ("wl_prml", "benches/workloads/prml.rs"),
    ("wl_batch_norm", "benches/workloads/batch_norm.rs"),
    ("wl_rnn", "benches/workloads/rnn.rs"),
    ("wl_autoencoder", "benches/workloads/autoencoder.rs"),
]
VARIANTS = ("forward", "plain", "without")
ATTR = re.compile(r"^(\s*)#\[((?:matgrad::)?grad)(?:\((.*)\))?\]\s*$")


def attribute(line, variant):
    """The #[grad] attribute line of `variant`, or "" for `without`."""
    m = ATTR.match(line)
    if variant == "without":
        return ""
    indent, name, args = m.group(1), m.group(2), m.group(3) or ""
    names = [a.strip() for a in args.split(",") if a.strip() and a.strip() != "forward"]
    if variant == "forward":
        names.append("forward")
    return f"{indent}#[{name}" + (f"({', '.join(names)})" if names else "") + "]\n"


def variant_of(function, variant):
    lines = function.splitlines(keepends=True)
    return "".join(attribute(l, variant) if ATTR.match(l) else l for l in lines)


def modules():
    """{module: (path, header, [#[grad] functions])}."""
    out = {}
    for name, rel in SOURCES:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            text = f.read()
        out[name] = (rel, "\n".join(cc.uses(text)), cc.grad_functions(text))
    return out


def make_crates(work, matgrad, mods):
    """The workspace <work> with a crate per variant; returns the number of functions."""
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(ROOT, "Cargo.lock"), encoding="utf-8") as f:
        cc.write(os.path.join(work, "Cargo.lock"), f.read())
    members = ", ".join(f'"{v}"' for v in VARIANTS)
    cc.write(os.path.join(work, "Cargo.toml"), f'[workspace]\nmembers = [{members}]\nresolver = "2"\n')
    for variant in VARIANTS:
        manifest = (
            f'[package]\nname = "compile-forward-{variant}"\nversion = "0.0.0"\nedition = "2021"\n'
            "publish = false\n\n[dependencies]\n"
            f"matgrad = {{ path = {json.dumps(matgrad)} }}\nnalgebra = \"0.35\"\n"
            'rand = "0.9"\n'
        )
        cc.write(os.path.join(work, variant, "Cargo.toml"), manifest)
        lib = [f"//! The #[grad] functions of the examples and workloads, variant `{variant}`."]
        lib.append("#![allow(unused_imports, dead_code, clippy::all)]")
        for name, (source, header, functions) in mods.items():
            lib.append(f"pub mod {name};")
            body = "\n\n".join(variant_of(f, variant) for f in functions)
            text = f"//! From {source}.\n\n{header}\n\n{body}\n"
            cc.write(os.path.join(work, variant, "src", f"{name}.rs"), text)
        cc.write(os.path.join(work, variant, "src", "lib.rs"), "\n".join(lib) + "\n")
    return sum(len(f) for _, _, f in mods.values())


def cargo(variant, profile, *rest):
    return ["cargo", *cc.PROFILES[profile], "-p", f"compile-forward-{variant}", *rest]


def timed(work, variant, profile, env):
    os.utime(os.path.join(work, variant, "src", "lib.rs"))
    start = time.perf_counter()
    done = subprocess.run(cargo(variant, profile, "--quiet"), cwd=work, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"the build of {work}/{variant} ({profile}) failed")
    return round(seconds, 3)


def phases(work, runs, target):
    """{variant: {phase: median seconds}} of rustc's -Z time-passes, debug."""
    env = dict(os.environ, CARGO_INCREMENTAL="0", RUSTC_BOOTSTRAP="1", CARGO_TARGET_DIR=target)
    env.pop("RUSTFLAGS", None)
    for variant in VARIANTS:
        cc.run(cargo(variant, "debug"), cwd=work, env=env)
    samples = {v: [] for v in VARIANTS}
    for _ in range(runs):
        for variant in VARIANTS:
            os.utime(os.path.join(work, variant, "src", "lib.rs"))
            args = ["cargo", "rustc", "--quiet", "-p", f"compile-forward-{variant}", "--", "-Z", "time-passes"]
            done = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"-Z time-passes of {variant} failed:\n{done.stderr}")
            found = {}
            for m in re.finditer(r"^time:\s+([\d.]+);.*\s(\S+)\s*$", done.stderr, flags=re.M):
                found.setdefault(m.group(2), float(m.group(1)))
            samples[variant].append({p: found.get(p) for p in cc.PHASES})
    return {v: {p: cc.median([s[p] for s in samples[v]]) for p in cc.PHASES} for v in VARIANTS}


def snapshot(work):
    """scripts/compile_cost.py's snapshot of the matgrad crates, plus the files their sources
    include (`include_str!`: docs/catalogue.md)."""
    dest = cc.snapshot(work)
    for rel in ["docs/catalogue.md"]:
        if os.path.exists(os.path.join(ROOT, rel)):
            with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
                cc.write(os.path.join(dest, rel), f.read())
    return dest


def builds(work, runs, profiles):
    mods = modules()
    crates = os.path.join(work, "crates")
    functions = make_crates(crates, snapshot(work), mods)
    env = dict(os.environ, CARGO_INCREMENTAL="0", CARGO_TARGET_DIR=os.path.join(work, "target"))
    env.pop("RUSTFLAGS", None)
    for profile in profiles:  # dependencies, and a first build of each crate
        for variant in VARIANTS:
            cc.run(cargo(variant, profile), cwd=crates, env=env)
    times = {p: {v: [] for v in VARIANTS} for p in profiles}
    for profile in profiles:
        for k in range(runs):
            order = VARIANTS[k % 3 :] + VARIANTS[: k % 3]  # each variant first once in 3 runs
            for variant in order:
                t = timed(crates, variant, profile, env)
                times[profile][variant].append(t)
                print(f"{profile} {variant}: {t:.2f} s", file=sys.stderr, flush=True)
    return {
        "modules": {name: source for name, (source, _, _) in mods.items()},
        "functions": functions,
        "runs": runs,
        "times": times,
        "median": {p: {v: cc.median(times[p][v]) for v in VARIANTS} for p in profiles},
        "phases": phases(crates, runs, os.path.join(work, "target-time-passes")),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed builds per crate and profile")
    parser.add_argument("--profiles", default="check,debug,release")
    opts = parser.parse_args()
    profiles = [p for p in opts.profiles.split(",") if p]
    target = os.path.abspath(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"))
    results = os.path.join(target, "bench-results")
    work = os.path.join(target, "compile-forward")
    os.makedirs(results, exist_ok=True)
    load_before = cc.load()
    out = builds(work, opts.runs, profiles)
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    out.update(
        finished=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        commit=cc.commit(),
        rustc=rustc,
        cpus=os.cpu_count(),
        load_before=load_before,
        load_after=cc.load(),
    )
    path = os.path.join(results, "compile_forward.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
