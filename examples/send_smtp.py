#!/usr/bin/env python3
"""Render a tplkit template and send it with the standard library's smtplib.

    python3 examples/send_smtp.py apology --data examples/data/apology.json --locale uk \\
        --to olena@example.com --from "Northwind Support <support@northwind.example>" \\
        --host smtp.example.com --port 587 --starttls

Every connection setting can also come from the environment: SMTP_HOST, SMTP_PORT,
SMTP_USER, SMTP_PASSWORD (login only when a user is set), MAIL_FROM, MAIL_TO. Without
--data the template's default sample is used. Exit status 1 with one "error:" line when
the template, the data or the SMTP server says no.
"""
from __future__ import annotations

import argparse
import json
import os
import smtplib
import sys
from pathlib import Path

import tplkit


def build_message(template: str, context: dict, *, locale: str | None, sender: str, to: str,
                  project: str | None = None):
    """The rendered email as an ``EmailMessage`` (text + HTML, the template's own headers)."""
    email = tplkit.Kit(project).render(template, context, locale=locale)
    return email.to_message(sender=sender, to=to)


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("template", help="template name, e.g. acknowledgement")
    ap.add_argument("--data", help="JSON file with the placeholder values (default: the sample)")
    ap.add_argument("--locale", help="e.g. uk or uk-UA (default: the project's default locale)")
    ap.add_argument("--project", default=env.get("TPLKIT_PROJECT"), help="a tplkit project folder")
    ap.add_argument("--host", default=env.get("SMTP_HOST", "localhost"))
    ap.add_argument("--port", type=int, default=int(env.get("SMTP_PORT", "25")))
    ap.add_argument("--from", dest="sender", default=env.get("MAIL_FROM"))
    ap.add_argument("--to", default=env.get("MAIL_TO"))
    ap.add_argument("--starttls", action="store_true", help="upgrade the connection with STARTTLS")
    args = ap.parse_args(argv)
    if not args.sender or not args.to:
        ap.error("--from and --to (or MAIL_FROM and MAIL_TO) are required")

    try:
        if args.data:
            context = json.loads(Path(args.data).read_text(encoding="utf-8"))
        else:
            kit = tplkit.Kit(args.project)
            context = kit.template(args.template).sample_for(kit.negotiate(args.locale).locale)
        msg = build_message(args.template, context, locale=args.locale, sender=args.sender,
                               to=args.to, project=args.project)
    except (OSError, ValueError, tplkit.TplkitError) as e:  # JSONDecodeError is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 1

    try:
        with smtplib.SMTP(args.host, args.port, timeout=30) as smtp:
            if args.starttls:
                smtp.starttls()
            if env.get("SMTP_USER"):
                smtp.login(env["SMTP_USER"], env.get("SMTP_PASSWORD", ""))
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as e:
        print(f"error: sending to {args.host}:{args.port} failed: {e}", file=sys.stderr)
        return 1
    print(f"sent {args.template!r} ({msg['Content-Language']}) to {args.to}: {msg['Subject']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
