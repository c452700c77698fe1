"""``tplkit batch``: one message per record of a JSONL or CSV file, on every core.

Records (:mod:`tplkit.records`) are cut into chunks; worker processes (``--jobs``) each
load a build (``--build``) or compile the template once, render their chunks and write the
output themselves (:mod:`tplkit.batchwriter`):

* ``eml``: ``DIR/messages/<line>.eml``, one file per record, named by its line number;
* ``mbox`` / ``jsonl``: ``DIR/part-<chunk>.mbox|jsonl``, one file per chunk.

A record that fails (invalid JSON, placeholder problems, no recipient) goes to
``DIR/errors.jsonl`` with its line number and the batch goes on. ``DIR/.tplkit-batch.json``
records the batch (template, data file hash, format, options) and the finished chunks, so
running the same command again resumes: finished chunks are skipped and no existing output
file is ever rewritten. Every file is written atomically; a chunk is recorded as finished
only once its files are on disk (:func:`tplkit.batchwriter.make_durable`).

With a build and ``--jobs N`` > 1 (where the platform forks) the build is loaded once, here;
this process renders chunks too and ``N - 1`` children forked from it, which share its
memory (the build, the records), take the next chunk from a shared counter and send back
only each chunk's result (:func:`_render_forked`). Without a build, a process pool whose
workers each compile the template.
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, cast

from .batchwriter import Job, load_kit, make_durable, render_chunk
from .errors import TplkitError
from .fsutil import atomic_write
from .records import MALFORMED, Malformed, RecordError, read_csv, read_records

STATE = ".tplkit-batch.json"
ERRORS = "errors.jsonl"
FORMATS = ("eml", "mbox", "jsonl")


# --- the driver (parent process) -------------------------------------------------------------

def _state_key(job: Job, data: Path, chunk_size: int) -> dict:
    return {"template": job.template, "data": str(data.resolve()),
            "data_sha256": hashlib.sha256(data.read_bytes()).hexdigest(), "format": job.fmt,
            "chunk_size": chunk_size, "locale_field": job.locale_field, "to_field": job.to_field,
            "ignore_unknown": job.ignore_unknown, "project": job.project, "build": job.build}


def _open_state(out: Path, key: dict) -> dict:
    path = out / STATE
    if path.is_file():
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("key") != key:
            raise TplkitError("the output folder holds a different batch (template, data, format "
                              "or options differ); use another folder", file=str(out))
        return state
    if out.exists() and any(out.iterdir()):
        raise TplkitError("the output folder is not empty and holds no batch; use another folder",
                          file=str(out))
    return {"key": key, "done": []}


class ProgressBar(Protocol):
    """What :func:`run_batch` reports progress to (``click.progressbar`` is one)."""

    def __enter__(self) -> ProgressBar: ...
    def __exit__(self, exc_type: Any, exc: Any, tb: Any, /) -> Any: ...
    def update(self, n_steps: int, /) -> None: ...


def _read_errors(out: Path) -> dict[int, dict]:
    path = out / ERRORS
    if not path.is_file():
        return {}
    try:
        entries = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
        return {int(e["line"]): e for e in entries}
    except (ValueError, KeyError, TypeError, OSError) as e:
        raise TplkitError(f"unreadable errors file: {e}", file=str(path)) from None


def rerun_failed(job: Job, data: Path, *, chunk_size: int = 256) -> dict:
    """Render again only the records listed in ``DIR/errors.jsonl``, from ``data`` as it is
    now (fixed in place: a record keeps its line number), into the same folder.

    The batch must be the same (template, format, options); only the data may differ.
    eml messages go to ``messages/<line>.eml`` as before, mbox/jsonl ones to a new
    ``retry-<n>.<format>`` file. Records that fail again stay in ``errors.jsonl``.
    """
    out = Path(job.out)
    path = out / STATE
    if not path.is_file():
        raise TplkitError("no batch to retry in this folder (run the batch first)", file=str(out))
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as e:
        raise TplkitError(f"unreadable batch state: {e}", file=str(path)) from None
    key = _state_key(job, data, state.get("key", {}).get("chunk_size", chunk_size))
    old = state.get("key", {})
    differ = [k for k in key if k not in ("data_sha256", "data") and old.get(k) != key[k]]
    if differ:
        raise TplkitError(f"the output folder holds a different batch ({', '.join(differ)} "
                          f"differ); --retry-failed reruns the same command", file=str(out))
    errors = _read_errors(out)
    kind, records = read_records(data)
    job.data_kind = kind
    chosen = [(line, raw) for line, raw in records if line in errors]
    n = 1
    while (out / f"retry-{n}.{job.fmt}").exists():
        n += 1
    _, written, still = render_chunk(job, -1, chosen, part_name=f"retry-{n}.{job.fmt}")
    if job.fmt == "eml":
        make_durable(job.out)
    for line, _raw in chosen:
        errors.pop(line, None)
    for entry in still:
        errors[entry["line"]] = entry
    atomic_write(out / ERRORS, "".join(json.dumps(errors[k], ensure_ascii=False) + "\n"
                                       for k in sorted(errors)))
    atomic_write(path, json.dumps({**state, "key": {**old, **key}}, indent=1))
    return {"records": len(chosen), "chunks": 1, "resumed": 0, "written": written,
            "errors": len(errors), "retried": len(chosen)}


def run_batch(job: Job, data: Path, *, jobs: int, chunk_size: int = 256,
              progress: Callable[..., ProgressBar] | None = None) -> dict:
    """Render every record of ``data``; resume an interrupted run. Returns a summary.

    ``progress(length=N)``, if given, makes the bar that counts the N records to render.
    """
    out = Path(job.out)
    key = _state_key(job, data, chunk_size)
    state = _open_state(out, key)
    kind, records = read_records(data)
    job.data_kind = kind
    done = set(state["done"])
    chunks = [(i, records[s:s + chunk_size]) for i, s in enumerate(range(0, len(records), chunk_size))]
    todo = [(i, c) for i, c in chunks if i not in done]
    finished_lines = {line for i, c in chunks if i in done for line, _ in c}
    errors = {n: e for n, e in _read_errors(out).items() if n in finished_lines}
    out.mkdir(parents=True, exist_ok=True)
    written = 0

    saved = [time.monotonic()]

    synced: set[int] = set(done)

    def save() -> None:
        """Errors first, then the finished chunks: a chunk is never recorded as done before
        its errors (and, eml, its message files) are on disk."""
        if job.fmt == "eml" and not done <= synced:
            make_durable(str(out))
            synced.update(done)
        lines = "".join(json.dumps(errors[k], ensure_ascii=False) + "\n" for k in sorted(errors))
        if lines or (out / ERRORS).exists():
            atomic_write(out / ERRORS, lines)
        atomic_write(out / STATE, json.dumps({**state, "done": sorted(done)}, indent=1))
        saved[0] = time.monotonic()

    def finish(index: int, n: int, errs: list[dict]) -> None:
        nonlocal written
        written += n
        for e in errs:
            errors[e["line"]] = e
        done.add(index)
        # at most once a second (each save is two fsynced writes): a chunk finished but not
        # yet recorded is redone on resume, without rewriting its existing output files
        if time.monotonic() - saved[0] >= 1.0:
            save()

    total = sum(len(c) for _, c in todo)
    bar: ProgressBar = progress(length=total) if progress else _NoBar()
    with bar:
        try:
            if jobs <= 1 or len(todo) <= 1:
                with _loaded(job):
                    for i, c in todo:
                        finish(*render_chunk(job, i, c))
                        bar.update(len(c))
            else:
                sizes = {i: len(c) for i, c in todo}

                def done_chunk(result: tuple[int, int, list[dict]]) -> None:
                    finish(*result)
                    bar.update(sizes[result[0]])

                if job.build and "fork" in multiprocessing.get_all_start_methods():
                    with _loaded(job):
                        _render_forked(job, todo, jobs, done_chunk)
                else:
                    with multiprocessing.Pool(jobs) as pool:
                        for result in pool.imap_unordered(_render_chunk_star,
                                                          ((job, i, c) for i, c in todo)):
                            done_chunk(result)
        finally:  # interrupted too: record what is finished
            save()
    return {"records": len(records), "chunks": len(chunks), "resumed": len(chunks) - len(todo),
            "written": written, "errors": len(errors)}


def _render_chunk_star(args):
    return render_chunk(*args)


@contextlib.contextmanager
def _loaded(job: Job) -> Iterator[None]:
    """From a build: the build loaded in this process (every locale of the template: a few
    milliseconds) and kept out of the collector's reach while the batch runs
    (``gc.freeze``, undone after), whose full collections otherwise walk every compiled
    template again and again."""
    if not job.build:
        yield
        return
    load_kit(job, every_locale=True)
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _render_forked(job: Job, todo: list[tuple[int, list[tuple[int, Any]]]], jobs: int,
                   done: Callable[[tuple[int, int, list[dict]]], None]) -> None:
    """Render ``todo`` in ``jobs`` processes: this one (the build loaded, :func:`_loaded`)
    and ``jobs - 1`` children forked from it, which start with the build and the records in
    memory and load, read or receive nothing. Each process takes the next chunk from a
    shared counter (whoever is free), so a process slowed down (this one saving the
    batch's state, a busy core) takes fewer; a child sends only each chunk's result
    (index, messages written, errors) back through a pipe, read here between this process's
    own chunks. ``done`` gets every result, here.

    An exception in any process stops the others taking chunks; what they finish is still
    handed to ``done`` (so it is recorded), then the exception is raised here.
    """
    import multiprocessing.connection  # here: --jobs 1 starts without it

    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("q", 0)

    def claim() -> int | None:
        with counter.get_lock():
            i = counter.value
            counter.value = i + 1
        return i if i < len(todo) else None

    def stop() -> None:
        with counter.get_lock():
            counter.value = len(todo)

    readers: list[Any] = []
    pids: list[int] = []
    failure: list[BaseException] = []

    def collect(timeout: float | None) -> None:
        for reader in cast(list[Any], multiprocessing.connection.wait(readers, timeout)):
            try:
                message = reader.recv()
            except (EOFError, OSError):
                readers.remove(reader)
                continue
            if isinstance(message, _Failure):
                stop()
                failure.append(message.error)
            else:
                done(message)

    sys.stdout.flush()
    sys.stderr.flush()
    try:
        for _ in range(jobs - 1):
            reader, writer = ctx.Pipe(duplex=False)
            pid = os.fork()
            if pid == 0:   # the child: render chunks until none is left, never return
                code = 0
                try:
                    reader.close()
                    for other in readers:
                        other.close()
                    while (i := claim()) is not None:
                        writer.send(render_chunk(job, *todo[i]))
                except KeyboardInterrupt:
                    code = 1
                except BaseException as e:   # noqa: BLE001 - handed to the parent, which raises it
                    code = 1
                    with contextlib.suppress(BaseException):
                        writer.send(_Failure(e))
                finally:
                    os._exit(code)
            writer.close()
            readers.append(reader)
            pids.append(pid)
        while (i := claim()) is not None:
            done(render_chunk(job, *todo[i]))
            collect(0)
    except BaseException:
        stop()
        raise
    finally:   # the children's finished chunks are handed to ``done`` even after a failure
        while readers:
            collect(None)
        codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
    if failure:
        raise failure[0]
    if any(codes):
        raise TplkitError(f"a worker process ended unexpectedly (exit status {max(codes, key=abs)}); "
                          f"run the same command again to resume", file=job.out)


class _Failure:
    """An exception raised in a forked child, on its way to the parent."""

    def __init__(self, error: BaseException) -> None:
        try:
            pickle.dumps(error)
        except Exception:   # noqa: BLE001 - any unpicklable exception travels as its text
            error = TplkitError(f"{type(error).__name__}: {error}")
        self.error = error


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any, /) -> None:
        return None

    def update(self, n: int) -> None:
        pass


__all__ = ["ERRORS", "FORMATS", "MALFORMED", "STATE", "Job", "Malformed", "ProgressBar", "RecordError",
           "read_csv", "read_records", "render_chunk", "rerun_failed", "run_batch"]
