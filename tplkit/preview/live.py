"""The project as the preview sees it, kept current: a :class:`~tplkit.Kit` rebuilt when the
config, a catalog or the set of files changes, and lint findings and extracted messages
cached until any watched file changes (:mod:`.watch` says when).

A changed template alone needs no new Kit: ``Kit(auto_reload=True)`` recompiles just the
templates whose files changed. A config that fails to load is kept as the error every page
shows until it is fixed.
"""
from __future__ import annotations

import contextlib
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import TplkitError
from ..kit import Kit
from .untranslated import extract_all
from .watch import Fingerprint, fingerprint

if TYPE_CHECKING:   # tplkit.lint is imported when used: the page works without it
    from ..lint.model import Finding


@dataclass
class LintView:
    """Lint findings sorted to where the pages show them."""

    cells: dict[tuple[str, str], list[Finding]] = field(default_factory=lambda: defaultdict(list))
    catalogs: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))
    general: list[Finding] = field(default_factory=list)
    note: str | None = None


class LiveProject:
    """One project folder (``None``: the built-in library) and what the pages derive from it."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._lint_lock = threading.Lock()
        self._pot_lock = threading.Lock()   # message extraction does not wait for a lint run
        self._settings: str | None = None
        self._kit: Kit | None = None
        self._kit_error: TplkitError | None = None
        self._lint: tuple[str, list[Finding] | None, str | None] | None = None
        self._pot: tuple[str, Any] | None = None

    def state(self) -> tuple[Fingerprint, Kit | None, TplkitError | None]:
        """The current fingerprint and Kit (or the error that prevents creating one)."""
        fp = fingerprint(self.root)
        with self._lock:
            if fp.settings != self._settings:
                try:
                    self._kit, self._kit_error = Kit(self.root, auto_reload=True), None
                except TplkitError as e:
                    self._kit, self._kit_error = None, e
                self._settings = fp.settings
            return fp, self._kit, self._kit_error

    def lint(self, kit: Kit, fp: Fingerprint) -> tuple[list[Finding] | None, str | None]:
        """``(findings, None)`` or ``(None, why not)`` for the whole project, catalogs included;
        cached until a watched file changes."""
        with self._lint_lock:
            if self._lint is None or self._lint[0] != fp.version:
                self._lint = (fp.version, *run_lint(kit))
            return self._lint[1], self._lint[2]

    def lint_view(self, kit: Kit, fp: Fingerprint) -> LintView:
        """The findings by (template, locale) cell, by catalog locale, and the rest.

        A finding belongs to a template when it names it or points into its folder; a
        finding without a locale counts in every locale of its template.
        """
        findings, note = self.lint(kit, fp)
        out = LintView(note=note)
        folders = {}
        for name in kit.template_names():
            try:
                folders[name] = kit.store.folder(name).resolve()
            except TplkitError:
                continue
        locales = kit.locales()
        for f in findings or ():
            template = f.template or next((n for n, d in folders.items()
                                           if f.file and Path(f.file).is_relative_to(d)), None)
            if template:
                # one finding per defect: "de, en" lists every locale it was found in
                for loc in f.locale.split(", ") if f.locale else locales:
                    out.cells[(template, loc)].append(f)
            elif f.locale:
                for loc in f.locale.split(", "):
                    out.catalogs[loc].append(f)
            else:
                out.general.append(f)
        return out

    def pot(self, kit: Kit, fp: Fingerprint) -> Any:
        """Every message of the project's templates (re-extracted when a file changes)."""
        with self._pot_lock:
            if self._pot is None or self._pot[0] != fp.version:
                self._pot = (fp.version, extract_all(kit))
            return self._pot[1]

    def warm(self) -> None:
        """Compile every template x locale and lint them, so the first index load is quick.

        Run in a background thread by ``tplkit serve``; errors are left for the pages to show.
        """
        fp, kit, _ = self.state()
        if kit is None:
            return
        for name in kit.template_names():
            for loc in kit.locales():
                # an error is shown (error or 500) when its page is opened
                with contextlib.suppress(Exception):
                    kit.compile(name, loc)
        self.lint(kit, fp)


def run_lint(kit: Kit) -> tuple[list[Finding] | None, str | None]:
    """Call ``tplkit.lint.lint`` on the whole project if it exists; any failure is a note on
    the page, not a crash."""
    try:
        from ..lint import lint  # optional for the preview: a tree without lint still serves pages
    except ImportError as e:
        return None, f"lint unavailable ({e})"
    try:
        return list(lint(kit)), None
    except Exception as e:  # noqa: BLE001 -- another module's code: report it, keep the page
        return None, f"lint failed: {type(e).__name__}: {e}"
