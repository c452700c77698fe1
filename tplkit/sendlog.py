"""The durable send log: one row per (batch, record) with its delivery state.

States: ``pending`` -> ``sending`` (claimed by one sender, with a lease) -> ``sent`` (with the
Message-ID and the server's reply) | ``retrying`` (with the next attempt time) | ``failed``
(with the SMTP reply or the render error). A record is only ever sent by whoever *claimed* it:
the claim is one conditional ``UPDATE`` whose row count says who won, so two workers, two runs
or a redelivered Celery task never both send it. The one window no log can close: the server
accepted the message and the sender died before writing ``sent``; the lease then expires, the
record is claimed again (``reclaims`` counts it) and sent a second time with the *same*
deterministic Message-ID, so the duplicate is recognisable.

Two backends, one SQL: SQLite (stdlib ``sqlite3``, WAL mode, ``synchronous=FULL``) in the batch
folder for one machine, PostgreSQL (``psycopg``, the ``celery`` extra) for many machines.
Times are Unix seconds from the writer's clock (keep the workers' clocks in sync, NTP).
"""
from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import TplkitError

STATES = ("pending", "sending", "retrying", "sent", "failed")
SQLITE_NAME = "sendlog.sqlite3"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS tplkit_batch (
        batch TEXT PRIMARY KEY, meta TEXT NOT NULL, created DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS tplkit_send (
        batch TEXT NOT NULL, record TEXT NOT NULL, recipient TEXT,
        state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        reclaims INTEGER NOT NULL DEFAULT 0, message_id TEXT, reply TEXT,
        owner TEXT, next_at DOUBLE PRECISION, updated DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (batch, record))""",
    "CREATE INDEX IF NOT EXISTS tplkit_send_state ON tplkit_send (batch, state)",
)


class SendLogError(TplkitError):
    """The send log cannot be opened or does not belong to this batch."""


@dataclass(frozen=True)
class Entry:
    """One record's row of the send log."""

    record: str
    recipient: str | None
    state: str
    attempts: int
    reclaims: int
    message_id: str | None
    reply: str | None
    next_at: float | None
    updated: float


class SendLog:
    """A send log over a DB-API connection (SQLite or PostgreSQL); thread-safe.

    Open one with :func:`open_log`. Every method is one short transaction.
    """

    def __init__(self, conn: Any, *, paramstyle: str, where: str,
                 errors: tuple[type[Exception], ...] = (sqlite3.Error,)) -> None:
        self._conn = conn
        self._errors = errors
        self._qmark = paramstyle == "qmark"
        self._lock = threading.Lock()
        self.where = where
        with self._tx() as cur:
            for stmt in _SCHEMA:
                cur.execute(stmt)

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        with self._lock:
            cur = self._conn.cursor()
            try:
                yield cur
                self._conn.commit()
            except self._errors as e:
                self._rollback()
                raise SendLogError(f"send log {self.where}: {_one_line(e)}") from e
            except BaseException:
                self._rollback()
                raise
            finally:
                cur.close()

    def _rollback(self) -> None:
        with contextlib.suppress(*self._errors):   # a lost connection: the next statement says so
            self._conn.rollback()

    def _sql(self, sql: str) -> str:
        return sql if self._qmark else sql.replace("?", "%s")

    def _run(self, sql: str, params: Iterable[Any] = ()) -> int:
        with self._tx() as cur:
            cur.execute(self._sql(sql), tuple(params))
            return cur.rowcount

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._tx() as cur:
            cur.execute(self._sql(sql), tuple(params))
            return list(cur.fetchall())

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    # --- batches -----------------------------------------------------------------------------

    def start_batch(self, batch: str, meta: Mapping[str, Any]) -> None:
        """Record the batch and what it is (template, data hash, ...); a batch id seen before
        must describe the same batch."""
        text = json.dumps(dict(meta), sort_keys=True)
        with self._tx() as cur:
            cur.execute(self._sql("SELECT meta FROM tplkit_batch WHERE batch = ?"), (batch,))
            row = cur.fetchone()
            if row is None:
                cur.execute(self._sql("INSERT INTO tplkit_batch (batch, meta, created) VALUES (?, ?, ?)"),
                            (batch, text, time.time()))
            elif json.loads(row[0]) != json.loads(text):
                raise SendLogError(f"the send log holds another batch with id {batch} "
                                   "(template, data or options differ)", file=self.where)

    def batches(self) -> dict[str, dict]:
        """Every batch of this log: id -> its recorded description."""
        rows = self._rows("SELECT batch, meta FROM tplkit_batch ORDER BY created")
        return {b: json.loads(m) for b, m in rows}

    def add(self, batch: str, records: Iterable[tuple[str, str | None]]) -> None:
        """Add records as ``pending``; records already in the log keep their state."""
        now = time.time()
        rows = [(batch, key, to, now) for key, to in records]
        with self._tx() as cur:
            cur.executemany(self._sql(
                "INSERT INTO tplkit_send (batch, record, recipient, state, updated) "
                "VALUES (?, ?, ?, 'pending', ?) ON CONFLICT (batch, record) DO NOTHING"), rows)

    # --- one record's life -------------------------------------------------------------------

    def claim(self, batch: str, record: str, owner: str, lease: float) -> int | None:
        """Take the record for sending if it is pending, due for a retry, or claimed by a
        sender whose lease ran out. Returns the attempt number, or None if someone else has
        it or it is finished."""
        now = time.time()
        with self._tx() as cur:
            cur.execute(self._sql(
                "UPDATE tplkit_send SET state = 'sending', owner = ?, next_at = ?, updated = ?, "
                "attempts = attempts + 1, "
                "reclaims = reclaims + CASE WHEN state = 'sending' THEN 1 ELSE 0 END "
                "WHERE batch = ? AND record = ? AND (state = 'pending' OR "
                "(state IN ('retrying', 'sending') AND next_at <= ?))"),
                (owner, now + lease, now, batch, record, now))
            if cur.rowcount != 1:
                return None
            cur.execute(self._sql("SELECT attempts FROM tplkit_send WHERE batch = ? AND record = ?"),
                        (batch, record))
            return int(cur.fetchone()[0])

    def mark_sent(self, batch: str, record: str, message_id: str, reply: str) -> None:
        """The server accepted the message (whoever holds the claim now: sent is the truth)."""
        self._run("UPDATE tplkit_send SET state = 'sent', message_id = ?, reply = ?, next_at = NULL, "
                  "updated = ? WHERE batch = ? AND record = ?",
                  (message_id, reply, time.time(), batch, record))

    def mark_retry(self, batch: str, record: str, owner: str, reply: str, next_at: float) -> None:
        """A temporary failure (4xx, connection): try again at ``next_at``."""
        self._run("UPDATE tplkit_send SET state = 'retrying', reply = ?, next_at = ?, updated = ? "
                  "WHERE batch = ? AND record = ? AND state = 'sending' AND owner = ?",
                  (reply, next_at, time.time(), batch, record, owner))

    def mark_failed(self, batch: str, record: str, owner: str, reply: str,
                    message_id: str | None = None) -> None:
        """A permanent failure (5xx, attempts used up, render error), with the reason."""
        self._run("UPDATE tplkit_send SET state = 'failed', reply = ?, message_id = ?, next_at = NULL, "
                  "updated = ? WHERE batch = ? AND record = ? AND state = 'sending' AND owner = ?",
                  (reply, message_id, time.time(), batch, record, owner))

    def release(self, batch: str, records: Iterable[str], owner: str) -> None:
        """Give claims back untouched (a sender stopping before it sent them)."""
        for record in records:
            self._run("UPDATE tplkit_send SET state = 'pending', attempts = attempts - 1, next_at = NULL "
                      "WHERE batch = ? AND record = ? AND state = 'sending' AND owner = ?",
                      (batch, record, owner))

    def expire_claims(self, batch: str) -> int:
        """Make every ``sending`` claim claimable now: for one machine, when the process that
        held them is known to be dead (the batch folder's lock was free)."""
        return self._run("UPDATE tplkit_send SET next_at = ? WHERE batch = ? AND state = 'sending'",
                         (time.time() - 1, batch))

    def retry_failed(self, batch: str) -> int:
        """Put every failed record back to ``pending`` with fresh attempts; returns how many."""
        return self._run("UPDATE tplkit_send SET state = 'pending', attempts = 0, next_at = NULL, "
                         "updated = ? WHERE batch = ? AND state = 'failed'", (time.time(), batch))

    # --- reading -----------------------------------------------------------------------------

    def counts(self, batch: str) -> dict[str, int]:
        """Records per state (every state present, zero if none)."""
        found = dict(self._rows("SELECT state, COUNT(*) FROM tplkit_send WHERE batch = ? GROUP BY state",
                                (batch,)))
        return {s: int(found.get(s, 0)) for s in STATES}

    def entries(self, batch: str, state: str | None = None) -> list[Entry]:
        """The rows of a batch (of one state), in record order."""
        sql = ("SELECT record, recipient, state, attempts, reclaims, message_id, reply, next_at, updated "
               "FROM tplkit_send WHERE batch = ?")
        params: tuple = (batch,)
        if state:
            sql += " AND state = ?"
            params += (state,)
        rows = [Entry(*r) for r in self._rows(sql, params)]
        return sorted(rows, key=lambda e: (len(e.record), e.record))

    def unfinished(self, batch: str) -> set[str]:
        """Records not yet sent or failed."""
        return {r for (r,) in self._rows(
            "SELECT record FROM tplkit_send WHERE batch = ? AND state NOT IN ('sent', 'failed')", (batch,))}

    def waiting(self, batch: str, records: list[str]) -> dict[str, float]:
        """Of ``records``, those retrying or claimed, with when their retry or lease is due."""
        found: dict[str, float] = {}
        for s in range(0, len(records), 500):
            part = records[s:s + 500]
            found.update((r, float(t or 0)) for r, t in self._rows(
                "SELECT record, next_at FROM tplkit_send WHERE batch = ? AND state IN "
                f"('retrying', 'sending') AND record IN ({', '.join('?' * len(part))})", (batch, *part)))
        return found

    def next_due(self, batch: str) -> float | None:
        """When the earliest retry or claim lease is due (None: nothing waits)."""
        rows = self._rows("SELECT MIN(next_at) FROM tplkit_send WHERE batch = ? AND "
                          "state IN ('retrying', 'sending')", (batch,))
        return None if not rows or rows[0][0] is None else float(rows[0][0])


def open_log(url: str | Path) -> SendLog:
    """A send log: ``postgresql://...`` (needs psycopg, the ``celery`` extra), or a SQLite
    file (a path or ``sqlite:///path``; created, WAL mode)."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        try:
            import psycopg
        except ImportError:
            raise SendLogError("a PostgreSQL send log needs psycopg: pip install 'tplkit[celery]'") from None
        try:
            conn = psycopg.connect(text, connect_timeout=10)
        except psycopg.Error as e:
            raise SendLogError(f"cannot open the PostgreSQL send log: {_one_line(e)}") from None
        return SendLog(conn, paramstyle="format", where=redact(text), errors=(psycopg.Error,))
    path = Path(text.removeprefix("sqlite:///") if text.startswith("sqlite:///") else text)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level="DEFERRED")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        return SendLog(db, paramstyle="qmark", where=str(path))
    except (OSError, sqlite3.Error) as e:
        raise SendLogError(f"cannot open the send log: {e}", file=str(path)) from None


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not at or ":" not in creds:
        return url
    return f"{scheme}{sep}{creds.partition(':')[0]}:***@{host}"
