"""Batch input: malformed CSV rows at their line, JSON error columns, re-running failed records."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from tplkit.cli import main

DATA = Path(__file__).parent / "fixtures" / "batch"


def run(*args: str):
    return CliRunner().invoke(main, ["batch", "acknowledgement", "--jobs", "1", *args])


def errors_of(out: Path) -> dict[int, dict]:
    return {e["line"]: e for e in map(json.loads, (out / "errors.jsonl").read_text().splitlines())}


def messages_of(out: Path) -> list[int]:
    return sorted(int(p.stem) for p in (out / "messages").iterdir())


def test_an_unbalanced_quote_is_reported_on_its_line_and_swallows_no_row(tmp_path):
    """4 rows in: 3 messages and 1 error at line 3; every record is accounted for."""
    out = tmp_path / "out"
    res = run("--data", str(DATA / "unbalanced.csv"), "-o", str(out))
    assert res.exit_code == 1
    assert "4 record(s): 3 message(s) written" in res.stderr and "1 record(s) failed" in res.stderr
    assert messages_of(out) == [2, 4, 5]
    errs = errors_of(out)
    assert list(errs) == [3]
    assert errs[3]["error"].startswith("a quote opened on this line is not closed on it "
                                       "(the row runs into line 5)")


def test_invalid_json_is_reported_at_its_column(tmp_path):
    """errors.jsonl gives the column where the JSON goes wrong, not column 1."""
    out = tmp_path / "out"
    run("--data", str(DATA / "retry.jsonl"), "-o", str(out))
    raw = (DATA / "retry.jsonl").read_text().splitlines()[1]
    column = raw.index('": ,') + 4       # the "," where a value was expected (1-based)
    err = errors_of(out)[2]
    assert err["column"] == column > 30
    assert err["error"] == f"invalid JSON: Expecting value (column {column})"


def test_failed_records_can_be_rerun_into_the_same_folder_after_fixing_them(tmp_path):
    """--retry-failed renders only the records of errors.jsonl from the fixed file; a plain
    re-run with changed data is still refused; still-failing records stay listed."""
    data = tmp_path / "records.jsonl"
    shutil.copy(DATA / "retry.jsonl", data)
    out = tmp_path / "out"
    assert run("--data", str(data), "-o", str(out)).exit_code == 1
    assert messages_of(out) == [1] and sorted(errors_of(out)) == [2, 3]
    first = (out / "messages" / "00000001.eml").read_bytes()
    data.write_text(data.read_text().replace('"ticket_id": ,', '"ticket_id": "SR-2",'))
    res = run("--data", str(data), "-o", str(out))
    assert res.exit_code == 1 and "holds a different batch" in res.stderr
    res = run("--data", str(data), "-o", str(out), "--retry-failed")
    assert res.exit_code == 1, res.output       # line 3 still has a javascript: URL
    assert "retried 2 record(s): 1 message(s) written" in res.stderr
    assert messages_of(out) == [1, 2] and sorted(errors_of(out)) == [3]
    assert (out / "messages" / "00000001.eml").read_bytes() == first   # not rewritten
    data.write_text(data.read_text().replace("javascript:alert(1)", "https://help.example/r/3"))
    res = run("--data", str(data), "-o", str(out), "--retry-failed")
    assert res.exit_code == 0, res.output
    assert messages_of(out) == [1, 2, 3] and errors_of(out) == {}


def test_retry_failed_in_jsonl_format_writes_a_retry_file(tmp_path):
    """In jsonl/mbox formats the re-rendered records go to retry-<n>.<format>."""
    data = tmp_path / "records.jsonl"
    shutil.copy(DATA / "retry.jsonl", data)
    out = tmp_path / "out"
    run("--data", str(data), "-o", str(out), "-f", "jsonl")
    data.write_text(data.read_text().replace('"ticket_id": ,', '"ticket_id": "SR-2",'))
    run("--data", str(data), "-o", str(out), "-f", "jsonl", "--retry-failed")
    rows = [json.loads(x) for x in (out / "retry-1.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rows] == [2] and "SR-2" in rows[0]["subject"]
