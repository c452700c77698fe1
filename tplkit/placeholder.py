"""What a placeholder is: its declaration (:class:`Placeholder`) and the value types
validation produces (:class:`Money`, :class:`Record`), with the limits every value obeys.

Public through :mod:`tplkit.schema`, which re-exports every name here.
"""
from __future__ import annotations

import types
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

TYPES = ("text", "int", "decimal", "money", "date", "datetime", "duration", "url", "email",
         "choice", "bool", "list", "object")
MAX_ITEMS = 1000    # a longer list is almost certainly a bug or an attack
MAX_DEPTH = 3       # objects and lists nest at most this deep (order.lines[2].price is 2)
SAFE_URL_SCHEMES = ("https", "http", "mailto", "tel")
MAX_TEXT = 100_000  # characters; a longer value is almost certainly a bug or an attack


@dataclass(frozen=True)
class Money:
    """An amount in a currency, formatted per locale by the ``money`` filter."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True)
class Placeholder:
    """One declared placeholder of a template."""

    name: str
    type: str = "text"
    required: bool = True
    default: Any = None
    example: Any = None
    description: str = ""
    choices: tuple = ()
    item_type: str = "text"
    currency: str | None = None
    max_length: int | None = None
    default_from: str | None = None  # e.g. "brand.sla_hours", resolved per brand
    compute: str | None = None       # e.g. "support_hours.reply_by": see tplkit.computed
    fields: tuple[Placeholder, ...] = ()   # an object's fields, or a list's item's
    min_items: int | None = None
    max_items: int | None = None

    def field(self, name: str) -> Placeholder | None:
        """The declared field ``name`` of an object (or of a list's object items)."""
        return next((f for f in self.fields if f.name == name), None)

    def item(self) -> Placeholder:
        """What one item of a list is: a scalar of ``item_type``, or an object."""
        return Placeholder(name=self.name, type=self.item_type, currency=self.currency,
                           fields=self.fields)


class Record(types.SimpleNamespace):
    """A validated ``object`` value: its fields as attributes (``order.total``) and items
    (``order["total"]``). Not a dict, so a field may be called ``items`` or ``keys``."""

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except (AttributeError, TypeError):
            raise KeyError(key) from None


class FieldProblems(ValueError):
    """Problems inside a list or an object: (path below the value, kind, message) each,
    so that every one is reported with its path (``items[2].price``)."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path.lstrip('.') or '(value)'}: {msg}"
                                   for path, _, msg in problems))


def with_currency(ph: Placeholder, currency: str) -> Placeholder:
    """``ph`` with every money value in it (fields, items) in ``currency`` unless its own."""
    fields = tuple(with_currency(f, currency) for f in ph.fields)
    money = ph.currency is None and "money" in (ph.type, ph.item_type)
    if not money and fields == ph.fields:
        return ph
    return replace(ph, currency=currency if money else ph.currency, fields=fields)
