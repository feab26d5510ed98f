"""Deployment settings, read from `NICE_TX_*` environment variables (the CLI flags set them).

Environment variables are the one channel that reaches every worker process: with
`--workers N` the server starts fresh interpreters that import `app_from_env` by name.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from starlette.types import ASGIApp

from plugin.config import REQUEST_BUDGET_S

from .cache import DEFAULT_SIZE

ENV_CONTENT = "NICE_TX_CONTENT"
ENV_CORS = "NICE_TX_CORS_ORIGINS"
ENV_TOKEN = "NICE_TX_AUTH_TOKEN"
ENV_CACHE = "NICE_TX_CACHE_SIZE"
ENV_BUDGET = "NICE_TX_BUDGET"
ENV_LANES = "NICE_TX_LANES"
# The closure tables' SQLite file, shared by every worker ("" or unset: in memory, per process).
ENV_CLOSURE_DB = "NICE_TX_CLOSURE_DB"
# Set by `nice-tx serve` once it has printed the load report, so workers do not repeat it.
ENV_REPORTED = "NICE_TX_LOAD_REPORTED"


@dataclass(frozen=True)
class Settings:
    """What a deployment may change: extra content, CORS origins, a bearer token, cache size,
    the work budget of one request (seconds; 0 = unbounded), whether the lanes answer plain
    coded GETs (`plugin.ops.lanes`; off, every request runs its operation), and the closure
    tables' database file ("" = in memory, per process)."""

    content: tuple[Path, ...] = ()
    cors_origins: tuple[str, ...] = ()
    token: str | None = None
    cache_size: int = DEFAULT_SIZE
    budget: float = REQUEST_BUDGET_S
    lanes: bool = True
    closure_db: str = ""

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None) -> Settings:
        """Settings from the environment: content paths split on the OS path separator,
        origins on commas; empty values mean "not set"."""
        env = os.environ if env is None else env
        content = tuple(Path(p) for p in env.get(ENV_CONTENT, "").split(os.pathsep) if p)
        origins = tuple(o.strip() for o in env.get(ENV_CORS, "").split(",") if o.strip())
        size = env.get(ENV_CACHE, "")
        cache = int(size) if size.isdigit() else DEFAULT_SIZE
        return Settings(
            content,
            origins,
            env.get(ENV_TOKEN) or None,
            cache,
            _seconds(env.get(ENV_BUDGET)),
            lanes=env.get(ENV_LANES, "1") != "0",
            closure_db=env.get(ENV_CLOSURE_DB, ""),
        )

    def to_env(self) -> dict[str, str]:
        """The environment variables that reproduce these settings in a worker process."""
        out = {
            ENV_CONTENT: os.pathsep.join(str(p) for p in self.content),
            ENV_CORS: ",".join(self.cors_origins),
            ENV_CACHE: str(self.cache_size),
            ENV_BUDGET: repr(self.budget),
            ENV_LANES: "1" if self.lanes else "0",
            ENV_CLOSURE_DB: self.closure_db,
        }
        if self.token:
            out[ENV_TOKEN] = self.token
        return out


def _seconds(text: str | None) -> float:
    try:
        value = float(text) if text else REQUEST_BUDGET_S
    except ValueError:
        return REQUEST_BUDGET_S
    return value if value >= 0 else REQUEST_BUDGET_S


def build_app(settings: Settings) -> ASGIApp:
    """The service app for these settings: content loaded, middleware applied."""
    from plugin.content.closure import MEMORY, ClosureTables
    from plugin.content.loader import build_store
    from plugin.content.loader import log as loader_log
    from plugin.text import memoise

    from .app import create_app
    from .cache import ResponseCache
    from .limits import SlowBodyGuard
    from .middleware import wrap

    if os.environ.get(ENV_REPORTED):
        loader_log.setLevel(logging.ERROR)
    store, _ = build_store(settings.content)
    closures = ClosureTables(settings.closure_db or MEMORY)
    app = create_app(store, budget=settings.budget or None, lanes=False, closures=closures)
    if settings.lanes:
        # Compiled beside the first requests, not before them: the server answers from its
        # first moment (every request runs its operation until the lanes are in place).
        threading.Thread(target=app.compile_lanes, name="nice-tx-lanes", daemon=True).start()
    if settings.cache_size == 0:
        # No memo of answers at any layer: the free-text recogniser forgets its readings too,
        # in every view of the content a FHIR base serves.
        for served in (store, *app.stores()):
            memoise(served, False)
    # The cache sits inside the middleware: authentication and CORS run before any cached answer.
    # The cache sits inside the body guard: a slow body times out before the cache reads it.
    cached = SlowBodyGuard(ResponseCache(app, settings.cache_size))
    return wrap(cached, cors_origins=settings.cors_origins, token=settings.token)


def app_from_env() -> ASGIApp:
    """Server factory (`plugin.api.settings:app_from_env`): the app for `NICE_TX_*`."""
    return build_app(Settings.from_env())
