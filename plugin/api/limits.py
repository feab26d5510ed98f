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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson

from plugin.budget import start as budget_start
from plugin.budget import stop as budget_stop
from plugin.config import BODY_TIMEOUT_S, MAX_ANSWER_BYTES
from plugin.errors import FhirError
from plugin.jsonio import dumps
from plugin.types import Resource

from .cache import ASGIApp, Message, Receive, Scope, Send

# Operations whose cost grows with the content or the request rather than staying constant:
# they always leave the event loop.
# $closure waits for the closure tables' database (another worker's update, a disk sync):
# never on the event loop.
HEAVY_OPERATIONS = frozenset({"expand", "batch-validate-code", "closure"})
# A body larger than this may carry inline content (tx-resource, a value set, a code system).
HEAVY_BODY_BYTES = 8 * 1024
# Threads per worker process for expensive requests: one. Every extra computing thread shares
# the interpreter lock with the event loop; with one, health probes stayed under ~0.1 s while
# costly requests ran (two: up to 0.5 s on a loaded machine). The deadline, not the pool size,
# bounds how long a request holds it; the others wait their turn, at most `MAX_WAITING` of them.
POOL_THREADS = 1
MAX_WAITING = 8
# How often (seconds) a computing thread offers the interpreter lock to the event loop. Python's
# default (5 ms) lets two busy threads delay each step of a cheap request by up to 10 ms; a cheap
# request takes a few dozen such steps between granian and the app.
SWITCH_INTERVAL_S = 0.001

_pool: ThreadPoolExecutor | None = None
_queued = 0  # costly requests running or waiting (only touched on the event loop)


def _executor() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603 - one pool per process, created on first use (after fork)
    if _pool is None:
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        _pool = ThreadPoolExecutor(POOL_THREADS, thread_name_prefix="nice-tx-op")
    return _pool


def is_heavy(operation: str, method: str, headers: Any) -> bool:
    """True when a request may cost more than a cheap lookup and should leave the event loop."""
    return is_heavy_request(operation, method, headers.get("content-length"))


def is_heavy_request(operation: str, method: str, content_length: str | None) -> bool:
    """`is_heavy` from the operation name, the method and the Content-Length header's value."""
    if operation in HEAVY_OPERATIONS:
        return True
    if method != "POST":
        return False
    length = content_length
    return not (length and length.isdigit() and int(length) <= HEAVY_BODY_BYTES)


def encode(resource: Resource) -> bytes:
    """The answer as JSON bytes; `too-costly` when it is larger than the stated answer cap."""
    try:
        body = dumps(resource)
    except orjson.JSONEncodeError as exc:
        # orjson refuses nesting deeper than 255 levels; the operations bound depth earlier,
        # this keeps any path they missed a 4xx.
        raise FhirError(
            "too-costly",
            f"The answer cannot be encoded: {exc}",
        ) from None
    if len(body) > MAX_ANSWER_BYTES:
        raise FhirError(
            "too-costly",
            f"The answer would be {len(body)} bytes, more than the {MAX_ANSWER_BYTES} this "
            "server returns; ask for less (count/offset, fewer designations or properties)",
        )
    return body


def _within(budget: float | None, work: Callable[[], Resource]) -> bytes:
    if not budget:
        return encode(work())
    token = budget_start(budget)
    try:
        return encode(work())
    finally:
        budget_stop(token)


async def run_bounded(work: Callable[[], Resource], budget: float | None, heavy: bool) -> bytes:
    """Run an operation under the budget and encode it: in the pool when `heavy`."""
    global _queued  # noqa: PLW0603 - a per-process count, read and written on the event loop
    if not heavy:
        return _within(budget, work)
    if _queued >= POOL_THREADS + MAX_WAITING:
        raise FhirError(
            "throttled",
            f"{_queued} costly requests are already in progress or waiting; retry later",
        )
    _queued += 1
    try:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_executor(), _within, budget, work)
    finally:
        _queued -= 1


class SlowBodyGuard:
    """ASGI middleware: a request body must arrive within `timeout` seconds of the request.

    A client that opens a request and trickles (or never sends) its body would otherwise hold a
    connection and a request slot for ever. Past the deadline the request ends with 408 and an
    OperationOutcome (issue `timeout`). Requests without a body pass untouched; a request with
    one costs a single timer, not one per `receive` (`asyncio.wait_for` would cost ~30 us).
    """

    def __init__(self, app: ASGIApp, timeout: float = BODY_TIMEOUT_S) -> None:
        self.app = app
        self.timeout = timeout

    def _late(self) -> FhirError:
        return FhirError(
            "timeout",
            f"The request body did not arrive within {self.timeout:g} s",
            ("body",),
            status=408,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request; cancel a `receive` still waiting for the body at the deadline."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        task = asyncio.current_task()
        state = {"waiting": False, "late": False}

        def expire() -> None:
            state["late"] = True
            if state["waiting"] and task is not None:
                task.cancel()

        timer = asyncio.get_running_loop().call_later(self.timeout, expire)

        async def timed_receive() -> Message:
            if state["late"]:
                raise self._late()
            state["waiting"] = True
            try:
                message = await receive()
            except asyncio.CancelledError:
                # Our own cancellation (the deadline), not the server's: answer 408 instead.
                if state["late"] and task is not None and task.uncancel() == 0:
                    raise self._late() from None
                raise
            finally:
                state["waiting"] = False
            if not message.get("more_body", False):
                timer.cancel()  # the whole body is in: the deadline no longer applies
            return message

        try:
            await self.app(scope, timed_receive, send)
        except FhirError as exc:
            # Only raised before an answer was started: the routes answer their own errors,
            # so what reaches here comes from reading the body (the answer cache reads it too).
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
        finally:
            timer.cancel()
