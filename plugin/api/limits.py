"""Per-request limits: the work budget, the answer size, and the time a client has to send.

Kept out of the routes so the common request pays only for what it uses: a cheap request (a
query string or a small body) runs on the event loop as before, with a deadline; a request that
may be expensive (an expansion, a batch, a large body) runs in a small thread pool so `/healthz`
and the cheap requests keep being answered while it computes, and every long loop checks the
deadline (`plugin.budget.check`). The slow-body guard is ASGI middleware around the whole app.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson

from plugin.budget import spending
from plugin.config import BODY_TIMEOUT_S, MAX_ANSWER_BYTES
from plugin.types import Resource
from plugin.wire.json import dumps
from plugin.wire.outcome import FhirError

from .cache import ASGIApp, Message, Receive, Scope, Send

# Operations whose cost grows with the content or the request rather than staying constant:
# they always leave the event loop.
HEAVY_OPERATIONS = frozenset({"expand", "batch-validate-code"})
# A body larger than this may carry inline content (tx-resource, a value set, a code system).
HEAVY_BODY_BYTES = 8 * 1024
# Threads per worker process for expensive requests. More would only share one interpreter
# lock; the deadline, not the pool size, bounds how long one of them holds a thread.
POOL_THREADS = 2
# How often (seconds) a computing thread offers the interpreter lock to the event loop. Python's
# default (5 ms) lets two busy threads delay each step of a cheap request by up to 10 ms; a cheap
# request takes a few dozen such steps between granian and the app.
SWITCH_INTERVAL_S = 0.001

_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603 - one pool per process, created on first use (after fork)
    if _pool is None:
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        _pool = ThreadPoolExecutor(POOL_THREADS, thread_name_prefix="nice-tx-op")
    return _pool


def is_heavy(operation: str, method: str, headers: Any) -> bool:
    """True when a request may cost more than a cheap lookup and should leave the event loop."""
    if operation in HEAVY_OPERATIONS:
        return True
    if method != "POST":
        return False
    length = headers.get("content-length")
    return not (length and length.isdigit() and int(length) <= HEAVY_BODY_BYTES)


def encode(resource: Resource) -> bytes:
    """The answer as JSON bytes; `too-costly` when it is larger than the stated answer cap."""
    try:
        body = dumps(resource)
    except orjson.JSONEncodeError as exc:
        # orjson refuses nesting deeper than 255 levels; the operations bound depth earlier,
        # this keeps any path they missed a 4xx.
        raise FhirError(
            "too-costly", f"The answer cannot be encoded: {exc}", message_id="ANSWER_TOO_DEEP"
        ) from None
    if len(body) > MAX_ANSWER_BYTES:
        raise FhirError(
            "too-costly",
            f"The answer would be {len(body)} bytes, more than the {MAX_ANSWER_BYTES} this "
            "server returns; ask for less (count/offset, fewer designations or properties)",
            message_id="ANSWER_TOO_LARGE",
        )
    return body


def _within(budget: float | None, work: Callable[[], Resource]) -> bytes:
    with spending(budget):
        return encode(work())


async def run_bounded(work: Callable[[], Resource], budget: float | None, heavy: bool) -> bytes:
    """Run an operation under the budget and encode it: in the pool when `heavy`."""
    if not heavy:
        return _within(budget, work)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), _within, budget, work)


class SlowBodyGuard:
    """ASGI middleware: a request body must arrive within `timeout` seconds of the request.

    A client that opens a request and trickles (or never sends) its body would otherwise hold a
    connection and a request slot for ever. Past the deadline the request ends with 408 and an
    OperationOutcome (issue `timeout`). Requests without a body pass untouched.
    """

    def __init__(self, app: ASGIApp, timeout: float = BODY_TIMEOUT_S) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request with a deadline on every `receive` of its body."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + self.timeout
        started = False

        async def timed_receive() -> Message:
            left = deadline - time.monotonic()
            try:
                return await asyncio.wait_for(receive(), max(left, 0.001))
            except TimeoutError:
                raise FhirError(
                    "timeout",
                    f"The request body did not arrive within {self.timeout:g} s",
                    ("body",),
                    status=408,
                ) from None

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, watched_send)
        except FhirError as exc:
            if started:
                raise
            body = dumps(exc.outcome())
            await send(
                {
                    "type": "http.response.start",
                    "status": exc.http_status,
                    "headers": [
                        (b"content-type", b"application/fhir+json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
