"""``tplkit send``: render a template and hand it to an SMTP server (a test send).

The SMTP password is read only from an environment variable, never from the command line
(where ``ps`` and shell history would show it).
"""
from __future__ import annotations

import os

import click

from ..send import SSL_PORT, SendError, conversation, default_sender, deliver, split_ids
from .app import AppContext, load_context, report_errors


@click.command()
@click.argument("name")
@click.option("--to", "to", multiple=True, required=True, help="Recipient address (repeatable).")
@click.option("--from", "sender", help="Sender address (default: the brand's company and email).")
@click.option("--locale", "-l", default=None, help="Locale, e.g. uk or uk-UA (default: the project's).")
@click.option("--data", "-d", type=click.Path(dir_okay=False), help="Context as a JSON file.")
@click.option("--sample", "-s", help="Use this named sample from the manifest.")
@click.option("--smtp", default=None, help="SMTP server as HOST:PORT (default: localhost:25, "
              "with --ssl localhost:465).")
@click.option("--starttls", is_flag=True, help="Upgrade the connection with STARTTLS.")
@click.option("--ssl", "use_ssl", is_flag=True, help="Connect with implicit TLS (SMTPS, port 465).")
@click.option("--insecure-auth", is_flag=True,
              help="Allow --user over a connection without TLS (a trusted private server only).")
@click.option("--dry-run", is_flag=True,
              help="Print the SMTP conversation, message included, instead of connecting.")
@click.option("--user", help="SMTP login name (needs --password-env).")
@click.option("--password-env", metavar="VAR", help="Environment variable holding the SMTP password.")
@click.option("--in-reply-to", metavar="MSGID",
              help="Message-ID this email answers (threads follow-ups and escalations).")
@click.option("--references", multiple=True, metavar="MSGID",
              help="Earlier Message-IDs of the thread (repeatable).")
@click.pass_obj
@report_errors
def send(app: AppContext, name: str, to: tuple[str, ...], sender: str | None, locale: str | None,
         data: str | None, sample: str | None, smtp: str | None, starttls: bool, use_ssl: bool,
         insecure_auth: bool, dry_run: bool, user: str | None, password_env: str | None,
         in_reply_to: str | None, references: tuple[str, ...]) -> None:
    """Render a template and send it to an SMTP server (a test send)."""
    if starttls and use_ssl:
        raise click.UsageError("use either --ssl (implicit TLS) or --starttls, not both")
    if user and not password_env:
        raise click.UsageError("--user needs --password-env VAR (the password is read from $VAR)")
    if password_env and not user:
        raise click.UsageError("--password-env needs --user")
    password = None
    if password_env and not dry_run:
        password = os.environ.get(password_env)
        if password is None:
            raise SendError(f"environment variable {password_env} is not set")
    kit = app.kit()
    email = kit.render(name, load_context(app, name, data, sample, locale), locale=locale)
    msg = email.to_message(sender=sender or default_sender(kit.brand), to=list(to),
                           in_reply_to=in_reply_to, references=split_ids(references) or None)
    if dry_run:
        click.echo(conversation(msg, smtp, starttls=starttls, use_ssl=use_ssl, user=user,
                                password_env=password_env, insecure_auth=insecure_auth), nl=False)
        click.echo("dry run: nothing was sent", err=True)
        return
    deliver(msg, smtp, starttls=starttls, user=user, password=password, use_ssl=use_ssl,
            insecure_auth=insecure_auth)
    via = smtp or f"localhost:{SSL_PORT if use_ssl else 25}"
    click.echo(f"sent {name} ({email.locale}) to {', '.join(to)} via {via}: "
               f"Message-ID {msg['Message-ID']}")
