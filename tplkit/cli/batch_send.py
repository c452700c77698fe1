"""``tplkit batch ... --send``, ``tplkit batch status``: sending a batch (:mod:`tplkit.sendbatch`).

``tplkit batch`` is a group whose default command renders or sends (``tplkit batch NAME ...``
runs it; ``tplkit batch run NAME`` too, for a template that is called ``status``).
"""
from __future__ import annotations

import functools
import inspect
import json
import sys
import time
from collections.abc import Callable
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from ..batch import Job
from ..kit import Kit
from .app import AppContext, report_errors

ENGINES = ("local", "celery")


def send_options(func: Callable) -> Callable:
    """The options of ``tplkit batch`` that turn rendering into sending."""
    options = [
        click.option("--send", "send_url", metavar="smtp://HOST:PORT", default=None,
                     help="Deliver each record through this relay (smtps:// for TLS from the start) "
                          "instead of writing files; the send log goes into --output."),
        click.option("--starttls", is_flag=True, help="With --send: upgrade the connection with STARTTLS."),
        click.option("--user", help="With --send: SMTP login name (needs --password-env)."),
        click.option("--password-env", metavar="VAR", help="Environment variable holding the SMTP password."),
        click.option("--rate", metavar="N/s", default=None,
                     help="With --send: at most N messages per second (also N/m, N/h); per worker "
                          "process with --engine celery."),
        click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True,
                     help="With --send: parallel SMTP connections (with --engine celery: the workers' -c)."),
        click.option("--attempts", type=click.IntRange(min=1), default=8, show_default=True,
                     help="With --send: attempts per message before a temporary failure is final."),
        click.option("--backoff", type=click.FloatRange(min=0), default=60.0, show_default=True,
                     help="With --send: seconds before the first retry; doubled each time, with jitter."),
        click.option("--backoff-max", type=click.FloatRange(min=0), default=3600.0, show_default=True,
                     help="With --send: longest wait between two attempts."),
        click.option("--lease", type=click.FloatRange(min=1), default=300.0, show_default=True,
                     help="With --send: seconds a sender holds a message before another may take it "
                          "over (longer than any one SMTP transaction)."),
        click.option("--retry-failed", is_flag=True,
                     help="With --send: try the records recorded as failed again (fresh attempts). "
                          "Without: render again only the records of DIR/errors.jsonl (fixed in "
                          "the data file), into the same folder."),
        click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
                     help="With --send: threads on this machine, or Celery workers (needs --broker, "
                          "--build and a PostgreSQL --send-log)."),
        click.option("--broker", metavar="URL", default=None, help="With --engine celery: the broker URL."),
        click.option("--send-log", metavar="URL", default=None,
                     help="With --send: the send log (default: OUTPUT/sendlog.sqlite3; "
                          "postgresql://... for --engine celery)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def refuse_send_only(send: dict[str, Any]) -> None:
    """Options that only mean something with --send, given without it: a usage error (they
    would be ignored silently otherwise)."""
    ctx = click.get_current_context()
    given = [f"--{name.replace('_', '-')}" for name in send
             if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE]
    if given:
        raise click.UsageError(f"{', '.join(given)} only with --send smtp://HOST:PORT")


def run_send(app: AppContext, name: str, data: str, output: str, *, locale_field: str | None,
             to_field: str, build_dir: str | None, sender: str | None, chunk_size: int,
             ignore_unknown: bool, send_url: str, starttls: bool, user: str | None,
             password_env: str | None, rate: str | None, concurrency: int, attempts: int,
             backoff: float, backoff_max: float, lease: float, retry_failed: bool, engine: str,
             broker: str | None, send_log: str | None) -> None:
    """``tplkit batch NAME --send ...``: deliver the batch and report the counts."""
    # imported here: a batch that renders files starts without the SMTP, TLS and SQLite modules
    from ..delivery import Relay, RetryPolicy, parse_rate
    from ..send import default_sender
    from ..sendbatch import SendSpec, batch_id, send_batch

    if bool(user) != bool(password_env):
        raise click.UsageError("--user and --password-env VAR go together (the password is read from $VAR)")
    if engine == "celery" and not (broker and build_dir and send_log):
        raise click.UsageError("--engine celery needs --broker URL, --build DIR (the workers load it) "
                               "and --send-log postgresql://... (a log every worker reaches)")
    kit = Kit.from_build(build_dir) if build_dir else app.kit()
    kit.template(name)
    sender = sender or default_sender(kit.brand)
    domain = getaddresses([sender])[0][1].rpartition("@")[2] or "localhost"
    job = Job(template=name, fmt="send", out=output, project=app.project,
              build=str(Path(build_dir).resolve()) if build_dir else None,
              locale_field=locale_field, to_field=to_field, sender=sender, ignore_unknown=ignore_unknown)
    relay = Relay.parse(send_url, starttls=starttls, user=user, password_env=password_env)
    spec = SendSpec(batch=batch_id(job, Path(data)), job=job, relay=relay, domain=domain,
                    policy=RetryPolicy(attempts=attempts, base=backoff, cap=backoff_max),
                    lease=lease, rate=parse_rate(rate) if rate else None)
    bar = functools.partial(_SendBar, label=f"sending {name}")
    if engine == "celery":
        try:
            from ..celery import send_batch_celery  # needs the optional celery package
        except ImportError as e:
            raise click.UsageError(f"--engine celery needs the celery extra ({e}): "
                                   "pip install 'tplkit[celery]'") from None

        summary = send_batch_celery(spec, Path(data), Path(output), broker=broker or "",
                                    log_url=send_log or "", chunk_size=chunk_size,
                                    retry_failed=retry_failed, progress=bar)
    else:
        summary = send_batch(spec, Path(data), Path(output), concurrency=concurrency,
                             retry_failed=retry_failed, log_url=send_log, progress=bar)
    click.echo(f"batch {spec.batch}: {summary['sent']} sent ({summary['sent_now']} now), "
               f"{summary['failed']} failed of {summary['records']} record(s) via {relay.url}"
               + (f"; see tplkit batch status {output}" if summary["failed"] else ""), err=True)
    if summary["failed"]:
        sys.exit(1)


class _SendBar:
    """``click.progressbar`` showing the send's counts and rate; ``update(0, stats)`` redraws
    (click only draws when the position moves)."""

    def __init__(self, length: int, label: str) -> None:
        self.bar: Any = click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True,
                                          item_show_func=lambda s: None if s is None else str(s))

    def __enter__(self) -> _SendBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def update(self, n_steps: int, current_item: object = None) -> None:
        self.bar.update(n_steps, current_item)
        if not n_steps:
            self.bar.render_progress()


@click.command("status")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--send-log", metavar="URL", default=None,
              help="The send log (default: DIRECTORY/sendlog.sqlite3).")
@click.option("--all", "show_all", is_flag=True, help="List every record, not only failed and retrying.")
@report_errors
def status(directory: str, send_log: str | None, show_all: bool) -> None:
    """Summarise the send log of a batch folder: counts per state, failures with the reply."""
    from ..sendbatch import MARK_NAME
    from ..sendlog import SQLITE_NAME, SendLogError, open_log

    path, mark = Path(directory) / SQLITE_NAME, Path(directory) / MARK_NAME
    if send_log is None and not path.is_file():
        send_log = json.loads(mark.read_text(encoding="utf-8")).get("send_log") if mark.is_file() else None
        if send_log is None:
            raise SendLogError("no send log here (was the batch run with --send? a shared log with a "
                               "password: give --send-log URL)", file=str(directory))
    only = json.loads(mark.read_text(encoding="utf-8"))["batch"] if mark.is_file() else None
    log = open_log(send_log or path)
    try:
        for bid, meta in log.batches().items():
            if only and bid != only:   # a shared log holds other folders' batches too
                continue
            counts = log.counts(bid)
            click.echo(f"batch {bid} ({meta.get('template')}, {meta.get('data')}): "
                       + ", ".join(f"{n} {s}" for s, n in counts.items()))
            for e in log.entries(bid):
                if show_all or e.state in ("failed", "retrying", "sending") or e.reclaims:
                    when = (f" next attempt {time.strftime('%H:%M:%S', time.localtime(e.next_at))}"
                            if e.state == "retrying" and e.next_at else "")
                    parts = [f"line {e.record}", e.state, e.recipient or "-", e.message_id, e.reply]
                    again = (f" (claim taken over {e.reclaims}x after a crash: the relay may have it twice)"
                             if e.reclaims else "")
                    click.echo("  " + " ".join(p for p in parts if p) + when + again)
    finally:
        log.close()


class BatchGroup(click.Group):
    """``tplkit batch NAME ...`` runs the default command; ``tplkit batch status DIR`` the other."""

    default = "run"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default, *args]
        return super().parse_args(ctx, args)


def make_group(run: click.Command) -> click.Group:
    """The ``batch`` group around the render/send command ``run``."""
    group = BatchGroup("batch", help=inspect.cleandoc(run.help or "") + "\n\n"
                       "'tplkit batch NAME ...' is 'tplkit batch run NAME ...' (see 'tplkit batch run "
                       "--help' for its options); 'tplkit batch status DIR' summarises a send.",
                       context_settings={"help_option_names": ["-h", "--help"]})
    group.add_command(run, "run")
    group.add_command(status)
    return group

