"""tplkit batch --send: every record delivered exactly once to a real relay, or recorded failed."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from smtp_inbox import free_port
from smtp_relay import RunningRelay, write_records

from tplkit.cli import main
from tplkit.delivery import Relay, RetryPolicy, SMTPConnection, parse_rate
from tplkit.send import SendError
from tplkit.sendbatch import message_id
from tplkit.sendlog import open_log

FIXTURES = Path(__file__).parent / "fixtures"
BAD_RECORDS = FIXTURES / "batch" / "records.jsonl"


def send(data: Path, out: Path, relay_url: str, *extra: str):
    """Run ``tplkit batch acknowledgement --send`` in-process."""
    return CliRunner().invoke(main, ["batch", "acknowledgement", "--data", str(data), "-o", str(out),
                                     "--send", relay_url, "--backoff", "0.05", "--backoff-max", "0.2",
                                     *extra])


def log_rows(out: Path) -> dict[str, tuple]:
    """record -> (state, attempts, reclaims, message_id, reply), straight from the SQLite file."""
    with sqlite3.connect(out / "sendlog.sqlite3") as db:
        return {r[0]: r[1:] for r in db.execute(
            "SELECT record, state, attempts, reclaims, message_id, reply FROM tplkit_send")}


def test_batch_is_delivered_once_with_deterministic_message_ids(tmp_path):
    """Each record reaches the relay once, under the Message-ID derived from batch and line."""
    data = write_records(tmp_path / "r.jsonl", 30)
    relay = RunningRelay()
    with relay as inbox:
        res = send(data, tmp_path / "out", relay.url, "--concurrency", "3")
        assert res.exit_code == 0, res.output
        rows = log_rows(tmp_path / "out")
        assert {r[0] for r in rows.values()} == {"sent"} and len(rows) == 30
        batch = res.output.split("batch ")[1].split(":")[0]
        expected = {message_id(batch, str(i), "northwind.example") for i in range(1, 31)}
        assert set(inbox.received) == expected and not inbox.duplicates()
        assert {rows[str(i)][3] for i in range(1, 31)} == expected
        assert inbox.rcpts[message_id(batch, "7", "northwind.example")] == ["c7@example.com"]
        assert "30 sent (30 now), 0 failed of 30 record(s)" in res.output


def test_rerun_sends_nothing_twice(tmp_path):
    """Running the same command again finds every record sent and delivers nothing."""
    data = write_records(tmp_path / "r.jsonl", 12)
    relay = RunningRelay()
    with relay as inbox:
        assert send(data, tmp_path / "out", relay.url).exit_code == 0
        res = send(data, tmp_path / "out", relay.url)
        assert res.exit_code == 0, res.output
        assert "12 sent (0 now)" in res.output
        assert sum(inbox.received.values()) == 12


def test_bad_records_are_recorded_failed_and_listed_by_status(tmp_path):
    """Records that cannot be rendered are failed with the reason; status lists them by line."""
    out = tmp_path / "out"
    relay = RunningRelay()
    with relay as inbox:
        res = send(BAD_RECORDS, out, relay.url, "--locale-field", "lang")
        assert res.exit_code == 1
        rows = log_rows(out)
        assert {k for k, r in rows.items() if r[0] == "sent"} == {"1", "2", "6", "8"}
        assert rows["3"][0] == "failed" and rows["3"][4].startswith("not rendered: invalid JSON")
        assert rows["5"][4].startswith("not rendered:") and "ticket_id" in rows["5"][4]
        assert rows["7"][4] == "not rendered: no recipient (field 'email')"
        assert len(inbox.received) == 4
    status = CliRunner().invoke(main, ["batch", "status", str(out)])
    assert status.exit_code == 0
    assert "4 sent, 3 failed" in status.output.replace("0 pending, 0 sending, 0 retrying, ", "")
    assert "line 7 failed - not rendered: no recipient (field 'email')" in status.output


def test_greylisting_451_is_retried_until_accepted(tmp_path):
    """A relay answering 451 to the first messages gets them again after a backoff: all sent once."""
    data = write_records(tmp_path / "r.jsonl", 10)
    relay = RunningRelay()
    with relay as inbox:
        inbox.greylist_count = 14
        res = send(data, tmp_path / "out", relay.url, "--attempts", "6", "--concurrency", "2")
        assert res.exit_code == 0, res.output
        assert inbox.greylisted == 14
        assert len(inbox.received) == 10 and not inbox.duplicates()
        rows = log_rows(tmp_path / "out")
        assert sum(r[1] for r in rows.values()) == 10 + 14   # one attempt per answer
        assert {r[0] for r in rows.values()} == {"sent"}


def test_temporary_failures_end_as_failed_after_the_last_attempt(tmp_path):
    """A relay that greylists for ever: each record is failed after --attempts, with the reply."""
    data = write_records(tmp_path / "r.jsonl", 3)
    relay = RunningRelay()
    with relay as inbox:
        inbox.greylist_until = time.time() + 3600
        res = send(data, tmp_path / "out", relay.url, "--attempts", "3")
        assert res.exit_code == 1
        rows = log_rows(tmp_path / "out")
        assert {r[0] for r in rows.values()} == {"failed"} and {r[1] for r in rows.values()} == {3}
        assert rows["1"][4] == "gave up after 3 attempt(s): 451 4.7.1 greylisted, try again later"
        assert not inbox.received


def test_550_is_permanent_and_retry_failed_sends_only_those(tmp_path):
    """550 is recorded at once with the reply; --retry-failed later sends only the failed ones."""
    data = write_records(tmp_path / "r.jsonl", 8, refused={2, 5})
    out = tmp_path / "out"
    relay = RunningRelay()
    with relay as inbox:
        res = send(data, out, relay.url)
        assert res.exit_code == 1 and "6 sent (6 now), 2 failed of 8" in res.output
        rows = log_rows(out)
        assert rows["2"][:2] == ("failed", 1) and rows["2"][4] == "550 5.1.1 no such user here"
        status = CliRunner().invoke(main, ["batch", "status", str(out)])
        assert "line 5 failed c5@refused.example" in status.output
        inbox.refuse = set()        # the addresses were fixed at the relay
        res = send(data, out, relay.url, "--retry-failed")
        assert res.exit_code == 0 and "8 sent (2 now)" in res.output
        assert len(inbox.received) == 8 and not inbox.duplicates()


def test_another_batch_in_the_same_folder_is_refused(tmp_path):
    """Other data in a batch folder would send everyone again: refused with the reason."""
    out = tmp_path / "out"
    relay = RunningRelay()
    with relay:
        assert send(write_records(tmp_path / "a.jsonl", 2), out, relay.url).exit_code == 0
        res = send(write_records(tmp_path / "b.jsonl", 3), out, relay.url)
    assert res.exit_code == 1
    assert "which makes another batch (use another folder)" in res.output


def test_killed_sender_resumes_and_sends_each_record_once(tmp_path):
    """SIGKILL mid-batch, then the same command: every record sent; a duplicate only for a record
    whose claim was taken over (the documented window), with the same Message-ID."""
    data = write_records(tmp_path / "r.jsonl", 60)
    out = tmp_path / "out"
    relay = RunningRelay()
    cmd = [sys.executable, "-m", "tplkit", "batch", "acknowledgement", "--data", str(data), "-o", str(out),
           "--send", relay.url, "--rate", "40/s", "--concurrency", "2"]
    with relay as inbox:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while sum(inbox.received.values()) < 15 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        partial = sum(inbox.received.values())
        assert 15 <= partial < 60
        rows = log_rows(out)
        assert any(r[0] == "pending" for r in rows.values())
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        rows = log_rows(out)
        assert {r[0] for r in rows.values()} == {"sent"}
        assert len(inbox.received) == 60
        reclaimed = {r[3] for r in rows.values() if r[2] > 0}
        assert set(inbox.duplicates()) <= reclaimed and len(reclaimed) <= 2


def test_refused_login_stops_the_batch_and_sends_nothing(tmp_path):
    """A relay refusing the login would fail every record: the batch stops with the reply and
    the records stay pending for a corrected re-run."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
    from smtp_inbox import Inbox

    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=free_port(), auth_require_tls=False,
                     authenticator=lambda *a: AuthResult(success=False, handled=False))
    ctl.start()
    try:
        res = CliRunner().invoke(main, [
            "batch", "acknowledgement", "--data", str(write_records(tmp_path / "r.jsonl", 5)),
            "-o", str(tmp_path / "out"), "--send", f"smtp://127.0.0.1:{ctl.port}",
            "--user", "shop", "--password-env", "TPLKIT_TEST_PW"], env={"TPLKIT_TEST_PW": "wrong"})
    finally:
        ctl.stop()
    assert res.exit_code == 1 and not inbox.envelopes
    assert f"error: SMTP server 127.0.0.1:{ctl.port} refused the session: 535" in res.output
    assert {r[0] for r in log_rows(tmp_path / "out").values()} == {"pending"}


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_tls_and_login_as_for_tplkit_send(tmp_path, mode):
    """--starttls (or smtps://) with --user/--password-env: the certificate is verified, the
    login used, every record delivered once."""
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
    from smtp_relay import CountingRelay, self_signed_cert

    cert, key = self_signed_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def check(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data == LoginPassword(b"shop", b"pw"), handled=False)

    inbox = CountingRelay()
    # smtps: TLS from the first byte (aiosmtpd then offers AUTH without STARTTLS)
    tls = {"tls_context": context, "require_starttls": True, "auth_require_tls": True} \
        if mode == "starttls" else {"ssl_context": context, "auth_require_tls": False}
    ctl = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=check, **tls)
    ctl.start()
    url = f"smtp://127.0.0.1:{ctl.port}" if mode == "starttls" else f"smtps://127.0.0.1:{ctl.port}"
    args = ["batch", "acknowledgement", "--data", str(write_records(tmp_path / "r.jsonl", 4)),
            "-o", str(tmp_path / "out"), "--send", url, "--user", "shop", "--password-env", "PW",
            *(["--starttls"] if mode == "starttls" else [])]
    try:
        untrusted = CliRunner().invoke(main, args, env={"PW": "pw", "SSL_CERT_FILE": None})
        assert not inbox.received     # the certificate is checked before anything is sent
        res = CliRunner().invoke(main, args, env={"PW": "pw", "SSL_CERT_FILE": str(cert)})
    finally:
        ctl.stop()
    assert untrusted.exit_code == 1
    assert f"error: TLS with 127.0.0.1:{ctl.port} failed: self-signed certificate" in untrusted.output
    assert res.exit_code == 0, res.output
    assert len(inbox.received) == 4 and not inbox.duplicates()


def test_connection_refused_is_a_temporary_failure():
    """No server listening: a retryable outcome, not an exception."""
    conn = SMTPConnection(Relay.parse(f"smtp://127.0.0.1:{free_port()}", timeout=5))
    outcome = conn.send(b"Subject: x\r\n\r\nx\r\n", "a@example.com", ["b@example.com"])
    assert outcome.status == "retry" and outcome.reply.startswith("connection error:")


def test_backoff_doubles_up_to_the_cap_with_jitter():
    """Attempt n waits between half and all of base*2**(n-1), never more than the cap."""
    policy = RetryPolicy(attempts=9, base=2.0, cap=20.0, jitter=0.5)
    for attempt, full in ((1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0), (5, 20.0), (9, 20.0)):
        delays = {policy.delay(attempt) for _ in range(50)}
        assert all(full / 2 <= d <= full for d in delays) and len(delays) > 1


@pytest.mark.parametrize("value,message", [
    ("fast", "invalid rate 'fast' (use N/s, N/m or N/h)"),
    ("10/d", "invalid rate '10/d' (use N/s, N/m or N/h)"),
])
def test_invalid_rate_is_explained(value, message):
    """A rate tplkit cannot read names the accepted spellings."""
    with pytest.raises(SendError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_rate(value)


def test_rate_units():
    """N/s, N/m and N/h are messages per second."""
    assert (parse_rate("10/s"), parse_rate("120/m"), parse_rate("7200/h"), parse_rate("3")) == (10, 2, 2, 3)


def test_relay_url_with_credentials_is_refused():
    """A password never goes into the relay URL (ps, shell history): refused with the alternative."""
    with pytest.raises(SendError, match=r"invalid relay .* \(use smtp://HOST:PORT or smtps://HOST:PORT\)"):
        Relay.parse("smtp://user:secret@127.0.0.1:25")


def test_status_without_send_log_says_so(tmp_path):
    """status on a folder that was never sent says what is missing, without a traceback."""
    res = CliRunner().invoke(main, ["batch", "status", str(tmp_path)])
    assert res.exit_code == 1 and "no send log here (was the batch run with --send? a shared log with a " \
        "password: give --send-log URL)" in res.output


def test_send_log_claim_is_exclusive(tmp_path):
    """Two senders cannot both claim a record; a lapsed lease can be taken over and is counted."""
    log = open_log(tmp_path / "log.sqlite3")
    log.start_batch("b", {"t": 1})
    log.add("b", [("1", "a@example.com")])
    assert log.claim("b", "1", "w1", lease=60) == 1
    assert log.claim("b", "1", "w2", lease=60) is None
    log.expire_claims("b")
    assert log.claim("b", "1", "w2", lease=60) == 2
    log.mark_sent("b", "1", "<m@x>", "250 OK")
    assert log.claim("b", "1", "w3", lease=0) is None
    (entry,) = log.entries("b")
    assert (entry.state, entry.reclaims, entry.message_id) == ("sent", 1, "<m@x>")


def test_progress_reports_sent_failed_retrying_and_rate(tmp_path):
    """The progress bar advances once per finished record and shows the counts and the rate."""
    from tplkit.batch import Job
    from tplkit.sendbatch import SendSpec, batch_id, send_batch

    class Bar:
        def __init__(self, length):
            self.length, self.pos, self.items = length, 0, []

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def update(self, n, item=None):
            self.pos += n
            self.items.append(str(item))

    bars = []
    data = write_records(tmp_path / "r.jsonl", 6, refused={3})
    relay = RunningRelay()
    with relay as inbox:
        inbox.greylist_count = 2
        job = Job(template="acknowledgement", fmt="send", out=str(tmp_path / "out"),
                  sender="Help <help@shop.example>")
        spec = SendSpec(batch=batch_id(job, data), job=job, relay=Relay.parse(relay.url),
                        domain="shop.example", policy=RetryPolicy(attempts=5, base=0.05, cap=0.1))
        summary = send_batch(spec, data, tmp_path / "out", concurrency=1,
                             progress=lambda length: bars.append(Bar(length)) or bars[-1])
    (bar,) = bars
    assert (bar.length, bar.pos) == (6, 6) and (summary["sent"], summary["failed"]) == (5, 1)
    assert any("retrying 1" in item for item in bar.items)
    assert bar.items[-1].startswith("sent 5 · failed 1 · retrying 0 · ") and bar.items[-1].endswith(" msg/s")


def test_send_options_without_send_are_a_usage_error(tmp_path):
    """--rate or --engine without --send would be ignored: refused, naming them."""
    data = write_records(tmp_path / "r.jsonl", 1)
    res = CliRunner().invoke(main, ["batch", "acknowledgement", "--data", str(data),
                                    "-o", str(tmp_path / "out"), "--rate", "5/s", "--engine", "celery"])
    assert res.exit_code == 2 and "--rate, --engine only with --send smtp://HOST:PORT" in res.output
    assert not (tmp_path / "out").exists()
