"""Code system identity comes from NamingSystem content, so a pack brings its own aliases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plugin.content import systems
from plugin.content.conceptmap import canonical_coding
from plugin.content.loader import build_store
from plugin.ops.mapping import TranslateRequest, translate

OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://fhir.nhs.uk/Id/opcs-4", OPCS4),
        ("http://hl7.org/fhir/sid/ex-opcs4", OPCS4),
        (OPCS4, OPCS4),
        ("http://example.org/unknown", "http://example.org/unknown"),
    ],
)
def test_builtin_aliases_come_from_the_naming_systems(uri: str, expected: str) -> None:
    build_store()
    assert systems.canonical_system(uri) == expected


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        (OPCS4, "J127", "J12.7"),
        (OPCS4, "j12.7", "J12.7"),
        (OPCS4, "J12", "J12"),
        ("http://hl7.org/fhir/sid/icd-10-uk", "c787", "C78.7"),
        ("http://hl7.org/fhir/sid/icd-10", "C787", "C78.7"),
        # no declared code form: codes are case-sensitive and left as sent
        ("http://snomed.info/sct", "94381002", "94381002"),
        ("http://example.org/cs", "ab12", "ab12"),
    ],
)
def test_code_forms_come_from_the_naming_systems(system: str, code: str, expected: str) -> None:
    build_store()
    assert systems.normalise_code(system, code) == expected


def _naming_system(canonical: str, *aliases: str, form: bool = False) -> dict[str, Any]:
    ns: dict[str, Any] = {
        "resourceType": "NamingSystem",
        "name": "Example",
        "status": "active",
        "kind": "codesystem",
        "date": "2026-11-30",
        "uniqueId": [
            {"type": "uri", "value": canonical, "preferred": True},
            *({"type": "uri", "value": a, "preferred": False} for a in aliases),
        ],
    }
    if form:
        ns["extension"] = [
            {
                "url": systems.CODE_FORM,
                "extension": [
                    {"url": "case", "valueCode": "upper"},
                    {"url": "dotAfter", "valueInteger": 3},
                ],
            }
        ]
    return ns


def test_a_pack_brings_its_own_classification(tmp_path: Path) -> None:
    """Another classification's aliases and code form work with no change of code."""
    base = "http://example.org/fhir/CodeSystem/proc"
    alias = "urn:example:proc"
    (tmp_path / "ns.json").write_text(json.dumps(_naming_system(base, alias, form=True)))
    cm = {
        "resourceType": "ConceptMap",
        "url": "http://example.org/fhir/ConceptMap/m",
        "status": "active",
        "group": [
            {
                "source": alias,  # the map itself may use the alias
                "target": OPCS4,
                "element": [
                    {"code": "a12.3", "target": [{"code": "J127", "equivalence": "wider"}]}
                ],
            }
        ],
    }
    (tmp_path / "cm.json").write_text(json.dumps(cm))
    store, report = build_store([tmp_path])
    assert not report.refused
    assert systems.canonical_system(alias) == base
    req = TranslateRequest(codings=[canonical_coding(alias, "A123")])
    got = translate(req, store)
    assert [(m.concept.system, m.concept.code) for m in got.matches if m.concept] == [
        (OPCS4, "J12.7")
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "identifier"},
        {"uniqueId": [{"type": "uri", "value": "http://example.org/x", "preferred": False}]},
        {"uniqueId": [{"type": "oid", "value": "1.2.3", "preferred": True}]},
    ],
)
def test_unusable_naming_systems_are_refused(tmp_path: Path, bad: dict[str, Any]) -> None:
    ns = {**_naming_system("http://example.org/refused"), **bad}
    (tmp_path / "ns.json").write_text(json.dumps(ns))
    _, report = build_store([tmp_path], packs=False)
    assert [label for label, _ in report.refused] == [str(tmp_path / "ns.json")]


def test_an_alias_cannot_name_two_systems(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(_naming_system("http://example.org/a", "urn:x")))
    (tmp_path / "b.json").write_text(json.dumps(_naming_system("http://example.org/b", "urn:x")))
    _, report = build_store([tmp_path], packs=False)
    assert any("already names http://example.org/a" in why for _, why in report.refused)


def test_no_classification_uri_is_spelled_in_python() -> None:
    """Code system identity is content: the package's Python names no classification URI."""
    root = Path(__file__).resolve().parents[2] / "plugin"
    spelled = ("fhir.hl7.org.uk", "fhir.nhs.uk", "sid/icd-10", "sid/ex-opcs4", "snomed.info/sct")
    found = [
        f"{p.relative_to(root)}: {s}"
        for p in sorted(root.rglob("*.py"))
        for s in spelled
        if s in p.read_text(encoding="utf-8")
    ]
    assert found == []
