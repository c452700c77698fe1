"""Messages per second of ``tplkit batch --send`` against a loopback relay (aiosmtpd):
the local engine, and Celery with 1 and 2 workers (Redis broker, PostgreSQL send log).

    python3 benchmarks/bench_send.py [--records 2000]

Starts its own redis-server, PostgreSQL cluster, workers and relay (the test suite's helpers in
tests/), like the tests; needs the ``celery`` extra and Debian's redis-server and postgresql.
Prints figures only (no assertions). The relay runs in this process and shares the machine's
cores with the workers, so the figures are a floor, not a relay's limit.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from services import PostgresServer, RedisServer, Worker  # noqa: E402
from smtp_relay import RunningRelay, write_records  # noqa: E402


def tplkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tplkit", *args], capture_output=True, text=True,
                          check=False)


def timed_send(args: list[str], inbox, n: int) -> float:
    started = time.perf_counter()
    res = tplkit(*args)
    elapsed = time.perf_counter() - started
    if res.returncode != 0 or len(inbox.received) != n:
        raise SystemExit(f"send failed: {res.stderr}")
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=2000)
    n = parser.parse_args().records
    tmp = Path(tempfile.mkdtemp(prefix="tplkit-bench-send-"))
    build = tmp / "build"
    tplkit("build", "-o", str(build))
    try:
        for conc in (1, 4):
            relay = RunningRelay()
            with relay as inbox:
                data = write_records(tmp / f"local{conc}.jsonl", n, tag=f"local{conc}-")
                rate = timed_send(["batch", "acknowledgement", "--data", str(data), "-o",
                                   str(tmp / f"l{conc}"), "--build", str(build), "--send", relay.url,
                                   "--concurrency", str(conc)], inbox, n)
            print(f"local engine, --concurrency {conc}: {n} messages, {rate:.0f} msg/s")
        redis_server, postgres = RedisServer(tmp / "redis"), PostgresServer()
        redis_server.start()
        postgres.start()
        try:
            for count in (1, 2):
                env = {"TPLKIT_BUILD": str(build), "TPLKIT_SEND_LOG": postgres.url}
                workers = [Worker(f"w{i}", redis_server.url, env, tmp / f"w{count}-{i}.log").start()
                           for i in range(count)]
                try:
                    # a warm-up batch first: the workers are up and have loaded the build
                    for label, size in (("warm", 8 * count), ("run", n)):
                        relay = RunningRelay()
                        with relay as inbox:
                            data = write_records(tmp / f"{label}{count}.jsonl", size, tag=f"{label}{count}-")
                            rate = timed_send(["batch", "acknowledgement", "--data", str(data), "-o",
                                               str(tmp / f"{label}{count}"), "--build", str(build), "--send",
                                               relay.url, "--engine", "celery", "--broker", redis_server.url,
                                               "--send-log", postgres.url, "--chunk-size", "50"], inbox, size)
                    print(f"celery engine, {count} worker(s) x 4 threads: {n} messages, {rate:.0f} msg/s "
                          "(includes publishing and the driver's start)")
                finally:
                    for w in workers:
                        w.stop()
        finally:
            redis_server.stop()
            postgres.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
