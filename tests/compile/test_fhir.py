"""Rules -> FHIR: the seed's pack reproduces the built-in IPG406 map; packs are valid FHIR."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.conceptmap import ConceptMap
from fhir.resources.R4B.valueset import ValueSet

from plugin.compile.pack import Compiled
from tests.compile.conftest import compiled

MODELS: dict[str, Any] = {"CodeSystem": CodeSystem, "ValueSet": ValueSet, "ConceptMap": ConceptMap}
BUILTIN = json.loads(
    (Path(__file__).parents[2] / "conceptmaps/ipg406-coding.json").read_text(encoding="utf-8")
)
BASE = "https://w3id.org/nice-tx/fhir"
OPCS = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
ICD10 = "http://hl7.org/fhir/sid/icd-10-uk"
# built-in procedure concept -> compiled concept of the same variant
SAME = {
    "mwa-liver": "ipg406",
    "mwa-liver-open": "ipg406-open",
    "mwa-liver-percutaneous": "ipg406-percutaneous",
    "mwa-liver-laparoscopic": "ipg406-laparoscopic",
}


def _coding_rules(targets: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a coder checks: main code, companions in order, conditions."""
    return [
        (
            t["code"],
            tuple(p["value"] for p in t.get("product", [])),
            tuple((d["system"], d["value"]) for d in t.get("dependsOn", [])),
        )
        for t in targets
    ]


def _group(cm: dict[str, Any], target: str) -> dict[str, Any]:
    return next(g for g in cm["group"] if g["target"] == target and "element" in g)


def _map(c: Compiled) -> dict[str, Any]:
    return next(r for r in c.resources if r["resourceType"] == "ConceptMap")


@pytest.mark.parametrize(("builtin", "compiled_code"), sorted(SAME.items()))
def test_seed_reproduces_the_builtin_map(seed: Compiled, builtin: str, compiled_code: str) -> None:
    ours = {e["code"]: e for e in _group(_map(seed), OPCS)["element"]}
    theirs = {e["code"]: e for e in _group(BUILTIN, OPCS)["element"]}
    assert _coding_rules(ours[compiled_code]["target"]) == _coding_rules(theirs[builtin]["target"])
    assert [t["equivalence"] for t in ours[compiled_code]["target"]] == [
        t["equivalence"] for t in theirs[builtin]["target"]
    ]


def test_seed_map_declares_version_diagnosis_and_provenance(seed: Compiled) -> None:
    cm = _map(seed)
    assert _group(cm, OPCS)["targetVersion"] == "4.6"
    dx = _group(cm, ICD10)
    assert {t["code"] for e in dx["element"] for t in e["target"]} == {"C78.7"}
    # a diagnosis is never asserted from the procedure alone
    assert {t["equivalence"] for e in dx["element"] for t in e["target"]} == {"narrower"}
    assert "https://www.nice.org.uk/guidance/ipg406" in cm["description"].lower()
    (ext,) = cm["extension"]
    parts = {
        e["url"]: next(v for k, v in e.items() if k.startswith("value")) for e in ext["extension"]
    }
    assert parts["guidance"] == "IPG406" and len(parts["sha256"]) == 64
    # the ambiguity's chosen reading is in the comments
    assert all("Reading chosen" in t["comment"] for t in _group(cm, OPCS)["element"][1]["target"])


def test_seed_fragments_hold_titles_as_stated(seed: Compiled) -> None:
    opcs = next(r for r in seed.resources if r["url"] == OPCS)
    assert opcs["content"] == "fragment" and opcs["version"] == "4.6"
    titles = {c["code"]: c.get("display") for c in opcs["concept"]}
    assert titles["Y53"] == "Approach to organ under image control"
    assert titles["J12.7"] == "Percutaneous microwave ablation of lesion of liver"
    procedure = next(r for r in seed.resources if r["id"] == "ipg406-procedure")
    (root,) = procedure["concept"]
    assert [c["code"] for c in root["concept"]] == [
        "ipg406-open",
        "ipg406-percutaneous",
        "ipg406-laparoscopic",
    ]


@pytest.mark.parametrize("name", [f"ipg9{i:02d}.txt" for i in range(1, 11)])
def test_every_pack_is_valid_fhir(name: str) -> None:
    for r in compiled(name).resources:
        MODELS[r["resourceType"]].model_validate(r)


def test_unstated_opcs_version_gives_an_unversioned_fragment() -> None:
    c = compiled("ipg902.txt")
    opcs = next(r for r in c.resources if r["url"] == OPCS)
    assert "version" not in opcs
    assert "targetVersion" not in _group(_map(c), OPCS)


def test_category_is_expanded_only_through_content() -> None:
    # ipg902: Y53.- required, Y53.9 when the method is not stated. The main codes are plain
    # targets (J12.4 or J12.7: a choice); each Y53 code comes from the companion group, whose
    # method -> code pairs are the built-in content's, never a guessed title.
    cm = _map(compiled("ipg902.txt"))
    targets = _group(cm, OPCS)["element"][0]["target"]
    assert [(t["code"], t["equivalence"], "dependsOn" in t) for t in targets] == [
        ("J12.4", "narrower", False),
        ("J12.7", "narrower", False),
    ]
    assert "Y53.9 if the method is not stated" in targets[0]["comment"]
    (companion,) = [g for g in cm["group"] if g.get("extension")]
    pairs = {e["code"]: e["target"][0]["code"] for e in companion["element"]}
    builtin = next(g for g in BUILTIN["group"] if g.get("extension"))
    assert pairs == {e["code"]: e["target"][0]["code"] for e in builtin["element"]}
    assert pairs["ultrasound"] == "Y53.2" and pairs["unspecified"] == "Y53.9"


def test_seed_companion_group_is_the_builtin_one(seed: Compiled) -> None:
    ours = next(g for g in _map(seed)["group"] if g.get("extension"))
    theirs = next(g for g in BUILTIN["group"] if g.get("extension"))
    assert ours == theirs


def test_conditional_companions_are_a_companion_group_not_conditional_targets() -> None:
    cm = _map(compiled("ipg903.txt"))
    stage2 = next(e for e in _group(cm, OPCS)["element"] if e["code"] == "ipg903-stage-2")
    assert _coding_rules(stage2["target"]) == [("A70.1", ("Z92.1",), ())]
    assert "Y11.4 only where necessary" in stage2["target"][0]["comment"]
    assert not any("dependsOn" in t for e in _group(cm, OPCS)["element"] for t in e["target"])
    applies = next(g for g in cm["group"] if g["source"] == OPCS and g.get("extension"))
    assert applies["extension"][0]["extension"][0]["valueUri"] == f"{BASE}/property/applies"
    assert {e["code"]: e["target"][0]["code"] for e in applies["element"]} == {
        "Y11.4": "Y11.4",
        "Z94": "Z94",
    }
    # Y53.4 "(if used)" on stage 1: the companion group holds that one method only
    (image,) = [g for g in cm["group"] if g["source"].endswith("/CodeSystem/image-control")]
    assert [(e["code"], e["target"][0]["code"]) for e in image["element"]] == [
        ("fluoroscopy", "Y53.4")
    ]


def test_snomed_table_maps_the_procedure_concept() -> None:
    cm = _map(compiled("ipg905.txt"))
    snomed = next(g for g in cm["group"] if g["source"] == "http://snomed.info/sct")
    (element,) = snomed["element"]
    assert element["code"] == "448606008"
    assert [t["code"] for t in element["target"]] == ["L88.2"]


def test_every_extension_a_pack_uses_is_defined(tmp_path: Path) -> None:
    from fhir.resources.R4B.structuredefinition import StructureDefinition

    from plugin.compile.pack import compile_pages, write_pack
    from tests.compile.conftest import SECTIONS

    write_pack(compile_pages([SECTIONS / "ipg903.txt", SECTIONS / "ipg905.txt"]), tmp_path)
    defined = {
        StructureDefinition.model_validate(json.loads(p.read_text())).url
        for p in (Path(__file__).parents[2] / "structuredefinitions").glob("*.json")
    } | {
        StructureDefinition.model_validate(json.loads(p.read_text())).url
        for p in (tmp_path / "structuredefinitions").glob("*.json")
    }

    def urls(node: Any) -> set[str]:
        if isinstance(node, dict):
            found = {e["url"] for e in node.get("extension", []) if "://" in e.get("url", "")}
            return found.union(*(urls(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(urls(v) for v in node))
        return set()

    used = set().union(
        *(
            urls(json.loads(p.read_text()))
            for p in tmp_path.rglob("*.json")
            if "rules" not in p.parts
        )
    )
    assert used and used <= defined
