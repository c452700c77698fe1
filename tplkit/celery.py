"""Celery tasks: send batches (and single messages) from many machines.

Start workers with::

    TPLKIT_BUILD=/srv/tplkit-build TPLKIT_SEND_LOG=postgresql://tplkit@db/tplkit \\
        celery -A tplkit.celery -b redis://broker:6379/0 worker -Q tplkit --pool threads -c 8

Each worker loads the prebuilt artefact in ``TPLKIT_BUILD`` (``tplkit build``; no template
sources needed) and records every message in the shared PostgreSQL send log in
``TPLKIT_SEND_LOG``. Tasks are idempotent: they are acknowledged only after they ran
(``acks_late``; a task whose worker died is delivered again) and every message is claimed in
the log before it is sent, so a redelivered or duplicated task sends nothing twice.

* ``tplkit.send_chunk`` — a chunk of a batch (published by ``tplkit batch ... --engine celery``);
* ``tplkit.send_email`` — one message (ticket created -> acknowledgement), see :func:`send_email`.

Settings from the environment: ``TPLKIT_BROKER`` (or ``-b``), ``TPLKIT_BUILD``,
``TPLKIT_SEND_LOG``, ``TPLKIT_SMTP`` (relay for ``send_email``, ``smtp://HOST:PORT``),
``TPLKIT_SMTP_USER`` + ``TPLKIT_SMTP_PASSWORD``, ``TPLKIT_SMTP_STARTTLS=1``,
``TPLKIT_VISIBILITY_TIMEOUT`` (seconds before an unacknowledged task is delivered again;
default 3600: longer than any task runs).
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from celery import Celery
from kombu.exceptions import OperationalError

from .batch import Job, read_records
from .build import read_manifest
from .delivery import RateLimiter, Relay, RetryPolicy, SMTPConnection, envelope
from .kit import Kit
from .send import SendError, default_sender
from .sendbatch import (
    RecordSender,
    SendProgress,
    SendSpec,
    Stats,
    own_folder,
    prepare,
    relay_password,
)
from .sendlog import SendLog, SendLogError, open_log, redact

QUEUE = "tplkit"
SINGLE = "tasks"   # the send log's batch id for single messages

_VISIBILITY = float(os.environ.get("TPLKIT_VISIBILITY_TIMEOUT", 3600))

app = Celery("tplkit")
app.conf.update(
    broker_url=os.environ.get("TPLKIT_BROKER", "redis://127.0.0.1:6379/0"),
    task_default_queue=QUEUE,
    task_acks_late=True,                 # acknowledged after running: a killed worker's task comes back
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_serializer="json", accept_content=["json"],
    broker_connection_retry_on_startup=True,
    # Redis: a task unacknowledged for visibility_timeout (its worker died) is delivered again;
    # kombu >= 5.7 looks for such tasks every unacked_restore_interval seconds
    broker_transport_options={"visibility_timeout": _VISIBILITY,
                              "unacked_restore_interval": max(1, min(10, int(_VISIBILITY / 5))),
                              "unacked_restore_throttle": 1},
)

_local = threading.local()
_shared: dict[str, Any] = {}
_shared_lock = threading.Lock()


def _once(key: str, make: Callable[[], Any]) -> Any:
    with _shared_lock:
        if key not in _shared:
            _shared[key] = make()
        return _shared[key]


def worker_log() -> SendLog:
    """The worker process's connection to the shared send log (``TPLKIT_SEND_LOG``)."""
    url = os.environ.get("TPLKIT_SEND_LOG")
    if not url:
        raise SendLogError("set TPLKIT_SEND_LOG=postgresql://... for the workers (the shared send log)")
    return _once("log", lambda: open_log(url))


def worker_build(expected_sha256: str | None = None) -> str:
    """The build this worker renders from (``TPLKIT_BUILD``), checked against the one the
    batch was started with."""
    path = os.environ.get("TPLKIT_BUILD")
    if not path:
        raise SendError("set TPLKIT_BUILD to a 'tplkit build' folder for the workers")
    manifest = _once(f"manifest:{path}", lambda: read_manifest(path, check_sources=False))
    if expected_sha256 and manifest["inputs_sha256"] != expected_sha256:
        raise SendError(f"the worker's build {path} is not the build the batch was started with "
                        "(run 'tplkit build' from the same sources on every machine)")
    return str(Path(path).resolve())


def _connection(relay: Relay) -> SMTPConnection:
    """One SMTP connection per worker thread and relay, kept open between tasks."""
    conns = _local.__dict__.setdefault("conns", {})
    if relay not in conns:
        conns[relay] = SMTPConnection(relay, relay_password(relay))
    return conns[relay]


def _limiter(rate: float | None) -> RateLimiter:
    return _once(f"rate:{rate}", lambda: RateLimiter(rate))


@app.task(name="tplkit.send_chunk", bind=True, acks_late=True, reject_on_worker_lost=True)
def send_chunk(self, spec_json: dict, records: list) -> dict:
    """Send a chunk of a batch. Records to be retried, or claimed by a sender that may have died
    (a redelivered task), come back as a new task when their retry or the claim's lease is due."""
    spec = SendSpec.from_json(spec_json)
    spec.job.build, spec.job.project = worker_build(spec.build_sha256), None
    log = worker_log()
    sender = RecordSender(spec, log, _limiter(spec.rate), conn=_connection(spec.relay))
    done: dict[str, int] = {}
    for line, raw in records:
        state = sender.process(line, raw) or "skipped"
        done[state] = done.get(state, 0) + 1
    waiting = log.waiting(spec.batch, [str(line) for line, _ in records])
    later = [[line, raw] for line, raw in records if str(line) in waiting]
    if later:
        # published before this task is acknowledged: a crash in between runs both, harmlessly
        due = min(waiting[str(line)] for line, _ in later)
        send_chunk.apply_async((spec_json, later), countdown=max(0.0, due - time.time()))
    return done


@app.task(name="tplkit.send_email", bind=True, acks_late=True, reject_on_worker_lost=True,
          max_retries=None)
def send_email(self, template: str, context: Mapping[str, Any], to: str | Sequence[str], *,
               locale: str | None = None, sender: str | None = None, message_id: str | None = None,
               in_reply_to: str | None = None, references: Sequence[str] | None = None) -> dict:
    """Render ``template`` for one recipient and send it through ``TPLKIT_SMTP``, exactly once.

    Call it as ``send_email.delay("acknowledgement", {...}, "ann@example.com", locale="uk")``.
    The Message-ID is ``message_id`` or derived from the task id (stable across redeliveries);
    it is the key of the message in the send log, so the task may run twice but sends once.
    Temporary failures are retried with backoff (``TPLKIT_SMTP_ATTEMPTS``, default 8;
    ``TPLKIT_SMTP_BACKOFF`` seconds, default 60); a permanent one raises :class:`SendError`
    with the server's reply. Returns ``{"state": ..., "message_id": ...}``.
    """
    relay_url = os.environ.get("TPLKIT_SMTP")
    if not relay_url:
        raise SendError("set TPLKIT_SMTP=smtp://HOST:PORT for the workers")
    relay = Relay.parse(relay_url, starttls=os.environ.get("TPLKIT_SMTP_STARTTLS") == "1",
                        user=os.environ.get("TPLKIT_SMTP_USER"),
                        password_env="TPLKIT_SMTP_PASSWORD" if os.environ.get("TPLKIT_SMTP_USER") else None)
    build = worker_build()
    kit = _once(f"kit:{build}", lambda: Kit.from_build(build, check_sources=False))
    sender = sender or default_sender(kit.brand)
    domain = getaddresses([sender])[0][1].rpartition("@")[2] or "localhost"
    mid = message_id or f"<tplkit.{self.request.id}@{domain}>"
    log = worker_log()
    _once("single-batch", lambda: log.start_batch(SINGLE, {"template": "*", "data": "send_email tasks"}))
    log.add(SINGLE, [(mid, to if isinstance(to, str) else ", ".join(to))])
    policy = RetryPolicy(attempts=int(os.environ.get("TPLKIT_SMTP_ATTEMPTS", 8)),
                         base=float(os.environ.get("TPLKIT_SMTP_BACKOFF", 60)))
    spec = SendSpec(batch=SINGLE, job=Job(template=template, fmt="send", out=""), relay=relay,
                    domain=domain, policy=policy)

    def make(mid: str) -> tuple[bytes, str, list[str]]:
        email = kit.render(template, context, locale=locale)
        recipients = [to] if isinstance(to, str) else list(to)
        msg = email.to_message(sender=sender, to=recipients, message_id=mid, in_reply_to=in_reply_to,
                               references=references)
        return (bytes(msg), *envelope(sender, ", ".join(recipients)))

    worker = RecordSender(spec, log, _limiter(None), conn=_connection(relay))
    state = worker.deliver(mid, make, mid)
    if state == "retrying":
        raise self.retry(countdown=max(0.0, (worker.next_at or 0) - time.time()) + 0.01)
    if state == "failed":
        raise SendError(f"{template} to {to} failed: {worker.last_reply}")
    if state is None:   # a redelivered task: sent (or being sent) by an earlier run
        state = next(e.state for e in log.entries(SINGLE) if e.record == mid)
    return {"state": state, "message_id": mid}


def send_batch_celery(spec: SendSpec, data: Path, out: Path, *, broker: str, log_url: str,
                      chunk_size: int = 100, retry_failed: bool = False,
                      progress: Callable[..., SendProgress] | None = None, poll: float = 0.5,
                      stall: float | None = None) -> dict:
    """Publish the batch as ``tplkit.send_chunk`` tasks and follow the shared log until every
    record is sent or failed. Records that make no progress for ``stall`` seconds (default:
    the claim lease plus a minute) are published again (tasks are idempotent), so a task the
    broker lost is not a record lost."""
    app.conf.broker_url = broker
    if spec.job.build:
        spec.build_sha256 = read_manifest(spec.job.build, check_sources=False)["inputs_sha256"]
    kind, records = read_records(data)
    spec.job.data_kind = kind
    own_folder(out, spec, log_url)
    log = open_log(log_url)
    try:
        prepare(spec, log, data, records, retry_failed)
        spec_json = spec.to_json()

        def publish() -> None:
            todo = log.unfinished(spec.batch)
            try:
                for s in range(0, len(records), chunk_size):
                    left = [[line, raw] for line, raw in records[s:s + chunk_size] if str(line) in todo]
                    if left:
                        send_chunk.apply_async((spec_json, left), queue=QUEUE)
            except OperationalError as e:
                raise SendError(f"cannot publish to the broker {redact(broker)}: {e} "
                                "(re-run the same command when it is back: nothing is sent twice)") from None

        counts = log.counts(spec.batch)
        stats = Stats(sent=counts["sent"], failed=counts["failed"])
        first_sent = counts["sent"]
        bar = progress(length=len(records)) if progress else None
        stall = stall if stall is not None else spec.lease + 60
        with bar if bar is not None else contextlib.nullcontext():
            if bar:
                bar.update(stats.sent + stats.failed, stats)
            publish()
            last, changed = (counts["sent"], counts["failed"], counts["retrying"]), time.monotonic()
            while True:
                counts = log.counts(spec.batch)
                if bar:
                    bar.update(counts["sent"] + counts["failed"] - stats.sent - stats.failed, stats)
                stats.sent, stats.failed = counts["sent"], counts["failed"]
                stats.retrying = counts["retrying"]
                stats.sent_now = counts["sent"] - first_sent
                if counts["sent"] + counts["failed"] == len(records):
                    break
                now_key = (counts["sent"], counts["failed"], counts["retrying"])
                if now_key != last:
                    last, changed = now_key, time.monotonic()
                elif time.monotonic() - changed > stall and (log.next_due(spec.batch) or 0) <= time.time():
                    publish()
                    changed = time.monotonic()
                time.sleep(poll)
        counts = log.counts(spec.batch)
        return {**counts, "records": len(records), "sent_now": counts["sent"] - first_sent,
                "reclaimed": sum(e.reclaims > 0 for e in log.entries(spec.batch))}
    finally:
        log.close()

