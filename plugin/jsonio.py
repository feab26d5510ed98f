"""JSON encoding on the request path: orjson, because it is several times faster than `json`."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(obj: Any) -> bytes:
    """Encode `obj` as compact UTF-8 JSON."""
    return orjson.dumps(obj)


def dumps_pretty(obj: Any) -> bytes:
    """Encode `obj` as indented JSON (for files and human eyes)."""
    return orjson.dumps(obj, option=orjson.OPT_INDENT_2)


def loads(data: bytes | str) -> Any:
    """Decode JSON; raises `ValueError` (orjson.JSONDecodeError) on malformed input."""
    return orjson.loads(data)
