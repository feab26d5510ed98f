"""The cost budget of one request: a deadline the long loops check as they go.

A request's work runs under `spending(seconds)`; the loops that grow with client input (filters
over every concept of a code system, hierarchy walks, regex matches) call `check()`, which ends
the request with a `too-costly` OperationOutcome once the deadline has passed. The deadline lives
in a context variable, so each request (and the worker thread running it) has its own, and code
run outside a request (the CLI, the Python API) has none.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from plugin.wire.outcome import FhirError

_NONE = float("inf")
_deadline: ContextVar[float] = ContextVar("nice_tx_deadline", default=_NONE)
_allowed: ContextVar[float] = ContextVar("nice_tx_budget", default=_NONE)


@contextmanager
def spending(seconds: float | None) -> Iterator[None]:
    """Run the body under a budget of `seconds` of wall-clock time (None: unbounded)."""
    if seconds is None or seconds <= 0:
        yield
        return
    d = _deadline.set(time.monotonic() + seconds)
    a = _allowed.set(seconds)
    try:
        yield
    finally:
        _deadline.reset(d)
        _allowed.reset(a)


def check() -> None:
    """End the request with `too-costly` (FHIR issue type, HTTP 422) when its budget is spent."""
    if time.monotonic() > _deadline.get():
        raise FhirError(
            "too-costly",
            f"The request needs more than the {_allowed.get():g} s of work this server gives "
            "one request; ask for less (a smaller value set, fewer filters, count/offset)",
            message_id="REQUEST_TOO_COSTLY",
        )
