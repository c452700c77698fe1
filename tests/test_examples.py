"""The runnable examples under examples/ work: data files, the smtplib script, the Flask app."""
from __future__ import annotations

import email
import email.policy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from smtp_inbox import free_port, serving

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = EXAMPLES / "data"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_template_has_a_data_file_and_nothing_else_does(kit):
    """examples/data holds exactly one <template>.json per built-in template."""
    assert sorted(p.stem for p in DATA.glob("*.json")) == kit.template_names()


@pytest.mark.parametrize("path", sorted(DATA.glob("*.json")), ids=lambda p: p.stem)
def test_data_files_render_strictly_in_every_locale(kit, path):
    """Each data file is a valid, complete context (strict mode) in every locale."""
    context = json.loads(path.read_text(encoding="utf-8"))
    for locale in kit.locales():
        out = kit.render(path.stem, context, locale=locale)
        assert out.locale == locale and out.subject and out.text.strip()


# --- send_smtp.py against a real SMTP server on loopback ----------------------------------


@pytest.fixture
def smtp_server():
    with serving() as inbox:
        yield inbox, inbox.port


def _run_script(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "MAIL_"))}
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run([sys.executable, str(EXAMPLES / "send_smtp.py"), *args], cwd=ROOT,
                          env=full_env, capture_output=True, text=True, timeout=60, check=False)


def test_send_smtp_delivers_the_rendered_email(kit, smtp_server):
    """The script renders the data file in Ukrainian and the server receives that message."""
    inbox, port = smtp_server
    res = _run_script("apology", "--data", str(DATA / "apology.json"), "--locale", "uk-UA",
                      "--host", "127.0.0.1", "--port", str(port),
                      "--from", "Northwind Support <support@northwind.example>",
                      "--to", "olena@example.com")
    assert res.returncode == 0, res.stderr
    assert len(inbox.envelopes) == 1
    env = inbox.envelopes[0]
    assert env.mail_from == "support@northwind.example"
    assert env.rcpt_tos == ["olena@example.com"]
    msg = email.message_from_bytes(env.content, policy=email.policy.default)
    expected = kit.render("apology", json.loads((DATA / "apology.json").read_text()), locale="uk")
    assert msg["Subject"] == expected.subject
    assert msg["Content-Language"] == "uk"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "SORRY-4M8P" in text and "SORRY-4M8P" in html
    assert text.splitlines() == expected.text.splitlines()   # SMTP sends CRLF line ends


def test_send_smtp_takes_settings_from_the_environment(smtp_server):
    """SMTP_HOST/SMTP_PORT/MAIL_FROM/MAIL_TO work without options; the sample is the default data."""
    inbox, port = smtp_server
    res = _run_script("auto-reply", env={"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                                         "MAIL_FROM": "support@northwind.example",
                                         "MAIL_TO": "marco@example.com"})
    assert res.returncode == 0, res.stderr
    msg = email.message_from_bytes(inbox.envelopes[0].content, policy=email.policy.default)
    assert msg["To"] == "marco@example.com"
    assert msg["Auto-Submitted"] == "auto-replied"


def test_send_smtp_reports_bad_data_as_one_error_line(smtp_server, tmp_path):
    """A context that does not fit the template is one error line, exit 1, nothing sent."""
    inbox, port = smtp_server
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"customer_name": "Olena", "situation": "late"}), encoding="utf-8")
    res = _run_script("apology", "--data", str(bad), "--host", "127.0.0.1", "--port", str(port),
                      "--from", "support@northwind.example", "--to", "olena@example.com")
    assert res.returncode == 1
    assert res.stderr.startswith("error: ") and "Traceback" not in res.stderr
    assert "situation" in res.stderr
    assert inbox.envelopes == []


def test_send_smtp_reports_an_unreachable_server(tmp_path):
    """A refused connection is one error line naming host and port, not a traceback."""
    port = free_port()
    res = _run_script("acknowledgement", "--host", "127.0.0.1", "--port", str(port),
                      "--from", "support@northwind.example", "--to", "olena@example.com")
    assert res.returncode == 1
    assert f"127.0.0.1:{port}" in res.stderr and "Traceback" not in res.stderr


# --- flask_app.py -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client():
    app = _load("flask_app").create_app()
    app.testing = True
    return app.test_client()


def test_flask_preview_follows_accept_language(client, kit):
    """Accept-Language picks the first locale the kit has (here uk), and says so in the reply."""
    res = client.get("/emails/acknowledgement/preview",
                     headers={"Accept-Language": "fr-FR,uk-UA;q=0.9,en;q=0.5"})
    assert res.status_code == 200
    assert res.headers["Content-Language"] == "uk"
    expected = kit.render("acknowledgement", kit.template("acknowledgement").sample_for("uk"),
                          locale="uk")
    assert res.get_data(as_text=True) == expected.html
    assert "повернення коштів" in expected.html   # the sample in Ukrainian, too


def test_flask_preview_without_a_match_uses_the_default_locale(client):
    """No acceptable language at all gives the default locale, not an error."""
    res = client.get("/emails/follow-up/preview", headers={"Accept-Language": "ja,fr;q=0.5"})
    assert res.status_code == 200 and res.headers["Content-Language"] == "en"


def test_flask_render_returns_all_parts(client, kit):
    """POSTed JSON is rendered; ?locale= overrides Accept-Language."""
    data = json.loads((DATA / "follow-up.json").read_text())
    res = client.post("/emails/follow-up/render?locale=ru", json=data,
                      headers={"Accept-Language": "uk"})
    assert res.status_code == 200
    body = res.get_json()
    assert body["locale"] == "ru"
    assert body == kit.render("follow-up", data, locale="ru").as_dict()


def test_flask_render_maps_errors_to_http_status(client):
    """Unknown template: 404; bad placeholder values: 422 listing every problem; no JSON: 400."""
    assert client.post("/emails/nope/render", json={}).status_code == 404
    res = client.post("/emails/follow-up/render", json={"customer_name": "Olena"})
    assert res.status_code == 422
    names = {p["name"] for p in res.get_json()["problems"]}
    assert {"ticket_id", "request_url", "next_update_by"} <= names
    assert client.post("/emails/follow-up/render", data="x").status_code == 400
