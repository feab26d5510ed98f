"""Data frames: pandas in-process, Dask on a LocalCluster (2 workers), Spark local[2].

Every distributed answer is compared, row for row, with the in-process answer of the same
input (`code_description` for text, `Coder.code_codings` for codes), over ~100k rows with
nulls, free text and coded input.
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from plugin.bulk import summary
from plugin.coding import default_coder
from plugin.config import CANONICAL_BASE
from plugin.dataframes import OUTPUT_COLUMNS, code_dask, code_pandas, code_spark

ROOT = Path(__file__).resolve().parents[1]
PROCEDURE = f"{CANONICAL_BASE}/CodeSystem/mwa-liver-procedure"
IMAGE = f"{CANONICAL_BASE}/CodeSystem/image-control"
ROWS = 100_000
CODED: dict[str, Any] = {"system": PROCEDURE, "also": {"image": IMAGE}}


def _codes(name: str) -> list[str]:
    data = json.loads((ROOT / "codesystems" / f"{name}.json").read_text())
    return [c["code"] for c in data["concept"]]


def _texts() -> list[str]:
    lines = (ROOT / "tests" / "text" / "descriptions-dev.jsonl").read_text().splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """Rows of free text and of codes, some null, some not codes of the system at all."""
    rng = random.Random(seed)
    texts: list[Any] = [*_texts(), "", "TACE for HCC", None]
    procedures: list[Any] = [*_codes("mwa-liver-procedure"), "no-such-code", None]
    images: list[Any] = [*_codes("image-control"), None]
    return pd.DataFrame(
        {
            "id": range(rows),
            "text": [rng.choice(texts) for _ in range(rows)],
            "procedure": [rng.choice(procedures) for _ in range(rows)],
            "image": [rng.choice(images) for _ in range(rows)],
        }
    )


def expected(df: pd.DataFrame, column: str, coded: bool) -> list[tuple[Any, ...]]:
    """The in-process answer of each row, from the coder directly (not through code_pandas)."""
    coder = default_coder()
    known: dict[tuple[Any, Any], tuple[Any, ...]] = {}  # each distinct input coded once
    out: list[tuple[Any, ...]] = []
    for value, image in zip(_plain(df[column]), _plain(df["image"]), strict=True):
        key = (value, image if coded else None)
        if key not in known:
            if value is None:
                known[key] = (None, None, None, None)
            else:
                if coded:
                    codings = [(PROCEDURE, value)] + ([(IMAGE, image)] if image is not None else [])
                    r = coder.code_codings(codings)
                else:
                    r = coder.code(value)
                known[key] = (*summary(r), r.message)
        out.append(known[key])
    return out


def _plain(column: pd.Series) -> list[Any]:
    """Values with every kind of missing (None, NaN, NA) as None."""
    return list(column.astype(object).where(column.notna(), None))


def rows_of(df: pd.DataFrame, names: Any = OUTPUT_COLUMNS) -> list[tuple[Any, ...]]:
    cols = [_plain(df[c]) for c in names]
    return list(zip(*cols, strict=True))


@pytest.mark.parametrize(("column", "options"), [("text", {}), ("procedure", CODED)])
def test_code_pandas_is_the_in_process_answer(column: str, options: dict[str, Any]) -> None:
    df = frame(3000)
    out = code_pandas(df, column, **options)
    assert list(out.columns) == [*df.columns, *OUTPUT_COLUMNS]
    assert out.index.equals(df.index)
    assert rows_of(out) == expected(df, column, coded=bool(options))
    assert str(out["result"].dtype) == "boolean"


def test_image_control_column_is_read_as_the_dependency() -> None:
    df = pd.DataFrame({"procedure": ["mwa-liver-percutaneous"], "image": ["ultrasound"]})
    out = code_pandas(df, "procedure", **CODED)
    assert out["codes"][0] == "OPCS-4|J12.7 OPCS-4|Y53.2"
    assert "J12.7, Y53.2" in out["message"][0]


@pytest.mark.parametrize("null", [None, float("nan"), pd.NA])
def test_null_inputs_give_null_outputs(null: Any) -> None:
    df = pd.DataFrame({"text": pd.Series([null, "lap MWA of CRLM"], dtype=object)})
    out = code_pandas(df, "text")
    assert out["result"].isna().tolist() == [True, False]
    assert out["codes"].isna().tolist() == [True, False]


def test_empty_frame_keeps_the_output_dtypes() -> None:
    full = code_pandas(frame(10), "text")
    empty = code_pandas(frame(10).iloc[:0], "text")
    assert empty.dtypes.equals(full.dtypes)


def test_output_names_never_overwrite_input_columns() -> None:
    df = pd.DataFrame({"text": ["lap MWA of CRLM"], "codes": ["mine"]})
    out = code_pandas(df, "text")
    assert out["codes"][0] == "mine"
    assert out["nice_tx_codes"][0].startswith("OPCS-4|J08.3")


# --- Dask on a LocalCluster ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


SECOND = [f"nice_tx_{c}" for c in OUTPUT_COLUMNS]


def check_both(out: pd.DataFrame, df: pd.DataFrame) -> None:
    """Free text coded first, then the coded columns (whose outputs are renamed, not lost)."""
    assert list(out.columns) == [*df.columns, *OUTPUT_COLUMNS, *SECOND]
    assert len(out) == len(df)
    assert rows_of(out) == expected(df, "text", coded=False)
    assert rows_of(out, SECOND) == expected(df, "procedure", coded=True)


def test_dask_local_cluster(dask_client: Any) -> None:
    import dask.dataframe as dd

    df = frame(ROWS)
    ddf = dd.from_pandas(df, npartitions=8)  # type: ignore[no-untyped-call]
    coded = code_dask(code_dask(ddf, "text"), "procedure", **CODED)
    check_both(coded.compute().sort_values("id"), df)
    assert len(dask_client.scheduler_info()["workers"]) == 2


# --- Spark local[2] ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    # the workers must run this interpreter, where nice-tx is installed
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("nice-tx-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    try:
        yield session
    finally:
        session.stop()


def test_spark_local(spark: Any) -> None:
    df = frame(ROWS)
    sdf = spark.createDataFrame(df)
    schema_before = sdf.schema.simpleString()
    coded = code_spark(code_spark(sdf, "text"), "procedure", **CODED)
    assert sdf.schema.simpleString() == schema_before  # the input's schema is not changed
    check_both(coded.toPandas().sort_values("id"), df)
