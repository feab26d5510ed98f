"""The text branch of ConceptMap/$translate: what it accepts and refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.config import CANONICAL_BASE
from tests.text.scoring import read_matches, sets

IMAGE = f"{CANONICAL_BASE}/CodeSystem/image-control"
PROCEDURE = f"{CANONICAL_BASE}/CodeSystem/mwa-liver-procedure"
ICD = "http://hl7.org/fhir/sid/icd-10-uk"

Post = Callable[..., tuple[int, Any]]


def codes(body: dict[str, Any]) -> set[str]:
    _, matches = read_matches(body)
    assigned, _, _ = sets(matches)
    return {c for _, c in assigned}


def test_empty_text_is_invalid(translate_text: Post) -> None:
    status, body = translate_text("")
    assert status == 400
    assert body["issue"][0]["code"] == "invalid"
    assert body["issue"][0]["expression"] == ["codeableConcept.text"]


def test_blank_text_is_no_match(translate_text: Post) -> None:
    status, body = translate_text("   ")
    assert status == 200
    assert body["parameter"][0] == {"name": "result", "valueBoolean": False}


def test_reverse_with_text_is_invalid(translate_text: Post) -> None:
    status, body = translate_text("MWA of liver", reverse={"valueBoolean": True})
    assert status == 400 and body["resourceType"] == "OperationOutcome"


def test_codings_win_over_text(client: Any) -> None:
    cc = {
        "coding": [{"system": PROCEDURE, "code": "mwa-liver-open"}],
        "text": "percutaneous MWA of liver",
    }
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": "codeableConcept", "valueCodeableConcept": cc}],
    }
    r = client.post("/r4/ConceptMap/$translate", json=body)
    assert r.status_code == 200
    assert codes(r.json()) == {"J03.2", "Y13.7"}


def test_given_dependency_wins_over_recognised(translate_text: Post) -> None:
    dep = {
        "part": [
            {"name": "element", "valueUri": f"{CANONICAL_BASE}/property/image-control"},
            {
                "name": "concept",
                "valueCodeableConcept": {"coding": [{"system": IMAGE, "code": "ultrasound"}]},
            },
        ]
    }
    status, body = translate_text("Percutaneous MWA of liver mets under CT", dependency=dep)
    assert status == 200
    assert codes(body) == {"J12.7", "Y53.2", "C78.7"}


def test_targetsystem_narrows_the_answer(translate_text: Post) -> None:
    status, body = translate_text("Percutaneous MWA of liver mets", targetsystem={"valueUri": ICD})
    assert status == 200 and codes(body) == {"C78.7"}


def test_out_of_scope_is_200_result_false(translate_text: Post) -> None:
    status, body = translate_text("TACE for HCC")
    assert status == 200
    result, matches = read_matches(body)
    assert result is False and matches == []


def test_huge_text_is_answered(translate_text: Post) -> None:
    status, body = translate_text("percutaneous MWA of liver mets " * 3000)
    assert status == 200 and codes(body) == {"J12.7", "C78.7"}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=300), extra=st.sampled_from([None, "x", 5, [], {"a": 1}]))
def test_any_text_is_answered_without_5xx(client: Any, text: str, extra: Any) -> None:
    cc: dict[str, Any] = {"text": text}
    if extra is not None:
        cc["coding"] = extra
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": "codeableConcept", "valueCodeableConcept": cc}],
    }
    r = client.post("/r4/ConceptMap/$translate", json=body)
    assert r.status_code in (200, 400, 422), r.text
    assert r.json()["resourceType"] in ("Parameters", "OperationOutcome")
