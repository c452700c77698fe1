"""`tplkit send`: the message that reaches a real SMTP server (aiosmtpd on loopback)."""
from __future__ import annotations

import contextlib
import json
import ssl
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from smtp_inbox import free_port, serving
from smtp_relay import self_signed_cert

from tplkit.cli import main
from tplkit.send import SendError, deliver, parse_hostport

FIXTURES = Path(__file__).parent / "fixtures" / "serve" / "send"
USER, PASSWORD = "agent", "s3cret-pass"


def _check_login(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


def _server_context(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A TLS server context with a self-signed certificate for 127.0.0.1, and the certificate
    (a client trusts it through SSL_CERT_FILE)."""
    cert, key = self_signed_cert(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert


@pytest.fixture(scope="module")
def smtp():
    """A real SMTP server on 127.0.0.1 (no STARTTLS), accepting AUTH without TLS."""
    with serving(authenticator=_check_login, auth_require_tls=False) as inbox:
        yield inbox


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_sent_message_equals_rendered_email(smtp, kit):
    """The received message has the rendered subject, both parts, and the From/To/language headers."""
    ctx = json.loads((FIXTURES / "context.json").read_text())
    res = run("send", "acknowledgement", "--to", "Oksana <oksana@example.com>", "--locale", "uk",
              "--data", str(FIXTURES / "context.json"), "--smtp", smtp.address,
              "--from", "Help <help@shop.example>")
    assert res.exit_code == 0, res.output
    rendered = kit.render("acknowledgement", ctx, locale="uk")
    msg = smtp.message()
    assert msg["Subject"] == rendered.subject
    assert msg["From"] == "Help <help@shop.example>"
    assert msg["To"] == "Oksana <oksana@example.com>"
    assert msg["Content-Language"] == "uk"
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.get_payload()
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert plain.get_content().replace("\r\n", "\n").rstrip("\n") == rendered.text.rstrip("\n")
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == rendered.html.rstrip("\n")
    assert "SR-4242" in rendered.text and "Оксано" in rendered.html   # the vocative
    assert smtp.envelopes[-1].rcpt_tos == ["oksana@example.com"]
    assert msg["Message-ID"] in res.output


def test_default_sender_is_the_brand_and_sample_is_used(smtp, kit):
    """Without --from the brand's company and email are the sender; --sample picks a manifest sample."""
    res = run("send", "acknowledgement", "--to", "marco@example.com", "--sample", "urgent",
              "--smtp", smtp.address)
    assert res.exit_code == 0, res.output
    info = kit.template("acknowledgement")
    rendered = kit.render("acknowledgement", info.samples["urgent"])
    msg = smtp.message()
    assert msg["Subject"] == rendered.subject
    assert msg["From"].addresses[0].addr_spec == kit.brand.email
    assert msg["From"].addresses[0].display_name == kit.brand.company_name


@pytest.mark.parametrize("name", ["follow-up", "escalation"])
def test_thread_headers(smtp, kit, name):
    """--in-reply-to and --references put a follow-up or escalation into the customer's thread."""
    res = run("send", name, "--to", "a@example.com", "--smtp", smtp.address,
              "--in-reply-to", "<m2@shop.example>", "--references", "<m0@shop.example> <m1@shop.example>")
    assert res.exit_code == 0, res.output
    msg = smtp.message()
    assert msg["Subject"] == kit.render(name, kit.template(name).sample).subject
    assert msg["In-Reply-To"] == "<m2@shop.example>"
    assert msg["References"].split() == ["<m0@shop.example>", "<m1@shop.example>", "<m2@shop.example>"]


def test_login_with_password_from_env(smtp):
    """--user with --password-env authenticates with the password read from that variable
    (over a plain connection only with --insecure-auth)."""
    n = len(smtp.envelopes)
    res = run("send", "acknowledgement", "--to", "a@example.com", "--smtp", smtp.address,
              "--user", USER, "--password-env", "TPLKIT_TEST_PW", "--insecure-auth",
              env={"TPLKIT_TEST_PW": PASSWORD})
    assert res.exit_code == 0, res.output
    assert len(smtp.envelopes) == n + 1


def test_password_is_never_sent_unencrypted_unless_allowed(smtp):
    """--user without --ssl/--starttls is refused before connecting: nothing reaches the server."""
    n = len(smtp.envelopes)
    res = run("send", "acknowledgement", "--to", "a@example.com", "--smtp", smtp.address,
              "--user", USER, "--password-env", "TPLKIT_TEST_PW", env={"TPLKIT_TEST_PW": PASSWORD})
    assert res.exit_code == 1 and len(smtp.envelopes) == n
    assert res.output == (f"error: refusing to send the SMTP password unencrypted to {smtp.address}: "
                          "use --ssl (implicit TLS, port 465) or --starttls, or --insecure-auth for "
                          "a server you trust on a private network\n")


@contextlib.contextmanager
def _tls_inbox(folder, *, implicit: bool, **options):
    """A logging-in SMTP server with a self-signed certificate for 127.0.0.1 made in
    ``folder`` (``inbox.cert``): TLS from the first byte (``implicit``) or by STARTTLS."""
    context, cert = _server_context(folder)
    key = "ssl_context" if implicit else "tls_context"
    with serving(authenticator=_check_login, **{key: context}, **options) as inbox:
        inbox.cert = cert
        yield inbox


@pytest.fixture(scope="module")
def tls_smtp(tmp_path_factory):
    """An SMTP server that requires STARTTLS before AUTH, with a self-signed certificate for 127.0.0.1."""
    with _tls_inbox(tmp_path_factory.mktemp("tls"), implicit=False, require_starttls=True) as inbox:
        yield inbox


def test_starttls_and_login(tls_smtp):
    """--starttls upgrades the connection (certificate verified) before logging in and sending."""
    res = run("send", "acknowledgement", "--to", "a@example.com", "--smtp", tls_smtp.address, "--starttls",
              "--user", USER, "--password-env", "TPLKIT_TEST_PW",
              env={"TPLKIT_TEST_PW": PASSWORD, "SSL_CERT_FILE": str(tls_smtp.cert)})
    assert res.exit_code == 0, res.output
    assert len(tls_smtp.envelopes) == 1
    res = run("send", "acknowledgement", "--to", "a@example.com", "--smtp", tls_smtp.address, "--starttls")
    assert res.exit_code == 1 and "TLS with 127.0.0.1:" in res.output
    assert "CERTIFICATE_VERIFY_FAILED" in res.output
    res = run("send", "acknowledgement", "--to", "a@example.com", "--smtp", tls_smtp.address)
    assert res.exit_code == 1 and res.output.startswith(f"error: SMTP server {tls_smtp.address} refused")
    assert "530 Must issue a STARTTLS command first (use --starttls)" in res.output
    assert len(tls_smtp.envelopes) == 1


@pytest.mark.parametrize("args, env, expected", [
    (["--user", USER, "--password-env", "TPLKIT_TEST_PW", "--insecure-auth"], {"TPLKIT_TEST_PW": "wrong"},
     "SMTP login as 'agent' failed"),
    (["--user", USER, "--password-env", "TPLKIT_UNSET_PW"], {"TPLKIT_UNSET_PW": None},
     "environment variable TPLKIT_UNSET_PW is not set"),
    (["--starttls"], {}, "does not support STARTTLS"),
])
def test_smtp_problems_are_one_error_line(smtp, args, env, expected):
    """Bad login, a missing password variable and no STARTTLS each give one clean error line."""
    n = len(smtp.envelopes)
    res = run("send", "acknowledgement", "--to", "a@example.com", "--smtp", smtp.address, *args, env=env)
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], res.output
    assert "Traceback" not in res.output
    assert len(smtp.envelopes) == n


def test_refused_recipient_and_closed_port(smtp):
    """A refused recipient and a port nobody listens on are reported as errors, not tracebacks."""
    res = run("send", "acknowledgement", "--to", "x@refused.example", "--smtp", smtp.address)
    assert res.exit_code == 1 and "refused recipient(s): x@refused.example (550" in res.output
    res = run("send", "acknowledgement", "--to", "a@example.com", "--smtp", f"127.0.0.1:{free_port()}")
    assert res.exit_code == 1
    assert res.output.startswith("error: cannot connect to SMTP server 127.0.0.1:")


def test_bad_data_files_name_file_and_line(smtp):
    """A broken --data file is reported with file and line; bad values list every problem; nothing is sent."""
    n = len(smtp.envelopes)
    bad = FIXTURES / "bad-json.json"
    res = run("send", "acknowledgement", "--to", "a@example.com", "--smtp", smtp.address, "--data", str(bad))
    assert res.exit_code == 1 and f"error: {bad}:5:" in res.output and "invalid JSON" in res.output
    res = run("send", "acknowledgement", "--to", "a@example.com", "--smtp", smtp.address,
              "--data", str(FIXTURES / "bad-values.json"))
    assert res.exit_code == 1
    assert "request_url: URL scheme javascript:" in res.output
    assert "custmer_nme: not a placeholder" in res.output and "'customer_name'" in res.output
    assert len(smtp.envelopes) == n


def test_option_misuse_is_a_usage_error():
    """--user without --password-env, or an unsafe --in-reply-to, is refused before any connection."""
    res = run("send", "acknowledgement", "--to", "a@example.com", "--user", "u")
    assert res.exit_code == 2 and "--password-env" in res.output
    res = run("send", "acknowledgement", "--to", "a@example.com", "--smtp", "127.0.0.1:1",
              "--in-reply-to", "not a message id")
    assert res.exit_code == 1 and "In-Reply-To: not a message id" in res.output


@pytest.mark.parametrize("value, expected", [
    ("mail.example", ("mail.example", 25)), ("mail.example:2525", ("mail.example", 2525)),
    ("[::1]:587", ("::1", 587)), ("::1", ("::1", 25)),
])
def test_parse_hostport(value, expected):
    """HOST, HOST:PORT and [IPv6]:PORT are understood."""
    assert parse_hostport(value) == expected


@pytest.mark.parametrize("value", ["", ":25", "host:99999", "host:x", "[::1"])
def test_parse_hostport_rejects(value):
    """Malformed SMTP addresses are a SendError, not a crash."""
    with pytest.raises(SendError):
        parse_hostport(value)


def test_deliver_library_call(smtp, kit):
    """deliver() is usable from an app: it sends an EmailMessage built by to_message()."""
    msg = kit.render("acknowledgement", kit.template("acknowledgement").sample).to_message(
        sender="help@shop.example", to="lib@example.com")
    deliver(msg, smtp.address)
    assert smtp.message()["Message-ID"] == msg["Message-ID"]


@pytest.fixture(scope="module")
def ssl_smtp(tmp_path_factory):
    """An SMTPS server (implicit TLS from the first byte) with a self-signed certificate made here."""
    # auth_require_tls=False: aiosmtpd only counts STARTTLS as TLS; here every byte is TLS
    with _tls_inbox(tmp_path_factory.mktemp("smtps"), implicit=True, auth_require_tls=False) as inbox:
        yield inbox


def test_implicit_tls_with_login(ssl_smtp, kit):
    """--ssl speaks TLS from the start (certificate verified), logs in and delivers."""
    res = run("send", "acknowledgement", "--to", "a@example.com", "--smtp", ssl_smtp.address, "--ssl",
              "--user", USER, "--password-env", "TPLKIT_TEST_PW",
              env={"TPLKIT_TEST_PW": PASSWORD, "SSL_CERT_FILE": str(ssl_smtp.cert)})
    assert res.exit_code == 0, res.output
    assert ssl_smtp.message()["Subject"] == kit.render("acknowledgement",
                                                       kit.template("acknowledgement").sample).subject
    n = len(ssl_smtp.envelopes)
    res = run("send", "acknowledgement", "--to", "a@example.com", "--smtp", ssl_smtp.address, "--ssl")
    assert res.exit_code == 1 and "CERTIFICATE_VERIFY_FAILED" in res.output   # not trusted: refused
    res = run("send", "acknowledgement", "--to", "a@example.com", "--smtp", ssl_smtp.address, "--ssl",
              "--starttls")
    assert res.exit_code == 2 and "use either --ssl (implicit TLS) or --starttls" in res.output
    assert len(ssl_smtp.envelopes) == n


def test_dry_run_prints_the_conversation_and_sends_nothing(smtp, kit):
    """--dry-run prints EHLO/AUTH/MAIL/RCPT/DATA with the message (parseable) and never connects;
    the password is neither needed nor shown."""
    n = len(smtp.envelopes)
    res = CliRunner().invoke(main, ["send", "acknowledgement", "--to", "Olena <o@example.com>",
                                    "--smtp", smtp.address, "--ssl", "--user", USER,
                                    "--password-env", "TPLKIT_TEST_PW", "--dry-run"],
                             env={"TPLKIT_TEST_PW": PASSWORD})
    assert res.exit_code == 0, res.output
    assert len(smtp.envelopes) == n and PASSWORD not in res.output
    lines = res.stdout.splitlines()
    assert lines[0] == f"# connect to {smtp.address} with implicit TLS (certificate verified)"
    assert lines[1].startswith("EHLO ")
    assert lines[2] == "AUTH (user 'agent'; the password from $TPLKIT_TEST_PW is not shown)"
    assert lines[3:6] == [f"MAIL FROM:<{kit.brand.email}>", "RCPT TO:<o@example.com>", "DATA"]
    assert lines[-2:] == [".", "QUIT"]
    import email
    from email import policy

    msg = email.message_from_string("\n".join(lines[6:-2]), policy=policy.default)
    rendered = kit.render("acknowledgement", kit.template("acknowledgement").sample)
    assert msg["Subject"] == rendered.subject and msg["To"] == "Olena <o@example.com>"
    assert msg.get_body(("plain",)).get_content().rstrip("\n") == rendered.text.rstrip("\n")
    assert "dry run: nothing was sent" in res.stderr
    res = run("send", "acknowledgement", "--to", "a@example.com", "--user", USER,
              "--password-env", "X", "--dry-run")
    assert res.exit_code == 1 and "refusing to send the SMTP password unencrypted" in res.output
