"""Bulk recoding with the nice-tx Python API, one partition (a pandas DataFrame) at a time.

`recode_partition` is what a distributed engine calls per partition: Spark's `mapInPandas`,
Dask's `map_partitions`, Ray's `map_batches`. Each worker process loads the content once (on its
first call) and translates in-process: no HTTP, no shared state.

Run it on a small local frame:  python examples/recode_partition.py
"""

from __future__ import annotations

import pandas as pd

import plugin

BASE = "https://w3id.org/nice-tx/fhir"
PROCEDURE = f"{BASE}/CodeSystem/mwa-liver-procedure"
IMAGE = f"{BASE}/CodeSystem/image-control"
IMAGE_ELEMENT = f"{BASE}/property/image-control"
# Equivalences that assert a code; `narrower` marks a candidate needing more information.
ASSERTED = frozenset({"equivalent", "equal", "wider", "subsumes"})


def _recode(procedure: str, image_control: str | None) -> tuple[str, str]:
    deps = {IMAGE_ELEMENT: plugin.Code(IMAGE, image_control)} if image_control else None
    answer = plugin.translate(PROCEDURE, procedure, dependencies=deps)
    asserted = [m for m in answer.matches if m.equivalence in ASSERTED]
    if len(asserted) == 1:
        return " ".join(c.code for c in asserted[0].codes), "coded"
    if answer.result:
        options = " | ".join(" ".join(c.code for c in m.codes) for m in answer.matches)
        return "", f"needs approach: {options}"
    return "", answer.message or "no mapping"


def recode_partition(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `opcs4` (main code then companions, in coding order) and `status` to each row.

    Input columns: `procedure` (a code of the mwa-liver-procedure CodeSystem) and
    `image_control` (a code of the image-control CodeSystem, or empty). Each distinct input pair
    is translated once per partition.
    """
    keys = frame[["procedure", "image_control"]].astype(object).where(frame.notna(), None)
    distinct = keys.drop_duplicates()
    coded = [_recode(p, i) for p, i in distinct.itertuples(index=False)]
    lookup = distinct.assign(opcs4=[c for c, _ in coded], status=[s for _, s in coded])
    out = keys.merge(lookup, on=["procedure", "image_control"], how="left")
    out.index = frame.index
    return frame.assign(opcs4=out["opcs4"], status=out["status"])


def demo() -> pd.DataFrame:
    """A small local frame, recoded."""
    frame = pd.DataFrame(
        {
            "episode": ["E1", "E2", "E3", "E4", "E5"],
            "procedure": [
                "mwa-liver-open",
                "mwa-liver-percutaneous",
                "mwa-liver-laparoscopic",
                "mwa-liver-percutaneous",
                "mwa-liver",
            ],
            "image_control": ["ultrasound", "ct", "", "ct", ""],
        }
    )
    return recode_partition(frame)


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    print(demo().to_string(index=False))
