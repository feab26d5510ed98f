"""Bulk coding of descriptions: CSV or NDJSON in, CSV or NDJSON out, one row at a time.

Rows stream through (constant memory whatever the file size). A row that cannot be read (bad
JSON, no text field, a text that is not a string) is reported and skipped; the run goes on.
"""

from __future__ import annotations

import csv
import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from plugin.coding import CodedDescription, Coder, default_coder
from plugin.text.explain import system_label

FORMATS = ("csv", "ndjson")
CSV_COLUMNS = ("id", "text", "result", "codes", "candidates", "message")
TEXT_COLUMNS = ("text", "description")
# Identical descriptions recur in real extracts; their answer is the same, so keep recent ones.
_TEXT_CACHE_LIMIT = 50_000
_TEXT_CACHE_MAX_CHARS = 2_000  # longer texts are not kept: they seldom recur


@dataclass
class BulkReport:
    """What a bulk run did."""

    rows: int = 0
    coded: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)


class BadRow(ValueError):
    """A row that cannot be coded (reported, then skipped)."""


def format_of(path: Path, given: str | None) -> str:
    """The file format: as given, else from the extension (.csv, else NDJSON)."""
    if given:
        return given
    return "csv" if path.suffix.lower() in (".csv", ".tsv") else "ndjson"


def count_lines(path: Path) -> int:
    """Newlines in the file (for the progress bar's total), read in large binary blocks."""
    total = 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            total += block.count(b"\n")
    return total


def _ndjson_rows(f: IO[str], column: str | None) -> Iterator[tuple[int, Any, str | BadRow]]:
    for n, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield n, n, BadRow(f"not JSON ({exc})")
            continue
        if isinstance(obj, str):
            yield n, n, obj
            continue
        if not isinstance(obj, dict):
            yield n, n, BadRow("neither a JSON object nor a string")
            continue
        names = (column,) if column else TEXT_COLUMNS
        name = next((c for c in names if c in obj), None)
        rid = obj.get("id", n)
        if name is None:
            yield n, rid, BadRow(f"no {' or '.join(repr(c) for c in names)} field")
        elif not isinstance(obj[name], str):
            yield n, rid, BadRow(f"field {name!r} is not a string")
        else:
            yield n, rid, obj[name]


def _csv_rows(f: IO[str], column: str | None) -> Iterator[tuple[int, Any, str | BadRow]]:
    reader = csv.reader(f)
    header = next(reader, None)
    if header is None:
        return
    names = (column,) if column else TEXT_COLUMNS
    found = next((header.index(c) for c in names if c in header), None)
    if found is None:
        if column:
            raise BadRow(f"the CSV header has no column {column!r}: {header}")
        found = 0  # a headed CSV without a known text column: its first column
    id_at = header.index("id") if "id" in header else None
    for row in reader:
        n = reader.line_num
        if not row:
            continue
        rid = row[id_at] if id_at is not None and id_at < len(row) else n
        if found >= len(row):
            yield n, rid, BadRow(f"the row has {len(row)} column(s), no text column")
        else:
            yield n, rid, row[found]


# A format: how a result is rendered (once per distinct text) and how a row is written.
Render = Callable[[CodedDescription], Any]
Emit = Callable[[Any, Any], None]


def _csv_format(out: IO[str]) -> tuple[Render, Emit]:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)

    def render(r: CodedDescription) -> tuple[str, ...]:
        codes = " ".join(f"{system_label(c.system)}|{c.code}" for c in r.assigned)
        groups: dict[int, list[str]] = {}
        for c in r.codes:
            if not c.asserted:
                groups.setdefault(c.match, []).append(f"{system_label(c.system)}|{c.code}")
        candidates = " ".join("+".join(g) for g in groups.values())
        return (r.text, str(r.result).lower(), codes, candidates, r.message)

    def emit(rid: Any, rendered: tuple[str, ...]) -> None:
        writer.writerow((rid, *rendered))

    return render, emit


def _ndjson_format(out: IO[str]) -> tuple[Render, Emit]:
    def render(r: CodedDescription) -> str:
        # the object without its opening brace: the row's id goes first
        return orjson.dumps(r.to_dict()).decode()[1:]

    def emit(rid: Any, rendered: str) -> None:
        out.write(f'{{"id":{orjson.dumps(rid).decode()},{rendered}\n')

    return render, emit


@contextmanager
def _batch_gc() -> Iterator[None]:
    """Garbage collection tuned for a long batch, restored afterwards.

    Coding a row makes many small acyclic objects; with the default thresholds the collector
    runs every few rows and keeps re-walking the long-lived vocabulary and caches, a third of the
    run time. Those are frozen (left out of collections) and collections are spaced out; rows
    hold no reference cycles, so memory stays flat.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, thresholds[1], thresholds[2])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def code_file(  # noqa: PLR0913 (keyword-only options of a public API)
    source: Path,
    target: Path,
    *,
    in_format: str | None = None,
    out_format: str | None = None,
    column: str | None = None,
    coder: Coder | None = None,
    on_bad: Callable[[int, str], None] | None = None,
    progress: bool = True,
) -> BulkReport:
    """Code every description of `source` into `target`, streaming row by row.

    Bad rows are passed to `on_bad(line, why)` and skipped; they never stop the run.
    """
    from tqdm import tqdm

    coder = coder or default_coder()
    report = BulkReport()
    cache: dict[str, Any] = {}  # text -> rendered row (identical descriptions recur)
    in_csv = format_of(source, in_format) == "csv"
    rows = _csv_rows if in_csv else _ndjson_rows
    total = max(count_lines(source) - in_csv, 0) if progress else None
    with (
        _batch_gc(),
        source.open(encoding="utf-8", newline="") as f,
        target.open("w", encoding="utf-8", newline="") as out,
        tqdm(total=total, unit=" rows", disable=not progress, file=sys.stderr) as bar,
    ):
        make = _csv_format if format_of(target, out_format) == "csv" else _ndjson_format
        render, emit = make(out)
        for line, rid, text in rows(f, column):
            bar.update(1)
            report.rows += 1
            if isinstance(text, BadRow):
                report.bad.append((line, str(text)))
                if on_bad:
                    on_bad(line, str(text))
                continue
            rendered = cache.get(text)
            if rendered is None:
                try:
                    rendered = render(coder.code(text))
                except Exception as exc:  # one odd row must not lose the run
                    report.bad.append((line, f"{type(exc).__name__}: {exc}"))
                    if on_bad:
                        on_bad(line, str(exc))
                    continue
                if len(cache) >= _TEXT_CACHE_LIMIT:
                    cache.clear()
                if len(text) <= _TEXT_CACHE_MAX_CHARS:
                    cache[text] = rendered
            emit(rid, rendered)
            report.coded += 1
    return report
