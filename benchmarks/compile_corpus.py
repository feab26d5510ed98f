"""Benchmark and score of the guidance compiler over a corpus of NICE coding sections (not a
test: the pages are (c) NICE and are not part of this repository).

    python benchmarks/compile_corpus.py CORPUS_DIR [--rounds 5]

CORPUS_DIR holds `pages/ipgNNN.txt` (line 1: where the copy was read; then the coding section)
and, optionally, `expected/ipgNNN.json` with `tools/score.py` (a coder's annotations in the
guidance-coding schema and the scorer). Prints the median wall-clock and CPU time of compiling
every page (rules and FHIR resources, written to a folder, in-process after the first round),
then runs the scorer on the rules.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plugin.compile.pack import compile_pages, write_pack


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    pages = sorted((args.corpus / "pages").glob("ipg*.txt"))
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pack"
        for _ in range(args.rounds):
            w, c = time.perf_counter(), time.process_time()
            compiled = compile_pages(pages)
            write_pack(compiled, out)
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        print(
            f"{len(pages)} pages, {len(compiled)} guidances: "
            f"median {statistics.median(walls):.3f} s"
            f" wall, {statistics.median(cpus):.3f} s CPU (first round {walls[0]:.3f} s wall)"
        )
        score = args.corpus / "tools" / "score.py"
        if score.is_file():
            subprocess.run(
                [sys.executable, str(score), str(out / "rules"), str(args.corpus / "expected")],
                check=True,
            )


if __name__ == "__main__":
    main()
