"""The final list of a lint run: inline suppressions applied (and the unused ones reported),
one finding per defect, sorted by file and line."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

from .config import LintConfig
from .files import Files, Suppression, suppressions
from .model import Finding, Hit, Rule
from .rules import RULES_BY_ID

SOURCE_SUFFIXES = (".mjml", ".txt", ".html")
"""Template sources: where suppression comments are read."""


def final(findings: list[Finding], files: Files, cfg: LintConfig, rendered_files: set[str],
          finding: Callable[[Rule, Hit], Finding]) -> list[Finding]:
    """``findings`` without the suppressed ones, plus ``unused-suppression`` for comments that
    silence nothing (``rendered_files``: the sources the build and rendered rules ran over;
    ``finding`` makes a finding of a hit), deduplicated and sorted."""
    sups: list[Suppression] = []
    for src in files.loaded():
        if src.path.suffix in SOURCE_SUFFIXES:
            sups += suppressions(src)
    by_target: dict[tuple[str | None, int | None], list[Suppression]] = {}
    for s in sups:
        s.file = str(Path(s.file).resolve())
        by_target.setdefault((s.file, s.target), []).append(s)
    kept = []
    for f in findings:
        hit = next((s for s in by_target.get((f.file, f.line), []) if f.rule in s.rules), None)
        if hit is not None:
            hit.used.add(f.rule)
        else:
            kept.append(f)
    meta = RULES_BY_ID["unused-suppression"]
    if meta.id in cfg.active:
        for s in sups:
            for rule in s.rules:
                if rule in s.used:
                    continue
                known = RULES_BY_ID.get(rule)
                if known is None:
                    msg = f"suppression names an unknown rule {rule!r}"
                elif rule not in cfg.active or (
                        known.layer in ("rendered", "build") and s.file not in rendered_files):
                    continue  # the rule did not run here, so it cannot have matched
                else:
                    msg = f"suppression of {rule} matches no finding on line {s.target}"
                kept.append(finding(meta, Hit(msg, s.file, s.line)))
    return dedupe(kept)


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per defect: the same problem found in several locales (or templates sharing
    a layout) is reported once, its ``locale`` listing every affected locale ("de, en").

    Sorted first, so the kept one does not depend on the order the findings arrived in.
    """
    kept: dict[tuple, Finding] = {}
    locales: dict[tuple, list[str]] = {}
    for f in sorted(findings, key=lambda f: tuple("" if v is None else str(v).zfill(8)
                                                  if isinstance(v, int) else v
                                                  for v in dataclasses.astuple(f))):
        key = (f.rule, f.file, f.line, f.column, f.message) if f.file else \
            (f.rule, f.message, f.template)
        kept.setdefault(key, f)
        for loc in (f.locale or "").split(", "):
            if loc and loc not in locales.setdefault(key, []):
                locales[key].append(loc)
    out = [dataclasses.replace(f, locale=", ".join(sorted(locales[k])) or None)
           if len(locales.get(k, [])) > 1 else f for k, f in kept.items()]
    return sorted(out, key=lambda f: (f.file or "", f.line or 0, f.column or 0, f.rule))
