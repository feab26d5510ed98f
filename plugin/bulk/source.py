"""Reading a bulk input: where from, which format, which encoding, and its rows, streaming.

Everything that can be decided before any work is decided by `open_source` from a sample of
the first bytes (format, encoding, the text column); a problem there is a `Refused` and nothing
is written. Rows are then read one at a time with a size limit: a row that cannot be read (bad
bytes, bad JSON, too long, an unterminated quote, too few fields) becomes a `BadRow` with its
line number, and reading goes on.
"""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

FORMATS = ("csv", "tsv", "ndjson")
TEXT_COLUMNS = ("text", "description")
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".ndjson": "ndjson", ".jsonl": "ndjson"}
MAX_ROW_BYTES = 1 << 20  # a description row longer than 1 MiB is not a description
MAX_ROW_LINES = 200  # physical lines one quoted CSV record may span
_SAMPLE = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"
_BOMS = {b"\xff\xfe": "UTF-16 LE", b"\xfe\xff": "UTF-16 BE"}
_UTF8_BOM = b"\xef\xbb\xbf"


class Refused(ValueError):
    """The input cannot be coded at all (reported before any work, nothing written)."""


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that cannot be coded: reported with its line number, then skipped."""

    line: int
    why: str


@dataclass(frozen=True, slots=True)
class Row:
    """A readable row: its first line, its fields (passed through) and its description.

    `fields` is a JSON object (NDJSON) or the list of values in header order (CSV/TSV).
    """

    line: int
    fields: dict[str, Any] | list[str]
    text: str


@dataclass
class Source:
    """An opened input, ready to stream rows."""

    name: str
    stream: IO[bytes]
    format: str
    encoding: str
    column: str
    header: list[str] = field(default_factory=list)  # CSV/TSV: as read; NDJSON: first object's
    seekable_path: Path | None = None  # a plain file whose lines can be counted
    max_row_bytes: int = MAX_ROW_BYTES

    def rows(self) -> Iterator[Row | BadRow]:
        """The rows, in order, each readable or bad."""
        if self.format == "ndjson":
            return self._ndjson()
        return self._delimited()

    def _lines(self) -> Iterator[tuple[int, bytes | None]]:
        """(line number, bytes) per physical line; None for a line over the size limit, whose
        bytes are read past without being kept."""
        limit = self.max_row_bytes
        n = 1 if self.format == "ndjson" else 2  # CSV/TSV: the header was line 1
        readline = self.stream.readline
        while raw := readline(limit + 1):
            if len(raw) > limit and not raw.endswith(b"\n"):
                while (more := readline(1 << 20)) and not more.endswith(b"\n"):
                    pass
                yield n, None
            else:
                yield n, raw
            n += 1

    def _decode(self, raw: bytes) -> str:
        return raw.decode(self.encoding)

    def _ndjson(self) -> Iterator[Row | BadRow]:
        for n, raw in self._lines():
            if raw is None:
                yield BadRow(n, f"longer than {self.max_row_bytes} bytes")
                continue
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw if self.encoding == "utf-8" else self._decode(raw))
            except UnicodeDecodeError as exc:
                yield BadRow(n, f"not valid {self.encoding} ({exc.reason} at byte {exc.start})")
                continue
            except orjson.JSONDecodeError as exc:
                yield BadRow(n, f"not JSON ({exc})")
                continue
            if isinstance(obj, str):
                yield Row(n, {self.column: obj}, obj)
            elif not isinstance(obj, dict):
                yield BadRow(n, "neither a JSON object nor a string")
            elif self.column not in obj:
                yield BadRow(n, f"no {self.column!r} field")
            elif not isinstance(obj[self.column], str):
                yield BadRow(n, f"field {self.column!r} is not a string")
            else:
                yield Row(n, obj, obj[self.column])

    def _delimited(self) -> Iterator[Row | BadRow]:
        delim = "\t" if self.format == "tsv" else ","
        quoted = self.format == "csv"
        header, at = self.header, self.header.index(self.column)
        width, encoding = len(header), self.encoding
        pending: list[tuple[int, bytes | None]] = []  # lines to read again after a bad record
        lines = self._lines()
        while True:
            if pending:
                n, raw = pending.pop(0)
            else:
                got = next(lines, None)
                if got is None:
                    return
                n, raw = got
            if raw is None:
                yield BadRow(n, f"longer than {self.max_row_bytes} bytes")
                continue
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                yield BadRow(n, f"not valid {self.encoding} ({exc.reason} at byte {exc.start})")
                continue
            if not text.strip():
                continue
            if quoted and '"' in text:
                record, used, why = _quoted_record(text, n, lines, pending, self)
                if why is not None:
                    yield BadRow(n, why)
                    pending[:0] = used  # read the lines after the bad one again
                    continue
                values = _parse_csv(record)
            else:
                values = text.rstrip("\r\n").split(delim)
            yield _row(n, values, width, at)


def _row(n: int, values: list[str], width: int, at: int) -> Row | BadRow:
    """A row of the header's width (empty trailing fields beyond it are ignored)."""
    if len(values) < width:
        return BadRow(n, f"{len(values)} field(s) where the header has {width}")
    if len(values) > width and any(values[width:]):
        return BadRow(n, f"{len(values)} fields where the header has {width}")
    return Row(n, values[:width], values[at])


def _parse_csv(record: str) -> list[str]:
    import csv

    return next(csv.reader((record,)), [])


def _open_quote(text: str, in_quotes: bool) -> bool:
    """Whether a CSV quoted field is still open at the end of `text` (RFC 4180 quoting: a
    quote opens a field only at its start; "" inside a quoted field is a quote)."""
    i, n = 0, len(text)
    while i < n:
        if in_quotes:
            j = text.find('"', i)
            if j < 0:
                return True
            if j + 1 < n and text[j + 1] == '"':
                i = j + 2
                continue
            in_quotes = False
            i = j + 1
        elif text[i] == '"':
            in_quotes = True
            i += 1
            continue
        j = text.find(",", i)
        if j < 0:
            return in_quotes
        i = j + 1
    return in_quotes


def _quoted_record(
    first: str,
    n: int,
    lines: Iterator[tuple[int, bytes | None]],
    pending: list[tuple[int, bytes | None]],
    source: Source,
) -> tuple[str, list[tuple[int, bytes | None]], str | None]:
    """A CSV record that may continue over several lines (a quoted field with line breaks).

    Bounded: a record still open after MAX_ROW_LINES lines, the row size limit or the end of
    the file is an unterminated quote; the lines taken after the first are handed back.
    """
    parts, size = [first], len(first)
    used: list[tuple[int, bytes | None]] = []
    open_ = _open_quote(first, False)
    while open_:
        got = pending.pop(0) if pending else next(lines, None)
        if got is None:
            return "", used, f"unterminated quote (opened on line {n})"
        used.append(got)
        raw = got[1]
        if raw is None or len(used) >= MAX_ROW_LINES or size + len(raw) > source.max_row_bytes:
            return "", used, f"unterminated quote (opened on line {n}) or a row too long"
        try:
            more = source._decode(raw)
        except UnicodeDecodeError:
            return "", used, f"unterminated quote (opened on line {n})"
        parts.append(more)
        size += len(raw)
        open_ = _open_quote(more, True)
    return "".join(parts), used, None


class _Prefixed(io.RawIOBase):
    """A stream that gives `head` first, then the rest of `tail` (a sample put back)."""

    def __init__(self, head: bytes, tail: IO[bytes] | gzip.GzipFile) -> None:
        self._head = memoryview(head)
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            k = min(len(buffer), len(self._head))
            buffer[:k] = self._head[:k]
            self._head = self._head[k:]
            return k
        data = self._tail.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def format_of(path: Path, given: str | None) -> str | None:
    """The format: as given, else from the extension (a `.gz` is named by what it holds)."""
    if given:
        return given
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return EXTENSIONS.get(suffixes[-1]) if suffixes else None


def _sniff_format(sample: bytes) -> str:
    """stdin without --input-format: NDJSON if the first line is JSON, else CSV."""
    first = sample.lstrip().split(b"\n", 1)[0].strip()
    if first[:1] in (b"{", b'"'):
        try:
            orjson.loads(first)
            return "ndjson"
        except orjson.JSONDecodeError:
            pass
    return "tsv" if b"\t" in first and b"," not in first else "csv"


def _encoding(sample: bytes, given: str | None, name: str) -> str:
    """UTF-8 when the sample is UTF-8; Windows-1252 (a superset of Latin-1's printable
    characters) when it is not UTF-8 but reads as text in it; otherwise refused."""
    if given:
        try:
            sample.decode(given, errors="ignore")
        except LookupError:
            raise Refused(f"unknown encoding {given!r}") from None
        return given
    for bom, label in _BOMS.items():
        if sample.startswith(bom):
            raise Refused(f"{name} is {label} text: convert it to UTF-8 (or give --encoding)")
    if b"\x00" in sample:
        raise Refused(f"{name} holds NUL bytes: it is not a text file (CSV, TSV or NDJSON)")
    cut = sample[: sample.rfind(b"\n") + 1] or sample
    try:
        cut.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = cut.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text and not any(ord(c) < 32 and c not in "\t\r\n" for c in text):
        return "cp1252"
    raise Refused(
        f"cannot tell the encoding of {name}: not UTF-8 nor Windows-1252; give --encoding"
    )


def _raw_stream(source: Path | str | IO[bytes]) -> tuple[str, IO[bytes], Path | None]:
    if isinstance(source, (str, Path)) and str(source) == "-":
        return "<stdin>", sys.stdin.buffer, None
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            return str(path), path.open("rb"), path
        except OSError as exc:
            raise Refused(f"cannot read {path}: {exc.strerror}") from None
    return getattr(source, "name", "<stream>"), source, None


def open_source(
    source: Path | str | IO[bytes],
    *,
    in_format: str | None = None,
    column: str | None = None,
    encoding: str | None = None,
    max_row_bytes: int = MAX_ROW_BYTES,
) -> Source:
    """Open the input and decide format, encoding and text column, or refuse."""
    name, raw, path = _raw_stream(source)
    head = raw.read(_SAMPLE)
    stream: IO[bytes]
    if head.startswith(_GZIP_MAGIC):
        packed = io.BufferedReader(_Prefixed(head, raw), 1 << 16)
        unpacked = gzip.GzipFile(fileobj=packed, mode="rb")
        try:
            head = unpacked.read(_SAMPLE)
        except (OSError, EOFError) as exc:
            raise Refused(f"{name} is not a readable gzip file: {exc}") from None
        stream, path = io.BufferedReader(_Prefixed(head, unpacked), 1 << 16), None
    elif path is None:
        stream = io.BufferedReader(_Prefixed(head, raw), 1 << 16)
    else:
        raw.seek(0)
        stream = raw
    if in_format is not None and in_format not in FORMATS:
        raise Refused(f"unknown input format {in_format!r} (one of {', '.join(FORMATS)})")
    fmt = in_format or format_of(Path(name), None)
    if fmt is None:
        if not name.startswith("<"):
            raise Refused(
                f"unknown format of {name}: name it .csv, .tsv, .ndjson or .jsonl "
                "(optionally .gz), or give --input-format"
            )
        fmt = _sniff_format(head.removeprefix(_UTF8_BOM))
    enc = _encoding(head.removeprefix(_UTF8_BOM), encoding, name)
    if head.startswith(_UTF8_BOM):
        stream.read(len(_UTF8_BOM))
    src = Source(name, stream, fmt, enc, column or "", [], path, max_row_bytes)
    _find_column(src, head.removeprefix(_UTF8_BOM), column)
    return src


def _find_column(src: Source, sample: bytes, column: str | None) -> None:
    """The text column: as given, else `text`, else `description`; it must exist."""
    wanted = (column,) if column else TEXT_COLUMNS
    shown = " or ".join(repr(c) for c in wanted)
    if src.format == "ndjson":
        for raw in sample.splitlines()[:-1] or sample.splitlines():
            try:
                obj = orjson.loads(raw.decode(src.encoding))
            except (orjson.JSONDecodeError, UnicodeDecodeError):
                continue
            if isinstance(obj, str):
                src.column, src.header = column or TEXT_COLUMNS[0], [column or TEXT_COLUMNS[0]]
                return
            if isinstance(obj, dict):
                found = next((c for c in wanted if c in obj), None)
                if found is None:
                    raise Refused(f"{src.name}: the first object has no {shown} field: {list(obj)}")
                src.column, src.header = found, list(obj)
                return
        src.column = column or TEXT_COLUMNS[0]
        src.header = [src.column]
        return
    line = src.stream.readline(src.max_row_bytes + 1)
    try:
        text = line.decode(src.encoding).rstrip("\r\n")
    except UnicodeDecodeError:
        raise Refused(f"{src.name}: the header line is not {src.encoding} text") from None
    header = _parse_csv(text) if src.format == "csv" else text.split("\t")
    if not header or header == [""]:
        raise Refused(f"{src.name} is empty: a header line naming the columns is needed")
    found = next((c for c in wanted if c in header), None)
    if found is None:
        raise Refused(f"{src.name}: the header has no {shown} column: {header}")
    src.column, src.header = found, header
