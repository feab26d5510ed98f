"""The Python API: one function, a typed result."""

from __future__ import annotations

import json

import plugin
from plugin import CodedDescription, code_description
from plugin.coding import Coder


def test_exported() -> None:
    assert "code_description" in plugin.__all__


def test_typed_result() -> None:
    r = code_description("Ultrasound guided percutaneous microwave ablation of hepatic metastasis")
    assert isinstance(r, CodedDescription) and r.result
    assert [(c.code, c.role) for c in r.assigned] == [
        ("J12.7", "main"),
        ("Y53.2", "additional"),
        ("C78.7", "main"),
    ]
    assert r.candidates == []
    assert {t.facet for t in r.terms} >= {"technique", "site", "approach", "lesion"}
    assert len(r.reasons) == 2
    json.dumps(r.to_dict())


def test_candidates_are_not_assigned() -> None:
    r = code_description("Microwave ablation of a liver metastasis")
    assert [c.code for c in r.candidates] == ["J03.2", "J12.7", "J08.3"]
    assert [c.code for c in r.assigned] == ["C78.7"]


def test_engine_cache_gives_the_same_answers() -> None:
    coder = Coder()
    first = coder.code("perc MWA liver mets")
    again = coder.code("Percutaneous MWA of liver metastases")
    assert [c.code for c in first.assigned] == [c.code for c in again.assigned]
    assert first.terms != again.terms  # reasons are per description


def test_stated_image_control_is_asserted_without_the_approach() -> None:
    r = code_description("Microwave ablation of liver metastases under CT guidance")
    assert [(c.code, c.role, c.equivalence) for c in r.assigned] == [
        ("Y53.3", "additional", "relatedto"),
        ("C78.7", "main", "wider"),
    ]
    assert [c.code for c in r.candidates] == ["J03.2", "J12.7", "J08.3"]
