"""The Python API: one function, a typed result."""

from __future__ import annotations

import json

import pytest

import plugin
from plugin import CodedDescription, code_description
from plugin.coding import Coder
from plugin.ops.mapping import translate
from plugin.ops.translate import text_request
from plugin.text.explain import annotate


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
        ("Y53.3", "additional", "wider"),
        ("C78.7", "main", "wider"),
    ]
    assert [c.code for c in r.candidates] == ["J03.2", "J12.7", "J08.3"]


@pytest.mark.parametrize(
    "text",
    [
        "Percutaneous MWA of CRLM under US",
        "Percutaneous MWA of CRLM under US, referred by Dr X",  # same signature, other words
        "percutanous MWA of hepatic metastsis without ultrasound (segment VII)",
        "open right hemicolectomy and MWA of liver mets",
        "TACE for HCC",
        "",
        "---",
        "ultrasound\x01guided percutaneous MWA of liver mets \x00 x3",
        "MWA of liver mets, CT guided",
    ],
)
def test_templated_explanation_equals_direct(text: str) -> None:
    coder = Coder()
    for _ in range(2):  # second time from the template cache
        r = coder.code(text)
        req = text_request(text, coder.store)
        assert req.reading is not None
        direct = annotate(translate(req, coder.store), req.reading, coder.vocab)
        assert r.message == direct.message
        assert list(r.reasons) == [m.comment for m in direct.matches]


def test_to_dict_has_every_field() -> None:
    r = code_description("Percutaneous MWA of CRLM under US")
    d = r.to_dict()
    assert [set(c) for c in d["codes"]] == [set(c._fields) for c in r.codes]
    assert [set(t) for t in d["terms"]] == [set(t._fields) for t in r.terms]
    assert d["codes"][0] == r.codes[0]._asdict()
