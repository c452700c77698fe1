"""Atomic file writes: a crash never leaves a half-written file in place."""
from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path

from .errors import WriteError

_umask_lock = threading.Lock()


def umask() -> int:
    """The process's umask (read by setting it and setting it back, under a lock)."""
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def file_mode(path: str | os.PathLike) -> int:
    """The mode a new file at ``path`` gets: an existing file keeps its own, a new one gets
    what ``open()`` would give (0o666 minus the umask), not ``mkstemp``'s private 0o600."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~umask()


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` to a temporary file next to ``path``, fsync it, then rename it over.

    The file gets the umask's mode (or keeps its own); any OS failure (read-only folder,
    disk full) is a :class:`~tplkit.errors.WriteError` naming ``path``."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        _atomic_write(path, data)
    except OSError as e:
        raise WriteError(f"cannot write: {e.strerror or e}", file=path) from e


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
