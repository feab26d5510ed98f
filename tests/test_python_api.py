"""The typed Python API: same answers as HTTP, plain results, errors as FhirError."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import plugin
from plugin import Code, FhirError, Terminology
from plugin.api.app import create_app
from plugin.config import CANONICAL_BASE

OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
ICD10UK = "http://hl7.org/fhir/sid/icd-10-uk"
PROCEDURE = f"{CANONICAL_BASE}/CodeSystem/mwa-liver-procedure"
IMAGE = f"{CANONICAL_BASE}/CodeSystem/image-control"
IMAGE_ELEMENT = f"{CANONICAL_BASE}/property/image-control"


def test_public_names() -> None:
    for name in plugin.__all__:
        assert getattr(plugin, name) is not None
    with pytest.raises(AttributeError):
        _ = plugin.no_such_name


@pytest.mark.parametrize(
    ("code", "method", "codes", "equivalence"),
    [
        ("mwa-liver-open", None, [["J03.2", "Y13.7"]], ["wider"]),
        ("mwa-liver-open", "ultrasound", [["J03.2", "Y13.7", "Y53.2"]], ["wider"]),
        ("mwa-liver-percutaneous", "unspecified", [["J12.7", "Y53.9"]], ["wider"]),
        ("mwa-liver-laparoscopic", "mri", [["J08.3", "Y53.7"]], ["wider"]),
        (
            "mwa-liver",
            None,
            [["J03.2", "Y13.7"], ["J12.7"], ["J08.3"]],
            ["narrower", "narrower", "narrower"],
        ),
    ],
)
def test_translate_coded_input(
    code: str, method: str | None, codes: list[list[str]], equivalence: list[str]
) -> None:
    deps = {IMAGE_ELEMENT: Code(IMAGE, method)} if method else None
    answer = plugin.translate(PROCEDURE, code, dependencies=deps)
    assert answer.result is True
    assert [[c.code for c in m.codes] for m in answer.matches] == codes
    assert [m.equivalence for m in answer.matches] == equivalence
    first = answer.matches[0]
    assert first.target is not None and first.target.system == OPCS4
    assert first.target.version == "4.6"
    assert first.origin_map == f"{CANONICAL_BASE}/ConceptMap/ipg406-coding|0.1.0"
    assert first.source == Code(PROCEDURE, code)
    if method:
        assert first.conditions == (f"{IMAGE_ELEMENT} = {IMAGE}|{method}",)


@pytest.mark.parametrize("form", ["J12.7", "J127"])
def test_translate_reverse(form: str) -> None:
    answer = plugin.translate(OPCS4, form, reverse=True)
    assert [(m.equivalence, m.target.code if m.target else None) for m in answer.matches] == [
        ("narrower", "mwa-liver-percutaneous"),  # most specific first
        ("wider", "mwa-liver"),
    ]


def test_translate_no_match_is_a_result() -> None:
    answer = plugin.translate(OPCS4, "J12.7", target_system=ICD10UK)
    assert answer.result is False
    assert answer.matches == ()
    assert answer.message


def test_translate_bad_input_raises_fhir_error() -> None:
    with pytest.raises(FhirError) as err:
        plugin.translate("", "mwa-liver-open")  # a code means nothing without its system
    assert err.value.http_status == 400


def test_translate_equals_http() -> None:
    client = TestClient(create_app(plugin.python_api.default().store))
    http = client.get(
        "/r4/ConceptMap/$translate", params={"system": PROCEDURE, "code": "mwa-liver"}
    )
    http_codes = [
        q["valueCoding"]["code"]
        for p in http.json()["parameter"]
        if p["name"] == "match"
        for q in p["part"]
        if q["name"] == "concept"
    ]
    api = plugin.translate(PROCEDURE, "mwa-liver")
    assert [m.target.code for m in api.matches if m.target] == http_codes


@pytest.mark.parametrize(
    ("filter_", "count", "total", "codes"),
    [
        (None, None, 4, ["J03.2", "Y13.7", "J12.7", "J08.3"]),
        ("laparoscope", None, 1, ["J08.3"]),
        (None, 2, 4, ["J03.2", "Y13.7"]),
    ],
)
def test_expand(filter_: str | None, count: int | None, total: int, codes: list[str]) -> None:
    out = plugin.expand(
        f"{CANONICAL_BASE}/ValueSet/ipg406-opcs4-procedures", filter=filter_, count=count
    )
    assert out.total == total
    assert [c.code for c in out.codes] == codes
    assert out.url == f"{CANONICAL_BASE}/ValueSet/ipg406-opcs4-procedures"


def test_expand_unknown_value_set_raises() -> None:
    with pytest.raises(FhirError) as err:
        plugin.expand(f"{CANONICAL_BASE}/ValueSet/nothing")
    assert err.value.http_status == 404


@pytest.mark.parametrize(
    ("system", "code", "display", "value_set", "result"),
    [
        (OPCS4, "J12.7", None, None, True),
        (OPCS4, "J127", "Percutaneous microwave ablation of lesion of liver", None, True),
        (OPCS4, "J12.7", "Wrong words", None, False),
        (OPCS4, "Y53.1", None, f"{CANONICAL_BASE}/ValueSet/ipg406-icd10-diagnosis", False),
        (ICD10UK, "C78.7", None, f"{CANONICAL_BASE}/ValueSet/ipg406-icd10-diagnosis", True),
        (OPCS4, "Y53.1", None, f"{CANONICAL_BASE}/ValueSet/ipg406-opcs4-procedures", False),
    ],
)
def test_validate_code(
    system: str, code: str, display: str | None, value_set: str | None, result: bool
) -> None:
    out = plugin.validate_code(system, code, display=display, value_set=value_set)
    assert out.result is result
    assert (out.message is None) is result


def test_lookup() -> None:
    out = plugin.lookup(OPCS4, "Y53.3")
    assert out.display == "Approach to organ under computed tomography scan control"
    assert out.version == "4.6"
    parents = [p for p in out.properties if p.code == "parent"]
    assert [(p.value, p.description) for p in parents] == [
        ("Y53", "Approach to organ under image control")
    ]
    only = plugin.lookup(OPCS4, "Y53", properties=["child"])
    assert {p.code for p in only.properties} == {"child"}
    assert len(only.properties) == 9


def test_lookup_designations() -> None:
    out = plugin.lookup(f"{CANONICAL_BASE}/CodeSystem/procedure-facet", "microwave-ablation")
    assert out.designations
    assert all(lang in (None, "en") and value for lang, value in out.designations)


def test_lookup_unknown_raises_not_found() -> None:
    with pytest.raises(FhirError) as err:
        plugin.lookup(OPCS4, "J99.9")
    assert err.value.http_status == 404


def test_terminology_over_other_content(tmp_path: Path) -> None:
    (tmp_path / "cs.json").write_text(
        '{"resourceType":"CodeSystem","url":"http://example.org/fhir/CodeSystem/t",'
        '"status":"active","content":"complete","concept":[{"code":"a","display":"A"}]}'
    )
    service = Terminology.from_content([tmp_path], packs=False)
    assert service.lookup("http://example.org/fhir/CodeSystem/t", "a").display == "A"
    with pytest.raises(FhirError):
        service.lookup(OPCS4, "J12.7")  # the built-in packs were left out


def test_expand_is_flat_and_versioned() -> None:
    # The procedures CodeSystem is a hierarchy: the expansion nests, the API lists every code.
    out = plugin.expand(f"{CANONICAL_BASE}/ValueSet/ipg406-procedures")
    assert [c.code for c in out.codes] == [
        "mwa-liver",
        "mwa-liver-open",
        "mwa-liver-percutaneous",
        "mwa-liver-laparoscopic",
    ]
    assert {c.version for c in out.codes} == {"0.1.0"}
