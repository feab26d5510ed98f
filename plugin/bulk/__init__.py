"""Bulk coding of descriptions: CSV, TSV or NDJSON (optionally gzipped, or stdin/stdout) in and
out, streaming, input columns passed through, bad rows reported and skipped."""

from __future__ import annotations

from plugin.bulk.run import BulkReport, code_file, count_lines
from plugin.bulk.sink import summary
from plugin.bulk.source import FORMATS, MAX_ROW_BYTES, BadRow, Refused, format_of

__all__ = [
    "FORMATS",
    "MAX_ROW_BYTES",
    "BadRow",
    "BulkReport",
    "Refused",
    "code_file",
    "count_lines",
    "format_of",
    "summary",
]
