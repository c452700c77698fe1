"""Real services on loopback for the Celery tests: Debian's redis-server and PostgreSQL, and
Celery worker processes. Each is started by the tests and stopped by them."""
from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from smtp_inbox import free_port


def wait_for(check, what: str, timeout: float = 30.0) -> None:
    """Poll ``check()`` until it is true; fail the test naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.05)
    pytest.fail(f"{what} did not come up within {timeout:.0f} s")


def _need(program: str, package: str) -> str:
    found = shutil.which(program)
    if not found:
        pytest.fail(f"{program} is not installed (apt-get install {package}; .ci/run does)")
    return found


class RedisServer:
    """redis-server with an append-only file fsynced on every write, so a restart keeps the
    queued tasks (the broker's own guarantee: without it a restart loses them)."""

    def __init__(self, folder: Path) -> None:
        self.exe = _need("redis-server", "redis-server")
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "redis.log", "ab") as log:
            self.proc = subprocess.Popen(
                [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                 "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no"],
                stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: redis.Redis(port=self.port, socket_timeout=1).ping(), "redis-server")

    def stop(self) -> None:
        """SIGTERM: redis writes what it has and exits."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
            self.proc = None


class PostgresServer:
    """A throw-away PostgreSQL cluster (initdb) on 127.0.0.1, run as the postgres user when the
    tests run as root. fsync is off: the tests crash workers and the broker, never PostgreSQL."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            pytest.fail("PostgreSQL is not installed (apt-get install postgresql; .ci/run does)")
        self.bin = Path(bins[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="tplkit-pg-"))
        self.port = free_port()
        self.url = f"postgresql://tplkit@127.0.0.1:{self.port}/postgres"
        self.proc: subprocess.Popen | None = None
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.folder, "postgres")

    def start(self) -> None:
        import psycopg

        data = self.folder / "data"
        subprocess.run([*self._as, str(self.bin / "initdb"), "-D", str(data), "-U", "tplkit",
                        "--auth=trust", "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
        self.proc = subprocess.Popen(
            [*self._as, str(self.bin / "postgres"), "-D", str(data), "-p", str(self.port),
             "-k", str(self.folder), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
             "-c", "max_connections=50"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for(lambda: psycopg.connect(self.url, connect_timeout=1).close() or True, "PostgreSQL")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
            self.proc = None
        shutil.rmtree(self.folder, ignore_errors=True)


class Worker:
    """``celery -A tplkit.celery worker`` in its own process group: the README's start command."""

    def __init__(self, name: str, broker: str, env: dict[str, str], log: Path, concurrency: int = 4) -> None:
        self.name = name
        self.cmd = [sys.executable, "-m", "celery", "-A", "tplkit.celery", "-b", broker, "worker",
                    "-Q", "tplkit", "--pool", "threads", "-c", str(concurrency), "-n", f"{name}@%h",
                    "--without-gossip", "--without-mingle", "-l", "warning"]
        self.env = {**os.environ, **env}
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> Worker:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        return self

    def kill(self) -> None:
        """SIGKILL the worker and everything it started: no chance to ack, release or log."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
