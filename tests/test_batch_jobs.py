"""tplkit batch --jobs N from a build: this process and N-1 forked children share the chunks;
the output, the accounting and a resumed run are those of --jobs 1, byte for byte."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tplkit import batch as tb
from tplkit.cli import main

JSONL = Path(__file__).parent / "fixtures" / "batch" / "records.jsonl"

# what differs from one run to the next in an mbox/eml message: the From_ line's and the
# Date header's time, the Message-ID and the MIME boundary (random)
_VARYING = re.compile(rb"^(From tplkit@localhost |Date: |Message-ID: ).*$|=_[0-9a-f]{24}", re.M)


@pytest.fixture(scope="module")
def build(kit, tmp_path_factory) -> Path:
    from tplkit.build import write_build

    path = tmp_path_factory.mktemp("jobs") / "build"
    write_build(kit, path)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """133 records: the fixture's good and bad ones, repeated with other ticket numbers."""
    lines = JSONL.read_text(encoding="utf-8").splitlines()
    path = tmp_path_factory.mktemp("jobs") / "records.jsonl"
    path.write_text("".join(x.replace('"SR-', f'"SR-{n}-') + "\n"
                            for n in range(150 // len(lines) + 1) for x in lines), encoding="utf-8")
    return path


def _batch(build: Path, data: Path, out: Path, fmt: str, jobs: int, *extra: str):
    return CliRunner().invoke(main, ["batch", "acknowledgement", "--data", str(data), "-o", str(out),
                                     "--build", str(build), "--format", fmt, "--jobs", str(jobs),
                                     "--locale-field", "lang", "--chunk-size", "7",
                                     "--sender", "Support <help@example.com>", *extra])


def _files(out: Path) -> dict[str, bytes]:
    """Every output file (the batch state aside), with what varies between runs masked."""
    return {str(p.relative_to(out)): _VARYING.sub(b"#", p.read_bytes())
            for p in sorted(out.rglob("*")) if p.is_file() and p.name != tb.STATE}


@pytest.mark.parametrize("fmt", tb.FORMATS)
def test_two_processes_write_the_bytes_one_writes(build, data, tmp_path, fmt):
    """--jobs 2 and --jobs 3 write the same files, byte for byte (times, Message-IDs and
    boundaries masked), the same errors.jsonl and the same summary as --jobs 1."""
    found = {}
    for jobs in (1, 2, 3):
        res = _batch(build, data, tmp_path / f"o{jobs}", fmt, jobs)
        assert res.exit_code == 1, res.output      # the fixture's bad records fail
        found[jobs] = (_files(tmp_path / f"o{jobs}"), res.output.replace(str(tmp_path / f"o{jobs}"), "OUT"))
    files, summary = found[1]
    assert "errors.jsonl" in files and len(files) > 10
    written, failed = map(int, re.search(rb"133 record\(s\): (\d+) message\(s\) written to OUT, (\d+) "
                                         rb"record\(s\) failed", summary.encode()).groups())
    assert written + failed == 133 and failed == files["errors.jsonl"].count(b"\n") > 0
    assert found[2] == found[1] and found[3] == found[1]
    state = json.loads((tmp_path / "o2" / tb.STATE).read_text())
    assert state["done"] == list(range(19))


def test_a_forked_run_resumes_where_it_stopped(build, data, tmp_path):
    """Chunks recorded as finished are skipped by a --jobs 2 rerun, a part file left by an
    interrupted run is kept as it is, and the result equals one uninterrupted run."""
    _batch(build, data, tmp_path / "whole", "jsonl", 2)
    out = tmp_path / "out"
    _batch(build, data, out, "jsonl", 2)
    state = json.loads((out / tb.STATE).read_text())
    (out / tb.STATE).write_text(json.dumps({**state, "done": state["done"][:10]}))
    for n in range(12, 19):
        (out / f"part-{n:05d}.jsonl").unlink(missing_ok=True)
    (out / "part-00011.jsonl").write_bytes(b"left by the interrupted run\n")
    res = _batch(build, data, out, "jsonl", 2)
    assert "resumed after 10 finished chunk(s)" in res.output
    assert (out / "part-00011.jsonl").read_bytes() == b"left by the interrupted run\n"
    (out / "part-00011.jsonl").write_bytes((tmp_path / "whole" / "part-00011.jsonl").read_bytes())
    assert _files(out) == _files(tmp_path / "whole")
    assert json.loads((out / tb.STATE).read_text())["done"] == list(range(19))




@pytest.mark.parametrize("where", ["parent", "child"])
def test_an_interrupted_forked_run_records_what_finished(build, data, tmp_path, monkeypatch, where):
    """Ctrl-C in either process stops the batch (in the child: the batch says a worker
    ended); the chunks finished by both processes are recorded, the interrupted one is not,
    and a rerun completes the batch with the files of an uninterrupted run."""
    from tplkit.errors import TplkitError

    whole, out = tmp_path / "whole", tmp_path / "out"
    job = tb.Job(template="acknowledgement", fmt="jsonl", out=str(whole), locale_field="lang",
                 build=str(build))
    tb.run_batch(job, data, jobs=2, chunk_size=7, progress=None)
    real, parent = tb.render_chunk, os.getpid()

    def interrupted(job, index, records, **kw):
        if index >= 9 and (os.getpid() == parent) == (where == "parent"):
            raise KeyboardInterrupt   # the first chunk from the 10th on that this process takes
        return real(job, index, records, **kw)

    monkeypatch.setattr(tb, "render_chunk", interrupted)
    job.out = str(out)
    with pytest.raises(KeyboardInterrupt if where == "parent" else TplkitError) as stopped:
        tb.run_batch(job, data, jobs=2, chunk_size=7, progress=None)
    if where == "child":
        assert "a worker process ended unexpectedly (exit status 1)" in str(stopped.value)
    done = json.loads((out / tb.STATE).read_text())["done"]
    assert set(range(9)) <= set(done) and len(done) < 19
    assert sorted(p.name for p in out.glob("part-*")) == [f"part-{n:05d}.jsonl" for n in done]
    monkeypatch.setattr(tb, "render_chunk", real)
    summary = tb.run_batch(job, data, jobs=2, chunk_size=7, progress=None)
    assert summary["resumed"] == len(done)
    assert _files(out) == _files(whole)
