"""How long ``tplkit lint`` takes on the built-in library, and how it grows with
templates × locales.

    python3 benchmarks/bench_lint.py [--quick]

Prints figures and ratios only (no assertions). Each measurement uses a fresh Kit, so it
includes compiling every (template, locale) once, which is most of the cost; the rendered
checks then reuse the compiled templates through ``kit.render``. Larger projects are
synthesised by copying the built-in templates under new names.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tplkit
from tplkit.config import builtin_root
from tplkit.lint import lint


def timed(fn) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def synth_project(root: Path, copies: int, locales: list[str]) -> Path:
    """A project with ``copies`` copies of every built-in template and the given locales."""
    src = builtin_root() / "templates"
    for folder in sorted(p for p in src.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for k in range(copies):
            shutil.copytree(folder, root / "templates" / f"{folder.name}-{k}")
    (root / "tplkit.toml").write_text(f"locales = {locales!r}\n".replace("'", '"'), encoding="utf-8")
    return root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer sizes")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="processes for the parallel run (default: CPUs)")
    args = ap.parse_args()

    kit = tplkit.Kit()
    names, locs = kit.template_names(), kit.locales()
    print(f"built-in library: {len(names)} templates x {len(locs)} locales "
          f"({len(names) * len(locs)} builds), {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} (wall times mean little when the machine is busy)")

    wall1, cpu1, found = timed(lambda: lint(tplkit.Kit(), jobs=1))
    print(f"  lint, 1 process      : {wall1:6.2f} s wall  {cpu1:6.2f} s CPU  ({len(found)} findings)")
    if args.jobs > 1:
        wallj, _, found_j = timed(lambda: lint(tplkit.Kit(), jobs=args.jobs))
        same = "same findings" if found_j == found else "DIFFERENT findings"
        print(f"  lint, {args.jobs} processes    : {wallj:6.2f} s wall  (x{wall1 / wallj:.2f}, {same})")
    from tplkit.lint.parallel import auto_jobs

    auto = auto_jobs(len(names) * len(locs))
    walla, _, found_a = timed(lambda: lint(tplkit.Kit(), jobs="auto"))
    same = "same findings" if found_a == found else "DIFFERENT findings"
    print(f"  lint, default -j ({auto}) : {walla:6.2f} s wall  (x{wall1 / walla:.2f} of -j 1, {same})")
    warm = tplkit.Kit()
    wc, cc, _ = timed(lambda: [warm.compile(n, lc) for n in names for lc in locs])
    wl, cl, _ = timed(lambda: lint(warm, jobs=1))
    print(f"  of which compiling   : {wc:6.2f} s wall  {cc:6.2f} s CPU")
    print(f"  lint on a warm kit   : {wl:6.2f} s wall  {cl:6.2f} s CPU  "
          f"({1000 * wl / (len(names) * len(locs)):.1f} ms per template x locale)")

    print("\nscaling (synthesised projects, 1 process):")
    head = ("templates", "locales", "builds", "wall s", "ms/build", "vs smallest")
    print("  " + " ".join(f"{h:>{w}}" for h, w in zip(head, (9, 7, 6, 7, 8, 11), strict=True)))
    sizes = [(1, 2), (1, 4), (2, 4)] if args.quick else [(1, 2), (1, 4), (1, 8), (2, 8), (4, 8)]
    base = None
    per_locale = [lc for lc in locs if lc != kit.default_locale]
    for copies, n_loc in sizes:
        chosen = [kit.default_locale, *per_locale][:n_loc]
        with tempfile.TemporaryDirectory() as tmp:
            project = synth_project(Path(tmp), copies, chosen)
            pkit = tplkit.Kit(project)
            n_t = len(pkit.template_names()) - len(names)  # the project's own templates
            builds = n_t * len(chosen)
            wall, _, _ = timed(lambda k=pkit: lint(k, jobs=1))
        per = 1000 * wall / builds
        base = base or per
        print(f"  {n_t:>9} {len(chosen):>7} {builds:>6} {wall:>7.2f} {per:>8.1f} {per / base:>10.2f}x")


if __name__ == "__main__":
    main()
