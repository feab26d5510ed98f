"""`nice-tx serve`: run the terminology service."""

from __future__ import annotations

import os
from pathlib import Path

import click

from plugin.api.cache import DEFAULT_SIZE
from plugin.config import SERVER_VERSION

from .common import content_option, load, strict_option


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
    help="Worker processes; each loads the content and serves any request (stateless). "
    "Env: NICE_TX_WORKERS.",
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
    help="Operation answers memoised per worker (0: off). Env: NICE_TX_CACHE_SIZE.",
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
    settings = Settings(tuple(p.resolve() for p in content), cors_origins, auth_token, cache_size)
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
    ).serve()
