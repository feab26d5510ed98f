"""What the subcommands share: exit codes, the `--content` option, the load report."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from plugin.content.loader import LoadReport
from plugin.content.store import Store

# Exit codes scripts can rely on (documented in docs/plugin.md and in `nice-tx --help`).
EXIT_OK = 0
EXIT_INVALID = 1  # the command ran and found the input invalid (validate)
EXIT_USAGE = 2  # bad option or argument (click's own code)
EXIT_CANNOT_RUN = 3  # content refused under --strict, unreadable input, missing optional extra

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def content_option(func: F) -> F:
    """`--content PATH` (repeatable): extra files, folders or FHIR packages."""
    return click.option(
        "--content",
        "content",
        multiple=True,
        # click.Path splits an environment value on the OS path separator (":" or ";").
        envvar="NICE_TX_CONTENT",
        type=click.Path(path_type=Path),
        help="Extra FHIR resources: a JSON file, a folder, or a FHIR package (.tgz or "
        "unpacked); repeatable. Also NICE_TX_CONTENT (paths joined by the OS path separator).",
    )(func)


def strict_option(func: F) -> F:
    """`--strict`: refuse to go on when any content was refused."""
    return click.option(
        "--strict",
        is_flag=True,
        help=f"Exit with code {EXIT_CANNOT_RUN} when any resource is refused.",
    )(func)


def report_load(report: LoadReport, *, verbose: Iterable[str] = ()) -> None:
    """Say on stderr what was loaded (counts per source and type) and what was refused, why.

    Every resource from a source named in `verbose` (the user's own `--content`) is listed.
    """
    shown = set(verbose)
    by_source: dict[str, Counter[str]] = {}
    for e in report.loaded:
        by_source.setdefault(e.origin, Counter())[e.type] += 1
    for source, counts in by_source.items():
        kinds = ", ".join(f"{n} {t}" for t, n in sorted(counts.items()))
        click.echo(f"loaded {sum(counts.values())} from {source}: {kinds}", err=True)
    for e in report.loaded:
        if e.origin in shown:
            click.echo(f"  loaded {e.type} {e.canonical}", err=True)
    for label, why in report.refused:
        click.echo(f"refused {label}: {why}", err=True)


def load(content: Sequence[Path], strict: bool, *, quiet: bool = False) -> Store:
    """Build the store (packs + `content`), report it, and apply `--strict`."""
    from plugin.content.loader import build_store, origin_of
    from plugin.content.loader import log as loader_log

    # The report below says it all; the loader's own warnings would repeat every refusal.
    level = loader_log.level
    loader_log.setLevel(logging.ERROR)
    try:
        store, report = build_store(content)
    finally:
        loader_log.setLevel(level)
    if not quiet:
        report_load(report, verbose=[origin_of(p) or str(p) for p in content])
    if strict and report.refused:
        click.echo(f"{len(report.refused)} refused; stopping (--strict)", err=True)
        raise SystemExit(EXIT_CANNOT_RUN)
    return store


def progress(items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
    """A progress bar on stderr for long work; silent when stderr is not a terminal."""
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, total=total, unit="res", disable=None, leave=False)
