"""CSS inlining of the HTML that MJML produced (premailer), without touching MJML's markup.

premailer by default turns inlined CSS into "basic" HTML attributes and overwrites the ones
already there: a logo ``<img width="140">`` whose class sets ``width:100%`` became
``width="100%"`` (Outlook for Windows then sizes it by the image file), and links gained
``width``/``bgcolor``/``align``, which are not valid on ``<a>``. MJML already writes every
presentational attribute it needs, so inlining here only adds ``style``: premailer's
attribute conversion and float-to-align rewriting are switched off.

premailer also strips ``!important`` from the ``<style>`` elements it keeps, by default. The
dark-mode styles must beat the inline colours, which only ``!important`` does, and MJML's own
media queries carry it too; tplkit keeps every ``<style>`` element exactly as MJML wrote it.
"""
from __future__ import annotations

import logging
import re

from .errors import TemplateSourceError

#: every attribute premailer can derive from CSS; tplkit lets it derive none
BASIC_ATTRIBUTES = ("align", "valign", "bgcolor", "width", "height")

_DOCTYPE = re.compile(r"^\s*<!doctype", re.IGNORECASE)
_PREMAILER_LOG = logging.getLogger("tplkit.premailer")
_PREMAILER_LOG.addHandler(logging.NullHandler())
_PREMAILER_LOG.propagate = False


def inline_css(html: str, *, template: str, locale: str) -> str:
    """Inline CSS with premailer, keeping media queries, the doctype MRML wrote and every
    attribute MJML set (no attribute is added or rewritten from CSS)."""
    # on first use: a kit rendering from a build never loads premailer (lxml, cssutils)
    import cssutils
    import premailer

    cssutils.log.setLevel(logging.CRITICAL)
    try:
        out = premailer.Premailer(html, allow_network=False, keep_style_tags=True,
                                  remove_classes=False, disable_validation=True,
                                  disable_basic_attributes=list(BASIC_ATTRIBUTES),
                                  align_floating_images=False, strip_important=False,
                                  cssutils_logging_level=logging.CRITICAL,
                                  cssutils_logging_handler=logging.NullHandler()).transform()
    except Exception as e:
        raise TemplateSourceError(f"CSS inlining failed: {e}", template=template,
                                  locale=locale, part="html") from e
    if not _DOCTYPE.match(out):  # premailer drops MRML's lowercase doctype
        out = "<!doctype html>\n" + out
    return out
