"""`nice-tx code`: code a procedure description, or a file of them."""

from __future__ import annotations

from pathlib import Path

import click

from plugin.bulk import FORMATS


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
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Code every row of this CSV or NDJSON file (one description per row).",
)
@click.option(
    "--output",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the coded rows (CSV or NDJSON, by extension).",
)
@click.option("--input-format", type=click.Choice(FORMATS), help="Default: from the extension.")
@click.option("--output-format", type=click.Choice(FORMATS), help="Default: from the extension.")
@click.option(
    "--column", help="The field holding the description (default: 'text', else 'description')."
)
@click.option("--progress/--no-progress", default=True, show_default=True)
def code(  # noqa: PLR0913, PLR0917 (click passes each option)
    description: str | None,
    as_json: bool,
    source: Path | None,
    target: Path | None,
    input_format: str | None,
    output_format: str | None,
    column: str | None,
    progress: bool,
) -> None:
    """Code a procedure description as the guidance prescribes (OPCS-4 / ICD-10), with reasons.

    \b
    Examples:
      nice-tx code "Percutaneous MWA of CRLM under US"
      nice-tx code --json "laparoscopic microwave ablation of liver mets"
      nice-tx code --input notes.csv --output coded.csv
      nice-tx code --input notes.ndjson --output coded.ndjson --column description
    """
    if source is not None or target is not None:
        if description is not None or source is None or target is None:
            raise click.UsageError(
                "bulk coding takes --input FILE --output FILE and no DESCRIPTION"
            )
        _bulk(source, target, input_format, output_format, column, progress)
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
    source: Path,
    target: Path,
    input_format: str | None,
    output_format: str | None,
    column: str | None,
    progress: bool,
) -> None:
    import sys

    from tqdm import tqdm

    from plugin.bulk import BadRow, code_file

    def bad(line: int, why: str) -> None:
        # Through tqdm so the message does not break the progress bar.
        tqdm.write(f"{source}:{line}: skipped: {why}", file=sys.stderr)

    try:
        report = code_file(
            source,
            target,
            in_format=input_format,
            out_format=output_format,
            column=column,
            on_bad=bad,
            progress=progress,
        )
    except BadRow as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(
        f"{report.coded} of {report.rows} rows coded into {target}; {len(report.bad)} skipped",
        err=True,
    )
