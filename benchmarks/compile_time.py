"""Compile time of the seed MLP's training function, cold and warm, and where it goes.

The function: 20 inputs -> Dense(64, tanh) -> Dropout(0.5) -> Dense(64, tanh) ->
Dropout(0.5) -> Dense(2, softmax), mean squared error against one-hot targets, SGD
(lr 0.1, decay 1e-6, momentum 0.9, Nesterov) written as Keras 1.2 writes it, data in
shared variables and a minibatch index with givens (batch 32 of 1024), as in the Theano
tutorials. It is written at the symbolic level here (no clgraph.keras).

Every measurement runs in a new Python process (this script with --child) and times
from just before the graph is built (after `import clgraph`, timed apart) to the end of
the first call; later calls and, in the first run, one call with a new batch size (the
partial last minibatch of an epoch) are timed after that. Cold: empty CLGRAPH_CACHE_DIR,
POCL_CACHE_DIR and XDG_CACHE_HOME (pyopencl's generated argument code); warm: a new
process with the same folders filled. One more run, "binary only", keeps clgraph's disk
cache but empties PoCL's: does clgraph's stored program binary spare PoCL's compiler?
Phases are timed by wrapping clgraph's and pyopencl's functions (_compile_probe.py).
The children run with POCL_DEBUG=llvm,timing (stderr to a log) so that PoCL's own
compiler work (one work-group function + machine code per kernel and work-group shape)
can be charged to the phase that triggered it; that costs a few log lines per command.

Usage: python benchmarks/compile_time.py [--repeat 3] [--calls 30] [--profile]
       [--no-binary-only] [--keep DIR]
Run time: the cold compiles dominate (3 x ~15 s today on 2 cores); about a minute.
Each repeat also times a cold run without helper processes (CLGRAPH_COMPILE_WORKERS=0)
for comparison: the default starts helpers that generate kernel code in parallel.
Targets (from the issue): cold < 2 s, warm < 0.3 s. PyTensor's figures for the same
function (29 s with Numba / 42 s with C cold, about 2 s warm) are quoted, not measured.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _compile_probe import Probe  # noqa: E402

TARGET_COLD, TARGET_WARM = 2.0, 0.3
BATCH, N_SAMPLES, N_IN = 32, 1024, 20


# -- the model (child process) --------------------------------------------------------
def build_training_function(clgraph, T, RandomStreams, probe):
    """The seed MLP's training function at the Theano level; phases go to `probe`."""
    rng = np.random.RandomState(1234)

    def fshared(value, name):
        return clgraph.shared(np.asarray(value, dtype="float32"), name=name)

    with probe.phase("graph: data + weights (shared)"):
        data_x = fshared(rng.standard_normal((N_SAMPLES, N_IN)), "data_x")
        data_y = fshared(np.eye(2)[rng.randint(0, 2, N_SAMPLES)], "data_y")
        sizes = [(N_IN, 64), (64, 64), (64, 2)]
        params = []
        for k, (n_in, n_out) in enumerate(sizes):
            params.append(fshared(rng.uniform(-0.05, 0.05, (n_in, n_out)), f"W{k}"))
            params.append(fshared(np.zeros(n_out), f"b{k}"))
    with probe.phase("graph: forward + loss"):
        index = T.lscalar("index")
        x, y = T.matrix("x"), T.matrix("y")
        srng = RandomStreams(seed=1234)
        h = x
        for k in range(3):
            W, b = params[2 * k], params[2 * k + 1]
            z = T.dot(h, W) + b
            if k < 2:
                h = T.tanh(z)
                retain = 1.0 - 0.5  # Keras 1 Theano backend: x *= binomial(p=retain); x /= retain
                h = h * srng.binomial(h.shape, p=retain, dtype="float32") / retain
            else:
                h = T.nnet.softmax(z)
        loss = T.mean(T.mean(T.sqr(h - y), axis=-1))
    with probe.phase("graph: grad"):
        grads = clgraph.grad(loss, params)
    with probe.phase("graph: SGD updates"):
        # keras 1.2 optimizers.SGD.get_updates: lr, momentum, decay, iterations are variables
        iterations, lr = fshared(0.0, "iterations"), fshared(0.1, "lr")
        momentum, decay = fshared(0.9, "momentum"), fshared(1e-6, "decay")
        lr_t = lr * (1.0 / (1.0 + decay * iterations))
        updates = [(iterations, iterations + 1)]
        for p, g in zip(params, grads):
            m = fshared(np.zeros(p.get_value().shape), p.name + "_moment")
            v = momentum * m - lr_t * g  # velocity
            updates.append((m, v))
            updates.append((p, p + momentum * v - lr_t * g))  # nesterov
    givens = {x: data_x[index * BATCH:(index + 1) * BATCH], y: data_y[index * BATCH:(index + 1) * BATCH]}
    with probe.phase("function()"):
        fn = clgraph.function([index], loss, updates=updates, givens=givens)
    return fn


def kernel_summary(fn):
    """What the kernels are: family counts, OpenCL C size per family, and how many
    distinct bodies there are once each kernel's own name is taken out (kernels that
    differ only in name could be compiled once and launched with other arguments)."""
    families, chars, bodies = {}, {}, {}
    for k in fn.kernels:
        fam = getattr(k, "family", None) or "?"
        families[fam] = families.get(fam, 0) + 1
        chars[fam] = chars.get(fam, 0) + len(k.source)
        bodies.setdefault(k.source.replace(k.name, "KERNEL"), []).append(k.name)
    return {"families": families, "family_chars": chars,
            "kernel_family": {k.name: getattr(k, "family", None) or "?" for k in fn.kernels},
            "distinct_bodies": len(bodies), "same_body_groups": [g for g in bodies.values() if len(g) > 1]}


def child(args):
    t0 = time.perf_counter()
    import clgraph
    import clgraph.tensor as T
    from clgraph.tensor.random import RandomStreams
    import_s = time.perf_counter() - t0
    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
    probe = Probe(clgraph)
    probe.install()
    if profiler:
        profiler.enable()
    start = time.perf_counter()
    with probe.phase("device + context"):
        clgraph.device()
    fn = build_training_function(clgraph, T, RandomStreams, probe)
    with probe.phase("first call"):
        loss = fn(0)
    total = time.perf_counter() - start
    if profiler:
        profiler.disable()
    probe.uninstall()
    probe.mark("later calls")
    nb = N_SAMPLES // BATCH
    times = []
    for i in range(1, args.calls + 1):
        t = time.perf_counter()
        fn(i % nb)
        times.append(time.perf_counter() - t)
    # the last, partial minibatch of an epoch: 1000 rows -> index 31 reads 8 rows
    new_batch_s = None
    shared = {getattr(v, "name", None): v for v in getattr(fn, "_shared", [])}
    if args.new_batch and "data_x" in shared and "data_y" in shared:
        for name in ("data_x", "data_y"):
            shared[name].set_value(shared[name].get_value()[:N_SAMPLES - 24])
        probe.mark("call with a new batch size")
        t = time.perf_counter()
        fn(N_SAMPLES // BATCH - 1)
        new_batch_s = time.perf_counter() - t
        probe.mark("after")
    result = probe.report()
    result.update(import_s=import_s, total_s=total, loss=float(loss), n_kernels=len(fn.kernels),
                  later_call_s=statistics.median(times), new_batch_s=new_batch_s,
                  source_chars=sum(len(k.source) for k in fn.kernels),
                  program_chars=len(getattr(getattr(fn, "plan", None), "program_source", "") or ""),
                  device=str(clgraph.device()), compile_workers=clgraph.config.compile_workers,
                  cache_stats=dict(clgraph.cache.stats), **kernel_summary(fn))
    if profiler:
        import io
        import pstats
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(20)
        result["profile"] = out.getvalue()
        profiler.dump_stats(args.child + ".prof")  # for pstats: print_callees(...) and friends
    with open(args.child, "w") as fh:
        json.dump(result, fh)


# -- PoCL's own compiler log -------------------------------------------------------------
_TIMING = re.compile(r">>>\s+([\d.]+)\s+(s|ms|us|ns)\s+API: (\w+)")
_KERNEL = re.compile(r"kernel\.so file for kernel (\w+)")
_UNIT = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def _log_phase(path):
    """Where PoCL's work is charged: the top-level phase, or inside function() the
    innermost one (get_info(BINARIES), cl.Program.build from source, ...)."""
    parts = path.split("/")
    return parts[-1] if parts[0] == "function()" else parts[0]


def parse_pocl_log(path):
    """{phase: {'frontend': n, 'codegens': [(kernel, seconds)], 'wg_ir_s': s}} from a
    POCL_DEBUG=llvm,timing log whose phases are marked by our '@@ phase' lines. A
    codegen is PoCL turning one kernel into machine code for one work-group shape
    (work-group IR generation + LLVM code generation; 'llvm_codegen' includes both)."""
    phases, phase, kernel = {}, "before", None
    try:
        with open(path, errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return {}
    for line in lines:
        if line.startswith("@@ "):
            phase = _log_phase(line[3:].strip())
            continue
        entry = phases.setdefault(phase, {"frontend": 0, "codegens": [], "wg_ir_s": 0.0})
        m = _KERNEL.search(line)
        if m:
            kernel = m.group(1)
            entry["codegens"].append([kernel, 0.0])
        m = _TIMING.search(line)
        if m:
            secs = float(m.group(1)) * _UNIT[m.group(2)]
            if m.group(3) == "llvm_codegen" and entry["codegens"] and entry["codegens"][-1][0] == kernel:
                entry["codegens"][-1][1] += secs
            elif m.group(3) == "llvm_workgroup_ir_func_gen":
                entry["wg_ir_s"] += secs
        if "building from sources" in line:
            entry["frontend"] += 1
    return {k: v for k, v in phases.items() if v["codegens"] or v["frontend"]}


# -- parent ----------------------------------------------------------------------------
CHILD_TIMEOUT = 180  # seconds; PoCL 3.0 has hung (main thread in clWaitForEvents) here once


def run_child(dirs, log_path, extra=(), env_extra=None):
    """One measuring process with the cache folders `dirs` = (clgraph, pocl, xdg)."""
    cache_dir, pocl_dir, xdg_dir = dirs
    # XDG_CACHE_HOME: pyopencl's generated argument-setting code (pytools) is cached there
    env = dict(os.environ, CLGRAPH_CACHE_DIR=cache_dir, POCL_CACHE_DIR=pocl_dir, XDG_CACHE_HOME=xdg_dir,
               POCL_DEBUG="llvm,timing", **(env_extra or {}))
    out = log_path + ".json"
    exit_failure = None
    for attempt in (1, 2):
        if os.path.exists(out):
            os.remove(out)
        with open(log_path, "w") as err:
            try:
                proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", out, *extra],
                                      env=env, stdout=subprocess.PIPE, stderr=err, text=True,
                                      timeout=CHILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"  (a measuring process hung for {CHILD_TIMEOUT} s and was killed; see {log_path}; "
                      "retrying once)", flush=True)
                continue
        if proc.returncode != 0 and os.path.exists(out):
            # the measurement finished; the process died at exit (PoCL 3.0 has aborted with
            # "still have references to IRs - can't release LLVM context !" there)
            exit_failure = f"rc {proc.returncode} after the measurement was written"
        elif proc.returncode != 0:
            with open(log_path, errors="replace") as fh:
                tail = [ln for ln in fh.read().splitlines() if "POCL" not in ln and "***" not in ln]
            raise SystemExit(f"the child process failed (rc {proc.returncode}):\n{proc.stdout}\n"
                             + "\n".join(tail[-40:]))
        break
    else:
        raise SystemExit("the measuring process hung twice")
    with open(out) as fh:
        result = json.load(fh)
    result["exit_failure"] = exit_failure
    result["pocl"] = parse_pocl_log(log_path)
    result["pocl_cache_files"] = sum(len(f) for _, _, f in os.walk(pocl_dir))
    return result


def fmt(values, unit="s"):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    scale, u = (1e3, "ms") if unit == "ms" else (1.0, "s")
    med = statistics.median(values) * scale
    if len(values) == 1:
        return f"{med:.3f} {u}"
    return f"{med:.3f} {u} [{min(values) * scale:.3f}-{max(values) * scale:.3f}]"


def phase_rows(runs):
    """The phase names of all runs, each run's order kept (a phase that only some runs
    have, such as the disk cache store, goes after its predecessor in those runs)."""
    names = []
    for r in runs:
        prev = None
        for name in r["phases"]:
            if name not in names:
                names.insert(names.index(prev) + 1 if prev is not None else len(names), name)
            prev = name
    return names


def print_breakdown(cols):
    width = 30
    print(f"\n{'seconds; median [min-max]':52s}" + "".join(f"{c:>{width}s}" for c, _ in cols))
    print(f"{'TOTAL: graph building -> end of first call':52s}"
          + "".join(f"{fmt([r['total_s'] for r in rs]):>{width}s}" for _, rs in cols))
    for name in phase_rows([r for _, rs in cols for r in rs]):
        cells = [fmt([r["phases"].get(name) for r in rs]) for _, rs in cols]
        if name.strip().startswith("rest of") and all(
                max((r["phases"].get(name) or 0) for r in rs) < 0.002 for _, rs in cols):
            continue  # nothing unaccounted there
        print(f"{name:52s}" + "".join(f"{c:>{width}s}" for c in cells))
    for label, key, unit in [("import clgraph (numpy loaded before; not in TOTAL)", "import_s", "s"),
                             ("each later call (median of --calls)", "later_call_s", "ms"),
                             ("then a call with a new batch size (8 rows; run 1)", "new_batch_s", "s")]:
        print(f"{label:52s}" + "".join(f"{fmt([r[key] for r in rs], unit):>{width}s}" for _, rs in cols))


def step_of(r, kernel):
    return max((n for n in r["kernel_family"] if kernel.startswith(n)), key=len, default=kernel)


def family_of(r, kernel):
    """The family of a PoCL kernel name (a step's name, or a variant's: name + suffix)."""
    return r["kernel_family"].get(step_of(r, kernel), "?")


def print_pocl_work(label, r):
    pocl = r.get("pocl") or {}
    if not pocl:
        print(f"  {label}: PoCL compiled nothing (everything came from its cache)")
        return
    print(f"  {label}:")
    repeats = {n for g in r["same_body_groups"] for n in g[1:]}  # same body as an earlier kernel
    for phase, e in pocl.items():
        fams = {}
        for kernel, secs in e["codegens"]:
            f = fams.setdefault(family_of(r, kernel), [0, 0.0])
            f[0] += 1
            f[1] += secs
        total = sum(s for _, s in e["codegens"])
        front = f"{e['frontend']} source build (clang front end), " if e["frontend"] else ""
        detail = ", ".join(f"{fam} {n} ({secs:.2f} s)" for fam, (n, secs) in
                           sorted(fams.items(), key=lambda kv: -kv[1][1]))
        dup = [s for k, s in e["codegens"] if step_of(r, k) in repeats]
        print(f"    during {phase}: {front}{len(e['codegens'])} kernel code generations, {total:.2f} s"
              + (f": {detail}" if detail else ""))
        if dup:
            print(f"      of which {len(dup)} ({sum(dup):.2f} s) for kernels whose body repeats an earlier kernel's")


def print_counts(cold, warm, binary_only):
    r = cold
    c = r["counts"]
    fams = ", ".join(f"{f} {n}" for f, n in sorted(r["families"].items(), key=lambda kv: -kv[1]))
    kb = ", ".join(f"{f} {ch / 1e3:.0f} kB" for f, ch in sorted(r["family_chars"].items(), key=lambda kv: -kv[1]))
    print(f"\nkernels (len(fn.kernels)): {r['n_kernels']} ({fams})")
    print(f"  OpenCL C: {r['program_chars'] / 1e3:.0f} kB in the program ({kb})")
    groups = "; ".join(" = ".join(g) for g in r["same_body_groups"])
    print(f"  distinct kernel bodies once each kernel's name is taken out: {r['distinct_bodies']}"
          + (f" (identical: {groups})" if groups else ""))
    print(f"  Mako: {c['renders']} renders from {len(c['templates'])} template files, each compiled to Python "
          f"once per process ({', '.join(c['templates'])})")
    for label, x in (("cold", cold), ("warm", warm), ("binary only", binary_only)):
        if x is None:
            continue
        xc = x["counts"]
        print(f"  {label}: OpenCL programs built: {xc['programs_source']} from source, {xc['programs_binary']} "
              f"from a binary; get_info(BINARIES) calls: {xc['get_binaries']}; clgraph disk cache hits/misses: "
              f"{x['cache_stats'].get('hits')}/{x['cache_stats'].get('misses')}; "
              f"PoCL cache files afterwards: {x['pocl_cache_files']}")
    print(f"first call: {c['launches']} launches of {c['launched_kernels']} kernels; local sizes: "
          f"{', '.join(c['local_sizes'])}; {len(c['global_sizes'])} distinct global sizes")
    by_local = {}
    for name, _, local, _ in r["launch_list"]:
        key = "None" if local is None else str(tuple(local))
        by_local.setdefault(key, set()).add(family_of(r, name))
    print("  local size per family: " + "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in by_local.items()))
    print(f"  distinct (kernel, local size) pairs: {c['kernel_local_pairs']}: PoCL generates and compiles a "
          "work-group function per kernel and work-group shape at its first launch (unless its cache has it)")
    print("\nPoCL compiler work (from POCL_DEBUG=llvm,timing; kernel code generations by family):")
    print_pocl_work("cold run 1", cold)
    print_pocl_work("warm run 1", warm)
    if binary_only:
        print_pocl_work("binary only (clgraph's cache filled, PoCL's empty)", binary_only)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=30, help="later calls timed per process")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the first cold and warm runs (graph -> first call) and print the top")
    parser.add_argument("--no-binary-only", action="store_true",
                        help="skip the run with clgraph's cache filled and PoCL's empty")
    parser.add_argument("--keep", help="keep the cache folders and logs under this folder")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--new-batch", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    started = time.perf_counter()
    root = args.keep or tempfile.mkdtemp(prefix="clgraph-compile-time-")
    os.makedirs(root, exist_ok=True)

    def fresh(*names):
        paths = [os.path.join(root, n) for n in names]
        for d in paths:
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
        return paths

    cold, warm, alone, binary_only = [], [], [], None
    try:
        for k in range(args.repeat):
            dirs = fresh(f"clgraph{k}", f"pocl{k}", f"xdg{k}")
            extra = ["--calls", str(args.calls)] + (["--profile"] if args.profile and k == 0 else []) \
                + (["--new-batch"] if k == 0 else [])
            cold.append(run_child(dirs, os.path.join(root, f"cold{k}.log"), extra))
            warm.append(run_child(dirs, os.path.join(root, f"warm{k}.log"), extra))
            alone.append(run_child(fresh(f"clgraph-alone{k}", f"pocl-alone{k}", f"xdg-alone{k}"),
                                   os.path.join(root, f"alone{k}.log"), ["--calls", "1"],
                                   {"CLGRAPH_COMPILE_WORKERS": "0"}))
            print(f"run {k + 1}/{args.repeat}: cold {cold[-1]['total_s']:.3f} s, warm {warm[-1]['total_s']:.3f} s, "
                  f"cold without helper processes {alone[-1]['total_s']:.3f} s", flush=True)
        if not args.no_binary_only:
            (pocl_dir,) = fresh("pocl-empty")
            dirs = (os.path.join(root, "clgraph0"), pocl_dir, os.path.join(root, "xdg0"))
            binary_only = run_child(dirs, os.path.join(root, "binary-only.log"),
                                    ["--calls", str(args.calls), "--new-batch"])
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    print(f"\nclgraph compile time: the seed MLP's training function (20-64-64-2, tanh, dropout 0.5, softmax, "
          f"MSE, SGD with Nesterov momentum; minibatch {BATCH} of {N_SAMPLES} rows via givens)")
    print(f"device: {cold[0]['device']}; {args.repeat} cold and {args.repeat} warm runs, each a new process; "
          "cold = empty CLGRAPH_CACHE_DIR, POCL_CACHE_DIR and XDG_CACHE_HOME")
    print(f"PoCL honours POCL_CACHE_DIR: {'yes' if cold[0]['pocl_cache_files'] else 'NO (nothing written there)'}"
          f"; loss of the first call: {cold[0]['loss']:.6f} (cold) {warm[0]['loss']:.6f} (warm)")
    cols = [("cold", cold), ("warm", warm)] + ([("binary only (1 run)", [binary_only])] if binary_only else [])
    print_breakdown(cols)
    print_counts(cold[0], warm[0], binary_only)
    cold_med = statistics.median(r["total_s"] for r in cold)
    warm_med = statistics.median(r["total_s"] for r in warm)
    alone_med = statistics.median(r["total_s"] for r in alone)
    print(f"\ncold with the default helper processes ({cold[0]['compile_workers']}; their PoCL work is not in the "
          f"log above) / cold without (CLGRAPH_COMPILE_WORKERS=0), medians: {cold_med:.3f} s / {alone_med:.3f} s "
          f"= {cold_med / alone_med:.2f}")
    print(f"\ntargets: cold < {TARGET_COLD} s: {cold_med:.3f} s -> {'met' if cold_med < TARGET_COLD else 'NOT met'};"
          f" warm < {TARGET_WARM} s: {warm_med:.3f} s -> {'met' if warm_med < TARGET_WARM else 'NOT met'}")
    print("for scale (quoted from the issue, not measured here): PyTensor compiles this function in 29 s (Numba) "
          "or 42 s (C) cold and about 2 s warm")
    for k, r in enumerate(warm):
        misses = r["cache_stats"].get("misses")
        codegens = sum(len(e["codegens"]) for ph, e in r["pocl"].items() if ph != "call with a new batch size")
        if misses or codegens:
            print(f"WARNING: warm run {k + 1} was not warm: {misses} clgraph cache miss(es), {codegens} PoCL kernel "
                  "code generations (did the sources change between the runs?)")
    failures = [f"{label} run {k + 1}: {r['exit_failure']}" for label, rs in cols for k, r in enumerate(rs)
                if r.get("exit_failure")]
    if failures:
        print("processes that failed at exit, after their measurement: " + "; ".join(failures))
    if args.profile:
        for label, r in (("cold", cold[0]), ("warm", warm[0])):
            print(f"\n== cProfile, {label} run 1 (graph -> end of first call) ==\n{r.get('profile', '')}")
    print(f"benchmark wall time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
