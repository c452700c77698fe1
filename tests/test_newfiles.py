"""Message files of an eml batch (tplkit.batchwriter.NewFiles), on this machine's real file
system: written whole or not at all, never over a file that exists, with the umask's mode.
Linux takes the O_TMPFILE + linkat route; the temporary-name + rename route is the one other
systems (and file systems without O_TMPFILE) take."""
from __future__ import annotations

import multiprocessing
import os
import stat

import pytest

from tplkit.batchwriter import NewFiles
from tplkit.errors import WriteError
from tplkit.fsutil import umask

linux_only = pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="O_TMPFILE is Linux's")
ROUTES = [pytest.param("link", marks=linux_only), "rename"]


def new_files(folder, route: str) -> NewFiles:
    files = NewFiles(str(folder))
    files.linking = route == "link"
    return files


@pytest.mark.parametrize("route", ROUTES)
def test_a_file_is_written_once_whole_with_the_umask_mode(tmp_path, route):
    data = b"Subject: x\r\n\r\n" + os.urandom(200_000)   # more than one write() may take
    with new_files(tmp_path, route) as files:
        assert files.write("00000001.eml", data) is True
        assert files.write("00000001.eml", b"again") is False
        assert files.linking == (route == "link")         # the route held: nothing fell back
    path = tmp_path / "00000001.eml"
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask()
    assert os.listdir(tmp_path) == ["00000001.eml"]      # no temporary file left behind


@pytest.mark.parametrize("route", ROUTES)
def test_a_file_that_exists_is_kept(tmp_path, route):
    (tmp_path / "00000002.eml").write_bytes(b"the user's")
    with new_files(tmp_path, route) as files:
        assert files.write("00000002.eml", b"tplkit's") is False
    assert (tmp_path / "00000002.eml").read_bytes() == b"the user's"
    assert os.listdir(tmp_path) == ["00000002.eml"]


@pytest.mark.parametrize("route", ROUTES)
def test_a_missing_folder_is_a_write_error_naming_the_file(tmp_path, route):
    folder = tmp_path / "gone"
    with new_files(folder, route) as files, \
            pytest.raises(WriteError, match=r"gone/00000003\.eml.*cannot write: No such file"):
        files.write("00000003.eml", b"x")


def _race(folder: str, tag: bytes, names: int, queue) -> None:
    with NewFiles(folder) as files:
        queue.put(sum(files.write(f"{i:08d}.eml", tag * 5000) for i in range(names)))


@linux_only
def test_two_processes_writing_the_same_names_write_each_once(tmp_path):
    """Linking refuses a name that exists by itself: with two processes racing for the same
    500 names, each file is one process's, whole, and each name counts once."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_race, args=(str(tmp_path), tag, 500, queue)) for tag in (b"a", b"b")]
    for p in procs:
        p.start()
    written = queue.get(timeout=60) + queue.get(timeout=60)
    for p in procs:
        p.join(60)
    assert written == 500
    files = sorted(os.listdir(tmp_path))
    assert files == [f"{i:08d}.eml" for i in range(500)]
    assert {(tmp_path / f).read_bytes() for f in files} <= {b"a" * 5000, b"b" * 5000}
