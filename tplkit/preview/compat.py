"""Email-client compatibility hints for a rendered email, from caniemail.com's data.

The data is a dated snapshot of ``dist/data/caniemail.json`` from the ``caniemail`` npm
package (MIT, see ``data/caniemail-LICENSE``), cut down to the clients the preview reports
on. Refresh it with ``python -m tplkit.preview.compat refresh`` (uses ``npm pack``).

:func:`check` finds the HTML elements, attributes, CSS properties, at-rules and image
formats the HTML uses, looks each up, and keeps those that the latest tested version of
Gmail, Outlook (Windows, macOS), Apple Mail or Yahoo does not support or supports only in
part. Each hint carries the line of the rendered HTML and, where a template file spells the
feature out (an MJML attribute such as ``border-radius="6px"``, an ``<mj-style>`` rule), the
template file and line it most likely comes from.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SNAPSHOT = DATA / "caniemail.json"
LICENSE = DATA / "caniemail-LICENSE"
PACKAGE = "caniemail"

# (family, platform, label): the clients the preview reports on
CLIENTS: tuple[tuple[str, str, str], ...] = (
    ("gmail", "desktop-webmail", "Gmail (web)"),
    ("gmail", "android", "Gmail (Android)"),
    ("gmail", "ios", "Gmail (iOS)"),
    ("outlook", "windows", "Outlook (Windows)"),
    ("outlook", "macos", "Outlook (macOS)"),
    ("outlook", "outlook-com", "Outlook.com"),
    ("apple-mail", "macos", "Apple Mail (macOS)"),
    ("apple-mail", "ios", "Apple Mail (iOS)"),
    ("yahoo", "desktop-webmail", "Yahoo (web)"),
)
SUPPORT = {"n": "unsupported", "a": "partial"}   # "y" and "u" (unknown) are not reported

_SKIP_ATTRS = {"style", "class", "id", "href", "src", "alt", "title", "name", "content", "type",
               "http-equiv", "charset", "border", "xmlns", "xmlns:v", "xmlns:o", "rel"}
_TAG_SLUGS = {**{f"h{i}": "html-h1-h6" for i in range(1, 7)}, "ul": "html-lists", "ol": "html-lists",
              "b": "html-strong", "s": "html-strike", "strike": "html-strike"}
_ATTR_SLUGS = {"loading": "html-loading-attribute"}
_IMAGE_EXT = {"jpg": "image-jpg", "jpeg": "image-jpg", "png": "image-png", "gif": "image-gif",
              "svg": "image-svg", "webp": "image-webp", "avif": "image-avif", "bmp": "image-bmp"}
_DECL = re.compile(r"(?<![\w-])([a-zA-Z-]+)\s*:\s*([^;{}]+)")
_UNIT = re.compile(r"\d(px|em|rem|%|vh|vw|vmin|vmax|pt|pc|ch|ex|cm|mm|in)(?![\w-])")
_FUNCS = {"calc(": "css-unit-calc", "var(": "css-variables", "rgb(": "css-rgb", "rgba(": "css-rgba",
          "linear-gradient(": "css-linear-gradient", "radial-gradient(": "css-radial-gradient",
          "clamp(": "css-function-clamp", "min(": "css-function-min", "max(": "css-function-max"}
_AT = re.compile(r"@([a-z-]+)")
_MEDIA_FEATURES = ("prefers-color-scheme", "prefers-reduced-motion", "orientation", "hover")
_PSEUDO = re.compile(r":(hover|active|focus|visited|link|first-child|last-child|nth-child|not|has|"
                     r"checked|target|lang)\b")


@dataclass
class ClientSupport:
    """How one client handles a feature: ``unsupported`` or ``partial``, with caniemail's notes."""

    client: str
    support: str
    version: str
    notes: list[str] = field(default_factory=list)


@dataclass
class Hint:
    """One feature the email uses that some reported client does not fully support."""

    slug: str
    title: str
    url: str
    clients: list[ClientSupport]
    html_line: int | None = None
    source: tuple[str, int] | None = None   # (template file, line) where the feature is written
    count: int = 1


@dataclass(frozen=True)
class Snapshot:
    """What the vendored data is: package version, the data's own date, when it was fetched."""

    package: str
    last_update_date: str
    fetched: str


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def snapshot() -> Snapshot:
    """Where the vendored caniemail data comes from, and how old it is."""
    meta = _data()["snapshot"]
    return Snapshot(meta["package"], meta["last_update_date"], meta["fetched"])


def features() -> dict[str, dict]:
    """caniemail's features by slug (title, url, stats for the reported clients, notes)."""
    return _data()["features"]


# --- finding features in HTML -------------------------------------------------------------

class _Scanner(HTMLParser):
    """Collects ``(slug, html line, needle)``: needle is the text to look for in template files."""

    def __init__(self, slugs: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.slugs = slugs
        self.found: list[tuple[str, int, str]] = []
        self._in_style: int | None = None

    def add(self, slug: str, line: int, needle: str) -> None:
        if slug in self.slugs:
            self.found.append((slug, line, needle))

    def handle_decl(self, decl: str) -> None:
        if decl.lower().startswith("doctype"):
            self.add("html-doctype", self.getpos()[0], "<!doctype")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        self.add(_TAG_SLUGS.get(tag, f"html-{tag}"), line, f"<{tag}")
        values = {k: v or "" for k, v in attrs}
        for key in values:
            if key.startswith("aria-"):
                self.add(f"html-{key}", line, key)
            elif key not in _SKIP_ATTRS:
                self.add(_ATTR_SLUGS.get(key, f"html-{key}"), line, f'{key}="')
        if tag == "meta" and values.get("name", "").lower() == "color-scheme":
            self.add("html-meta-color-scheme", line, "color-scheme")
        if tag == "img":
            src = values.get("src", "")
            if src.startswith("data:"):
                self.add("image-base64", line, "data:")
            else:
                ext = src.split("?", 1)[0].rsplit(".", 1)[-1].lower()
                if ext in _IMAGE_EXT:
                    self.add(_IMAGE_EXT[ext], line, f".{ext}")
        if tag == "a":
            href = values.get("href", "")
            if href.startswith("mailto:"):
                self.add("html-mailto-links", line, "mailto:")
            elif href.startswith("#"):
                self.add("html-anchor-links", line, 'href="#')
        if "style" in values:
            self.css(values["style"], line, declarations_only=True)
        if tag == "style":
            self._in_style = line

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = None

    def handle_data(self, data: str) -> None:
        if self._in_style is not None:
            self.css(data, self.getpos()[0], declarations_only=False)

    def css(self, text: str, line: int, declarations_only: bool) -> None:
        text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.DOTALL)
        for m in _DECL.finditer(text):
            prop, value = m.group(1).lower(), m.group(2).strip().lower()
            at = line + text.count("\n", 0, m.start())
            if prop.startswith(("-", "mso-")) or (not declarations_only and _is_selector(text, m)):
                continue
            slug = _property_slug(prop, self.slugs)
            if slug:
                self.add(slug, at, prop)
            if prop == "display" and value.split()[0] in ("flex", "grid", "none"):
                self.add(f"css-display-{value.split()[0]}", at, f"display:{value.split()[0]}")
            if "!important" in value:
                self.add("css-important", at, "!important")
            for unit in _UNIT.findall(value):
                self.add(f"css-unit-{'percent' if unit == '%' else unit}", at, prop)
            for func, fslug in _FUNCS.items():
                if re.search(rf"(?<![\w-]){re.escape(func)}", value):
                    self.add(fslug, at, func)
        if declarations_only:
            return
        for m in _AT.finditer(text):
            at = line + text.count("\n", 0, m.start())
            name = m.group(1)
            self.add(f"css-at-{name}", at, f"@{name}")
            if name == "media":
                query = text[m.end():text.find("{", m.end())]
                for feature in _MEDIA_FEATURES:
                    if feature in query:
                        self.add(f"css-at-media-{feature}", at, feature)
        for m in _PSEUDO.finditer(re.sub(r"\{[^{}]*\}", "{}", text)):
            self.add(f"css-pseudo-class-{m.group(1)}", line, f":{m.group(1)}")


def _is_selector(text: str, m: re.Match) -> bool:
    """In a style sheet, ``a:hover`` before a ``{`` is a selector, not a declaration."""
    rest = text[m.end():]
    brace, semi = rest.find("{"), rest.find("}")
    return brace != -1 and (semi == -1 or brace < semi)


def _property_slug(prop: str, slugs: set[str]) -> str | None:
    """``padding-left`` -> ``css-padding``; ``border-top-left-radius`` -> ``css-border-radius``."""
    if prop.startswith("border-") and prop.endswith("-radius"):
        prop = "border-radius"
    parts = prop.split("-")
    while parts:
        slug = "css-" + "-".join(parts)
        if slug in slugs:
            return slug
        parts.pop()
    return None


# --- support ------------------------------------------------------------------------------

def _latest(stats: dict, family: str, platform: str) -> tuple[str, str] | None:
    versions = stats.get(family, {}).get(platform)
    if not versions:
        return None
    version = list(versions)[-1]
    return version, versions[version]


def support(slug: str, clients: Sequence[tuple[str, str, str]] = CLIENTS) -> list[ClientSupport]:
    """The reported clients whose latest tested version lacks ``slug`` (fully or in part)."""
    feature = features().get(slug)
    if feature is None:
        return []
    notes = feature.get("notes_by_num") or {}
    out = []
    for family, platform, label in clients:
        latest = _latest(feature["stats"], family, platform)
        if latest is None:
            continue
        version, value = latest
        parts = value.split()
        if parts[0] in SUPPORT:
            refs = [notes[p[1:]] for p in parts[1:] if p.startswith("#") and p[1:] in notes]
            out.append(ClientSupport(label, SUPPORT[parts[0]], version, refs))
    return out


def check(html: str, sources: Iterable[Path] = ()) -> list[Hint]:
    """Features of ``html`` that a reported client lacks, most widely unsupported first.

    ``sources`` are the template's files (its own first, then shared layouts/components):
    the first line spelling out a feature is given as where it comes from.
    """
    scanner = _Scanner(set(features()))
    scanner.feed(html)
    scanner.close()
    texts = [(p, p.read_text(encoding="utf-8", errors="replace").splitlines()) for p in sources
             if p.is_file()]
    hints: dict[str, Hint] = {}
    for slug, line, needle in scanner.found:
        if slug in hints:
            hints[slug].count += 1
            continue
        clients = support(slug)
        if not clients:
            continue
        feature = features()[slug]
        hints[slug] = Hint(slug, feature["title"], feature["url"], clients, line,
                           _locate(texts, needle))
    return sorted(hints.values(),
                  key=lambda h: (-sum(c.support == "unsupported" for c in h.clients), -len(h.clients),
                                 h.title))


def _locate(texts: list[tuple[Path, list[str]]], needle: str) -> tuple[str, int] | None:
    if re.fullmatch(r"[a-z-]+", needle):   # a CSS property: `prop: v` in CSS, `prop="v"` in MJML
        pattern = re.compile(rf"(?<![\w-]){needle}\s*[:=]", re.IGNORECASE)
    else:
        pattern = re.compile(re.escape(needle), re.IGNORECASE)
    for path, lines in texts:
        for n, text in enumerate(lines, 1):
            if pattern.search(text):
                return str(path), n
    return None


# --- refreshing the snapshot --------------------------------------------------------------

def slim(data: dict, package: str, fetched: str) -> dict:
    """caniemail's JSON cut down to the fields and clients the preview uses."""
    families = {family for family, _, _ in CLIENTS}
    out = {}
    for f in data["data"]:
        out[f["slug"]] = {"title": f["title"], "url": f["url"], "category": f["category"],
                          "stats": {k: v for k, v in f["stats"].items() if k in families},
                          "notes_by_num": f.get("notes_by_num") or {}}
    return {"snapshot": {"package": package, "last_update_date": data.get("last_update_date", ""),
                         "fetched": fetched, "api_version": data.get("api_version", "")},
            "features": out}


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    """The bytes of regular file ``name`` in ``tar`` (``extractfile`` gives None for anything else)."""
    member = tar.extractfile(name)
    if member is None:
        raise RuntimeError(f"npm pack: {name} in {PACKAGE} is not a regular file")
    with member:
        return member.read()


def refresh(version: str = "latest", dest: Path = DATA) -> Snapshot:
    """Download ``caniemail@version`` with ``npm pack`` and replace the vendored snapshot."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (it fetches the caniemail package)")
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([npm, "pack", f"{PACKAGE}@{version}", "--pack-destination", tmp, "--json"],
                              capture_output=True, text=True, check=False, cwd=tmp)
        if done.returncode != 0:
            raise RuntimeError(f"npm pack failed: {done.stderr.strip()}")
        info = json.loads(done.stdout)[0]
        with tarfile.open(Path(tmp) / info["filename"]) as tar:
            data = json.loads(_member(tar, "package/dist/data/caniemail.json"))
            licence = _member(tar, "package/LICENSE")
    fetched = _dt.datetime.now(_dt.UTC).date().isoformat()
    slimmed = slim(data, f"{info['name']}@{info['version']}", fetched)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / SNAPSHOT.name).write_text(json.dumps(slimmed, ensure_ascii=False, separators=(",", ":")),
                                      encoding="utf-8")
    (dest / LICENSE.name).write_bytes(licence)
    _data.cache_clear()
    meta = slimmed["snapshot"]
    return Snapshot(meta["package"], meta["last_update_date"], meta["fetched"])


def main(argv: list[str] | None = None) -> int:
    """``python -m tplkit.preview.compat refresh [VERSION]``: update the vendored snapshot."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "refresh" or len(args) > 2:
        print("usage: python -m tplkit.preview.compat refresh [VERSION]", file=sys.stderr)
        return 2
    try:
        snap = refresh(args[1] if len(args) > 1 else "latest")
    except (RuntimeError, OSError, KeyError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"caniemail data: {snap.package}, updated {snap.last_update_date}, fetched {snap.fetched}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
