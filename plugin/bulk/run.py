"""Bulk coding of descriptions, file to file, one row at a time.

Rows stream through (memory stays flat whatever the file size; a row is at most
`max_row_bytes`). Problems with the whole input (unknown format, undetectable encoding, no text
column) are refused before anything is written; a row that cannot be read or coded is reported
with its line number and skipped, and the run goes on.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from plugin.bulk.sink import Sink, open_target
from plugin.bulk.source import MAX_ROW_BYTES, BadRow, Row, open_source
from plugin.coding import Coder, default_coder

# Identical descriptions recur in real extracts; their answer is the same, so keep recent ones.
_TEXT_CACHE_LIMIT = 50_000
_TEXT_CACHE_MAX_CHARS = 2_000  # longer texts are not kept: they seldom recur


@dataclass
class BulkReport:
    """What a bulk run did: rows read, rows coded, and each skipped row (line, why)."""

    rows: int = 0
    coded: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    encoding: str = "utf-8"
    format: str = "csv"


def count_lines(path: Path) -> int:
    """Newlines in the file (for the progress bar's total), read in large binary blocks."""
    total = 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            total += block.count(b"\n")
    return total


@contextmanager
def _batch_gc() -> Iterator[None]:
    """Garbage collection tuned for a long batch, restored afterwards.

    Coding a row makes many small acyclic objects; with the default thresholds the collector
    runs every few rows and keeps re-walking the long-lived vocabulary and caches. Those are
    frozen (left out of collections) and collections are spaced out; rows hold no reference
    cycles, so memory stays flat.
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
    source: Path | str | IO[bytes],
    target: Path | str | IO[str],
    *,
    in_format: str | None = None,
    out_format: str | None = None,
    column: str | None = None,
    encoding: str | None = None,
    compact: bool = False,
    coder: Coder | None = None,
    on_bad: Callable[[int, str], None] | None = None,
    progress: bool | None = None,
    max_row_bytes: int = MAX_ROW_BYTES,
) -> BulkReport:
    """Code every description of `source` into `target` ("-" = stdin / stdout).

    Raises `Refused` before writing anything when the input cannot be coded at all. Bad rows
    go to `on_bad(line, why)` and into the report, and are skipped. `progress=None` shows a
    progress bar only when stderr is a terminal.
    """
    from tqdm import tqdm

    src = open_source(
        source, in_format=in_format, column=column, encoding=encoding, max_row_bytes=max_row_bytes
    )
    coder = coder or default_coder()
    out, out_fmt, ours = open_target(target, out_format, src.format)
    report = BulkReport(encoding=src.encoding, format=src.format)
    if progress is None:
        progress = sys.stderr.isatty()
    total = None
    if progress and src.seekable_path is not None:
        total = max(count_lines(src.seekable_path) - (src.format != "ndjson"), 0)
    try:
        with (
            _batch_gc(),
            tqdm(total=total, unit=" rows", disable=not progress, file=sys.stderr) as bar,
        ):
            sink = Sink(out, out_fmt, src.header, compact)
            _code_rows(src.rows(), sink, coder, report, on_bad, bar.update)
    finally:
        if ours:
            out.close()
        else:
            out.flush()
        if src.stream is not sys.stdin.buffer:
            src.stream.close()
    return report


def _code_rows(  # noqa: PLR0913, PLR0917 (the run's state, passed on)
    rows: Iterator[Row | BadRow],
    sink: Sink,
    coder: Coder,
    report: BulkReport,
    on_bad: Callable[[int, str], None] | None,
    tick: Callable[[int], object],
) -> None:
    """Code and write each row; report each bad one (a row that fails to code is bad too)."""
    cache: dict[str, Any] = {}  # text -> rendered answer (identical descriptions recur)
    render, write = sink.render, sink.write
    for row in rows:
        tick(1)
        report.rows += 1
        if isinstance(row, BadRow):
            report.bad.append((row.line, row.why))
            if on_bad:
                on_bad(row.line, row.why)
            continue
        text = row.text
        rendered = cache.get(text)
        if rendered is None:
            try:
                rendered = render(coder.code(text))
            except Exception as exc:  # one odd row must not lose the run
                why = f"{type(exc).__name__}: {exc}"
                report.bad.append((row.line, why))
                if on_bad:
                    on_bad(row.line, why)
                continue
            if len(cache) >= _TEXT_CACHE_LIMIT:
                cache.clear()
            if len(text) <= _TEXT_CACHE_MAX_CHARS:
                cache[text] = rendered
        write(row, rendered)
        report.coded += 1
