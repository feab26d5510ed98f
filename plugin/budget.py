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
from contextvars import ContextVar, Token

from plugin.errors import FhirError

# (deadline on the monotonic clock, seconds allowed); one variable keeps a request's set-up to
# a single `set` (the budget is on every request's path).
_budget: ContextVar[tuple[float, float] | None] = ContextVar("nice_tx_budget", default=None)


def start(seconds: float) -> Token[tuple[float, float] | None]:
    """Begin a budget of `seconds` for the current context; hand the token to `stop`."""
    return _budget.set((time.monotonic() + seconds, seconds))


def stop(token: Token[tuple[float, float] | None]) -> None:
    """End the budget begun by `start`."""
    _budget.reset(token)


@contextmanager
def spending(seconds: float | None) -> Iterator[None]:
    """Run the body under a budget of `seconds` of wall-clock time (None or 0: unbounded)."""
    if not seconds or seconds <= 0:
        yield
        return
    token = start(seconds)
    try:
        yield
    finally:
        stop(token)


def check() -> None:
    """End the request with `too-costly` (FHIR issue type, HTTP 422) when its budget is spent."""
    budget = _budget.get()
    if budget is not None and time.monotonic() > budget[0]:
        raise FhirError(
            "too-costly",
            f"The request needs more than the {budget[1]:g} s of work this server gives "
            "one request; ask for less (a smaller value set, fewer filters, count/offset)",
        )
