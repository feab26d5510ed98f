"""Writing a bulk output: the input's columns, then the coded columns, as CSV, TSV or NDJSON.

Compact output gives `line`, `result`, `codes` and `candidates`; full output adds `message`
(CSV/TSV) or the whole structured answer (NDJSON: codes with roles, recognised terms, reasons).
A coded column whose name the input already uses is written as `nice_tx_<name>`.
"""

from __future__ import annotations

import csv
import gzip
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import orjson

from plugin.bulk.source import FORMATS, Refused, Row, format_of
from plugin.coding import CodedDescription
from plugin.text.explain import system_label

COMPACT = ("line", "result", "codes", "candidates")
FULL_DELIMITED = (*COMPACT, "message")


def summary(r: CodedDescription) -> tuple[bool, str, str]:
    """(result, codes, candidates) as short strings: the asserted codes in coding order as
    `SYSTEM|code` separated by spaces; candidates as main+companions groups, space-separated."""
    codes = " ".join(f"{system_label(c.system)}|{c.code}" for c in r.codes if c.asserted)
    groups: dict[int, list[str]] = {}
    for c in r.codes:
        if not c.asserted:
            groups.setdefault(c.match, []).append(f"{system_label(c.system)}|{c.code}")
    return r.result, codes, " ".join("+".join(g) for g in groups.values())


def _names(coded: tuple[str, ...], taken: list[str]) -> list[str]:
    return [f"nice_tx_{c}" if c in taken else c for c in coded]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    return orjson.dumps(value).decode()


class _TsvWriter:
    """Tab-separated values as IANA defines them: no quoting, so a tab or line break inside a
    value becomes a space (the reader reads each line as one row)."""

    _CLEAN = str.maketrans({"\t": " ", "\r": " ", "\n": " "})

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def writerow(self, values: list[Any]) -> None:
        self.out.write("\t".join(str(v).translate(self._CLEAN) for v in values))
        self.out.write("\n")


class Sink:
    """Renders answers (once per distinct description) and writes rows."""

    def __init__(self, out: IO[str], fmt: str, header: list[str], compact: bool) -> None:
        self.out, self.fmt, self.header, self.compact = out, fmt, header, compact
        self.render: Callable[[CodedDescription], Any]
        self.coded: tuple[str, ...]
        if fmt == "ndjson":
            self.coded = ("line", "result", "codes", "candidates") if compact else ("line",)
            self.render = self._ndjson_render
        else:
            self.coded = COMPACT if compact else FULL_DELIMITED
            self.render = self._delimited_render
            self.writer: Any = _TsvWriter(out) if fmt == "tsv" else csv.writer(out)
            self.writer.writerow([*header, *_names(self.coded, header)])

    def _delimited_render(self, r: CodedDescription) -> tuple[str, ...]:
        result, codes, candidates = summary(r)
        tail = () if self.compact else (r.message,)
        return (str(result).lower(), codes, candidates, *tail)

    def _ndjson_render(self, r: CodedDescription) -> dict[str, Any]:
        if self.compact:
            result, codes, candidates = summary(r)
            return {"result": result, "codes": codes, "candidates": candidates}
        full = r.to_dict()
        del full["text"]  # the input row carries it
        return full

    def write(self, row: Row, rendered: Any) -> None:
        """One output row: the input's fields, the line number, the rendered answer."""
        fields = row.fields
        if self.fmt != "ndjson":
            if isinstance(fields, list):  # CSV/TSV in: the values, in header order
                self.writer.writerow([*fields, row.line, *rendered])
            else:
                cells = [_cell(fields.get(c)) for c in self.header]
                self.writer.writerow([*cells, row.line, *rendered])
            return
        if isinstance(fields, list):
            fields = dict(zip(self.header, fields, strict=True))
        coded = {"line": row.line, **rendered}
        if any(k in fields for k in coded):
            coded = {f"nice_tx_{k}" if k in fields else k: v for k, v in coded.items()}
        self.out.write(orjson.dumps({**fields, **coded}).decode())
        self.out.write("\n")


def open_target(
    target: Path | str | IO[str], out_format: str | None, in_format: str
) -> tuple[IO[str], str, bool]:
    """The output stream, its format and whether it is ours to close; refused if unknown."""
    if out_format is not None and out_format not in FORMATS:
        raise Refused(f"unknown output format {out_format!r} (one of {', '.join(FORMATS)})")
    if not isinstance(target, (str, Path)):
        return target, out_format or in_format, False
    if str(target) == "-":
        return sys.stdout, out_format or in_format, False
    path = Path(target)
    fmt = format_of(path, out_format)
    if fmt is None:
        raise Refused(
            f"unknown format of {path}: name it .csv, .tsv, .ndjson or .jsonl (optionally .gz), "
            "or give --output-format"
        )
    try:
        if path.suffix.lower() == ".gz":
            return gzip.open(path, "wt", encoding="utf-8", newline=""), fmt, True
        return path.open("w", encoding="utf-8", newline="", buffering=1 << 16), fmt, True
    except OSError as exc:
        raise Refused(f"cannot write {path}: {exc.strerror}") from None
