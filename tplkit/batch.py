"""``tplkit batch``: one message per record of a JSONL or CSV file, on every core.

Records are cut into chunks; worker processes (``--jobs``) each load a build (``--build``)
or compile the template once, render their chunks and write the output themselves:

* ``eml``: ``DIR/messages/<line>.eml``, one file per record, named by its line number;
* ``mbox`` / ``jsonl``: ``DIR/part-<chunk>.mbox|jsonl``, one file per chunk.

A record that fails (invalid JSON, placeholder problems, no recipient) goes to
``DIR/errors.jsonl`` with its line number and the batch goes on. ``DIR/.tplkit-batch.json``
records the batch (template, data file hash, format, options) and the finished chunks, so
running the same command again resumes: finished chunks are skipped and no existing output
file is ever rewritten. Every file is written atomically (:func:`tplkit.fsutil.atomic_write`).
"""
from __future__ import annotations

import csv
import gc
import hashlib
import json
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .errors import PlaceholderError, TplkitError
from .fsutil import atomic_write
from .kit import Kit

STATE = ".tplkit-batch.json"
ERRORS = "errors.jsonl"
FORMATS = ("eml", "mbox", "jsonl")


@dataclass
class Job:
    """What every worker needs to know (picklable: sent once to each worker)."""

    template: str
    fmt: str
    out: str
    project: str | None = None
    build: str | None = None
    locale_field: str | None = None
    to_field: str = "email"
    sender: str | None = None
    data_kind: str = "jsonl"      # how records arrive: raw JSONL lines or CSV dicts
    ignore_unknown: bool = False  # record fields that are no placeholder are ignored
    options: dict = field(default_factory=dict)


# --- reading ---------------------------------------------------------------------------------

def read_records(path: Path) -> tuple[str, list[tuple[int, Any]]]:
    """(kind, [(line number, raw record)]): JSONL lines stay text (workers parse them);
    CSV rows become dicts, an empty cell meaning "not given". A malformed CSV row becomes a
    :class:`Malformed` record at its line, and the rows after it are still read."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise TplkitError("--data must be a .jsonl or .csv file", file=str(path))
    try:
        data = path.read_bytes()
    except OSError as e:
        raise TplkitError(f"cannot read the data file: {e.strerror or e}", file=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TplkitError(f"not UTF-8 text (byte 0x{data[e.start]:02x}); save the file as UTF-8",
                          file=str(path), line=data[:e.start].count(b"\n") + 1) from None
    if suffix == ".csv":
        return "csv", read_csv(text, str(path))
    return "jsonl", [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


MALFORMED = "\x00tplkit-malformed"   # no CSV header is this: NUL cannot be read from CSV


def Malformed(message: str) -> dict[str, str]:  # noqa: N802 - reads as the record kind it makes
    """A CSV row that cannot be read as a record: it becomes an error at its line. A plain
    dict, so that it travels as JSON (to Celery workers) like every other CSV row."""
    return {MALFORMED: message}


def read_csv(text: str, file: str) -> list[tuple[int, Any]]:
    """Rows of a CSV text with a header, as (line, {column: cell}) or (line, Malformed).

    A quoted cell may span lines. A row whose quote is never closed (or closed rows later)
    would swallow the rows after it; such a row -- one that spans lines and has another
    number of cells than the header -- is reported on its own line and reading restarts on
    the next line, so every other row is still a record.
    """
    lines = text.splitlines(keepends=True)
    try:
        header = next(csv.reader(lines[:1]), None)
    except csv.Error as e:
        raise TplkitError(f"unreadable CSV header: {e}", file=file, line=1) from None
    if not header:
        return []
    width = len(header)
    rows: list[tuple[int, Any]] = []
    i = 1   # index of the next physical line to read
    while i < len(lines):
        reader = csv.reader(lines[i:])
        before = 0        # physical lines this reader has consumed before the current row
        restart = None
        while restart is None:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                rows.append((i + 1 + before, Malformed(f"unreadable CSV row: {e}")))
                restart = i + 1 + before   # go on with the line after the row's first
                break
            first, spanned, before = i + 1 + before, reader.line_num - before, reader.line_num
            if not cells:
                continue   # a blank line
            if spanned > 1 and len(cells) != width:
                rows.append((first, Malformed(
                    f"a quote opened on this line is not closed on it (the row runs into line "
                    f"{first + spanned - 1}); cells with commas or line breaks must be wrapped "
                    f"in \"...\" and a quote inside one written twice (\"\")")))
                restart = first
            elif len(cells) > width:
                rows.append((first, Malformed(f"the row has {len(cells)} cells; the header has {width}")))
            else:
                rows.append((first, dict(zip(header, cells + [""] * (width - len(cells)), strict=True))))
        if restart is None:
            break
        i = restart
    return rows


def _record(kind: str, raw: Any) -> dict:
    if kind == "csv" and MALFORMED in raw:
        raise ValueError(raw[MALFORMED])
    if kind == "csv":
        return {k: v for k, v in raw.items() if v not in (None, "")}
    try:
        rec = json.loads(raw)
    except json.JSONDecodeError as e:
        raise RecordError(f"invalid JSON: {e.msg} (column {e.colno})", column=e.colno) from None
    if not isinstance(rec, dict):
        raise ValueError("the record must be a JSON object")  # noqa: TRY004 - a record error
    return rec


class RecordError(ValueError):
    """A record that cannot be read, with the column of the problem."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


# --- rendering (in the workers) --------------------------------------------------------------

_kits: dict = {}


def _load_kit(job: Job):
    """The worker's kit and the template's placeholder names: loaded (build) or created
    (sources) once per process."""
    key = (job.build, job.project, job.template)
    loaded = _kits.get(key)
    if loaded is None:
        # the parent process already checked the build (format, hashes, freshness)
        kit = (Kit.from_build(job.build, check_sources=False) if job.build else Kit(job.project))
        loaded = _kits[key] = (kit, frozenset(kit.template(job.template).placeholders))
        if job.build and multiprocessing.parent_process() is not None:
            # a worker process: from a build every locale loads in milliseconds, so load them
            # all now, then keep the collector off these long-lived objects (gc.freeze), whose
            # full collections otherwise walk every compiled template again and again. (Not
            # in the caller's own process, --jobs 1: its heap is not ours to freeze.)
            for locale in kit.locales():
                kit.compile(job.template, locale)
            gc.freeze()
    return loaded


def _render(kit, job: Job, placeholders: frozenset, rec: dict):
    locale = rec.get(job.locale_field) if job.locale_field else None
    to = rec.get(job.to_field)
    drop = {f for f in (job.locale_field, job.to_field) if f and f not in placeholders}
    ctx = {k: v for k, v in rec.items() if k not in drop}
    # negotiated here: a fallback is no warning per record, the output shows the locale used
    neg = kit.negotiate(None if locale is None else str(locale))
    return kit.render(job.template, ctx, locale=neg.locale,
                      strict=False if job.ignore_unknown else None), to


def _message(email, job: Job, to: Any) -> bytes:
    if not to:
        raise ValueError(f"no recipient (field {job.to_field!r})")
    return email.to_bytes(sender=job.sender, to=to)


def _mbox_entry(msg_bytes: bytes) -> bytes:
    """One mbox entry: a From_ line, the message with LF line ends and '>From ' quoting."""
    body = msg_bytes.replace(b"\r\n", b"\n")
    lines = [b">" + line if line.startswith((b"From ", b">From ")) else line
             for line in body.split(b"\n")]
    stamp = time.asctime(time.gmtime()).encode()
    return b"From tplkit@localhost " + stamp + b"\n" + b"\n".join(lines).rstrip(b"\n") + b"\n\n"


def render_chunk(job: Job, index: int, records: list[tuple[int, Any]],
                 part_name: str | None = None) -> tuple[int, int, list[dict]]:
    """Render and write one chunk; returns (chunk index, messages written, errors)."""
    kit, placeholders = _load_kit(job)
    out = Path(job.out)
    part = out / (part_name or f"part-{index:05d}.{job.fmt}")
    if job.fmt != "eml" and part.exists():   # written by an interrupted run: keep it
        return index, 0, _errors_only(kit, job, placeholders, records)
    errors: list[dict] = []
    pieces: list[bytes] = []
    written = 0
    for line, raw in records:
        try:
            rec = _record(job.data_kind, raw)
            email, to = _render(kit, job, placeholders, rec)
            if job.fmt == "jsonl":
                row = {"line": line, **email.as_dict(), "to": to}
                pieces.append(json.dumps(row, ensure_ascii=False).encode() + b"\n")
            elif job.fmt == "mbox":
                pieces.append(_mbox_entry(_message(email, job, to)))
            else:
                target = out / "messages" / f"{line:08d}.eml"
                if not target.exists():
                    atomic_write(target, _message(email, job, to))
                    written += 1
                continue
            written += 1
        except (TplkitError, ValueError, TypeError) as e:
            errors.append(_error(line, e))
    if job.fmt != "eml" and pieces:
        atomic_write(part, b"".join(pieces))
    return index, written, errors


def _errors_only(kit, job: Job, placeholders: frozenset, records) -> list[dict]:
    """The errors of a chunk whose output file already exists (validation only)."""
    errors = []
    for line, raw in records:
        try:
            _render(kit, job, placeholders, _record(job.data_kind, raw))
        except (TplkitError, ValueError, TypeError) as e:
            errors.append(_error(line, e))
    return errors


def _error(line: int, e: Exception) -> dict:
    entry: dict[str, Any] = {"line": line, "error": getattr(e, "message", None) or str(e)}
    column = getattr(e, "column", None)
    if column:
        entry["column"] = column
    if isinstance(e, PlaceholderError):
        entry["problems"] = [str(p) for p in e.problems]
    if isinstance(e, TplkitError) and e.locale:
        entry["locale"] = e.locale
    return entry


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

    def save() -> None:
        """Errors first, then the finished chunks: a chunk is never recorded as done before
        its errors are on disk."""
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
                for i, c in todo:
                    finish(*render_chunk(job, i, c))
                    bar.update(len(c))
            else:
                sizes = {i: len(c) for i, c in todo}
                with multiprocessing.get_context().Pool(jobs) as pool:
                    for result in pool.imap_unordered(_render_chunk_star,
                                                      ((job, i, c) for i, c in todo)):
                        finish(*result)
                        bar.update(sizes[result[0]])
        finally:  # interrupted too: record what is finished
            save()
    return {"records": len(records), "chunks": len(chunks), "resumed": len(chunks) - len(todo),
            "written": written, "errors": len(errors)}


def _render_chunk_star(args):
    return render_chunk(*args)


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any, /) -> None:
        return None

    def update(self, n: int) -> None:
        pass
