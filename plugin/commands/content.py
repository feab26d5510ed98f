"""`nice-tx content ...`: what content is loaded, and from which pack."""

from __future__ import annotations

from pathlib import Path

import click

from .common import content_option, load, strict_option


@click.group()
def content() -> None:
    """Inspect the content the service would load (content packs and --content paths)."""


@content.command("list")
@content_option
@strict_option
@click.option(
    "--type",
    "rtype",
    type=click.Choice(["CodeSystem", "ValueSet", "ConceptMap"]),
    help="Only this resource type.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_(content: tuple[Path, ...], strict: bool, rtype: str | None, as_json: bool) -> None:
    """List every loaded resource: type, canonical url, version, source pack.

    \b
    Examples:
      nice-tx content list
      nice-tx content list --type ConceptMap --content dist/nice-tx.ipg406-0.1.0.tgz
      nice-tx content list --json | jq .url
    """
    from plugin.content.store import TERMINOLOGY_TYPES
    from plugin.jsonio import dumps

    store = load(content, strict, quiet=True)
    rows = [
        (e.type, e.url, e.version or "", e.origin)
        for t in TERMINOLOGY_TYPES
        if rtype in (None, t)
        for e in store.all(t)
    ]
    if as_json:
        for r in rows:
            keys = ("resourceType", "url", "version", "pack")
            click.echo(dumps(dict(zip(keys, r, strict=True))).decode())
        return
    head = ("TYPE", "CANONICAL", "VERSION", "PACK")
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    for r in (head, *rows):
        click.echo("  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip())
