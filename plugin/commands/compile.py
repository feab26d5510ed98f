"""`nice-tx compile`: NICE coding-section pages -> coding rules -> a FHIR content pack."""

from __future__ import annotations

import time
from pathlib import Path

import click

from .common import EXIT_CANNOT_RUN


@click.command("compile")
@click.argument(
    "pages", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the pack (created): rules/, codesystems/, valuesets/, conceptmaps/.",
)
@click.option("--ipg", type=int, help="The IPG number, when neither text, URL nor file name says.")
@click.option("--title", help="The guidance title, when the page does not state it.")
def compile_(pages: tuple[Path, ...], out: Path, ipg: int | None, title: str | None) -> None:
    """Compile NICE coding sections (page text) into rules and a content pack that
    `nice-tx serve --content DIR` loads beside the built-in content.

    \b
    Examples:
      nice-tx compile ipg327.txt --out packs/ipg327 --title "Radiofrequency ablation for ..."
      nice-tx compile pages/*.txt --out packs/all
      nice-tx serve --content packs/all
    """
    from plugin.compile.pack import compile_pages, write_pack

    started = time.perf_counter()
    try:
        compiled = compile_pages(list(pages), ipg=ipg, title=title)
        files = write_pack(compiled, out)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        click.echo(f"cannot compile: {exc}", err=True)
        raise SystemExit(EXIT_CANNOT_RUN) from None
    for c in compiled:
        r = c.rules
        click.echo(
            f"IPG{r['ipg']} ({c.page_file}): {r['status']}, {len(r['variants'])} variant(s),"
            f" {len(r['diagnoses'])} diagnosis slot(s), {r['source']['completeness']}"
        )
        for w in c.warnings:
            click.echo(f"  warning: {w}", err=True)
    took = time.perf_counter() - started
    click.echo(f"wrote {len(files)} files for {len(compiled)} guidance(s) to {out} in {took:.2f} s")
