"""tplkit batch --engine celery and tplkit.celery: real workers, Redis broker, PostgreSQL send log,
aiosmtpd relay, all on loopback; each run ends with every record sent exactly once (counted by
Message-ID at the relay) or recorded failed, through worker and broker crashes.

These start services and take a while, so CI runs them once per run (the first pass of .ci/run;
the later passes set TPLKIT_SKIP_SERVICE_TESTS=1)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from services import PostgresServer, RedisServer, Worker, wait_for
from smtp_relay import RunningRelay, write_records

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("TPLKIT_SKIP_SERVICE_TESTS") == "1",
                       reason="the multi-service Celery tests ran in an earlier pass of this CI run"),
]

LEASE = "6"           # seconds before a dead worker's claims are taken over
VISIBILITY = "5"      # seconds before a dead worker's unacknowledged tasks are delivered again


@pytest.fixture(scope="module")
def postgres():
    """A fresh PostgreSQL cluster: the shared send log."""
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """redis-server with an fsynced append-only file: the broker."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """A prebuilt artefact (tplkit build): all the workers load."""
    out = tmp_path_factory.mktemp("build") / "b"
    subprocess.run([sys.executable, "-m", "tplkit", "build", "-o", str(out)], check=True, capture_output=True)
    return out


@pytest.fixture
def workers(tmp_path, redis_server, postgres, build):
    """Start/stop helper for worker processes; every worker is stopped at the end."""
    started: list[Worker] = []

    def start(name: str) -> Worker:
        w = Worker(name, redis_server.url, {"TPLKIT_BUILD": str(build), "TPLKIT_SEND_LOG": postgres.url,
                                            "TPLKIT_VISIBILITY_TIMEOUT": VISIBILITY},
                   tmp_path / f"{name}.log")
        started.append(w.start())
        return w

    yield start
    for w in started:
        w.stop()


def driver(data: Path, out: Path, relay_url: str, redis_server, postgres, build, *extra: str):
    """``tplkit batch ... --engine celery`` as a user runs it (a subprocess)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tplkit", "batch", "acknowledgement", "--data", str(data), "-o", str(out),
         "--send", relay_url, "--engine", "celery", "--broker", redis_server.url,
         "--send-log", postgres.url, "--build", str(build), "--lease", LEASE, "--chunk-size", "50",
         "--backoff", "0.2", "--backoff-max", "1", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def log_rows(postgres, out: Path) -> dict[str, tuple]:
    """record -> (state, attempts, reclaims, message_id, reply, owner) of the folder's batch."""
    import json

    import psycopg

    batch = json.loads((out / ".tplkit-send.json").read_text())["batch"]
    with psycopg.connect(postgres.url) as db:
        return {r[0]: r[1:] for r in db.execute(
            "SELECT record, state, attempts, reclaims, message_id, reply, owner FROM tplkit_send "
            "WHERE batch = %s", (batch,))}


def assert_exactly_once(inbox, rows: dict[str, tuple], n: int, concurrency: int = 0) -> None:
    """Every record sent once (a duplicate only for a record whose claim was taken over from a
    killed worker, at most one per thread it had) or failed."""
    assert len(rows) == n and {r[0] for r in rows.values()} <= {"sent", "failed"}
    sent = {r[3] for r in rows.values() if r[0] == "sent"}
    assert set(inbox.received) == sent
    reclaimed = {r[3] for r in rows.values() if r[2] > 0}
    assert set(inbox.duplicates()) <= reclaimed and len(inbox.duplicates()) <= concurrency


def test_two_workers_send_2000_records_exactly_once(tmp_path, workers, redis_server, postgres, build):
    """2,000 records across two workers: each delivered once, both workers took part."""
    data = write_records(tmp_path / "r.jsonl", 2000, tag="two-")
    relay = RunningRelay()
    with relay as inbox:
        workers("w1"), workers("w2")
        started = time.monotonic()
        code, err = finish(driver(data, tmp_path / "out", relay.url, redis_server, postgres, build))
        elapsed = time.monotonic() - started
        assert code == 0, err
        rows = log_rows(postgres, tmp_path / "out")
        assert_exactly_once(inbox, rows, 2000)
        assert len(inbox.received) == 2000 and not inbox.duplicates()
        assert len({r[5].split(":")[1] for r in rows.values()}) == 2     # two worker processes
        print(f"\n2000 messages, 2 workers (4 threads each): {elapsed:.1f} s, {2000 / elapsed:.0f} msg/s")


def test_worker_killed_mid_batch_and_restarted(tmp_path, workers, redis_server, postgres, build):
    """SIGKILL one worker mid-batch and start it again: its tasks come back, its claims are
    taken over after the lease, every record ends sent once."""
    data = write_records(tmp_path / "r.jsonl", 600, tag="kill-")
    relay = RunningRelay()
    with relay as inbox:
        w1, _ = workers("w1"), workers("w2")
        proc = driver(data, tmp_path / "out", relay.url, redis_server, postgres, build, "--rate", "50/s")
        wait_for(lambda: len(inbox.received) >= 150, "150 messages at the relay", timeout=120)
        w1.kill()
        killed_at = len(inbox.received)
        assert killed_at < 600
        workers("w1-again")
        code, err = finish(proc)
        assert code == 0, err
        assert_exactly_once(inbox, log_rows(postgres, tmp_path / "out"), 600, concurrency=4)
        assert len(inbox.received) == 600


def test_greylisting_relay_and_refused_recipients(tmp_path, workers, redis_server, postgres, build):
    """451 for a while, then 250: retried until accepted; 550 recipients: failed with the reply."""
    refused = {7, 70, 140}
    data = write_records(tmp_path / "r.jsonl", 200, refused=refused, tag="grey-")
    relay = RunningRelay()
    with relay as inbox:
        inbox.greylist_count = 300      # the first 300 deliveries are greylisted
        workers("w1"), workers("w2")
        code, err = finish(driver(data, tmp_path / "out", relay.url, redis_server, postgres, build,
                                  "--attempts", "30"))
        assert code == 1 and "197 sent" in err and "3 failed" in err
        rows = log_rows(postgres, tmp_path / "out")
        assert_exactly_once(inbox, rows, 200)
        assert inbox.greylisted == 300 and len(inbox.received) == 197
        assert {k for k, r in rows.items() if r[0] == "failed"} == {str(i) for i in refused}
        assert {r[4] for r in rows.values() if r[0] == "failed"} == {"550 5.1.1 no such user here"}
        assert {r[1] for r in rows.values() if r[0] == "failed"} == {1}    # 5xx: never retried
        assert max(r[1] for r in rows.values()) > 1                         # 451: retried
    status = subprocess.run([sys.executable, "-m", "tplkit", "batch", "status", str(tmp_path / "out")],
                            capture_output=True, text=True, check=False)
    assert status.returncode == 0, status.stderr
    assert status.stdout.count("batch ") == 1 and "197 sent, 3 failed" in status.stdout
    assert "line 70 failed c70@refused.example" in status.stdout


def test_broker_restarted_mid_batch(tmp_path, workers, redis_server, postgres, build):
    """Redis stopped and started again mid-batch: queued tasks survive (append-only file), the
    workers reconnect, and every record ends sent once."""
    data = write_records(tmp_path / "r.jsonl", 600, tag="broker-")
    relay = RunningRelay()
    with relay as inbox:
        workers("w1"), workers("w2")
        proc = driver(data, tmp_path / "out", relay.url, redis_server, postgres, build, "--rate", "50/s")
        wait_for(lambda: len(inbox.received) >= 150, "150 messages at the relay", timeout=120)
        redis_server.stop()
        stopped_at = len(inbox.received)
        time.sleep(1.0)
        redis_server.start()
        code, err = finish(proc)
        assert code == 0, err
        assert stopped_at < 600
        assert_exactly_once(inbox, log_rows(postgres, tmp_path / "out"), 600)   # nobody died: no duplicate
        assert len(inbox.received) == 600


def test_send_email_task_sends_once_per_message_id(workers, redis_server, postgres, build, monkeypatch):
    """The single-message task: rendered by a worker from the build, greylisted once and retried,
    sent once even when the same message is queued twice; a 550 is recorded failed."""
    import psycopg

    from tplkit.celery import app, send_email

    relay = RunningRelay()
    with relay as inbox:
        inbox.greylist_count = 1
        monkeypatch.setenv("TPLKIT_SMTP", relay.url)
        monkeypatch.setenv("TPLKIT_SMTP_BACKOFF", "0.2")
        workers("single")   # started with TPLKIT_SMTP* from this process's environment
        app.conf.broker_url = redis_server.url
        ctx = {"customer_name": "Olena", "ticket_id": "SR-77", "request_url": "https://help.example/r/77"}
        for _ in range(2):
            send_email.apply_async(("acknowledgement", ctx, "olena@example.com"),
                                   {"locale": "uk", "message_id": "<ack-SR-77@northwind.example>"})
        send_email.apply_async(("acknowledgement", ctx, "nobody@refused.example"),
                               {"message_id": "<ack-SR-78@northwind.example>"})
        import redis

        broker = redis.Redis.from_url(redis_server.url)
        wait_for(lambda: inbox.received, "the acknowledgement at the relay", timeout=60)
        # both tasks ran and were acknowledged (acks_late: only after running)
        wait_for(lambda: broker.llen("tplkit") == 0 and broker.hlen("unacked") == 0, "both tasks done")
        assert dict(inbox.received) == {"<ack-SR-77@northwind.example>": 1} and inbox.greylisted == 1
        assert inbox.rcpts["<ack-SR-77@northwind.example>"] == ["olena@example.com"]
        with psycopg.connect(postgres.url) as db:
            rows = dict(db.execute("SELECT record, state || ' ' || attempts || ' ' || reply FROM tplkit_send "
                                   "WHERE batch = 'tasks'").fetchall())
        assert rows == {"<ack-SR-77@northwind.example>": "sent 2 250 OK",
                        "<ack-SR-78@northwind.example>": "failed 1 550 5.1.1 no such user here"}
