"""A small HTTP/1.1 keep-alive load generator, used when `wrk` is not installed.

Each of `connections` asyncio connections sends one request at a time for `duration` seconds
(and at most `max_requests` in total) and records every latency. Python is slower than wrk, so
its absolute figures are a floor; the ratios between rows of one run are what it is for.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    """What one load run measured."""

    requests: int = 0
    seconds: float = 0.0
    non_2xx: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        """Requests per second over the run."""
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Latency at percentile `p` (0-100), in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000


def _request(url: str, method: str, body: bytes, content_type: str) -> bytes:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    head = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Accept: application/fhir+json"]
    if body:
        head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _worker(
    url: str, payload: bytes, deadline: float, budget: list[int], result: LoadResult
) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            start = time.perf_counter()
            writer.write(payload)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            await reader.readexactly(length)
            result.latencies.append(time.perf_counter() - start)
            result.requests += 1
            if status_line[9:10] != b"2":
                result.non_2xx += 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        result.errors += 1
    finally:
        writer.close()


async def _run(
    url: str, connections: int, duration: float, method: str, body: bytes, max_requests: int
) -> LoadResult:
    payload = _request(url, method, body, "application/fhir+json")
    result = LoadResult()
    start = time.perf_counter()
    budget = [max_requests]
    await asyncio.gather(
        *(_worker(url, payload, start + duration, budget, result) for _ in range(connections))
    )
    result.seconds = time.perf_counter() - start
    return result


def load(
    url: str,
    connections: int = 16,
    duration: float = 3.0,
    method: str = "GET",
    body: bytes = b"",
    max_requests: int = 2_000_000,
) -> LoadResult:
    """Load `url` with `connections` keep-alive connections for at most `duration` seconds."""
    return asyncio.run(_run(url, connections, duration, method, body, max_requests))
