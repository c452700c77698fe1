"""The batch writer: renders one chunk of records in a worker process and writes its output.

* ``eml``: ``DIR/messages/<line>.eml``, one file per record, named by its line number;
* ``mbox`` / ``jsonl``: ``DIR/part-<chunk>.mbox|jsonl``, one file per chunk.

Nothing already on disk is rewritten. A part file is written atomically and fsynced
(:func:`tplkit.fsutil.atomic_write`). A message file is written atomically too
(:class:`NewFiles`: never half a file), but not fsynced one by one, which cost a disk flush
per message: :func:`make_durable` flushes them all before the batch records their chunk as
finished (:mod:`tplkit.batch`).
"""
from __future__ import annotations

import contextlib
import errno
import functools
import gc
import itertools
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from .errors import PlaceholderError, TplkitError, WriteError
from .fsutil import atomic_write
from .kit import Kit
from .records import parse_record


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


# --- the kit of this process -------------------------------------------------------------------

_kits: dict = {}


def load_kit(job: Job, *, every_locale: bool = False) -> tuple[Kit, frozenset]:
    """The process's kit and the template's placeholder names: loaded (build) or created
    (sources) once per process.

    From a build every locale loads in milliseconds: a worker process loads them all at
    once and then keeps the collector off these long-lived objects (``gc.freeze``), whose
    full collections otherwise walk every compiled template again and again. With
    ``every_locale`` the caller's own process loads them all (:mod:`tplkit.batch` freezes
    them for the batch's time, and forks its workers after).
    """
    key = (job.build, job.project, job.template)
    loaded = _kits.get(key)
    if loaded is None:
        # the parent process already checked the build (format, hashes, freshness)
        kit = (Kit.from_build(job.build, check_sources=False) if job.build else Kit(job.project))
        loaded = _kits[key] = (kit, frozenset(kit.template(job.template).placeholders))
        if job.build and (every_locale or multiprocessing.parent_process() is not None):
            for locale in kit.locales():
                kit.compile(job.template, locale)
            if not every_locale:
                gc.freeze()
    return loaded


def adopt_kit(job: Job, kit: Kit) -> None:
    """Use ``kit`` (the caller's, already loaded and checked) for ``job`` in this process
    and in the workers forked from it, instead of loading another."""
    _kits[(job.build, job.project, job.template)] = (kit, frozenset(kit.template(job.template).placeholders))


def render_record(kit: Kit, job: Job, placeholders: frozenset, rec: dict) -> tuple[Any, Any]:
    """(the rendered email, the recipient) of one parsed record (``rec`` is consumed: the
    locale and address fields are taken out of it unless they are placeholders)."""
    locale_field, to_field = job.locale_field, job.to_field
    locale = rec.get(locale_field) if locale_field else None
    to = rec.get(to_field)
    if locale_field and locale_field not in placeholders:
        rec.pop(locale_field, None)
    if to_field not in placeholders:
        rec.pop(to_field, None)
    # negotiated here: a fallback is no warning per record, the output shows the locale used
    neg = kit.negotiate(None if locale is None else str(locale))
    return kit.render(job.template, rec, locale=neg.locale,
                      strict=False if job.ignore_unknown else None), to


def _message(email: Any, job: Job, to: Any) -> bytes:
    if not to:
        raise ValueError(f"no recipient (field {job.to_field!r})")
    return email.to_bytes(sender=job.sender, to=to)


def _mbox_entry(msg_bytes: bytes, from_line: bytes) -> bytes:
    """One mbox entry: a From_ line, the message with LF line ends and '>From ' quoting."""
    body = msg_bytes.translate(None, b"\r")   # to_bytes writes a CR only before an LF
    if b"From " in body:   # rare: then line by line
        body = b"\n".join(b">" + line if line.startswith((b"From ", b">From ")) else line
                          for line in body.split(b"\n"))
    return from_line + body.rstrip(b"\n") + b"\n\n"


_calls = itertools.count()
_json_line = json.JSONEncoder(ensure_ascii=False).encode   # json.dumps(row, ensure_ascii=False)


# --- writing -----------------------------------------------------------------------------------

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
_TMPFILE = getattr(os, "O_TMPFILE", 0)
# what says the O_TMPFILE route is not available here (the file system, the kernel, no
# /proc), as opposed to a failure of this one file
_NO_TMPFILE = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL}
_NO_LINK = {errno.ENOENT, errno.EXDEV, errno.EPERM, errno.EACCES, errno.EOPNOTSUPP}


class NewFiles:
    """Files written once each into one folder: a reader or a crash never sees half a file,
    and a file that exists (an interrupted run wrote it) is kept, never rewritten. Not
    fsynced: see :func:`make_durable`. An OS failure is a
    :class:`~tplkit.errors.WriteError` naming the file.

    Linux: each file starts as an unnamed file in the folder (``O_TMPFILE``), is written,
    and then gets its name (``linkat`` of ``/proc/self/fd/N``), which refuses a name that
    exists by itself. That is one change to the folder a file. The other route, a temporary
    name checked and renamed into place, is two, and two processes writing into one folder
    wait on each other's: two processes write 1.1-1.2x the files a second of one that way,
    1.8-1.9x this way (``benchmarks/run.py --only files``). Where the route is not available
    (another system, a file system without ``O_TMPFILE``, no ``/proc``), the other is taken.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.linking = bool(_TMPFILE)        # the O_TMPFILE route, until it proves unavailable
        self._dir: int | None = None         # the folder, for linkat
        self._tmp = os.path.join(folder, f".tplkit-{os.getpid()}-{next(_calls)}.tmp")

    def __enter__(self) -> NewFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._dir is not None:
            os.close(self._dir)
            self._dir = None

    def write(self, name: str, data: bytes) -> bool:
        """Write ``folder/name``; False, and nothing written, when it exists."""
        path = os.path.join(self.folder, name)
        try:
            if self.linking:
                done = self._link(name, data)
                if done is not None:
                    return done
            return self._rename(path, data)
        except OSError as e:
            raise WriteError(f"cannot write: {e.strerror or e}", file=path) from e

    def _link(self, name: str, data: bytes) -> bool | None:
        """The O_TMPFILE route; None when it is not available (and not tried again)."""
        try:
            if self._dir is None:
                self._dir = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            fd = os.open(self.folder, _TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o666)
        except OSError as e:
            if e.errno not in _NO_TMPFILE:
                raise
            self.linking = False
            return None
        try:
            _write_all(fd, data)
            # a dir fd makes os.link call linkat, which follows the /proc link to the file
            os.link(f"/proc/self/fd/{fd}", name, src_dir_fd=self._dir, dst_dir_fd=self._dir)
        except FileExistsError:
            return False
        except OSError as e:
            if e.errno not in _NO_LINK:
                raise
            self.linking = False
            return None
        finally:
            os.close(fd)
        return True

    def _rename(self, path: str, data: bytes) -> bool:
        """A temporary name in the folder, renamed into place (when ``path`` is free)."""
        if os.path.lexists(path):
            return False
        try:
            fd = os.open(self._tmp, _CREATE, 0o666)
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
            os.rename(self._tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            raise
        return True


def _write_all(fd: int, data: bytes) -> None:
    done = os.write(fd, data)
    if done < len(data):
        view = memoryview(data)[done:]
        while view:
            view = view[os.write(fd, view):]


def make_durable(folder: str) -> None:
    """Flush the files written so far in ``folder``'s file system to disk: one flush for
    every message file written since the last (an fsync per file cost a disk flush per
    message). Linux: ``syncfs`` on that file system only; elsewhere ``os.sync``."""
    syncfs = _syncfs()
    if syncfs is not None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    if hasattr(os, "sync"):
        os.sync()


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    """libc's ``syncfs(fd)`` (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return cast(Callable[[int], int], ctypes.CDLL(None, use_errno=True).syncfs)
    except (OSError, AttributeError):
        return None


def render_chunk(job: Job, index: int, records: list[tuple[int, Any]],
                 part_name: str | None = None) -> tuple[int, int, list[dict]]:
    """Render and write one chunk; returns (chunk index, messages written, errors)."""
    kit, placeholders = load_kit(job)
    part = Path(job.out) / (part_name or f"part-{index:05d}.{job.fmt}")
    if job.fmt != "eml" and part.exists():   # written by an interrupted run: keep it
        return index, 0, _errors_only(kit, job, placeholders, records)
    errors: list[dict] = []
    pieces: list[bytes] = []
    written = 0
    fmt, kind = job.fmt, job.data_kind
    folder = os.path.join(job.out, "messages")
    if fmt == "eml":
        with contextlib.suppress(OSError):   # if it cannot be made, each record says why
            os.makedirs(folder, exist_ok=True)
    from_line = b"From tplkit@localhost " + time.asctime(time.gmtime()).encode() + b"\n"
    with NewFiles(folder) as files:
        for line, raw in records:
            try:
                email, to = render_record(kit, job, placeholders, parse_record(kind, raw))
                if fmt == "eml":
                    if files.write(f"{line:08d}.eml", _message(email, job, to)):
                        written += 1
                    continue
                if fmt == "jsonl":
                    row = {"line": line, **email.as_dict(), "to": to}
                    pieces.append(_json_line(row).encode() + b"\n")
                else:
                    pieces.append(_mbox_entry(_message(email, job, to), from_line))
                written += 1
            except (TplkitError, ValueError, TypeError) as e:
                errors.append(_error(line, e))
    if fmt != "eml" and pieces:
        atomic_write(part, b"".join(pieces))
    return index, written, errors


def _errors_only(kit: Kit, job: Job, placeholders: frozenset, records: list[tuple[int, Any]]) -> list[dict]:
    """The errors of a chunk whose output file already exists (validation only)."""
    errors = []
    for line, raw in records:
        try:
            render_record(kit, job, placeholders, parse_record(job.data_kind, raw))
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
