"""Summarise a `py-spy record --format raw` profile: share of samples by layer.

    py-spy record --pid PID --subprocesses --duration 5 --rate 200 --format raw -o prof.raw
    python benchmarks/profile_summary.py prof.raw

Each sample is charged to the layer of its innermost frame. Samples that are not request work
are left out: threads with no Python frame (the server's Rust threads), and the supervisor's
waits (`IDLE`).
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


# Innermost frames of threads that wait rather than serve (granian's supervisor and its
# lifespan thread, multiprocessing and threading waits).
IDLE = re.compile(r"_spawn_asgi_lifespan_worker|Popen\.poll|Condition\.wait|Event\.wait|^$")


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
            if frames and not IDLE.search(frames[-1]):
                shares[layer(frames[-1])] += int(count)
    total = sum(shares.values())
    for name, n in shares.most_common():
        print(f"{100 * n / total:5.1f}%  {name}")
    print(f"({total} samples)")


if __name__ == "__main__":
    main()
