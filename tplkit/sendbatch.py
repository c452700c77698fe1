"""Sending a batch: render each record and deliver it, exactly once, recorded in a send log.

:class:`RecordSender` is the one piece of code that handles a record, used alike by the local
engine (:func:`send_batch`: threads on this machine, SQLite log in the batch folder) and by the
Celery workers (:mod:`tplkit.celery`, PostgreSQL log). For each record it:

1. claims it in the log (skipped if sent, failed, or held by another live sender);
2. renders it (a bad record is recorded ``failed`` with the error) with a Message-ID derived
   from the batch and the record (:func:`message_id`), so a resend is recognisable;
3. waits for the rate limiter and hands it to the relay over a kept-open connection;
4. records ``sent``, ``retrying`` (4xx / connection error, backoff with jitter) or ``failed``
   (5xx, or the attempts are used up) with the server's reply.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .batchwriter import Job, load_kit, render_record
from .delivery import RateLimiter, Relay, RetryPolicy, SMTPConnection, envelope
from .errors import TplkitError
from .fsutil import atomic_write
from .records import parse_record, read_records
from .send import SendError
from .sendlog import SQLITE_NAME, SendLog, SendLogError, open_log, redact

LOCK_NAME = ".tplkit-send.lock"
MARK_NAME = ".tplkit-send.json"


@dataclass
class SendSpec:
    """What every sender of a batch needs besides the records (JSON-able: it travels to Celery
    workers). No secret is in it: the password is read from ``relay.password_env`` where the
    message is sent."""

    batch: str
    job: Job
    relay: Relay
    domain: str
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    lease: float = 300.0           # seconds a claim is held before others may take it over
    rate: float | None = None      # messages per second, per sending process
    build_sha256: str | None = None  # Celery: the build the workers must have loaded

    def to_json(self) -> dict:
        """A plain dict for a task message."""
        return {"batch": self.batch, "job": asdict(self.job), "relay": asdict(self.relay),
                "domain": self.domain, "policy": asdict(self.policy), "lease": self.lease,
                "rate": self.rate, "build_sha256": self.build_sha256}

    @classmethod
    def from_json(cls, data: dict) -> SendSpec:
        """The inverse of :meth:`to_json`."""
        return cls(batch=data["batch"], job=Job(**data["job"]), relay=Relay(**data["relay"]),
                   domain=data["domain"], policy=RetryPolicy(**data["policy"]),
                   lease=data["lease"], rate=data["rate"], build_sha256=data.get("build_sha256"))


def batch_id(job: Job, data: Path) -> str:
    """A batch's id: the template, how records are read and the data file's content."""
    h = hashlib.sha256()
    for part in (job.template, job.to_field, job.locale_field or "", str(job.ignore_unknown)):
        h.update(part.encode() + b"\0")
    h.update(hashlib.sha256(data.read_bytes()).digest())
    return h.hexdigest()[:16]


def message_id(batch: str, record: str, domain: str) -> str:
    """The deterministic Message-ID of one record of one batch."""
    return f"<tplkit.{batch}.{record}@{domain}>"


def relay_password(relay: Relay) -> str | None:
    """The relay password from the environment variable the relay names."""
    if not relay.password_env:
        return None
    password = os.environ.get(relay.password_env)
    if password is None:
        raise SendError(f"environment variable {relay.password_env} is not set")
    return password


class RecordSender:
    """Claims, renders, delivers and records messages of one batch; one per thread."""

    def __init__(self, spec: SendSpec, log: SendLog, limiter: RateLimiter,
                 owner: str | None = None, conn: SMTPConnection | None = None) -> None:
        self.spec = spec
        self.log = log
        self.limiter = limiter
        self.owner = owner or f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.conn = conn or SMTPConnection(spec.relay, relay_password(spec.relay))
        self.next_at: float | None = None   # after "retrying": when the next attempt is due
        self.last_reply = ""                # after "failed": why

    def process(self, line: int, raw: Any) -> str | None:
        """Handle one record of the batch file; returns its new state, or None if it was not
        ours to send."""
        return self.deliver(str(line), functools.partial(self._from_record, raw),
                            message_id(self.spec.batch, str(line), self.spec.domain))

    def _from_record(self, raw: Any, mid: str) -> tuple[bytes, str, list[str]]:
        job = self.spec.job
        kit, placeholders = load_kit(job)
        email, to = render_record(kit, job, placeholders, parse_record(job.data_kind, raw))
        if not to:
            raise ValueError(f"no recipient (field {job.to_field!r})")
        return message_bytes(email, job.sender or "", str(to), mid)

    def deliver(self, key: str, make: Callable[[str], tuple[bytes, str, list[str]]],
                mid: str) -> str | None:
        """Claim ``key``, build its message with ``make(message_id)`` (-> bytes, envelope
        sender, recipients), send it and record the outcome. Returns the new state, or None
        if the record was sent, failed or held by someone else."""
        spec = self.spec
        attempt = self.log.claim(spec.batch, key, self.owner, spec.lease)
        if attempt is None:
            return None
        try:
            msg, mail_from, rcpts = make(mid)
        except (TplkitError, ValueError, TypeError) as e:
            self.last_reply = f"not rendered: {getattr(e, 'message', None) or e}"
            self.log.mark_failed(spec.batch, key, self.owner, self.last_reply)
            return "failed"
        self.limiter.acquire()
        try:
            outcome = self.conn.send(msg, mail_from, rcpts)
        except BaseException:
            self.log.release(spec.batch, [key], self.owner)  # a set-up error: nothing was sent
            raise
        if outcome.status == "sent":
            self.log.mark_sent(spec.batch, key, mid, outcome.reply)
            return "sent"
        if outcome.status == "retry" and attempt < spec.policy.attempts:
            self.next_at = time.time() + spec.policy.delay(attempt)
            self.log.mark_retry(spec.batch, key, self.owner, outcome.reply, self.next_at)
            return "retrying"
        reply = outcome.reply if outcome.status == "failed" else \
            f"gave up after {attempt} attempt(s): {outcome.reply}"
        self.log.mark_failed(spec.batch, key, self.owner, reply, mid)
        self.last_reply = reply
        return "failed"

    def close(self) -> None:
        """Close the SMTP connection."""
        self.conn.close()


def message_bytes(email: Any, sender: str, to: str, mid: str) -> tuple[bytes, str, list[str]]:
    """A rendered email as (bytes with the given Message-ID, envelope sender, recipients):
    :meth:`~tplkit.RenderedEmail.to_bytes`, the message ``to_message`` describes without
    the email package's header objects (a millisecond a message)."""
    msg = email.to_bytes(sender=sender, to=to, message_id=mid)
    mail_from, rcpts = envelope(sender, to)
    return msg, mail_from, rcpts


# --- the local engine ----------------------------------------------------------------------

@dataclass
class Stats:
    """Progress of a send: shown next to the bar."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    sent_now: int = 0           # sent by this run (for the rate)
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        """Messages per second sent by this run."""
        return self.sent_now / max(1e-9, time.monotonic() - self.started)

    def __str__(self) -> str:
        return (f"sent {self.sent} · failed {self.failed} · retrying {self.retrying} · "
                f"{self.rate:.1f} msg/s")


class SendProgress(Protocol):
    """What :func:`send_batch` reports to: ``update(steps, stats)`` after each finished record,
    ``update(0, stats)`` now and then to show the counts while waiting (the CLI's bar redraws)."""

    def __enter__(self) -> SendProgress: ...
    def __exit__(self, exc_type: Any, exc: Any, tb: Any, /) -> Any: ...
    def update(self, n_steps: int, current_item: Any = None, /) -> None: ...


@contextlib.contextmanager
def folder_lock(out: Path) -> Iterator[None]:
    """Hold the batch folder's lock: one sending process per folder. Free means whoever held
    it before is gone, so its claims can be taken over at once."""
    import fcntl  # POSIX only: imported where the lock is taken, so the module loads anywhere

    out.mkdir(parents=True, exist_ok=True)
    with open(out / LOCK_NAME, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SendLogError("another tplkit process is sending this batch folder",
                               file=str(out)) from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def own_folder(out: Path, spec: SendSpec, log_url: str | None = None) -> None:
    """Tie the batch folder to this batch: a re-run with other data or options would be a new
    batch and send everything again, so it is refused. A shared log's URL is noted for
    ``tplkit batch status`` unless it holds a password."""
    mark = out / MARK_NAME
    out.mkdir(parents=True, exist_ok=True)
    if mark.is_file():
        found = json.loads(mark.read_text(encoding="utf-8")).get("batch")
        if found != spec.batch:
            raise SendLogError(f"this folder holds batch {found}; the data, template or --to-field/"
                               "--locale-field/--ignore-unknown differ, which makes another batch "
                               "(use another folder)", file=str(out))
        return
    note = {"batch": spec.batch, "template": spec.job.template}
    if log_url and redact(log_url) == log_url:
        note["send_log"] = log_url
    atomic_write(mark, json.dumps(note))


def prepare(spec: SendSpec, log: SendLog, data: Path, records: list[tuple[int, Any]],
            retry_failed: bool = False) -> None:
    """Record the batch and its records in the log (idempotent); optionally put the failed
    records back to pending."""
    job = spec.job
    log.start_batch(spec.batch, {"template": job.template, "data": data.name,
                                 "to_field": job.to_field, "locale_field": job.locale_field})
    log.add(spec.batch, ((str(line), _recipient(job, raw)) for line, raw in records))
    if retry_failed:
        log.retry_failed(spec.batch)


def _recipient(job: Job, raw: Any) -> str | None:
    try:
        to = parse_record(job.data_kind, raw).get(job.to_field)
    except ValueError:
        return None
    return None if to is None else str(to)


def send_batch(spec: SendSpec, data: Path, out: Path, *, concurrency: int = 4,
               retry_failed: bool = False, log_url: str | None = None,
               progress: Callable[..., SendProgress] | None = None,
               sleep: Callable[[float], None] = time.sleep) -> dict:
    """Send every record of ``data`` on this machine with ``concurrency`` threads, each with
    its own SMTP connection; resume from the log (``out/sendlog.sqlite3`` unless ``log_url``).

    Returns the final counts per state plus ``sent_now`` (sent by this run).
    """
    kind, records = read_records(data)
    spec.job.data_kind = kind
    with folder_lock(out):
        own_folder(out, spec)
        log = open_log(log_url or out / SQLITE_NAME)
        try:
            prepare(spec, log, data, records, retry_failed)
            if log_url is None:   # the folder's own log, and we hold its lock: their owner is gone
                log.expire_claims(spec.batch)
            return _run_local(spec, log, records, concurrency, progress, sleep)
        finally:
            log.close()


def _run_local(spec: SendSpec, log: SendLog, records: list[tuple[int, Any]], concurrency: int,
               progress: Callable[..., SendProgress] | None, sleep: Callable[[float], None]) -> dict:
    counts = log.counts(spec.batch)
    stats = Stats(sent=counts["sent"], failed=counts["failed"], retrying=counts["retrying"])
    limiter = RateLimiter(spec.rate)
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []
    bar = progress(length=len(records)) if progress else None

    def worker(queue: list[tuple[int, Any]], was_retrying: set[str]) -> None:
        sender = RecordSender(spec, log, limiter)
        try:
            while not stop.is_set():
                with lock:
                    if not queue:
                        return
                    line, raw = queue.pop()
                state = sender.process(line, raw)
                with lock:
                    if state is None:
                        continue
                    if str(line) in was_retrying:
                        stats.retrying -= 1
                    stats.sent += state == "sent"
                    stats.sent_now += state == "sent"
                    stats.failed += state == "failed"
                    stats.retrying += state == "retrying"
                    if bar and state in ("sent", "failed"):
                        bar.update(1, stats)
        except BaseException as e:  # a set-up error (login refused): stop everyone
            errors.append(e)
            stop.set()
        finally:
            sender.close()

    with bar if bar is not None else contextlib.nullcontext():
        if bar:
            bar.update(stats.sent + stats.failed, stats)
        while True:
            todo = log.unfinished(spec.batch)
            if not todo:
                break
            now = time.time()
            due = {e.record for e in log.entries(spec.batch) if e.record in todo
                   and (e.state == "pending" or (e.next_at or 0) <= now)}
            if not due:
                wake = log.next_due(spec.batch)
                sleep(max(0.05, min(1.0, (wake or now) - now)))
                if bar:
                    with lock:
                        bar.update(0, stats)
                continue
            retrying = {e.record for e in log.entries(spec.batch, "retrying")}
            queue = [r for r in reversed(records) if str(r[0]) in due]
            threads = [threading.Thread(target=worker, args=(queue, retrying), daemon=True)
                       for _ in range(max(1, min(concurrency, len(queue))))]
            try:
                for t in threads:
                    t.start()
                for t in threads:
                    while t.is_alive():
                        t.join(0.2)
                        if bar:
                            with lock:      # the workers update it too
                                bar.update(0, stats)
            except KeyboardInterrupt:
                stop.set()      # messages in flight finish and are recorded; the rest stay pending
                for t in threads:
                    if t.is_alive():
                        t.join()
                raise
            if errors:
                raise errors[0]
    counts = log.counts(spec.batch)
    return {**counts, "records": len(records), "sent_now": stats.sent_now,
            "reclaimed": sum(e.reclaims > 0 for e in log.entries(spec.batch))}
