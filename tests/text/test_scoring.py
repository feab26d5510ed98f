"""The scoring helper must be able to fail: wrong answers are judged wrong."""

from __future__ import annotations

from typing import Any

from tests.text.scoring import judge

OPCS = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
ICD = "http://hl7.org/fhir/sid/icd-10-uk"


def answer(result: bool, *matches: tuple[str, str, str, list[str]]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [{"name": "result", "valueBoolean": result}]
    for eq, system, code, products in matches:
        parts: list[dict[str, Any]] = [
            {"name": "equivalence", "valueCode": eq},
            {"name": "concept", "valueCoding": {"system": system, "code": code}},
        ]
        parts += [
            {
                "name": "product",
                "part": [{"name": "concept", "valueCoding": {"system": OPCS, "code": p}}],
            }
            for p in products
        ]
        params.append({"name": "match", "part": parts})
    return {"resourceType": "Parameters", "parameter": params}


DET = {"text": "x", "kind": "determinate", "opcs": ["J12.7", "Y53.2"], "icd10": ["C78.7"]}
AMB = {"text": "x", "kind": "ambiguous", "opcs": ["Y53.2"], "icd10": []}
OUT = {"text": "x", "kind": "out", "opcs": [], "icd10": []}


def test_determinate_pass_and_fail() -> None:
    good = answer(True, ("wider", OPCS, "J127", ["Y53.2"]), ("wider", ICD, "C78.7", []))
    assert judge(DET, 200, good) is None
    assert judge(DET, 200, answer(True, ("wider", OPCS, "J12.7", []))) is not None
    extra = answer(
        True,
        ("wider", OPCS, "J12.7", ["Y53.2"]),
        ("wider", ICD, "C78.7", []),
        ("narrower", OPCS, "J08.3", []),
    )
    assert judge(DET, 200, extra) is not None


def test_ambiguous_pass_and_fail() -> None:
    cands = [("narrower", OPCS, c, ["Y53.2"]) for c in ("J03.2", "J12.7", "J08.3")]
    assert judge(AMB, 200, answer(True, *cands)) is None
    assert judge(AMB, 200, answer(True, *cands[:2])) is not None
    assert judge(AMB, 200, answer(True, ("wider", OPCS, "J12.7", []), *cands)) is not None


def test_out_pass_and_fail() -> None:
    assert judge(OUT, 200, answer(False)) is None
    assert judge(OUT, 200, answer(True, ("wider", OPCS, "J12.7", []))) is not None
    assert judge(OUT, 400, {"resourceType": "OperationOutcome"}) is not None
    assert judge({**OUT, "text": ""}, 400, {"resourceType": "OperationOutcome"}) is None
