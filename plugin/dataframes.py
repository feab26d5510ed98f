"""Coding data frames: pandas in-process, Dask and Spark per partition.

Each row's input is either a free-text description (the column holds text) or coded input (the
column holds codes of `system`, and `also` names further columns of codes sent in the same
CodeableConcept, such as the image-control method). The answer is the same as `$translate`
and `nice-tx code`: `result`, `codes` (asserted codes in coding order, `SYSTEM|code`),
`candidates` (alternatives, none asserted) and `message`. A null input gives null outputs.

Install `nice-tx[dask]` or `nice-tx[spark]`; each worker process loads the content once, on its
first partition, and codes in-process (no HTTP). Identical inputs in a partition are coded once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from plugin.bulk.sink import summary
from plugin.coding import Coder, default_coder

if TYPE_CHECKING:
    import pandas as pd

OUTPUT_COLUMNS = ("result", "codes", "candidates", "message")
_STRING_COLUMNS = OUTPUT_COLUMNS[1:]


def _output_names(columns: Any) -> dict[str, str]:
    """Output column -> name in the frame (`nice_tx_<name>` when the input has that name)."""
    taken = {str(c) for c in columns}
    return {c: f"nice_tx_{c}" if c in taken else c for c in OUTPUT_COLUMNS}


def _values(column: pd.Series) -> list[Any]:
    """The column's values with every kind of missing (None, NaN, NA, NaT) as None."""
    return list(column.astype(object).where(column.notna(), None))


def _answer(
    key: tuple[Any, ...], system: str | None, also: Mapping[str, str], coder: Coder
) -> tuple[Any, ...]:
    head = key[0]
    if head is None:
        return (None, None, None, None)
    if system is None:
        r = coder.code(str(head))
    else:
        codings = [(system, str(head))]
        codings += [
            (s, str(v)) for s, v in zip(also.values(), key[1:], strict=True) if v is not None
        ]
        r = coder.code_codings(codings)
    return (*summary(r), r.message)


def code_pandas(
    df: pd.DataFrame,
    column: str,
    *,
    system: str | None = None,
    also: Mapping[str, str] | None = None,
    coder: Coder | None = None,
) -> pd.DataFrame:
    """`df` with the answer's columns added (`result` boolean, `codes`, `candidates`,
    `message` strings), row for row, index kept.

    FHIR semantics as `ConceptMap/$translate`: free text when `system` is None (the text is
    read as a procedure description), else `system|code` plus one coding per `also` column
    (column -> system), all in one CodeableConcept; nulls in `column` give nulls.
    """
    import pandas as pd

    coder = coder or default_coder()
    extra = dict(also or {})
    keys = zip(_values(df[column]), *(_values(df[c]) for c in extra), strict=True)
    answers: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    rows = []
    for key in keys:
        got = answers.get(key)
        if got is None:
            got = answers[key] = _answer(key, system, extra, coder)
        rows.append(got)
    names = _output_names(df.columns)
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
    new = {
        names["result"]: pd.Series(columns[0], index=df.index, dtype="boolean"),
        **{
            names[c]: pd.Series(values, index=df.index, dtype="string")
            for c, values in zip(_STRING_COLUMNS, columns[1:], strict=True)
        },
    }
    return df.assign(**new)


def code_dask(ddf: Any, column: str, **options: Any) -> Any:
    """A Dask DataFrame coded partition by partition (`code_pandas` per partition).

    The output's `meta` is `code_pandas` of the empty input meta: the same columns and dtypes,
    without calling the coder on a made-up probe row.
    """
    meta = code_pandas(ddf._meta, column, **options)
    return ddf.map_partitions(code_pandas, column, meta=meta, **options)


def _spark_batches(
    batches: Iterator[pd.DataFrame], column: str, options: dict[str, Any]
) -> Iterator[pd.DataFrame]:
    # A module-level function: Spark pickles it by reference and the workers import this
    # module from the installed package.
    for batch in batches:
        yield code_pandas(batch, column, **options)


def code_spark(df: Any, column: str, **options: Any) -> Any:
    """A Spark DataFrame coded with `mapInPandas` (Arrow batches through `code_pandas`).

    The output schema is a new StructType: the input's fields, then `result` (boolean) and
    the string columns; the input's schema object is not changed.
    """
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType

    names = _output_names(df.columns)
    fields = [StructField(names["result"], BooleanType(), True)]
    fields += [StructField(names[c], StringType(), True) for c in _STRING_COLUMNS]
    schema = StructType([*df.schema.fields, *fields])
    return df.mapInPandas(partial(_spark_batches, column=column, options=options), schema)
