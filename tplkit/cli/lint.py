"""``tplkit lint``: thin command over :func:`tplkit.lint.lint`.

Exit codes: 0 clean, 1 errors (or warnings with ``--strict`` / over ``--max-warnings``),
2 usage, configuration or internal errors.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import TplkitError
from ..lint import RULES
from ..lint import lint as run_lint
from ..lint.formats import FORMATS, format_text, is_report, render_findings
from .app import EXIT_ERROR, EXIT_USAGE, AppContext, write_output

EXIT_OK = 0


def exit_code(findings, strict: bool = False, max_warnings: int | None = None) -> int:
    """The exit status for a list of findings (see the module docstring)."""
    if any(f.rule == "internal-error" for f in findings):
        return EXIT_USAGE
    warnings = sum(1 for f in findings if f.severity == "warning")
    if any(f.severity == "error" for f in findings):
        return EXIT_ERROR
    if (strict and warnings) or (max_warnings is not None and warnings > max_warnings):
        return EXIT_ERROR
    return EXIT_OK


@click.command("lint")
@click.argument("templates", nargs=-1)
@click.option("--locale", "-l", "locales", multiple=True,
              help="Lint only this locale (repeatable). Default: every locale.")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to a file.")
@click.option("--force", is_flag=True, help="Overwrite --output even if it is not a previous "
              "tplkit report of the same format (those are always replaced).")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option("--max-warnings", type=click.IntRange(min=0), default=None,
              help="Fail (exit 1) when there are more warnings than this.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes for building templates (default: chosen from the CPUs and the "
                   "work, 1 on a machine with 2 CPUs or fewer).")
@click.option("--list-rules", is_flag=True, help="List the rules (id, default severity, what) and exit.")
@click.pass_obj
def lint(app: AppContext, templates: tuple[str, ...], locales: tuple[str, ...], fmt: str,
         output: str | None, force: bool, strict: bool, max_warnings: int | None,
         jobs: int | None, list_rules: bool) -> None:
    """Check templates, catalogs and every rendered email (template × locale × sample).

    TEMPLATES limits the run to these templates (catalog rules then do not run).
    Configure rules in the project's config file under [lint] (select, ignore, severity);
    silence one line with {# tplkit: disable-next-line RULE -- reason #} above it.
    """
    if list_rules:
        width = max(len(r.id) for r in RULES)
        for r in RULES:
            click.echo(f"{r.id:<{width}}  {r.severity:<7}  {r.layer:<8}  {r.description}")
        return


    try:
        findings = run_lint(app.kit(), list(templates) or None, list(locales) or None,
                            jobs=jobs or "auto")
        warnings = sum(1 for f in findings if f.severity == "warning")
        warnings_fail = bool(warnings) and (strict or (max_warnings is not None and warnings > max_warnings))
        report = render_findings(findings, fmt, warnings_fail=warnings_fail)
        if output:
            target = Path(output)
            replace = force or (target.is_file() and is_report(target.read_bytes(), fmt))
            write_output(output, report.encode("utf-8"), replace)
            click.echo(format_text(findings).splitlines()[-1] + f"; report written to {output}",
                       err=True)
        else:
            click.echo(report, nl=False)
    except TplkitError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    except Exception as e:  # a tplkit bug: say so in one line, exit 2
        click.echo(f"internal error: {type(e).__name__}: {e} (please report this)", err=True)
        sys.exit(EXIT_USAGE)
    code = exit_code(findings, strict, max_warnings)
    if code == EXIT_USAGE:
        click.echo("error: a lint rule crashed (internal-error); the report is incomplete", err=True)
    sys.exit(code)
