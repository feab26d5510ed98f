"""Summarise a `py-spy record --format raw` profile: share of samples by layer.

    py-spy record --pid PID --subprocesses --duration 5 --rate 200 --format raw -o prof.raw
    python benchmarks/profile_summary.py prof.raw

Each sample is charged to the layer of its innermost frame. Samples of the supervising server
process (no Python frame below it) are left out.
"""

from __future__ import annotations

import collections
import re
import sys

LAYERS = (
    (r"plugin/api/cache", "response cache (plugin/api/cache.py)"),
    (r"plugin/api", "routes and HTTP glue (plugin/api)"),
    (r"plugin/(ops|content|wire|text)", "engine: parse, operation, render (plugin/)"),
    (r"orjson", "JSON encoding"),
    (r"starlette|fastapi", "Starlette/FastAPI"),
    (r"uvicorn|granian|asyncio|uvloop|httptools", "server and event loop"),
)


def layer(frame: str) -> str:
    """The layer a frame belongs to."""
    for pattern, name in LAYERS:
        if re.search(pattern, frame):
            return name
    return "other Python"


def main() -> None:
    """Print the share of each layer, largest first."""
    shares: collections.Counter[str] = collections.Counter()
    with open(sys.argv[1]) as raw:
        for text in raw:
            stack, _, count = text.rstrip().rpartition(" ")
            frames = [f for f in stack.split(";") if not f.startswith("process ")]
            if frames:
                shares[layer(frames[-1])] += int(count)
    total = sum(shares.values())
    for name, n in shares.most_common():
        print(f"{100 * n / total:5.1f}%  {name}")
    print(f"({total} samples)")


if __name__ == "__main__":
    main()
