"""tplkit batch: one message per record, errors with line numbers, resume, formats, workers."""
from __future__ import annotations

import email
import json
import mailbox
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from tplkit import batch as tb
from tplkit.cli import main

DATA = Path(__file__).parent / "fixtures" / "batch"
JSONL = DATA / "records.jsonl"
CSV = DATA / "records.csv"


def run_cli(*args: str):
    return CliRunner().invoke(main, ["batch", "acknowledgement", *args])


def errors_of(out: Path) -> dict[int, dict]:
    return {e["line"]: e for e in map(json.loads, (out / "errors.jsonl").read_text().splitlines())}


def test_eml_batch_writes_good_records_and_lists_bad_ones_by_line(tmp_path):
    """Each good record becomes <line>.eml; bad records land in errors.jsonl with their line."""
    out = tmp_path / "out"
    res = run_cli("--data", str(JSONL), "-o", str(out), "--locale-field", "lang", "--jobs", "1")
    assert res.exit_code == 1   # some records failed
    assert "4 message(s) written" in res.output and "3 record(s) failed" in res.output
    assert sorted(p.name for p in (out / "messages").iterdir()) == \
        ["00000001.eml", "00000002.eml", "00000006.eml", "00000008.eml"]
    errs = errors_of(out)
    assert sorted(errs) == [3, 5, 7]
    assert errs[3]["error"].startswith("invalid JSON")
    assert errs[5]["problems"] == ["ticket_id: required text value is missing",
                                   ("request_url: URL scheme javascript: is not allowed "
                                    "(use https, http, mailto, tel)")]
    assert errs[7]["error"] == "no recipient (field 'email')"
    msg = email.message_from_bytes((out / "messages" / "00000001.eml").read_bytes(), policy=policy.default)
    assert msg["To"] == "olena@example.com" and msg["Content-Language"] == "uk"
    assert "SR-1" in msg["Subject"]
    html = msg.get_body(("html",)).get_content()
    assert "Jonas" not in html and "Добрий день, Олено!" in html   # the vocative
    jonas = email.message_from_bytes((out / "messages" / "00000002.eml").read_bytes(),
                                     policy=policy.default)
    assert "Jonas &lt;b&gt;" in jonas.get_body(("html",)).get_content()   # escaped markup
    assert "Jonas <b>" in jonas.get_body(("plain",)).get_content()       # plain text as given


def test_rerun_resumes_without_rewriting_finished_output(tmp_path, monkeypatch):
    """An interrupted batch resumes: finished files stay byte-identical, nothing is duplicated."""
    out = tmp_path / "out"
    job = tb.Job(template="acknowledgement", fmt="jsonl", out=str(out), locale_field="lang")
    real = tb.render_chunk
    calls = []

    def interrupted(job, index, records):
        calls.append(index)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(job, index, records)

    monkeypatch.setattr(tb, "render_chunk", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tb.run_batch(job, JSONL, jobs=1, chunk_size=2, progress=False)
    first = (out / "part-00000.jsonl").read_bytes()
    state = json.loads((out / tb.STATE).read_text())
    assert state["done"] == [0] and not (out / "part-00001.jsonl").exists()

    monkeypatch.setattr(tb, "render_chunk", real)
    summary = tb.run_batch(job, JSONL, jobs=1, chunk_size=2, progress=False)
    assert summary["resumed"] == 1
    assert (out / "part-00000.jsonl").read_bytes() == first
    rows = [json.loads(x) for p in sorted(out.glob("part-*.jsonl")) for x in p.read_text().splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 6, 7, 8]   # each good record exactly once
    assert sorted(errors_of(out)) == [3, 5]
    again = tb.run_batch(job, JSONL, jobs=1, chunk_size=2, progress=False)
    assert again["written"] == 0 and again["resumed"] == again["chunks"]


def test_eml_resume_never_overwrites_an_existing_message(tmp_path):
    """A message file already on disk (e.g. from a crash mid-chunk) is left untouched."""
    out = tmp_path / "out"
    (out / "messages").mkdir(parents=True)
    job = tb.Job(template="acknowledgement", fmt="eml", out=str(out), locale_field="lang",
                 sender="Support <help@example.com>")
    key = tb._state_key(job, JSONL, 256)
    (out / tb.STATE).write_text(json.dumps({"key": key, "done": []}))
    (out / "messages" / "00000001.eml").write_bytes(b"kept")
    tb.run_batch(job, JSONL, jobs=1, progress=False)
    assert (out / "messages" / "00000001.eml").read_bytes() == b"kept"
    assert len(list((out / "messages").iterdir())) == 4


def test_csv_records_with_locale_field_and_multiline_cells(tmp_path):
    """CSV rows: empty cells count as missing, a quoted multi-line cell keeps the right line numbers."""
    out = tmp_path / "out"
    res = run_cli("--data", str(CSV), "-o", str(out), "--format", "jsonl", "--locale-field", "lang",
                  "--jobs", "1")
    assert res.exit_code == 1
    rows = [json.loads(x) for x in (out / "part-00000.jsonl").read_text().splitlines()]
    assert [(r["line"], r["locale"]) for r in rows] == [(2, "uk"), (3, "en")]
    assert rows[1]["text"].startswith("Hi Anna\nMaria")
    assert errors_of(out)[5]["problems"] == ["ticket_id: required text value is missing"]


def test_mbox_format_is_readable_by_the_mailbox_module(tmp_path):
    """mbox parts hold one entry per good record, with From-line quoting."""
    out = tmp_path / "out"
    run_cli("--data", str(JSONL), "-o", str(out), "--format", "mbox", "--locale-field", "lang",
            "--jobs", "1")
    box = mailbox.mbox(str(out / "part-00000.mbox"))
    assert sorted(m["To"] for m in box) == ["emma@example.com", "from@example.com",
                                            "jonas@example.com", "olena@example.com"]


def test_two_workers_give_the_same_messages_as_one(tmp_path):
    """--jobs 2 renders exactly what --jobs 1 renders (the records are split across processes)."""
    results = {}
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        job = tb.Job(template="acknowledgement", fmt="jsonl", out=str(out), locale_field="lang")
        tb.run_batch(job, JSONL, jobs=jobs, chunk_size=2, progress=False)
        rows = [json.loads(x) for p in sorted(out.glob("part-*.jsonl")) for x in p.read_text().splitlines()]
        results[jobs] = (rows, errors_of(out))
    assert results[1] == results[2]


def test_a_different_batch_in_the_same_folder_is_refused(tmp_path):
    """Resuming only happens for the same template, data and options; anything else is an error."""
    out = tmp_path / "out"
    run_cli("--data", str(JSONL), "-o", str(out), "--format", "jsonl", "--jobs", "1")
    res = run_cli("--data", str(CSV), "-o", str(out), "--format", "jsonl", "--jobs", "1")
    assert res.exit_code == 1
    assert "holds a different batch" in res.output


def test_extra_fields_are_errors_unless_ignored(tmp_path):
    """A field that is no placeholder fails the record; --ignore-unknown renders it anyway."""
    data = tmp_path / "extra.jsonl"
    data.write_text(json.dumps({"customer_name": "Ann", "ticket_id": "SR-1", "crm_id": 7,
                                "request_url": "https://help.example/r/1"}) + "\n")
    res = run_cli("--data", str(data), "-o", str(tmp_path / "strict"), "--format", "jsonl")
    assert res.exit_code == 1
    assert errors_of(tmp_path / "strict")[1]["problems"] == ["crm_id: not a placeholder of this template"]
    res = run_cli("--data", str(data), "-o", str(tmp_path / "lenient"), "--format", "jsonl",
                  "--ignore-unknown")
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "lenient" / "part-00000.jsonl").read_text())["subject"].endswith("[SR-1]")


def _message_content(path: Path) -> tuple:
    """A written message's subject, recipient and both decoded parts (Date, Message-ID and
    the boundary differ from run to run)."""
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    return (msg["Subject"], msg["To"], msg["Content-Language"],
            [p.get_payload(decode=True) for p in msg.iter_parts()])


def test_eml_from_a_build_with_two_forked_workers_equals_one_process(kit, tmp_path):
    """From a build, --jobs 2 (workers forked after the build is loaded) writes the same
    messages as --jobs 1, and no temporary file is left in the messages folder."""
    from tplkit.build import write_build

    write_build(kit, tmp_path / "build")
    found = {}
    for jobs in (1, 2):
        out = tmp_path / f"eml{jobs}"
        job = tb.Job(template="acknowledgement", fmt="eml", out=str(out), locale_field="lang",
                     build=str(tmp_path / "build"), sender="Support <help@example.com>")
        summary = tb.run_batch(job, JSONL, jobs=jobs, chunk_size=2, progress=False)
        names = sorted(p.name for p in (out / "messages").iterdir())
        assert names == ["00000001.eml", "00000002.eml", "00000006.eml", "00000008.eml"]
        assert (summary["written"], summary["errors"]) == (4, 3)
        found[jobs] = ({n: _message_content(out / "messages" / n) for n in names}, errors_of(out))
    assert found[1] == found[2]


def test_mbox_entry_quotes_from_lines_as_mboxrd(tmp_path):
    """A body line that starts with From or >From gets one more '>' (mboxrd); the mailbox
    module reads the entry back as one message with LF line ends."""
    from tplkit.batchwriter import _mbox_entry

    raw = b"Subject: x\r\nTo: a@b.example\r\n\r\nFrom here\r\n>From there\r\nok From\r\n"
    entry = _mbox_entry(raw, b"From tplkit@localhost Tue Dec  1 10:00:00 2026\n")
    assert entry.endswith(b"\n>From here\n>>From there\nok From\n\n") and b"\r" not in entry
    (tmp_path / "box").write_bytes(entry * 2)
    box = mailbox.mbox(str(tmp_path / "box"))
    assert [m["Subject"] for m in box] == ["x", "x"]
