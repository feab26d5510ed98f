"""`nice-tx code`: code a procedure description, or a file of them."""

from __future__ import annotations

import click

from plugin.bulk.source import FORMATS, MAX_ROW_BYTES


def _show(result: object) -> str:
    from plugin.coding import CodedDescription
    from plugin.text.explain import system_label

    assert isinstance(result, CodedDescription)
    lines = [result.text]
    if not result.result:
        lines.append("  no code")
    for c in result.codes:
        kind = c.role if c.asserted else f"candidate {c.role}"
        label = system_label(c.system)
        lines.append(f"  {label:<10} {c.code:<7} {c.display or '':<68} [{kind}, {c.equivalence}]")
    if result.terms:
        lines.append("  recognised:")
        for t in result.terms:
            extra = " (spelling corrected)" if t.corrected else ""
            extra += " (implied)" if t.implied else ""
            lines.append(f"    {t.facet:<22} {t.words!r:<28} {t.display}{extra} [{t.status}]")
    if result.not_recognised:
        lines.append(f"  not recognised: {', '.join(result.not_recognised)}")
    lines.append(f"  why: {result.message}")
    return "\n".join(lines)


@click.command()
@click.argument("description", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the structured result as JSON.")
@click.option(
    "--input",
    "source",
    help="Code every row of this CSV, TSV or NDJSON file (.gz too; '-' = stdin).",
)
@click.option(
    "--output",
    "target",
    help="Where to write the coded rows (format by extension; '-' = stdout).",
)
@click.option("--input-format", type=click.Choice(FORMATS), help="Default: from the extension.")
@click.option("--output-format", type=click.Choice(FORMATS), help="Default: from the extension.")
@click.option(
    "--column", help="The field holding the description (default: 'text', else 'description')."
)
@click.option("--encoding", help="The input's encoding (default: UTF-8, else Windows-1252).")
@click.option(
    "--compact", is_flag=True, help="Only line, result, codes, candidates (no message/reasons)."
)
@click.option(
    "--max-row-bytes",
    type=click.IntRange(min=64),
    default=MAX_ROW_BYTES,
    show_default=True,
    help="Rows longer than this are skipped (memory stays bounded).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: only when stderr is a terminal).",
)
def code(  # noqa: PLR0913, PLR0917 (click passes each option)
    description: str | None,
    as_json: bool,
    source: str | None,
    target: str | None,
    input_format: str | None,
    output_format: str | None,
    column: str | None,
    encoding: str | None,
    compact: bool,
    max_row_bytes: int,
    progress: bool | None,
) -> None:
    """Code a procedure description as the guidance prescribes (OPCS-4 / ICD-10), with reasons.

    \b
    Examples:
      nice-tx code "Percutaneous MWA of CRLM under US"
      nice-tx code --json "laparoscopic microwave ablation of liver mets"
      nice-tx code --input notes.csv --output coded.csv
      nice-tx code --input notes.ndjson.gz --output coded.ndjson --column description
      cat notes.tsv | nice-tx code --input - --output - --compact > coded.tsv

    \b
    Bulk exit codes: 0 every row coded; 1 done, some rows skipped (each reported on
    stderr with its line number and why); 3 refused before any work (unknown format,
    undetectable encoding, no text column, unreadable file).
    """
    if source is not None or target is not None:
        if description is not None or source is None or target is None:
            raise click.UsageError(
                "bulk coding takes --input FILE --output FILE and no DESCRIPTION"
            )
        bulk = (input_format, output_format, column, encoding, compact, max_row_bytes, progress)
        _bulk(source, target, *bulk)
        return
    if description is None:
        raise click.UsageError("give a DESCRIPTION, or --input FILE --output FILE")
    from plugin.coding import code_description

    result = code_description(description)
    if as_json:
        import orjson

        click.echo(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(_show(result))


def _bulk(  # noqa: PLR0913, PLR0917 (the command's options, passed on)
    source: str,
    target: str,
    input_format: str | None,
    output_format: str | None,
    column: str | None,
    encoding: str | None,
    compact: bool,
    max_row_bytes: int,
    progress: bool | None,
) -> None:
    import sys

    from tqdm import tqdm

    from plugin.bulk import Refused, code_file

    shown = "<stdin>" if source == "-" else source

    def bad(line: int, why: str) -> None:
        # Through tqdm so the message does not break the progress bar.
        tqdm.write(f"{shown}:{line}: skipped: {why}", file=sys.stderr)

    try:
        report = code_file(
            source,
            target,
            in_format=input_format,
            out_format=output_format,
            column=column,
            encoding=encoding,
            compact=compact,
            on_bad=bad,
            progress=progress,
            max_row_bytes=max_row_bytes,
        )
    except Refused as exc:
        click.echo(f"refused: {exc}", err=True)
        sys.exit(3)
    where = "stdout" if target == "-" else target
    note = f" (read as {report.encoding})" if report.encoding != "utf-8" else ""
    click.echo(
        f"{report.coded} of {report.rows} rows coded into {where}{note}; {len(report.bad)} skipped",
        err=True,
    )
    if report.bad:
        sys.exit(1)
