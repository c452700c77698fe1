"""``tplkit batch``: one message per record of a JSONL or CSV file (:mod:`tplkit.batch`)."""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any

import click

from ..batch import ERRORS, FORMATS, Job, rerun_failed, run_batch
from ..batchwriter import adopt_kit
from ..kit import Kit
from .app import AppContext, report_errors
from .batch_send import make_group, refuse_send_only, run_send, send_options


@click.command("batch")
@click.argument("name")
@click.option("--data", "-d", required=True, type=click.Path(dir_okay=False, exists=True),
              help="Records: a .jsonl file (one JSON object per line) or a .csv file with a header.")
@click.option("--output", "-o", required=True, type=click.Path(file_okay=False),
              help="Output folder (created; re-running the same command resumes there).")
@click.option("--locale-field", default=None, help="Record field holding each recipient's locale.")
@click.option("--to-field", default="email", show_default=True,
              help="Record field holding the recipient address (eml and mbox).")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="eml", show_default=True)
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
              help="Worker processes (default: one per core).")
@click.option("--build", "build_dir", type=click.Path(file_okay=False, exists=True), default=None,
              help="Render from a prebuilt folder (tplkit build) instead of the sources.")
@click.option("--sender", default=None, help="From address (default: the brand's).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=256, show_default=True,
              help="Records per unit of work and per mbox/jsonl part file.")
@click.option("--ignore-unknown", is_flag=True,
              help="Ignore record fields that are not placeholders (default: a record error).")
@send_options
@click.pass_obj
@report_errors
def batch(app: AppContext, name: str, data: str, output: str, locale_field: str | None,
          to_field: str, fmt: str, jobs: int, build_dir: str | None, sender: str | None,
          chunk_size: int, ignore_unknown: bool, **send: Any) -> None:
    """Render one message per record of a JSONL or CSV file, on all cores; with --send,
    deliver each through an SMTP relay, exactly once, recorded in a send log."""
    if send["send_url"]:
        return run_send(app, name, data, output, locale_field=locale_field, to_field=to_field,
                        build_dir=build_dir, sender=sender, chunk_size=chunk_size,
                        ignore_unknown=ignore_unknown, **send)
    # --retry-failed (one option with --send and without): re-render the records listed in
    # DIR/errors.jsonl after fixing them in the data file
    retry_failed = send.pop("retry_failed")
    refuse_send_only(send)

    kit = Kit.from_build(build_dir) if build_dir else app.kit()
    kit.template(name)  # an unknown template fails now, not once per record
    if not build_dir:
        kit.compile(name)  # so does a broken one (its file and line, once)
    brand = kit.brand
    job = Job(template=name, fmt=fmt, out=output, project=app.project,
              build=str(Path(build_dir).resolve()) if build_dir else None,
              locale_field=locale_field, to_field=to_field,
              sender=sender or f"{brand.company_name} <{brand.email}>",
              ignore_unknown=ignore_unknown)
    adopt_kit(job, kit)   # loaded once: by this process, and by the workers forked from it
    bar = functools.partial(click.progressbar, label=f"rendering {name}", file=sys.stderr, show_pos=True)
    if retry_failed:
        summary = rerun_failed(job, Path(data), chunk_size=chunk_size)
    else:
        summary = run_batch(job, Path(data), jobs=jobs or os.cpu_count() or 1,
                            chunk_size=chunk_size, progress=bar)
    click.echo((f"retried {summary['retried']} record(s): " if retry_failed else
                f"{summary['records']} record(s): ")
               + f"{summary['written']} message(s) written to {output}, {summary['errors']} "
               f"record(s) failed" + (f" (see {Path(output) / ERRORS})" if summary["errors"] else "")
               + (f"; resumed after {summary['resumed']} finished chunk(s)" if summary["resumed"] else ""),
               err=True)
    if summary["errors"]:
        sys.exit(1)


batch_group = make_group(batch)
