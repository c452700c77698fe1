"""Batch records: the rows of a JSONL or CSV data file, read with their line numbers.

JSONL lines stay text (the workers parse them, :func:`parse_record`); CSV rows become dicts,
an empty cell meaning "not given". A row that cannot be read becomes an error at its own
line (:func:`Malformed`) and the rows after it are still read.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from .errors import TplkitError


def read_records(path: Path) -> tuple[str, list[tuple[int, Any]]]:
    """(kind, [(line number, raw record)]): JSONL lines stay text (workers parse them);
    CSV rows become dicts, an empty cell meaning "not given". A malformed CSV row becomes a
    :class:`Malformed` record at its line, and the rows after it are still read."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise TplkitError("--data must be a .jsonl or .csv file", file=str(path))
    try:
        data = path.read_bytes()
    except OSError as e:
        raise TplkitError(f"cannot read the data file: {e.strerror or e}", file=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TplkitError(f"not UTF-8 text (byte 0x{data[e.start]:02x}); save the file as UTF-8",
                          file=str(path), line=data[:e.start].count(b"\n") + 1) from None
    if suffix == ".csv":
        return "csv", read_csv(text, str(path))
    return "jsonl", [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


MALFORMED = "\x00tplkit-malformed"   # no CSV header is this: NUL cannot be read from CSV


def Malformed(message: str) -> dict[str, str]:  # noqa: N802 - reads as the record kind it makes
    """A CSV row that cannot be read as a record: it becomes an error at its line. A plain
    dict, so that it travels as JSON (to Celery workers) like every other CSV row."""
    return {MALFORMED: message}


def read_csv(text: str, file: str) -> list[tuple[int, Any]]:
    """Rows of a CSV text with a header, as (line, {column: cell}) or (line, Malformed).

    A quoted cell may span lines. A row whose quote is never closed (or closed rows later)
    would swallow the rows after it; such a row -- one that spans lines and has another
    number of cells than the header -- is reported on its own line and reading restarts on
    the next line, so every other row is still a record.
    """
    lines = text.splitlines(keepends=True)
    try:
        header = next(csv.reader(lines[:1]), None)
    except csv.Error as e:
        raise TplkitError(f"unreadable CSV header: {e}", file=file, line=1) from None
    if not header:
        return []
    width = len(header)
    rows: list[tuple[int, Any]] = []
    i = 1   # index of the next physical line to read
    while i < len(lines):
        reader = csv.reader(lines[i:])
        before = 0        # physical lines this reader has consumed before the current row
        restart = None
        while restart is None:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                rows.append((i + 1 + before, Malformed(f"unreadable CSV row: {e}")))
                restart = i + 1 + before   # go on with the line after the row's first
                break
            first, spanned, before = i + 1 + before, reader.line_num - before, reader.line_num
            if not cells:
                continue   # a blank line
            if spanned > 1 and len(cells) != width:
                rows.append((first, Malformed(
                    f"a quote opened on this line is not closed on it (the row runs into line "
                    f"{first + spanned - 1}); cells with commas or line breaks must be wrapped "
                    f"in \"...\" and a quote inside one written twice (\"\")")))
                restart = first
            elif len(cells) > width:
                rows.append((first, Malformed(f"the row has {len(cells)} cells; the header has {width}")))
            else:
                rows.append((first, dict(zip(header, cells + [""] * (width - len(cells)), strict=True))))
        if restart is None:
            break
        i = restart
    return rows


def parse_record(kind: str, raw: Any) -> dict:
    """The record as a dict: a JSONL line parsed, a CSV row without its empty cells (a
    malformed row or a line that is no JSON object raises ValueError, with its column)."""
    if kind == "csv" and MALFORMED in raw:
        raise ValueError(raw[MALFORMED])
    if kind == "csv":
        return {k: v for k, v in raw.items() if v not in (None, "")}
    try:
        rec = json.loads(raw)
    except json.JSONDecodeError as e:
        raise RecordError(f"invalid JSON: {e.msg} (column {e.colno})", column=e.colno) from None
    if not isinstance(rec, dict):
        raise ValueError("the record must be a JSON object")  # noqa: TRY004 - a record error
    return rec


class RecordError(ValueError):
    """A record that cannot be read, with the column of the problem."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column
