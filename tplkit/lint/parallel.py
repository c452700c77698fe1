"""Spreading lint's (template, locale) builds over worker processes: how many, starting them
early, and sharing out the pairs. The work itself is the engine's (:mod:`tplkit.lint.engine`)."""
from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .model import Finding

PAIRS_PER_WORKER = 16
"""A worker process costs about a second to start (imports, a Kit, Jinja's compile of the
shared layouts); a (template, locale) pair about a tenth of that. Below this many pairs per
extra process, starting it does not pay."""

Pair = tuple[str, str]


def auto_jobs(pairs: int) -> int:
    """The default process count: 1 on a machine with 2 CPUs or fewer (there the pool's start-up
    and the other processes on the machine make -j 2 no faster than -j 1), else one process
    per PAIRS_PER_WORKER pairs, at most one per spare CPU."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    if cpus <= 2:
        return 1
    return max(1, min(cpus - 1, pairs // PAIRS_PER_WORKER))


def warm_up() -> None:
    """Import what a worker needs while the parent process is still busy."""
    import mjml  # noqa: F401
    import premailer  # noqa: F401

    from .. import compile, kit  # noqa: F401


@contextlib.contextmanager
def pool(jobs: int) -> Iterator[ProcessPoolExecutor | None]:
    """``jobs - 1`` worker processes (None for one job), started now so they boot while the
    sources and catalogs are linted.

    Workers are spawned (not forked) so that a multi-threaded caller such as the preview
    server stays safe; compiling is CPU-bound Python, so threads would not help.
    """
    if jobs <= 1:
        yield None
        return
    with ProcessPoolExecutor(jobs - 1, mp_context=multiprocessing.get_context("spawn")) as ex:
        for _ in range(jobs - 1):
            ex.submit(warm_up)
        yield ex


def spread(ex: ProcessPoolExecutor, jobs: int, pairs: list[Pair],
           here: Callable[[str, str], None],
           worker: Callable[..., list[Finding]], args: tuple[Any, ...]) -> list[Finding]:
    """Share ``pairs`` out between this process (``here(name, locale)``) and the pool's
    (``worker(*args, chunk)``, a module-level function); the workers' findings. A worker that
    dies has its share done here rather than lost."""
    jobs = min(jobs, len(pairs))
    chunks = [pairs[i::jobs] for i in range(jobs)]
    futures = [(chunk, ex.submit(worker, *args, chunk)) for chunk in chunks[1:]]
    for name, loc in chunks[0]:
        here(name, loc)
    out: list[Finding] = []
    for chunk, future in futures:
        try:
            out.extend(future.result())
        except Exception:  # a worker died: do its share here
            for name, loc in chunk:
                here(name, loc)
    return out
