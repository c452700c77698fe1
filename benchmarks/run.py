#!/usr/bin/env python3
"""tplkit's own benchmarks: figures and ratios, never pass/fail.

    python3 benchmarks/run.py            # everything (about a minute on 2 cores)
    python3 benchmarks/run.py --quick    # shorter timing loops
    python3 benchmarks/run.py --only render,batch

Sections: ``render`` (per-template throughput of kit.render, the plain-Jinja runtime and
the naive pipeline), ``compile`` (first render cost per template x locale), ``lint``
(``tplkit lint`` on the built-in library, if tplkit.lint exists), ``startup`` (``tplkit
--help`` wall time and what it imports), ``memory`` (peak RSS of a kit with everything
compiled), ``batch`` (``tplkit batch --jobs 1`` vs ``--jobs 2`` from a prebuilt folder),
``loops`` (the cost of one more item in a per-recipient loop, ``bench_loops.py``),
``bytes`` (``RenderedEmail.to_bytes`` against ``bytes(to_message())`` on the realistic
corpus, each message a different one; not in the default set).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
# batch output goes to RAM when possible: the benchmark measures rendering, not the disk
OUT_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
HEAVY = ("jinja2", "babel", "mjml", "premailer", "lxml", "cssutils")


def throughput(fn, seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds`` (after one warm-up call)."""
    fn()
    n, t0 = 0, time.perf_counter()
    while True:
        for _ in range(50):
            fn()
        n += 50
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return n / elapsed


def table(rows: list[tuple], head: tuple) -> None:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, tuple("-" * w for w in widths), *rows]:
        print("  " + "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))))


def bench_render(seconds: float) -> None:
    import tplkit

    kit = tplkit.Kit()
    print("\n## render: msgs/s for the default sample (validation + subject, preheader, HTML, text)")
    rows = []
    for name in kit.template_names():
        ctx = kit.template(name).sample
        for loc in ("en", "uk"):
            compiled = kit.compile(name, loc)
            fast = throughput(lambda n=name, c=ctx, lo=loc: kit.render(n, c, locale=lo), seconds)
            values = compiled.schema.validate(ctx)
            jinja = throughput(lambda c=compiled, v=values: c.render_jinja(v), seconds)
            parts = throughput(lambda c=compiled, v=values: c.render_parts(v), seconds)
            rows.append((f"{name}/{loc}", f"{fast:,.0f}", f"{parts:,.0f}", f"{jinja:,.0f}",
                         f"{parts / jinja:.1f}x"))
    table(rows, ("template", "kit.render", "fast parts", "Jinja parts", "fast/Jinja"))
    name = "acknowledgement"
    ctx = kit.template(name).sample
    naive = throughput(lambda: kit.render_naive(name, ctx, locale="en"), seconds)
    fast = throughput(lambda: kit.render(name, ctx, locale="en"), seconds)
    print(f"  naive pipeline {name}/en: {naive:,.1f} msgs/s; kit.render is {fast / naive:,.0f}x faster")


def bench_compile() -> None:
    print("\n## compile: first render cost per template x locale (fresh kit; ms)")
    code = ("import json, time, tplkit\nkit = tplkit.Kit()\nout = {}\n"
            "for loc in kit.locales():\n    kit.environment(loc)\n"
            "for name in kit.template_names():\n    for loc in kit.locales():\n"
            "        t = time.perf_counter(); kit.compile(name, loc)\n"
            "        out[f'{name}/{loc}'] = (time.perf_counter() - t) * 1000\n"
            "print(json.dumps(out))\n")
    res = json.loads(subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True).stdout)
    names = sorted({k.split("/")[0] for k in res})
    locs = sorted({k.split("/")[1] for k in res})
    table([(n, *(f"{res[f'{n}/{loc}']:.0f}" for loc in locs)) for n in names], ("template", *locs))
    vals = list(res.values())
    print(f"  median {statistics.median(vals):.0f} ms, max {max(vals):.0f} ms, "
          f"all {len(vals)} in {sum(vals) / 1000:.1f} s (catalogs loaded beforehand)")


def bench_lint() -> None:
    print("\n## lint: `tplkit lint` on the built-in library")
    if importlib.util.find_spec("tplkit.lint") is None:
        print("  tplkit.lint does not exist here: skipped")
        return
    with tempfile.TemporaryDirectory() as cwd:
        t = time.perf_counter()
        res = subprocess.run([PY, "-m", "tplkit", "lint"], capture_output=True, text=True, cwd=cwd,
                             check=False)
        print(f"  {time.perf_counter() - t:.2f} s wall (exit {res.returncode})")


def bench_startup(runs: int = 7) -> None:
    print("\n## startup: `tplkit --help`")
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([PY, "-m", "tplkit", "--help"], capture_output=True, check=True)
        times.append((time.perf_counter() - t) * 1000)
    bare = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([PY, "-c", "pass"], capture_output=True, check=True)
        bare.append((time.perf_counter() - t) * 1000)
    res = subprocess.run([PY, "-X", "importtime", "-m", "tplkit", "--help"], capture_output=True,
                         text=True, check=False)
    imported = {line.split("|")[-1].strip().split(".")[0] for line in res.stderr.splitlines()
                 if line.startswith("import time:") and "|" in line}
    heavy = [m for m in HEAVY if m in imported]
    print(f"  median {statistics.median(times):.0f} ms wall over {runs} runs "
          f"(bare python3: {statistics.median(bare):.0f} ms); heavy modules imported: "
          f"{', '.join(heavy) or 'none'}")


def bench_memory() -> None:
    print("\n## memory: peak RSS of a kit with every template x locale compiled")
    code = ("import resource, tplkit\nkit = tplkit.Kit()\n"
            "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "n = 0\nfor name in kit.template_names():\n    for loc in kit.locales():\n"
            "        kit.render(name, kit.template(name).sample, locale=loc); n += 1\n"
            "print(n, base // 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n")
    n, base, peak = subprocess.run([PY, "-c", code], capture_output=True, text=True,
                                   check=True).stdout.split()
    print(f"  {n} compiled templates: peak RSS {peak} MB (after import: {base} MB)")
    code = code.replace("tplkit.Kit()", "tplkit.Kit.from_build({build!r}, check_sources=False)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([PY, "-m", "tplkit", "build", "-o", f"{tmp}/b"], capture_output=True, check=True)
        n, base, peak = subprocess.run([PY, "-c", code.replace("{build!r}", repr(f"{tmp}/b"))],
                                       capture_output=True, text=True, check=True).stdout.split()
    print(f"  the same from a build (no mjml/premailer): peak RSS {peak} MB")
    bench_memory_per_combination()


def bench_memory_per_combination(copies: int = 10) -> None:
    """What one compiled (template, locale) holds (tracemalloc), and what ~500 of them
    loaded cost each render through the garbage collector, with and without gc.freeze().

    Measured on one kit's distinct combinations: what several copies of one build share
    (one Schema per template, see tplkit.build) would flatter the figure. A throwaway kit
    first compiles one template in every locale, so imports and the per-process, per-locale
    caches (Babel's locale data) are out of it."""
    code = f"""
import gc, json, time, tracemalloc, tplkit
build = {{build!r}}
warm = tplkit.Kit.from_build(build, check_sources=False)
names, locs = warm.template_names(), warm.locales()
for loc in locs:                            # imports and one-off per-locale caches out of the figure
    warm.compile(names[-1], loc)
del warm
tracemalloc.start()
gc.collect()
before = tracemalloc.get_traced_memory()[0]
first = tplkit.Kit.from_build(build, check_sources=False)
n = 0
for name in names:
    for loc in locs:
        first.compile(name, loc); n += 1
gc.collect()
per = (tracemalloc.get_traced_memory()[0] - before) / n
tracemalloc.stop()
kits = [first] + [tplkit.Kit.from_build(build, check_sources=False) for _ in range({copies} - 1)]
for kit in kits[1:]:
    for name in names:
        for loc in locs:
            kit.compile(name, loc); n += 1
ctx = first.template("feedback-request").sample

def rate():
    t, k = time.perf_counter(), 0
    while time.perf_counter() - t < 0.5:
        for i in range(200):
            first.render("feedback-request", {{**ctx, "customer_name": f"Customer {{i}}"}}, locale="en")
        k += 200
    return k / (time.perf_counter() - t)

loaded, frozen = [], []
for _ in range(5):                          # alternated: the machine's drift hits both
    loaded.append(rate())
    gc.freeze()
    frozen.append(rate())
    gc.unfreeze()
print(json.dumps([n, per, sorted(loaded)[2], sorted(frozen)[2]]))
"""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([PY, "-m", "tplkit", "build", "-o", f"{tmp}/b"], capture_output=True, check=True)
        n, per, loaded, frozen = json.loads(subprocess.run(
            [PY, "-c", code.replace("{build!r}", repr(f"{tmp}/b"))], capture_output=True, text=True,
            check=True).stdout)
    print(f"  per compiled (template, locale), from a build: {per / 1e6:.3f} MB (tracemalloc, "
          f"{n // copies} distinct)")
    print(f"  kit.render feedback-request with {n} loaded: {loaded:,.0f} msgs/s; with gc.freeze(): "
          f"{frozen:,.0f} msgs/s ({frozen / loaded:.2f}x)")


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def parallel_headroom(n: int = 10_000_000) -> float:
    """How much faster two processes finish two pure-CPU loops than one process: what the
    machine can give right now (2.0 on two idle cores; less when others use them)."""
    import multiprocessing

    t = time.perf_counter()
    _spin(n), _spin(n)
    serial = time.perf_counter() - t
    with multiprocessing.Pool(2) as pool:
        t = time.perf_counter()
        pool.map(_spin, [n, n])
        parallel = time.perf_counter() - t
    return serial / parallel


def bench_batch(records: int, baseline: str | None = None, runs: int = 3) -> None:
    print(f"\n## batch: {records:,} acknowledgement records from a build, --jobs 1 vs --jobs 2 "
          f"({os.cpu_count()} cores), output on {OUT_DIR or 'the temp folder'}, median of {runs} "
          f"runs each (alternated)")
    print(f"  calibration: 2 processes vs 1 on a pure CPU loop: {parallel_headroom():.2f}x "
          f"(the most --jobs 2 can reach right now), load average {os.getloadavg()[0]:.1f}")
    trees = {"this tplkit": None, **({"baseline": baseline} if baseline else {})}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "records.jsonl"
        locs = ["en", "uk", "de", "ru"]
        with open(data, "w", encoding="utf-8") as f:
            f.writelines(json.dumps({"customer_name": f"Customer {i}", "ticket_id": f"SR-{i}",
                                    "request_url": f"https://help.example/r/{i}",
                                    "email": f"c{i}@example.com", "lang": locs[i % len(locs)]}) + "\n"
                        for i in range(records))
        for label, tree in trees.items():   # a build is tied to the tplkit that made it
            # run from the temp folder: `python -m` puts the working folder first on sys.path,
            # which from this checkout would run this tplkit under the baseline's name
            found = subprocess.run([PY, "-c", "import tplkit; print(tplkit.__file__)"], cwd=tmp,
                                   capture_output=True, text=True, check=True, env=_env(tree)).stdout
            expected = Path(tree).resolve() if tree else Path(__file__).resolve().parent.parent
            assert Path(found.strip()).resolve().is_relative_to(expected), (label, found)
            # an installed package has its bytecode compiled (pip does it); a checkout run
            # under PYTHONDONTWRITEBYTECODE would compile every module in every run
            subprocess.run([PY, "-m", "compileall", "-q", str(Path(found.strip()).parent)],
                           capture_output=True, check=True)
            subprocess.run([PY, "-m", "tplkit", "build", "-o", f"{tmp}/b-{label}"], capture_output=True,
                           check=True, env=_env(tree), cwd=tmp)
        for fmt in ("jsonl", "eml", "mbox"):
            walls: dict[tuple[str, int], list[float]] = {}
            cpus: dict[tuple[str, int], list[float]] = {}
            load = os.getloadavg()[0]
            for _ in range(runs):
                for jobs in (1, 2):
                    for label, tree in trees.items():   # alternated: the machine's drift hits both
                        out = tempfile.mkdtemp(dir=OUT_DIR) + "/out"
                        before = resource.getrusage(resource.RUSAGE_CHILDREN)
                        t = time.perf_counter()
                        subprocess.run([PY, "-m", "tplkit", "batch", "acknowledgement", "--data",
                                        str(data), "-o", out, "--build", f"{tmp}/b-{label}", "--format",
                                        fmt, "--jobs", str(jobs), "--locale-field", "lang"],
                                       capture_output=True, check=True, env=_env(tree), cwd=tmp)
                        walls.setdefault((label, jobs), []).append(time.perf_counter() - t)
                        after = resource.getrusage(resource.RUSAGE_CHILDREN)
                        cpus.setdefault((label, jobs), []).append(
                            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                        shutil.rmtree(Path(out).parent, ignore_errors=True)
            for label in trees:
                one, two = (statistics.median(walls[label, j]) for j in (1, 2))
                cpu1, cpu2 = (statistics.median(cpus[label, j]) for j in (1, 2))
                print(f"  {fmt:5s} {label:11s}: --jobs 1 {one:.2f} s ({records / one:,.0f} msgs/s), "
                      f"--jobs 2 {two:.2f} s ({records / two:,.0f} msgs/s): {one / two:.2f}x; "
                      f"CPU (user+sys, every process) {cpu1:.2f} s and {cpu2:.2f} s: "
                      f"{records / cpu1:,.0f} msgs per CPU-second with --jobs 1 (load average "
                      f"{load:.1f} before)")
    print(f"  calibration after: {parallel_headroom():.2f}x, load average {os.getloadavg()[0]:.1f}")


def _write_files(folder: str, linking: bool, count: int, tag: int) -> None:
    from tplkit.batchwriter import NewFiles

    data = b"x" * 4000                       # about an eml message's size
    with NewFiles(folder) as files:
        files.linking = files.linking and linking
        for i in range(count):
            files.write(f"{tag}-{i:08d}.eml", data)


def bench_files(count: int = 40_000, runs: int = 3) -> None:
    """Message files written by tplkit.batchwriter.NewFiles, by each of its routes, in one
    process and in two processes writing into one folder (what `batch --jobs 2` does)."""
    import multiprocessing

    from tplkit.batchwriter import NewFiles

    print(f"\n## eml message files: {count:,} a process, 1 process vs 2 into one folder, on "
          f"{OUT_DIR or 'the temp folder'}, median of {runs} runs (alternated)")
    ctx = multiprocessing.get_context("fork")
    for route, linking in (("O_TMPFILE + linkat", True), ("temporary name + rename", False)):
        if linking and not NewFiles(".").linking:
            print(f"  {route}: not available here")
            continue
        rates: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(runs):
            for procs in (1, 2):
                folder = tempfile.mkdtemp(dir=OUT_DIR)
                workers = [ctx.Process(target=_write_files, args=(folder, linking, count, k))
                           for k in range(procs)]
                t = time.perf_counter()
                for w in workers:
                    w.start()
                for w in workers:
                    w.join()
                rates[procs].append(procs * count / (time.perf_counter() - t))
                assert len(os.listdir(folder)) == procs * count
                shutil.rmtree(folder)
        one, two = (statistics.median(rates[n]) for n in (1, 2))
        print(f"  {route:24s}: 1 process {one:,.0f} files/s, 2 processes {two:,.0f} files/s: "
              f"{two / one:.2f}x")


def bench_bytes(runs: int = 5, blocks: int = 50, fast_per_block: int = 13) -> None:
    """to_bytes against bytes(to_message()) on the realistic corpus (benchmarks/realistic),
    every message a different one (what a batch does), finely interleaved: each block
    renders its messages, then times one through to_message and ``fast_per_block``
    others through to_bytes, so that the machine's drift hits both alike; and the two
    parts' encoders on their own, the same way. Each run starts with to_bytes' kept
    encodings cleared and warmed on 200 other messages (the template's static chunks)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "realistic"))
    import corpus

    import tplkit
    from tplkit import mime
    try:
        from tplkit import quotedprintable as qp
    except ImportError:                               # an older tplkit: all in mime
        qp = mime

    counts = {"bytes(to_message())": 1, "to_bytes()": fast_per_block, "  HTML part": fast_per_block,
              "  text part": fast_per_block}
    size = sum(counts.values())
    records = corpus.contexts(200 + blocks * size)
    sender = "Northwind Support <help@northwind.example>"
    steps = {
        "bytes(to_message())": lambda e, to: bytes(e.to_message(sender=sender, to=to)),
        "to_bytes()": lambda e, to: e.to_bytes(sender=sender, to=to),
        "  HTML part": lambda e, to: qp.qp_pieces(e.html_pieces),
        "  text part": lambda e, to: qp.qp_text(e.text),
    }
    if qp is mime and hasattr(mime, "_qp_pieces"):   # an older tplkit (PYTHONPATH=...)
        steps["  HTML part"] = lambda e, to: mime._qp_pieces(e._pieces[1])
        steps["  text part"] = lambda e, to: mime._qp_plain(e.text)
    elif qp is mime:                                  # older still: the line cache
        steps["  HTML part"] = lambda e, to: mime._qp(e.html)
        steps["  text part"] = lambda e, to: mime._qp_plain(e.text)
    print(f"\n  (tplkit from {tplkit.__file__})")
    clock = time.process_time   # CPU time: a shared machine's other work is not counted
    results: dict[str, list[float]] = {k: [] for k in steps}
    with tempfile.TemporaryDirectory() as tmp:
        kit = tplkit.Kit(str(corpus.make_tplkit_project(Path(tmp) / "project")))

        def rendered(recs):
            return [(kit.render(corpus.TEMPLATE, c, locale=lo), c["customer_email"]) for lo, c in recs]

        for _ in range(runs):
            if qp is mime:
                getattr(mime, "_PIECES", {}).clear()
                mime._QP_LINES.clear()
                mime._QP_SEEN.clear()
            else:
                qp.clear_cache()
            for email, to in rendered(records[:200]):
                email.to_bytes(sender=sender, to=to)
            spent = dict.fromkeys(steps, 0.0)
            for block in range(blocks):
                start = 200 + block * size
                emails = iter(rendered(records[start:start + size]))
                for name, fn in steps.items():
                    for _ in range(counts[name]):
                        email, to = next(emails)
                        t = clock()
                        fn(email, to)
                        spent[name] += clock() - t
            for name in steps:
                results[name].append(spent[name] / (blocks * counts[name]) * 1e6)
    med = {k: statistics.median(v) for k, v in results.items()}
    ratios = [a / b for a, b in zip(results["bytes(to_message())"], results["to_bytes()"], strict=True)]
    print(f"\n## sendable bytes: realistic corpus, {blocks * size:,} messages a run, each used once, "
          f"{blocks} interleaved blocks, {runs} runs, CPU time; load average {os.getloadavg()[0]:.1f}")
    for name, value in med.items():
        print(f"  {name:22s} {value:8.1f} us a message, median of runs ({min(results[name]):.1f}-"
              f"{max(results[name]):.1f})")
    print(f"  to_bytes is {med['bytes(to_message())'] / med['to_bytes()']:.1f}x faster "
          f"(runs: {', '.join(f'{r:.1f}' for r in ratios)})")


def _env(tree: str | None) -> dict[str, str]:
    """The environment that runs ``tree`` (a tplkit source tree) instead of this one."""
    return {**os.environ, "PYTHONPATH": tree} if tree else dict(os.environ)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="shorter loops and a smaller batch")
    ap.add_argument("--only", default="render,compile,lint,startup,memory,batch,loops")
    ap.add_argument("--baseline", help="batch: also run this tplkit source tree (e.g. from "
                    "`git archive main`), interleaved with this one")
    ap.add_argument("--batch-records", type=int, default=None,
                    help="batch: records per run (default 20,000; 4,000 with --quick)")
    ap.add_argument("--batch-runs", type=int, default=3, help="batch: runs of each command (median)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    print(f"tplkit benchmarks: python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    if "render" in only:
        bench_render(0.2 if args.quick else 1.0)
    if "compile" in only:
        bench_compile()
    if "lint" in only:
        bench_lint()
    if "startup" in only:
        bench_startup()
    if "memory" in only:
        bench_memory()
    if "batch" in only:
        bench_batch(args.batch_records or (4000 if args.quick else 20000), args.baseline,
                    args.batch_runs)
    if "bytes" in only:
        bench_bytes()
    if "files" in only:
        bench_files(8000 if args.quick else 40_000)
    if "loops" in only:  # benchmarks/bench_loops.py: cost per item of a per-recipient loop
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_loops import run as bench_loops

        bench_loops(0.2 if args.quick else 1.0)


if __name__ == "__main__":
    main()
