"""Benchmark of the free-text path (not a test): in-process latency and bulk throughput.

    python benchmarks/bench_text.py [--rows 100000]

Prints:
- median microseconds per description through `plugin.code_description` (recognise, engine,
  explanation, typed result), over a few thousand distinct generated descriptions; wall-clock and
  CPU time (CPU time is what the process itself used: less disturbed by other processes);
- bulk descriptions per second through `plugin.bulk.code_file` (NDJSON in, NDJSON out, progress
  bar off), pinned to one core: every description distinct (a fresh process: each of the
  generator's ~16,000 phrasings is a new reading to work out; then a second pass, readings
  known but texts still distinct), and with the repetition of a real extract (a pool of 2000
  distinct descriptions drawn at random);
- a calibration figure (`sum(range(1000))`) to compare machines.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import calibration, per_call, pin_to_one_core

from plugin import code_description
from plugin.bulk import code_file

APPROACH = ["Percutaneous", "perc", "Laparoscopic", "lap", "Open", "", "laparascopic"]
TECHNIQUE = [
    "microwave ablation",
    "MWA",
    "microwave coagulation",
    "microwve ablation",
    "radiofrequency ablation",
    "cryotherapy",
]
LESION = [
    "liver metastasis",
    "hepatic metastases",
    "CRLM",
    "colorectal liver mets",
    "HCC",
    "liver lesion",
    "lung tumour",
    "hepatic secondary deposit",
    "renal tumour",
]
IMAGE = [
    "",
    "under ultrasound guidance",
    "CT guided",
    "with image guidance",
    "under MRI",
    "without ultrasound",
    "intraoperative US",
]
TAIL = ["", ", segment VII", " x3", ", converted to open", " from breast cancer"]


def descriptions() -> list[str]:
    """Distinct descriptions built from clinician phrasings (in and out of scope)."""
    out = []
    for a, t, les, i, tail in itertools.product(APPROACH, TECHNIQUE, LESION, IMAGE, TAIL):
        out.append(" ".join(p for p in (a, t, "of", les, i) if p) + tail)
    random.Random(406).shuffle(out)
    return out


def latency(texts: list[str], repeat: int = 20) -> tuple[float, float]:
    """Median (wall, CPU) microseconds per description."""
    for t in texts:  # warm: vocabulary, approximate-word cache, engine cache
        code_description(t)
    return per_call(code_description, texts, repeat=repeat)


def bulk(
    texts: list[str], rows: int, distinct: bool, folder: Path, passes: int = 1
) -> tuple[float, float]:
    """(descriptions/s wall, descriptions/s CPU) of the last of `passes` bulk NDJSON runs."""
    source, target = folder / "in.ndjson", folder / "out.ndjson"
    rng = random.Random(1)
    with source.open("w") as f:
        for n in range(rows):
            # distinct: a row number in the text makes every description unique (numbers are
            # ignored for coding, so the reading is as real as the pool's)
            text = f"{texts[n % len(texts)]} ({n})" if distinct else rng.choice(texts[:2000])
            f.write(json.dumps({"id": n, "text": text}) + "\n")
    for _ in range(passes):
        w0, c0 = time.perf_counter(), time.process_time()
        report = code_file(source, target, progress=False)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    assert report.coded == rows, report.bad[:3]
    return rows / wall, rows / cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=2000, help="descriptions timed for latency")
    a = ap.parse_args()
    pin_to_one_core()
    texts = descriptions()
    print(f"calibration: sum(range(1000)) = {calibration():.1f} us")
    wall, cpu = latency(texts[: a.sample])
    print(
        f"in-process: median {wall:.1f} us/description wall, {cpu:.1f} us CPU "
        f"({a.sample} distinct descriptions)"
    )
    runs = (
        (True, 1, f"every text distinct, {len(texts)} phrasings new to the process"),
        (True, 2, "every text distinct, readings already seen (second pass)"),
        (False, 1, "texts drawn from 2000 distinct (repetition of a real extract)"),
    )
    with tempfile.TemporaryDirectory() as tmp:
        for distinct, passes, kind in runs:
            w, c = bulk(texts, a.rows, distinct, Path(tmp), passes)
            print(
                f"bulk NDJSON, one core, {a.rows} rows, {kind}: "
                f"{w:,.0f} descriptions/s wall, {c:,.0f} descriptions/s CPU"
            )


if __name__ == "__main__":
    main()
