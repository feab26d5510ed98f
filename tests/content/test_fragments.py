"""Two fragments of one code system version are merged; a marked folder is not content."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plugin.content.fragments import merge
from plugin.content.loader import IGNORE_MARKER, build_store

OPCS = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"


def _fragment(rid: str, concepts: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "resourceType": "CodeSystem",
        "id": rid,
        "url": OPCS,
        "version": "4.6",
        "status": "active",
        "content": "fragment",
        "count": len(concepts),
        "concept": [{"code": c, "display": d} for c, d in concepts],
    }


def test_merge_keeps_first_titles_and_adds_codes() -> None:
    first = _fragment("a", [("J12.7", "Percutaneous microwave ablation of lesion of liver")])
    later = _fragment("b", [("J12.7", "retitled"), ("J12.4", "Percutaneous radiofrequency")])
    merged = merge(first, later)
    assert [(c["code"], c["display"]) for c in merged["concept"]] == [
        ("J12.7", "Percutaneous microwave ablation of lesion of liver"),
        ("J12.4", "Percutaneous radiofrequency"),
    ]
    assert merged["count"] == 2 and merged["id"] == "a"


def test_store_merges_a_pack_fragment_into_the_builtin_one(tmp_path: Path) -> None:
    (tmp_path / "f.json").write_text(
        json.dumps(_fragment("pack-opcs", [("J12.4", "Percutaneous radiofrequency")]))
    )
    store, report = build_store([tmp_path])
    assert not report.refused
    entry = store.resolve("CodeSystem", OPCS, "4.6")
    assert entry is not None
    assert {"J12.4", "J12.7", "Y53.9"} <= set(entry.index.concepts)
    assert store.by_id("CodeSystem", "pack-opcs") is entry
    assert store.by_id("CodeSystem", "opcs-4-fragment") is entry


def test_marked_folder_is_neither_loaded_nor_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "ipg900.json").write_text(json.dumps({"schema_version": "0.1"}))
    (rules / IGNORE_MARKER).write_text("")
    (tmp_path / "other.json").write_text(json.dumps({"schema_version": "0.1"}))
    _, report = build_store([tmp_path], packs=False)
    assert [Path(p).name for p, _ in report.refused] == ["other.json"]
