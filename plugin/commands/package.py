"""`nice-tx package`: write the content as a FHIR NPM package other servers load."""

from __future__ import annotations

from pathlib import Path

import click

from plugin.config import SERVER_VERSION

from .common import EXIT_CANNOT_RUN, content_option, load, progress, strict_option


@click.command()
@click.option(
    "--out",
    "out",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write <name>-<version>.tgz into (created if missing).",
)
@click.option(
    "--name", default=None, help="Package name [default: the built-in pack's, from pack.json]."
)
@click.option("--version", "version", default=SERVER_VERSION, show_default=True)
@content_option
@strict_option
def package(
    out: Path, name: str | None, version: str, content: tuple[Path, ...], strict: bool
) -> None:
    """Write every loaded resource as a FHIR NPM package (.tgz) for HAPI, the HL7 validator
    or Ontoserver: package/package.json, package/.index.json, one JSON file per resource.

    \b
    Examples:
      nice-tx package --out dist
      nice-tx package --out dist --content ./my-maps --name my.maps --version 1.0.0
      tar -tzf dist/nice-tx.ipg406-0.1.0.tgz
    """
    from plugin.content.package import write_package
    from plugin.content.store import STORED_TYPES

    store = load(content, strict)
    entries = [e for t in STORED_TYPES for e in store.all(t)]
    try:
        path = write_package(
            entries,
            out,
            name=name,
            version=version,
            progress=lambda xs: progress(xs, "packaging", len(entries)),
        )
    except (OSError, ValueError) as exc:
        click.echo(f"cannot write the package: {exc}", err=True)
        raise SystemExit(EXIT_CANNOT_RUN) from None
    click.echo(f"wrote {path} ({len(entries)} resources)")
