"""Forms of address in the build pass: a message's gendered variants as a runtime choice.

Some languages word a sentence differently for a woman, a man and a reader whose gender the
sender does not know: formal Polish says «Otrzymaliśmy Pani zgłoszenie» / «Pana zgłoszenie»
/ «Państwa zgłoszenie». A catalog gives such variants as entries with the ``msgctxt`` of
:data:`tplkit.i18n.ADDRESS_CONTEXTS` beside the plain (neutral) entry; a template that
declares the :data:`~tplkit.i18n.ADDRESS_PLACEHOLDER` placeholder (``customer_gender``) gets
them. As with plural forms, the build pass cannot know the value: it writes a runtime
``{% if %}`` over the variants, the plain translation in its ``{% else %}``. A message
without variants, and every language without any, compiles exactly as before.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import i18n
from .deferred import Deferred, raw_value


def addressed(catalog: i18n.Catalog, context: Any, msgid: str,
              translate: Callable[[str | None], str], plural: str | None = None) -> str:
    """The translation of ``msgid`` for the form of address in the template's ``context``:
    ``translate(msgctxt)`` of the variant the value picks (a runtime choice when the value
    is per recipient), ``translate(None)`` when the value is unset or has no variant."""
    variants = i18n.address_variants(catalog, msgid, plural)
    if not variants:
        return translate(None)
    value = context.get(i18n.ADDRESS_PLACEHOLDER) if hasattr(context, "get") else None
    if not isinstance(value, Deferred):
        return translate(variants.get(raw_value(value)) if isinstance(raw_value(value), str) else None)
    token = value.slots.token
    out = [token(f"{{% {'if' if i == 0 else 'elif'} ({value.expr}) == {form!r} %}}") + translate(ctx)
           for i, (form, ctx) in enumerate(variants.items())]
    out.append(token("{% else %}") + translate(None) + token("{% endif %}"))
    return "".join(out)
