"""`nice-tx serve`: run the terminology service."""

from __future__ import annotations

from pathlib import Path

import click

from plugin.api.cache import DEFAULT_SIZE
from plugin.config import SERVER_VERSION


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="NICE_TX_HOST",
    help="Interface to listen on.",
)
@click.option(
    "--port", default=8000, show_default=True, type=int, envvar="NICE_TX_PORT", help="TCP port."
)
@click.option(
    "--content",
    "content",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra FHIR resources (JSON file or folder); repeatable.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    envvar="NICE_TX_WORKERS",
    help="Worker processes (one per core scales throughput; each loads the content).",
)
@click.option(
    "--cache-size",
    default=DEFAULT_SIZE,
    show_default=True,
    type=click.IntRange(0),
    envvar="NICE_TX_CACHE_SIZE",
    help="Operation answers memoised per worker (0: off).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(
    host: str, port: int, content: tuple[Path, ...], workers: int, cache_size: int, log_level: str
) -> None:
    """Serve the terminology operations (FHIR R4 at /r4) over the built-in content.

    \b
    Example:
      nice-tx serve --port 8000
      curl 'http://127.0.0.1:8000/r4/ConceptMap/$translate?system=...&code=...'

    Served by granian (Rust HTTP server, ASGI): measured faster than uvicorn+uvloop+httptools
    on the same app (docs/performance.md).
    """
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    from plugin.api.server import asgi_app, configure
    from plugin.content.loader import build_store

    # Load once here to report what the workers will serve (each worker loads its own copy).
    _, report = build_store(content)
    click.echo(f"nice-tx {SERVER_VERSION}: {len(report.loaded)} resources loaded", err=True)
    for path, why in report.refused:
        click.echo(f"  refused {path}: {why}", err=True)
    configure(content, cache_size)
    Server(
        f"{asgi_app.__module__}:{asgi_app.__name__}",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        websockets=False,
        log_level=LogLevels(log_level),
        log_access=False,
    ).serve()
