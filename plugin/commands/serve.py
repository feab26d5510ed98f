"""`nice-tx serve`: run the terminology service."""

from __future__ import annotations

from pathlib import Path

import click

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
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(host: str, port: int, content: tuple[Path, ...], log_level: str) -> None:
    """Serve the terminology operations (FHIR R4 at /r4) over the built-in content.

    \b
    Example:
      nice-tx serve --port 8000
      curl 'http://127.0.0.1:8000/r4/ConceptMap/$translate?system=...&code=...'
    """
    import uvicorn

    from plugin.api.app import create_app
    from plugin.content.loader import build_store

    store, report = build_store(content)
    click.echo(f"nice-tx {SERVER_VERSION}: {len(report.loaded)} resources loaded", err=True)
    for path, why in report.refused:
        click.echo(f"  refused {path}: {why}", err=True)
    app = create_app(store)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
