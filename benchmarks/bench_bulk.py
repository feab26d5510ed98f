"""Bulk coding file to file, and data frames per engine: rows per second.

- `nice-tx code --input X --output Y` through `plugin.bulk.code_file`, pinned to one core, for
  CSV and NDJSON, compact and full output: short descriptions drawn from a pool of 2,000
  distinct phrasings (the repetition of a real extract), and every row distinct;
- `plugin.dataframes` over the same rows (`--frames`): pandas in-process, Dask on a
  LocalCluster of 2 worker processes, Spark local[2] (`mapInPandas`); cluster start-up is
  reported apart from the job.

    python benchmarks/bench_bulk.py --rows 200000
    python benchmarks/bench_bulk.py --rows 100000 --frames
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_text import descriptions
from plugin.bulk import code_file


def write_csv(path: Path, texts: list[str], rows: int, distinct: bool) -> None:
    rng = random.Random(1)
    pool = texts[:2000]
    with path.open("w") as f:
        f.write("id,text\n")
        for n in range(rows):
            text = f"{texts[n % len(texts)]} ({n})" if distinct else rng.choice(pool)
            f.write(f'{n},"{text}"\n' if "," in text else f"{n},{text}\n")


def file_to_file(folder: Path, texts: list[str], rows: int) -> None:
    for distinct in (False, True):
        source = folder / "in.csv"
        write_csv(source, texts, rows, distinct)
        code_file(source, folder / "warm.csv", progress=False)  # content, vocabulary, caches
        for out, compact in (("out.csv", True), ("out.csv", False), ("out.ndjson", False)):
            start, cpu = time.perf_counter(), time.process_time()
            report = code_file(source, folder / out, compact=compact, progress=False)
            took, cpu = time.perf_counter() - start, time.process_time() - cpu
            assert report.coded == rows, report.bad[:3]
            kind = "every row distinct" if distinct else "pool of 2,000 phrasings"
            mode = "compact" if compact else "full"
            print(
                f"file to file, CSV in, {out} {mode}, {kind}: {rows / took:,.0f} rows/s wall, "
                f"{rows / cpu:,.0f} rows/s CPU"
            )


def frames(texts: list[str], rows: int) -> None:
    import pandas as pd

    from plugin.dataframes import code_dask, code_pandas, code_spark

    rng = random.Random(1)
    df = pd.DataFrame({"id": range(rows), "text": [rng.choice(texts[:2000]) for _ in range(rows)]})
    start = time.perf_counter()
    code_pandas(df, "text")
    print(f"pandas in-process: {rows / (time.perf_counter() - start):,.0f} rows/s")

    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    start = time.perf_counter()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        up = time.perf_counter() - start
        ddf = dd.from_pandas(df, npartitions=8)
        for run in ("first (workers load the content)", "second"):
            start = time.perf_counter()
            code_dask(ddf, "text").compute()
            took = time.perf_counter() - start
            print(f"Dask LocalCluster(2), {run}: {rows / took:,.0f} rows/s (start-up {up:.1f} s)")

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
    from pyspark.sql import SparkSession

    start = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    up = time.perf_counter() - start
    try:
        sdf = spark.createDataFrame(df).cache()
        sdf.count()
        for run in ("first (workers load the content)", "second"):
            start = time.perf_counter()
            code_spark(sdf, "text").write.format("noop").mode("overwrite").save()
            took = time.perf_counter() - start
            print(f"Spark local[2], {run}: {rows / took:,.0f} rows/s (start-up {up:.1f} s)")
    finally:
        spark.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--frames", action="store_true", help="pandas, Dask and Spark instead")
    a = ap.parse_args()
    texts = descriptions()
    if a.frames:
        frames(texts, a.rows)
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    with tempfile.TemporaryDirectory() as tmp:
        file_to_file(Path(tmp), texts, a.rows)


if __name__ == "__main__":
    main()
