"""What a per-recipient loop costs: ``order-confirmation`` rendered with 1 to 200 lines.

    python3 benchmarks/bench_loops.py [--quick]

Prints figures only (no assertions): messages per second for ``kit.render`` (validation and
the generated render function), for the render function alone and for the same compiled
parts through plain Jinja, at each list length; the cost of one more item (the slope of a
least-squares line through those times) in microseconds; and the naive pipeline (Jinja,
MJML, premailer, text per message) at 10 lines for comparison.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tplkit

SIZES = (1, 10, 50, 200)


def seconds_per_call(fn, budget: float) -> float:
    """Mean wall time of ``fn`` over about ``budget`` seconds (after one warm-up call)."""
    fn()
    n, t0 = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < budget or n < 3:
        fn()
        n += 1
    return elapsed / n


def slope(xs: list[int], ys: list[float]) -> float:
    """Least-squares slope of ys over xs."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def context(kit: tplkit.Kit, n: int) -> dict:
    ctx = kit.template("order-confirmation").sample
    line = {"name": "Water filter cartridges for the electric kettle", "details": "Pack of 3",
            "quantity": 2, "price": "20.40 EUR"}
    return {**ctx, "lines": [{**line, "name": f"{line['name']} #{i}"} for i in range(n)]}


def run(budget: float, locale: str = "en") -> None:
    kit = tplkit.Kit()
    compiled = kit.compile("order-confirmation", locale)
    print(f"## loops: order-confirmation/{locale}, time per message by number of lines")
    print(f"  {'lines':>5}  {'kit.render':>12}  {'render fn':>12}  {'Jinja parts':>12}")
    times: dict[str, list[float]] = {"render": [], "fn": [], "jinja": []}
    for n in SIZES:
        ctx = context(kit, n)
        values = compiled.schema.validate(ctx)
        times["render"].append(seconds_per_call(lambda c=ctx: kit.render("order-confirmation", c,
                                                                          locale=locale), budget))
        times["fn"].append(seconds_per_call(lambda v=values: compiled.render_parts(v), budget))
        times["jinja"].append(seconds_per_call(lambda v=values: compiled.render_jinja(v), budget))
        print(f"  {n:>5}  " + "  ".join(f"{times[k][-1] * 1e6:>9,.0f} µs" for k in ("render", "fn", "jinja")))
    per_item = {k: slope(list(SIZES), v) * 1e6 for k, v in times.items()}
    check = per_item["render"] - per_item["fn"]
    print(f"  per item: kit.render {per_item['render']:.1f} µs (validation {check:.1f} µs + render "
          f"function {per_item['fn']:.1f} µs); plain Jinja {per_item['jinja']:.1f} µs")
    ctx = context(kit, 10)
    naive = seconds_per_call(lambda: kit.render_naive("order-confirmation", ctx, locale=locale), budget)
    print(f"  naive pipeline at 10 lines: {naive * 1e3:,.1f} ms per message "
          f"({naive / times['render'][1]:,.0f}x kit.render)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="shorter timing loops")
    args = ap.parse_args()
    run(0.2 if args.quick else 1.0)


if __name__ == "__main__":
    main()
