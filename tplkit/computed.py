"""Placeholders tplkit computes per message when the caller leaves them out.

A manifest marks one with ``compute = "<name>"``; the computation reads other declared
placeholders (its *inputs*) and the kit's brand support hours or link signer, before the
context is validated. A value the caller passes always wins; a computation that has
nothing to go on gives nothing (the placeholder's default, if any, applies):

``support_hours.next_opening``  inputs ``received_at``: when the team is next open after
    ``received_at`` (or now) — an auto-reply's ``back_at``.
``support_hours.reply_by``      inputs ``received_at``, ``request_category``,
    ``customer_timezone``: when a reply is due, counted in business hours, in the
    customer's time zone if given and known (else the brand's); nothing without
    ``received_at``.
``support_hours.response_hours`` inputs ``request_category``: the hours promised for
    that category; nothing without a category.
``links.rating``                inputs ``rating_url``, ``ticket_id``, ``rating_scale``:
    one signed link per score (see :mod:`tplkit.links`) when the kit has a signing key.
``links.helpful``               inputs ``feedback_url``, ``ticket_id``: two signed links,
    ``answer=yes`` and ``answer=no`` (purpose ``helpful``), when the kit has a signing key.
``support_hours.customer_times`` inputs ``slots``, ``customer_timezone``: the times in
    that IANA zone when it is one, else in the brand's support time zone (shown to the
    customer with the zone named, so they stay right either way).
``links.slots``                 inputs ``booking_url``, ``ticket_id``, ``slots``: one link
    per time slot, ``?ticket=...&slot=2026-12-02T09:00Z`` (UTC), signed (purpose
    ``booking``) when the kit has a signing key.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .coercion import coerce
from .errors import PlaceholderError, Problem
from .filters import with_query  # the unsigned links' very own builder
from .hours import zone
from .placeholder import Placeholder

if TYPE_CHECKING:   # schema imports this module to check manifests' `compute =` entries
    from .schema import Schema


@dataclass(frozen=True)
class Computation:
    """What a computed placeholder reads, the type it must have, and how it is made."""

    inputs: tuple[str, ...]
    type: str
    make: Callable[[Any, Mapping[str, Any]], Any]
    requires: str | None = None    # an input without which it gives nothing
    enabled: Callable[[Any], bool] = lambda kit: True
    # what a value the caller passes must also satisfy (beyond its type): why not, or None
    check: Callable[[Mapping[str, Any], Any], str | None] | None = None


class InputError(ValueError):
    """An input a computation cannot use; ``name`` is that input's placeholder."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def _category(kit: Any, category: str | None) -> int:
    try:
        return kit.support_hours.hours_for(category)
    except ValueError as e:
        raise InputError("request_category", str(e)) from None


def _next_opening(kit: Any, args: Mapping[str, Any]) -> Any:
    return kit.support_hours.next_opening(args["received_at"] or _dt.datetime.now(_dt.UTC))


def _reply_by(kit: Any, args: Mapping[str, Any]) -> Any:
    if args["received_at"] is None:
        return None
    _category(kit, args["request_category"])
    try:
        tz = zone(args["customer_timezone"]) if args["customer_timezone"] else None
    except ValueError:
        # recipient data (a profile, a browser): the brand's zone is shown instead, named,
        # so the time stays right; refusing would hold back the acknowledgement itself
        tz = None
    return kit.support_hours.reply_by(args["received_at"], args["request_category"], tz=tz)


def _response_hours(kit: Any, args: Mapping[str, Any]) -> Any:
    category = args["request_category"]
    return None if category is None else _category(kit, category)


RATING_SCALES = {"csat": range(1, 6), "nps": range(11)}


def _rating_links(kit: Any, args: Mapping[str, Any]) -> Any:
    signer = kit.links
    if signer is None or args["rating_url"] is None or args["ticket_id"] is None:
        return None
    return signer.rating_links(args["rating_url"], args["ticket_id"],
                               RATING_SCALES[args["rating_scale"] or "csat"])


def _customer_times(kit: Any, args: Mapping[str, Any]) -> Any:
    name = args["customer_timezone"]
    try:
        tz = zone(name) if name else kit.support_hours.tz
    except ValueError:   # recipient data: the brand's zone instead, named where it is shown
        tz = kit.support_hours.tz
    return None if not args["slots"] else [slot.astimezone(tz) for slot in args["slots"]]


def _slot_links(kit: Any, args: Mapping[str, Any]) -> Any:
    if args["booking_url"] is None or args["ticket_id"] is None or not args["slots"]:
        return None
    urls = [with_query(args["booking_url"], ticket=args["ticket_id"],
                       slot=slot.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%MZ"))
            for slot in args["slots"]]
    signer = kit.links
    return urls if signer is None else [signer.sign(u, purpose="booking") for u in urls]


def _one_per_slot(what: str) -> Callable[[Mapping[str, Any], Any], str | None]:
    """A check that a caller's list holds one ``what`` per slot (as the template pairs them)."""
    def check(context: Mapping[str, Any], value: Any) -> str | None:
        slots: Any = context.get("slots")
        if (isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__len__")
                or isinstance(slots, (str, bytes, Mapping)) or not hasattr(slots, "__len__")):
            return None   # the validation reports what is wrong with these
        if len(value) != len(slots):
            return f"needs one {what} per slot ({len(slots)}), got {len(value)}"
        return None
    return check


HELPFUL_ANSWERS = ("yes", "no")


def _helpful_links(kit: Any, args: Mapping[str, Any]) -> Any:
    signer = kit.links
    if signer is None or args["feedback_url"] is None or args["ticket_id"] is None:
        return None
    return [signer.sign(with_query(args["feedback_url"], ticket=args["ticket_id"], answer=a),
                        purpose="helpful") for a in HELPFUL_ANSWERS]


def _check_helpful_links(context: Mapping[str, Any], value: Any) -> str | None:
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__len__"):
        return None   # the validation reports what is wrong with these
    if len(value) != len(HELPFUL_ANSWERS):
        return f"needs 2 links, for the answers yes and no, got {len(value)}"
    return None


def _check_rating_links(context: Mapping[str, Any], value: Any) -> str | None:
    scores = RATING_SCALES.get(context.get("rating_scale") or "csat")
    if scores is None or isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__len__"):
        return None   # the validation reports what is wrong with these
    if len(value) != len(scores):
        return f"needs {len(scores)} links, one per score from {scores[0]} to {scores[-1]}, got {len(value)}"
    return None


COMPUTATIONS: dict[str, Computation] = {
    "support_hours.next_opening": Computation(("received_at",), "datetime", _next_opening),
    "support_hours.reply_by": Computation(("received_at", "request_category", "customer_timezone"),
                                          "datetime", _reply_by, requires="received_at"),
    "support_hours.response_hours": Computation(("request_category",), "int", _response_hours,
                                                requires="request_category"),
    "links.rating": Computation(("rating_url", "ticket_id", "rating_scale"), "list", _rating_links,
                                enabled=lambda kit: kit.links is not None, check=_check_rating_links),
    "support_hours.customer_times": Computation(("slots", "customer_timezone"), "list", _customer_times,
                                                requires="slots", check=_one_per_slot("time")),
    "links.slots": Computation(("booking_url", "ticket_id", "slots"), "list", _slot_links,
                               check=_one_per_slot("link")),
    "links.helpful": Computation(("feedback_url", "ticket_id"), "list", _helpful_links,
                                 enabled=lambda kit: kit.links is not None, check=_check_helpful_links),
}


def check_manifest(ph: Placeholder, placeholders: Mapping[str, Placeholder]) -> str | None:
    """Why ``ph.compute`` cannot work in this manifest, or None when it can."""
    comp = COMPUTATIONS.get(ph.compute or "")
    if comp is None:
        return f"unknown computation {ph.compute!r} (one of {', '.join(COMPUTATIONS)})"
    if ph.type != comp.type:
        return f"{ph.compute} gives a {comp.type} value, but the placeholder is a {ph.type}"
    if ph.required:
        return "a computed placeholder is optional (the caller may still pass it): drop required"
    missing = [i for i in comp.inputs if i not in placeholders]
    if missing:
        return f"{ph.compute} reads {', '.join(missing)}: declare {'it' if len(missing) == 1 else 'them'}"
    return None


def inputs(placeholders: Mapping[str, Placeholder]) -> set[str]:
    """The placeholders that computations read (used, even if no template part shows them)."""
    return {i for ph in placeholders.values() if ph.compute in COMPUTATIONS
            for i in COMPUTATIONS[ph.compute].inputs}


def _plan(schema: Schema) -> tuple[tuple[str, Computation], ...]:
    plan = schema.__dict__.get("_computed")
    if plan is None:
        plan = schema.__dict__["_computed"] = tuple(
            (name, COMPUTATIONS[ph.compute]) for name, ph in schema.placeholders.items()
            if ph.compute in COMPUTATIONS)
    return plan


def fill(kit: Any, schema: Schema, context: Any, *, template: str | None = None) -> Any:
    """``context`` with the computed placeholders the caller left out filled in (a new
    dict), or ``context`` itself when there is nothing to compute. An input that does not
    fit its type is left for the validation to report; a value the computation refuses
    (an unknown request category) raises :class:`~tplkit.PlaceholderError`."""
    plan = _plan(schema)
    if not plan or not isinstance(context, Mapping):
        return context
    for name, comp in plan:
        if comp.check is not None and context.get(name) is not None:
            problem = comp.check(context, context[name])
            if problem:
                raise PlaceholderError([Problem(name, "invalid", problem)], template=template)
    # the per-message cost for the common case (nothing to compute) is this one pass
    todo = [(name, comp) for name, comp in plan if context.get(name) is None
            and (comp.requires is None or context.get(comp.requires) is not None
                 or schema.defaults.get(comp.requires) is not None)   # a default input counts
            and comp.enabled(kit)]
    if not todo:
        return context
    out = dict(context)
    for name, comp in todo:
        args: dict[str, Any] = {}
        defaulted = set()
        for i in comp.inputs:
            raw = context.get(i)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                args[i] = schema.defaults.get(i)
                defaulted.add(i)
                continue
            try:
                args[i] = coerce(schema.placeholders[i], raw)
            except (ValueError, ArithmeticError):
                break   # the validation reports it
        else:
            try:
                value = comp.make(kit, args)
            except InputError as e:
                if e.name in defaulted:   # the manifest's default, which this brand does not
                    continue              # know (a category it promises nothing for): no value
                raise PlaceholderError([Problem(e.name, "invalid", str(e))], template=template) from None
            if value is not None:
                out[name] = value
    return out
