"""`nice-tx serve`: run the terminology service."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from plugin.api.cache import DEFAULT_SIZE
from plugin.config import HEADER_TIMEOUT_S, REQUEST_BUDGET_S, SERVER_VERSION

from .common import content_option, load, strict_option

# Connections served at once per worker, and the listen backlog behind them. Idle connections
# hold a slot until the header timeout closes them, so the limit is set well above what a
# client pool opens; the process's open-file limit is raised to match.
MAX_CONNECTIONS = 4096
BACKLOG = 4096


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="NICE_TX_HOST",
    help="Interface to listen on (0.0.0.0 behind a load balancer). Env: NICE_TX_HOST.",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=int,
    envvar="NICE_TX_PORT",
    help="TCP port. Env: NICE_TX_PORT.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    envvar="NICE_TX_WORKERS",
    help="Worker processes; each loads the content and serves any request (they share only "
    "the $closure tables' database). Env: NICE_TX_WORKERS.",
)
@content_option
@strict_option
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="Allow browser calls from this origin ('*' = any); repeatable. Off when not given. "
    "Env: NICE_TX_CORS_ORIGINS (comma-separated).",
)
@click.option(
    "--auth-token",
    envvar="NICE_TX_AUTH_TOKEN",
    help="Require 'Authorization: Bearer <token>' (except /healthz). Prefer the env var "
    "NICE_TX_AUTH_TOKEN: a flag is visible in the process list.",
)
@click.option(
    "--cache-size",
    default=DEFAULT_SIZE,
    show_default=True,
    type=click.IntRange(0),
    envvar="NICE_TX_CACHE_SIZE",
    help="Operation answers memoised per worker (0: off, and the free-text recogniser keeps "
    "no memo either, so every answer is computed). Env: NICE_TX_CACHE_SIZE.",
)
@click.option(
    "--lanes/--no-lanes",
    default=True,
    show_default=True,
    envvar="NICE_TX_LANES",
    help="Answer plain coded requests ($translate, $validate-code; GET or a plain POSTed "
    "Parameters body) from tables compiled from the "
    "content at start (the same answers, sooner); --no-lanes runs every request's operation. "
    "Env: NICE_TX_LANES (1/0).",
)
@click.option(
    "--budget",
    default=REQUEST_BUDGET_S,
    show_default=True,
    type=click.FloatRange(0),
    envvar="NICE_TX_BUDGET",
    help="Seconds of work one request may take before it ends with 422 too-costly "
    "(0: unbounded). Env: NICE_TX_BUDGET.",
)
@click.option(
    "--max-connections",
    default=MAX_CONNECTIONS,
    show_default=True,
    type=click.IntRange(1),
    envvar="NICE_TX_MAX_CONNECTIONS",
    help="Connections served at once per worker; more wait in the listen backlog. "
    "Env: NICE_TX_MAX_CONNECTIONS.",
)
@click.option(
    "--closure-db",
    envvar="NICE_TX_CLOSURE_DB",
    help="SQLite file of the $closure tables, shared by every worker (default: "
    "$XDG_STATE_HOME/nice-tx/closure.sqlite3, i.e. ~/.local/state/...; ':memory:' keeps them "
    "in the process, lost at exit, one worker only). Env: NICE_TX_CLOSURE_DB.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    envvar="NICE_TX_LOG_LEVEL",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(  # noqa: PLR0913, PLR0917 (click passes each option)
    host: str,
    port: int,
    workers: int,
    content: tuple[Path, ...],
    strict: bool,
    cors_origins: tuple[str, ...],
    auth_token: str | None,
    cache_size: int,
    lanes: bool,
    budget: float,
    max_connections: int,
    closure_db: str | None,
    log_level: str,
) -> None:
    """Serve the terminology operations (FHIR R4 at /r4, health at /healthz).

    Says which resources were loaded and which were refused, and why, before it listens.

    \b
    Examples:
      nice-tx serve --port 8000
      nice-tx serve --content dist/nice-tx.ipg406-0.1.0.tgz --content ./my-maps --strict
      nice-tx serve --host 0.0.0.0 --workers 4 --cors-origin https://ehr.example.org
      NICE_TX_AUTH_TOKEN=s3cret nice-tx serve
      curl 'http://127.0.0.1:8000/r4/ConceptMap/$translate?system=...&code=...'
    """
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    from plugin.api.settings import Settings

    if not cors_origins:
        cors_origins = Settings.from_env().cors_origins
    load(content, strict)  # the report; each worker loads the same content itself
    settings = Settings(
        tuple(p.resolve() for p in content),
        cors_origins,
        auth_token,
        cache_size,
        budget,
        lanes=lanes,
        closure_db=closure_database(closure_db, workers),
    )
    os.environ.update(settings.to_env(), NICE_TX_LOAD_REPORTED="1")
    click.echo(
        f"nice-tx {SERVER_VERSION}: http://{host}:{port}/r4 ({workers} worker(s)"
        f"{', CORS on' if cors_origins else ''}{', bearer auth on' if auth_token else ''})",
        err=True,
    )
    # granian (Rust HTTP server, ASGI) was measured faster than uvicorn+uvloop+httptools on
    # this app (docs/performance.md). Each worker imports the factory and reads NICE_TX_*.
    Server(
        "plugin.api.settings:app_from_env",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        websockets=False,
        log_level=LogLevels(log_level),
        log_access=False,
        **server_limits(max_connections),
    ).serve()


def default_closure_db() -> Path:
    """Where the closure tables live unless told: the user's state folder (XDG base dirs)."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "nice-tx" / "closure.sqlite3"


def closure_database(given: str | None, workers: int) -> str:
    """The closure tables' database for this server, checked before any worker starts.

    The database is created (or opened) here, before any worker starts. A path the user gave
    must be usable (else the server does not start); the default one, when it cannot be written
    (a read-only home), gives way to a file in a fresh temporary folder, with a warning: every
    worker still shares it, but the next start uses another one.
    """
    import sqlite3

    from plugin.content.closure import MEMORY, ClosureTables

    if given == MEMORY:
        if workers > 1:
            raise click.UsageError(
                "--closure-db :memory: gives each worker its own closure tables; "
                "with --workers > 1 give a file"
            )
        return MEMORY
    path = Path(given).expanduser() if given else default_closure_db()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(path.parent, os.W_OK):
            raise PermissionError(f"{path.parent} is not writable")
        # Created here, once, before any worker starts: the workers never race to create it.
        tables = ClosureTables(path)
        tables.check()
        tables.close()
    except (OSError, sqlite3.Error, ValueError) as exc:
        if given:
            raise click.UsageError(f"--closure-db {given}: {exc}") from None
        import tempfile

        path = Path(tempfile.mkdtemp(prefix="nice-tx-closure-")) / "closure.sqlite3"
        tables = ClosureTables(path)
        tables.check()
        tables.close()
        click.echo(
            f"warning: closure tables cannot be kept in the default folder ({exc}); using "
            f"{path}, which the next start does not reuse (set --closure-db)",
            err=True,
        )
    return str(path.resolve())


def server_limits(max_connections: int) -> dict[str, Any]:
    """granian's options for a service that outlives its faults and its slow clients.

    A worker that dies (a crash, an out-of-memory kill) is replaced at once instead of the server
    shutting down; a client has `HEADER_TIMEOUT_S` to send its request head; at most
    `max_connections` connections are served at once per worker, the rest wait in the backlog.
    """
    from granian.constants import HTTPModes
    from granian.http import HTTP1Settings

    _raise_open_files(max_connections + 256)
    return {
        # HTTP/1.1 only: in "auto" mode the server waits, without any timeout, for the bytes
        # that tell HTTP/1.1 from HTTP/2, so idle connections were never closed.
        "http": HTTPModes.http1,
        "respawn_failed_workers": True,
        "backlog": BACKLOG,
        "backpressure": max_connections,
        "http1_settings": HTTP1Settings(header_read_timeout=int(HEADER_TIMEOUT_S * 1000)),
    }


def _raise_open_files(wanted: int) -> None:
    """Raise the soft open-file limit towards `wanted` (each connection is a descriptor), never
    above the hard limit the system allows."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
