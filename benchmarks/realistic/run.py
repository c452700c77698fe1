#!/usr/bin/env python3
"""tplkit against plain Jinja and Node (Handlebars + Intl) on the realistic corpus, in one run.

    python benchmarks/realistic/run.py                 # 3 rounds of >= 2 s per pipeline
    python benchmarks/realistic/run.py --seconds 1 --rounds 1
    python benchmarks/realistic/run.py --baseline /tmp/tplkit-main   # also an older tplkit
                                       # (a source tree, e.g. from `git archive main`)

First checks that the three pipelines produce the same content (subject, visible HTML text,
text part, link targets; up to white space) for the first 300 contexts, then times each
over the 2,000 contexts in interleaved rounds and prints the medians and ratios. Also
times sendable bytes: ``to_bytes`` against ``bytes(to_message())`` on the same messages.
Needs ``npm ci`` in benchmarks/realistic/node (Node is skipped, with the reason, without it).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402

NODE = HERE / "node"
CHECKED = 300


def timed(fn, records, seconds: float) -> float:
    """msgs/s of ``fn(locale, ctx)`` over whole passes of ``records`` for >= ``seconds``."""
    for locale, ctx in records[:200]:
        fn(locale, ctx)
    n, t0 = 0, time.perf_counter()
    while True:
        for locale, ctx in records:
            fn(locale, ctx)
        n += len(records)
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return n / elapsed


def node_missing() -> str | None:
    if not shutil.which("node"):
        return "node is not installed"
    if not (NODE / "node_modules" / "handlebars").is_dir():
        return "cd benchmarks/realistic/node && npm ci"
    return None


def child_render(seconds: float, messages: int) -> int:
    """kit.render's msgs/s with whichever tplkit this process imports (for --baseline)."""
    import tplkit

    records = corpus.contexts(messages)
    with tempfile.TemporaryDirectory() as tmp:
        kit = tplkit.Kit(str(corpus.make_tplkit_project(Path(tmp) / "project")))
        rate = timed(lambda lo, c: kit.render(corpus.TEMPLATE, c, locale=lo), records, seconds)
    print(json.dumps({"msgs_per_s": rate, "tplkit": tplkit.__file__}))
    return 0


def baseline_render(path: str, seconds: float, messages: int) -> float:
    env = {**os.environ, "PYTHONPATH": path}
    out = subprocess.run([sys.executable, __file__, "--child-render", "--seconds", str(seconds),
                          "--messages", str(messages)], env=env, check=True, capture_output=True,
                         text=True).stdout
    found = json.loads(out)
    assert found["tplkit"].startswith(os.path.abspath(path)), found   # really the baseline
    return found["msgs_per_s"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--baseline", help="a tplkit source tree to time kit.render against, in the same rounds")
    ap.add_argument("--child-render", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_render:
        return child_render(args.seconds, args.messages)

    import tplkit

    records = corpus.contexts(args.messages)
    work = Path(tempfile.mkdtemp(prefix="tplkit-realistic-"))
    try:
        kit = tplkit.Kit(str(corpus.make_tplkit_project(work / "project")))
        t0 = time.perf_counter()
        for locale in corpus.LOCALES:
            kit.compile(corpus.TEMPLATE, locale)
        compile_s = time.perf_counter() - t0
        html = corpus.precompiled_html()
        jinja = corpus.jinja_templates(html)
        (work / "hbs.json").write_text(json.dumps(corpus.handlebars_templates(html)), encoding="utf-8")
        with open(work / "contexts.jsonl", "w", encoding="utf-8") as f:
            for rec in records:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        placeholders = len(kit.template(corpus.TEMPLATE).placeholders)
        print(f"# realistic corpus: {len(records):,} contexts, {placeholders} placeholders, "
              f"locales {', '.join(corpus.LOCALES)}, currencies {', '.join(corpus.CURRENCIES)}; "
              f"tplkit compile of 3 locales {compile_s:.2f} s")

        def render_tplkit(locale, ctx):
            return kit.render(corpus.TEMPLATE, ctx, locale=locale)

        def render_jinja(locale, ctx):
            return corpus.render_jinja(jinja, locale, ctx)

        # --- the content check ---
        missing = node_missing()
        node_out = None
        if not missing:
            dump = work / "node-dump.json"
            subprocess.run(["node", str(NODE / "bench.js"), str(work / "hbs.json"),
                            str(work / "contexts.jsonl"), "0", str(dump), str(CHECKED)],
                           check=True, capture_output=True)
            node_out = json.loads(dump.read_text(encoding="utf-8"))
        bad = 0
        for i, (locale, ctx) in enumerate(records[:CHECKED]):
            email = render_tplkit(locale, ctx)
            ours = corpus.content(email.subject, email.html, email.text)
            others = {"jinja": corpus.content(*render_jinja(locale, ctx))}
            if node_out:
                others["node"] = corpus.content(*node_out[i])
            for name, theirs in others.items():
                parts = ("subject", "html text", "text part", "links")
                for part, a, b in zip(parts, ours, theirs, strict=True):
                    if a != b:
                        bad += 1
                        if bad <= 5:
                            print(f"  DIFFERENT {part} of message {i} ({locale}) tplkit vs {name}:\n"
                                  f"    {str(a)[:300]}\n    {str(b)[:300]}")
        who = "tplkit, plain Jinja" + (" and Node" if node_out else "")
        print(f"# content check: {CHECKED} messages, {who}: "
              + ("identical up to white space" if not bad else f"{bad} differences"))
        if bad:
            return 1

        # --- timing: interleaved rounds ---
        results: dict[str, list[float]] = {"tplkit kit.render": [], "plain Jinja + Babel": []}
        if args.baseline:
            results["tplkit baseline"] = []
        if not missing:
            results["Node Handlebars + Intl"] = []
        for _ in range(args.rounds):
            results["tplkit kit.render"].append(timed(render_tplkit, records, args.seconds))
            if args.baseline:
                results["tplkit baseline"].append(baseline_render(args.baseline, args.seconds, len(records)))
            results["plain Jinja + Babel"].append(timed(render_jinja, records, args.seconds))
            if not missing:
                out = subprocess.run(["node", str(NODE / "bench.js"), str(work / "hbs.json"),
                                      str(work / "contexts.jsonl"), str(args.seconds), os.devnull, "0"],
                                     check=True, capture_output=True, text=True).stdout
                results["Node Handlebars + Intl"].append(json.loads(out)["msgs_per_s"])
        medians = {k: statistics.median(v) for k, v in results.items()}
        print(f"\n## render: msgs/s (median of {args.rounds} rounds; subject + HTML + text; tplkit also "
              "validates and makes the preheader)")
        base = medians["tplkit kit.render"]
        for name, value in medians.items():
            spread = f"{min(results[name]):,.0f}-{max(results[name]):,.0f}"
            print(f"  {name:<24} {value:>9,.0f} msgs/s  ({spread})  tplkit/this {base / value:5.2f}x")
        if missing:
            print(f"  Node skipped: {missing}")

        # --- sendable bytes: each message encoded once (to_bytes caches repeated lines) ---
        emails = [(render_tplkit(lo, c), c["customer_email"]) for lo, c in records]
        sender = "Northwind Support <help@northwind.example>"

        def per_message(fn, items) -> float:
            t0 = time.perf_counter()
            for email, to in items:
                fn(email, to)
            return (time.perf_counter() - t0) / len(items) * 1e6

        def slow(e, to):
            return bytes(e.to_message(sender=sender, to=to))

        def fast(e, to):
            return e.to_bytes(sender=sender, to=to)

        per_message(fast, emails[:200])   # warm-up: the template's lines
        slow_us, fast_us = [], []
        chunk = (len(emails) - 200) // args.rounds
        for r in range(args.rounds):
            part = emails[200 + r * chunk:200 + (r + 1) * chunk]
            slow_us.append(per_message(slow, part[:150]))
            fast_us.append(per_message(fast, part))
        slow_m, fast_m = statistics.median(slow_us), statistics.median(fast_us)
        render_us = 1e6 / base
        print(f"\n## sendable bytes per message (each a different message; median of {args.rounds})")
        print(f"  bytes(to_message(...)) {slow_m:8.1f} us")
        print(f"  to_bytes(...)          {fast_m:8.1f} us   {slow_m / fast_m:.1f}x faster")
        print(f"  render + to_bytes      {render_us + fast_m:8.1f} us   = "
              f"{1e6 / (render_us + fast_m):,.0f} msgs/s")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
