"""One answer per clinical input, whatever its shape: the same facts sent as codings plus a
`dependency`, or as a description, give the same asserted codes and the same candidates."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.outcomes import ASSERTING
from tests.conftest import FACET, IMAGE, IMAGE_ELEMENT, PROC

URL = "/r4/ConceptMap/$translate"
APPROACH = {
    None: ("mwa-liver", "Microwave ablation of liver metastases"),
    "open": ("mwa-liver-open", "Open microwave ablation of liver metastases"),
    "percutaneous": (
        "mwa-liver-percutaneous",
        "Percutaneous microwave ablation of liver metastases",
    ),
    "laparoscopic": (
        "mwa-liver-laparoscopic",
        "Laparoscopic microwave ablation of liver metastases",
    ),
}
METHOD = {
    None: (None, ""),
    "ct": ("ct", " under CT guidance"),
    "ultrasound": ("ultrasound", " under ultrasound guidance"),
    "unspecified": ("unspecified", ", image guided"),
}


def _codes(body: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(asserted codes in order, candidate codes in order), each main code with its products."""
    asserted: list[str] = []
    candidates: list[str] = []
    for p in body["parameter"]:
        if p["name"] != "match":
            continue
        parts = {q["name"]: q for q in p["part"]}
        code = parts["concept"]["valueCoding"]["code"]
        products = [
            q["part"][1]["valueCoding"]["code"] for q in p["part"] if q["name"] == "product"
        ]
        seq = " ".join([code, *products])
        target = asserted if parts["equivalence"]["valueCode"] in ASSERTING else candidates
        if seq not in target:
            target.append(seq)
    return asserted, candidates


@pytest.mark.parametrize("method", list(METHOD))
@pytest.mark.parametrize("approach", list(APPROACH))
def test_coded_and_free_text_agree(client: Any, approach: str | None, method: str | None) -> None:
    code, words = APPROACH[approach]
    value, phrase = METHOD[method]
    coded: list[dict[str, Any]] = [
        {
            "name": "codeableConcept",
            "valueCodeableConcept": {
                "coding": [
                    {"system": PROC, "code": code},
                    {"system": FACET, "code": "liver-metastasis"},
                ]
            },
        }
    ]
    if value:
        coded.append(
            {
                "name": "dependency",
                "part": [
                    {"name": "element", "valueUri": IMAGE_ELEMENT},
                    {
                        "name": "concept",
                        "valueCodeableConcept": {"coding": [{"system": IMAGE, "code": value}]},
                    },
                ],
            }
        )
    text = [{"name": "codeableConcept", "valueCodeableConcept": {"text": words + phrase}}]
    answers = [
        client.post(URL, json={"resourceType": "Parameters", "parameter": p}) for p in (coded, text)
    ]
    assert [r.status_code for r in answers] == [200, 200]
    by_codes, by_text = (_codes(r.json()) for r in answers)
    assert by_codes == by_text
    asserted, candidates = by_codes
    if approach is None:
        assert len(candidates) == 3
        # a stated method is certain whichever approach is chosen, so it is asserted on its own
        y53 = {"ct": ["Y53.3"], "ultrasound": ["Y53.2"], "unspecified": ["Y53.9"]}
        assert asserted == [*y53.get(value or "", []), "C78.7"]
    else:
        assert candidates == []
