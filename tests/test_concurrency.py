"""Concurrency (issue 7): rendering from many threads equals rendering serially."""
from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import tplkit

THREADS = 12
JOBS = [(name, locale) for name in ("acknowledgement", "feedback-request", "apology")
        for locale in ("en", "uk")]


def _parts(email: tplkit.RenderedEmail) -> tuple:
    return (email.template, email.locale, email.subject, email.preheader, email.html, email.text)


def _contexts(kit: tplkit.Kit, name: str) -> list[dict]:
    """Every sample of the template, plus one with a per-thread-looking distinct name."""
    info = kit.template(name)
    out = [dict(s) for s in info.samples.values()]
    out += [dict(info.sample, customer_name=f"Thread <{i}> & co") for i in range(3)]
    return out


def _run_barrier_started(work, n: int = THREADS) -> list:
    """Run ``work(i)`` in ``n`` threads released at the same moment; re-raise any failure."""
    barrier = threading.Barrier(n)

    def start(i):
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(start, range(n)))


def test_cold_cache_concurrent_renders_equal_serial(kit):
    """Threads rendering through a fresh Kit, while its compile cache is being filled, give
    exactly the emails a serial render gives."""
    jobs = [(name, locale, ctx) for name, locale in JOBS for ctx in _contexts(kit, name)]
    serial = {i: _parts(kit.render(n, c, locale=loc)) for i, (n, loc, c) in enumerate(jobs)}
    fresh = tplkit.Kit()

    def work(t):
        order = list(range(len(jobs)))
        random.Random(t).shuffle(order)   # every thread compiles in its own order
        return {i: _parts(fresh.render(jobs[i][0], jobs[i][2], locale=jobs[i][1])) for i in order}

    for result in _run_barrier_started(work):
        assert result == serial


def test_each_template_compiles_once_under_contention():
    """Many threads asking a fresh Kit for the same template get the very same compiled object."""
    fresh = tplkit.Kit()
    compiled = _run_barrier_started(lambda t: fresh.compile("follow-up", "uk"))
    assert all(c is compiled[0] for c in compiled)


def test_warm_cache_concurrent_renders_with_distinct_values(kit):
    """With a warm cache, threads rendering different values never see each other's values."""
    base = kit.template("acknowledgement").sample

    def work(t):
        out = []
        for k in range(40):
            name = f"Customer-{t}-{k}"
            email = kit.render("acknowledgement", dict(base, customer_name=name, ticket_id=f"T{t}-{k}"))
            out.append((name, email))
        return out

    for batch in _run_barrier_started(work):
        for name, email in batch:
            assert f"Hi {name}," in email.text and f"Hi {name}," in email.html
            others = [w for w in email.text.split() if w.startswith("Customer-")]
            assert others == [f"{name},"]
            assert email == kit.render("acknowledgement", dict(base, customer_name=name,
                                                               ticket_id=email.subject.split("[")[1][:-1]))


def test_sandbox_budgets_are_per_thread():
    """The sandbox's loop budget belongs to each render: threads rendering loops at the same
    time never exhaust each other's budget."""
    from tplkit.sandbox import MAX_ITERATIONS, LimitedSandbox

    env = LimitedSandbox()
    tpl = env.from_string("{% for i in range(n) %}x{% endfor %}")
    n = MAX_ITERATIONS // 2   # two of these in one budget would exceed it
    results = _run_barrier_started(lambda t: [len(tpl.render(n=n)) for _ in range(3)], n=8)
    assert results == [[n] * 3] * 8
