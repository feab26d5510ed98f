"""Benchmark of reading long clinical notes (not a test): median milliseconds per ~300-word note.

    python benchmarks/bench_notes.py [--notes 200]

Notes are built from the long notes of the project's dev set (`tests/text/descriptions-dev-
notes.jsonl`): each is cut or extended sentence by sentence to about 300 words, and numbered so
that every note is distinct (a long note is never answered from the reading cache: it is read in
full each time). Prints the median wall and CPU milliseconds of `plugin.code_description` (read,
sections, assertion context, episode, engine, explanation, typed result), pinned to one core,
and a calibration figure to compare machines.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import calibration, per_call, pin_to_one_core

from plugin import code_description

CASES = Path(__file__).resolve().parent.parent / "tests" / "text" / "descriptions-dev-notes.jsonl"
WORDS = 300


def notes(count: int, words: int = WORDS) -> list[str]:
    """`count` distinct notes of about `words` words, from the dev set's long notes."""
    rows = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line]
    long = [r["text"] for r in rows if len(r["text"].split()) >= 120]
    out = []
    for n in range(count):
        sentences = re.split(r"(?<=[.\n])\s*", long[n % len(long)])
        text, i = "", 0
        while len(text.split()) < words:
            text += sentences[i % len(sentences)] + (" " if i % 4 else "\n")
            i += 1
        out.append(f"Note {n}.\n{text}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=200)
    a = ap.parse_args()
    pin_to_one_core()
    texts = notes(a.notes)
    code_description(texts[0])  # build the vocabulary and rules once
    wall, cpu = per_call(code_description, texts, scale=1e3)
    size = statistics.median(len(t.split()) for t in texts)
    print(f"calibration: sum(range(1000)) = {calibration():.1f} us")
    print(
        f"long notes: median {wall:.2f} ms wall, "
        f"{cpu:.2f} ms CPU per note ({a.notes} notes, median {size:.0f} words)"
    )


if __name__ == "__main__":
    main()
