"""``tplkit new``: start a project or a template that lints clean and previews at once.

The starter template is written with messages the built-in catalogs already translate, so a
new project's catalogs start translated in every built-in language (ar, de, es, pl, ru, tr,
uk); another language gets a catalog to translate (lint lists what is left). Nothing is ever
overwritten unless ``confirm`` says yes for the files that exist.
"""
from __future__ import annotations

import datetime as _dt
import re
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes

from . import catalogs, i18n
from .config import builtin_root
from .errors import TplkitError
from .fsutil import atomic_write
from .schema import name_problem
from .settings import check_settings
from .store import NAME_RE

STARTER = "request-received"

_MANIFEST = '''\
# {name}: a template of your own. Every key is described in docs/reference.md.
description = "First reply: the request was received, its ticket number, and when we answer."
category = "acknowledgement"
tags = ["first-response"]

# Placeholders: the values each email gets. Names are lower_snake_case; types are
# text, int, decimal, money, date, datetime, duration, url, email, choice, bool, list.
[placeholders.customer_name]
type = "text"
example = "Olena"
description = "The customer's first name."
max_length = 100

[placeholders.ticket_id]
type = "text"
example = "SR-10482"
description = "The ticket number to quote in replies."
max_length = 20                     # lint checks the subject's length with the longest value

[placeholders.request_url]
type = "url"
example = "https://{domain}/requests/10482"
description = "Where the customer can see the request."

[placeholders.response_hours]
type = "int"
default_from = "brand.sla_hours"
description = "Hours within which we answer (default: the brand's SLA)."

# Samples: what `tplkit preview`, `tplkit serve` and `tplkit lint` render.
[samples.default]
customer_name = "Olena"
ticket_id = "SR-10482"
request_url = "https://{domain}/requests/10482"
'''

_SUBJECT = "{% trans ticket=ticket_id %}We've received your request [{{ ticket }}]{% endtrans %}\n"

_PREHEADER = ("{% trans hours=response_hours %}We'll get back to you within {{ hours }} hour."
              "{% pluralize hours %}We'll get back to you within {{ hours }} hours.{% endtrans %}\n")

_BODY = '''\
{#- The built-in layout gives the head, logo, footer and contacts; fill its content block.
    `ui` macros: ui.button(label, url), ui.rating_row(base_url, ticket_id, scale=5),
    ui.compensation(title) in a {% call %} block, ui.contacts(). -#}
{% extends "_layouts/base.mjml" %}
{% block content %}
<mj-text>
  <p>{% trans name=customer_name %}Hi {{ name }},{% endtrans %}</p>
  <p>{% trans ticket=ticket_id %}Thank you for contacting us. We've received your request and opened ticket {{ ticket }}.{% endtrans %}</p>
  <p><strong>{% trans hours=response_hours %}A member of our team will reply within {{ hours }} hour.{% pluralize hours %}A member of our team will reply within {{ hours }} hours.{% endtrans %}</strong></p>
</mj-text>
{{ ui.button(_("View your request"), request_url) }}
<mj-text>
  <p>{% trans %}Kind regards,{% endtrans %}<br>{% trans company=brand.company_name %}The {{ company }} support team{% endtrans %}</p>
</mj-text>
{% endblock %}
'''

_CONFIG = '''\
# tplkit project settings. Every key, its type and default: docs/reference.md.
default_locale = "{default}"
locales = [{locales}]

[brand]
company_name = "{company}"
website = "https://{domain}"
logo_url = "https://{domain}/logo.png"
logo_alt = "{company}"
primary_color = "#0f766e"
phone = "+1 555 0199"
email = "support@{domain}"
address = ""                          # "" hides it
kb_url = "https://help.{domain}"
sla_hours = 24
currency = "EUR"

[brand.support_hours]
days = "mon-fri"
open = "09:00"
close = "17:00"
timezone = "Europe/Berlin"

[brand.social]
instagram = "https://instagram.com/{slug}"
'''


@dataclass
class Plan:
    """Files to write (path -> content) and, after :func:`write_plan`, what happened."""

    files: dict[Path, bytes] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    to_translate: dict[str, int] = field(default_factory=dict)   # locale -> untranslated messages

    def existing(self) -> list[Path]:
        return [p for p in self.files if p.exists()]


def _slug(company: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-") or "my-shop"


def template_files(folder: Path, domain: str) -> dict[Path, bytes]:
    """The starter template's four files."""
    return {folder / "template.toml": _MANIFEST.format(name=folder.name, domain=domain).encode(),
            folder / "subject.txt": _SUBJECT.encode(), folder / "preheader.txt": _PREHEADER.encode(),
            folder / "body.mjml": _BODY.encode()}


def plan_project(root: Path, *, company: str = "My Shop", locales: Sequence[str] = ("en",),
                 template: str = STARTER) -> Plan:
    """What ``tplkit new project`` writes: ``tplkit.toml``, one template, its catalogs."""
    root = Path(root)
    locales = list(dict.fromkeys(str(x) for x in locales)) or ["en"]
    _check_name(template)
    if '"' in company or "\\" in company or not company.strip():
        raise TplkitError(f"company name {company!r}: use letters, digits and spaces")
    slug = _slug(company)
    config = _CONFIG.format(default=locales[0], locales=", ".join(f'"{x}"' for x in locales),
                            company=company, domain=f"{slug}.example", slug=slug)

    check_settings(tomllib.loads(config))   # unknown locales are refused before anything is written
    plan = Plan({root / "tplkit.toml": config.encode()})
    plan.files.update(template_files(root / "templates" / template, f"{slug}.example"))
    _plan_catalogs(plan, root, locales)
    return plan


def plan_template(root: Path, name: str, locales: Sequence[str]) -> Plan:
    """What ``tplkit new template NAME`` writes in the project at ``root``: the template, and
    its messages added to the project's catalogs (and a catalog for each configured locale
    that has none)."""
    _check_name(name)
    plan = Plan(template_files(Path(root) / "templates" / name, "help.example.com"))
    _plan_catalogs(plan, Path(root), locales)
    return plan


def _check_name(name: str) -> None:
    if not NAME_RE.match(name) or name.startswith("_"):
        raise TplkitError(f"invalid template name {name!r}: use lowercase letters, digits and "
                          f"hyphens, starting with a letter or digit (e.g. 'order-shipped')")


def _plan_catalogs(plan: Plan, root: Path, locales: Sequence[str]) -> None:
    """The message template (``locales/tplkit.pot``) of the project's templates as they will
    be, and every catalog updated with it; translations the built-in catalogs have are
    filled in."""
    templates = root / "templates"
    with tempfile.TemporaryDirectory() as tmp:   # extract from the files as planned
        staged = Path(tmp) / "templates"
        if templates.is_dir():
            shutil.copytree(templates, staged)
        for path, data in plan.files.items():
            if templates in path.parents:
                target = staged / path.relative_to(templates)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        pot = catalogs.extract([staged])
    if isinstance(pot.creation_date, _dt.datetime):   # Babel's stubs also allow a str
        pot.creation_date = pot.creation_date.replace(microsecond=0)
    locales_dir = root / "locales"
    plan.files[locales_dir / catalogs.POT_NAME] = catalogs.po_bytes(pot)
    wanted = [x for x in locales if x.split("_")[0] != i18n.SOURCE_LOCALE]
    for loc in dict.fromkeys([*wanted, *catalogs.catalog_locales(locales_dir)]):
        path = catalogs.catalog_path(locales_dir, loc)
        if path.is_file():
            catalog = catalogs.read_po(path, loc)
            catalogs.merge(catalog, pot)
        else:
            catalog = catalogs.new_catalog(pot, loc)
        builtin = catalogs.catalog_path(builtin_root() / "locales", loc)
        known = {m.id if isinstance(m.id, str) else tuple(m.id): m.string
                 for m in catalogs.read_po(builtin, loc) if m.id and not m.fuzzy} \
            if builtin.is_file() else {}
        missing = 0
        for msg in catalog:
            if not msg.id:
                continue
            forms = msg.string if isinstance(msg.string, (tuple, list)) else (msg.string,)
            if any(forms):
                continue
            found = known.get(msg.id if isinstance(msg.id, str) else tuple(msg.id))
            if found and all(found if isinstance(found, (tuple, list)) else (found,)):
                msg.string = found
            else:
                missing += 1
        if missing:
            plan.to_translate[loc] = missing
        plan.files[path] = catalogs.po_bytes(catalog)


def write_plan(plan: Plan, confirm: Callable[[list[Path]], bool] | None = None) -> Plan:
    """Write every planned file. Files that exist are overwritten only if ``confirm`` (given
    the list of them) returns True; otherwise nothing at all is written. The project's
    ``.pot`` and catalogs are regenerated content and are not asked about."""
    generated = {p for p in plan.files if p.suffix in (".po", ".pot")}
    clash = [p for p in plan.existing() if p not in generated]
    if clash and (confirm is None or not confirm(clash)):
        raise TplkitError(f"{clash[0]} exists" + (f" (and {len(clash) - 1} more file(s))"
                                                  if len(clash) > 1 else "")
                          + "; nothing was written (use --force to overwrite)", file=clash[0])
    for path, data in plan.files.items():
        if path.is_file() and path.read_bytes() == data:
            continue
        try:
            atomic_write(path, data)
        except OSError as e:
            raise TplkitError(f"cannot write: {e.strerror or e}", file=path) from None
        plan.written.append(path)
    return plan


# --- importing an existing MJML file ---------------------------------------------------------

_OTHER_TAGS = re.compile(r"\*\|([A-Za-z0-9_]+)\|\*|%%([A-Za-z0-9_]+)%%|\[\[([A-Za-z0-9_ ]+)\]\]")
_TITLE = re.compile(r"<mj-title>(.*?)</mj-title>", re.DOTALL)
_PREVIEW = re.compile(r"<mj-preview>(.*?)</mj-preview>", re.DOTALL)


@dataclass
class Imported:
    """An MJML file as a template: its files, and what still needs a hand."""

    plan: Plan
    placeholders: list[str]
    other_tags: list[tuple[int, str]]       # (line, merge tag of another tool) to convert


def plan_import(root: Path, name: str, source: Path, env: Any, locales: Sequence[str]) -> Imported:
    """What ``tplkit new template NAME --from FILE.mjml`` writes: the MJML as ``body.mjml``,
    every ``{{ name }}`` it uses declared as a text placeholder with a sample value, the
    subject and preheader taken out of ``<mj-title>`` / ``<mj-preview>`` into their files,
    and ``lang``/``dir`` set on ``<mjml>`` from the locale.

    A name that cannot be a placeholder is refused with the rename to make and its line;
    merge tags of other tools (``*|FNAME|*``, ``%%Name%%``, ``[[name]]``) are listed to convert.
    """
    _check_name(name)
    try:
        data = Path(source).read_bytes()
    except OSError as e:
        raise TplkitError(f"cannot read: {e.strerror or e}", file=source) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TplkitError(f"not UTF-8 text (byte 0x{data[e.start]:02x}); save the file as UTF-8",
                          file=source, line=data[:e.start].count(b"\n") + 1) from None
    try:
        ast = env.parse(text, name, str(source))
    except jinja2.TemplateSyntaxError as e:
        raise TplkitError(f"not a template Jinja can read: {e.message}", file=source,
                          line=e.lineno) from None
    names = sorted(meta.find_undeclared_variables(ast) - {"brand", "lang", "dir", "locale",
                                                          "subject", "preheader", "_", "gettext",
                                                          "ngettext"})
    for n in names:
        problem = name_problem(n)
        if problem:
            line = next((x.lineno for x in ast.find_all(nodes.Name) if x.name == n), None)
            raise TplkitError(f"{{{{ {n} }}}} cannot be a placeholder: {problem}", file=source,
                              line=line)
    other = [(text[:m.start()].count("\n") + 1, m.group(0)) for m in _OTHER_TAGS.finditer(text)]
    title = _TITLE.search(text)
    preview = _PREVIEW.search(text)
    lines = [f"# {name}: imported from {Path(source).name}. Give each placeholder its type",
             "# (text, int, decimal, money, date, datetime, duration, url, email, choice, bool, list).",
             f'description = "Imported from {Path(source).name}"', 'category = "imported"', ""]
    for n in names:
        lines += [f"[placeholders.{n}]", 'type = "text"', f'example = "{n}"', ""]
    lines += ["[samples.default]", *[f'{n} = "{n}"' for n in names], ""]
    # the subject and preheader live in their own files (translated there, not twice)
    body = _TITLE.sub("<mj-title>{{ subject }}</mj-title>", text, count=1)
    body = _PREVIEW.sub("<mj-preview>{{ preheader }}</mj-preview>", body, count=1)
    root_tag = re.search(r"<mjml\b[^>]*>", body)
    if root_tag and not re.search(r"\s(lang|dir)=", root_tag.group(0)):
        body = body.replace(root_tag.group(0), root_tag.group(0)[:-1].rstrip("/ ")
                            + ' lang="{{ lang }}" dir="{{ dir }}">', 1)
    folder = Path(root) / "templates" / name
    subject = " ".join((title.group(1) if title else name.replace("-", " ").capitalize()).split())
    preheader = " ".join(preview.group(1).split()) if preview else ""
    plan = Plan({folder / "template.toml": "\n".join(lines).encode(),
                 folder / "subject.txt": (subject + "\n").encode(),
                 folder / "preheader.txt": (preheader + "\n").encode(),
                 folder / "body.mjml": body.encode()})
    _plan_catalogs(plan, Path(root), locales)
    return Imported(plan, names, other)
