"""Compiled packs served beside the built-in content: coded and free-text $translate, reverse,
$lookup, $validate-code, $expand; several packs side by side, each map found by url or system."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugin.api.app import create_app
from plugin.compile.pack import compile_pages, write_pack
from plugin.content.loader import build_store
from tests.compile.conftest import SECTIONS
from tests.helpers import matches, params, result, value

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BASE = "https://w3id.org/nice-tx/fhir"
OPCS = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
RFA = "Radiofrequency ablation for the treatment of colorectal liver metastases"


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("packs")
    rfa = compile_pages([SECTIONS / "ipg327-restated.txt"], title=RFA)
    others = compile_pages([SECTIONS / f"ipg90{i}.txt" for i in (3, 4)])
    write_pack(rfa, out / "rfa")
    write_pack(others, out / "others")
    # ipg902 names J12.4 too: its vocabulary (from the code title) is the RFA guidance's
    write_pack(compile_pages([SECTIONS / "ipg902.txt"]), out / "same-vocabulary")
    return out


@pytest.fixture(scope="module")
def client(packs: Path) -> Iterator[TestClient]:
    store, report = build_store([packs / "rfa", packs / "others"])
    assert not report.refused  # the rules folders are skipped, not refused
    with TestClient(create_app(store)) as c:
        yield c


def _translate(client: TestClient, base: str, **q: str) -> dict[str, Any]:
    r = client.get(f"/{base}/ConceptMap/$translate", params=q)
    assert r.status_code == 200, r.text
    return r.json()


def _text(client: TestClient, base: str, text: str) -> dict[str, Any]:
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": "codeableConcept", "valueCodeableConcept": {"text": text}}],
    }
    r = client.post(f"/{base}/ConceptMap/$translate", json=body)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("base", ["r4", "r5"])
@pytest.mark.parametrize("by", ["url", "system"])
def test_each_map_found_by_url_or_source_system(client: TestClient, base: str, by: str) -> None:
    q = {"system": f"{BASE}/CodeSystem/ipg903-procedure", "code": "ipg903-stage-1"}
    if by == "url":
        q["url"] = f"{BASE}/ConceptMap/ipg903-coding"
    body = _translate(client, base, **q)
    (m,) = matches(body)
    assert m["code"] == "A70.4"
    assert [p["code"] for p in m["products"]] == ["Y70.5", "Z92.1"]
    assert m["origin"] == f"{BASE}/ConceptMap/ipg903-coding|0.1.0"


def test_conditional_companion_with_its_dependency(client: TestClient) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "system", "valueUri": f"{BASE}/CodeSystem/ipg903-procedure"},
            {"name": "code", "valueCode": "ipg903-stage-2"},
            {
                "name": "dependency",
                "part": [
                    {"name": "element", "valueUri": f"{BASE}/property/applies"},
                    {
                        "name": "concept",
                        "valueCodeableConcept": {"coding": [{"system": OPCS, "code": "Y11.4"}]},
                    },
                ],
            },
        ],
    }
    r = client.post("/r4/ConceptMap/$translate", json=body)
    (m,) = matches(r.json())
    # the companion comes after the codes stated unconditionally
    assert [p["code"] for p in m["products"]] == ["Z92.1", "Y11.4"]


def test_reverse_finds_the_compiled_procedure(client: TestClient) -> None:
    body = _translate(client, "r4", system=OPCS, code="J12.4", reverse="true")
    found = {(m["code"], m["equivalence"]) for m in matches(body)}
    assert ("ipg327-main", "narrower") in found
    assert all(eq != "equivalent" for _, eq in found)


@pytest.mark.parametrize(
    ("code", "display"),
    [
        ("J12.4", "Percutaneous radiofrequency ablation of lesion of liver"),  # compiled 4.6
        ("J12.7", "Percutaneous microwave ablation of lesion of liver"),  # built-in 4.6, kept
    ],
)
def test_lookup_in_merged_fragments(client: TestClient, code: str, display: str) -> None:
    r = client.get("/r4/CodeSystem/$lookup", params={"system": OPCS, "code": code})
    assert r.status_code == 200
    assert value(params(r.json(), "display")[0]) == display


@pytest.mark.parametrize(("code", "ok"), [("J12.4", True), ("J12.7", False)])
def test_validate_code_against_compiled_valueset(client: TestClient, code: str, ok: bool) -> None:
    r = client.get(
        "/r4/ValueSet/$validate-code",
        params={"url": f"{BASE}/ValueSet/ipg327-opcs4", "system": OPCS, "code": code},
    )
    assert result(r.json()) is ok


def test_expand_compiled_procedures(client: TestClient) -> None:
    r = client.get("/r4/ValueSet/$expand", params={"url": f"{BASE}/ValueSet/ipg903-procedures"})

    def flat(cs: list[dict[str, Any]]) -> list[str]:  # the expansion nests the hierarchy
        return [x for c in cs for x in [c["code"], *flat(c.get("contains", []))]]

    codes = flat(r.json()["expansion"]["contains"])
    assert codes == ["ipg903", "ipg903-stage-1", "ipg903-stage-2"]


@pytest.mark.parametrize("base", ["r4", "r5"])
def test_free_text_reaches_the_compiled_rfa_guidance(client: TestClient, base: str) -> None:
    body = _text(client, base, "percutaneous radiofrequency ablation of a liver metastasis")
    assert result(body)
    got = {(m["code"], m["origin"].split("/")[-1].split("|")[0]) for m in matches(body)}
    assert ("J12.4", "ipg327-coding") in got
    rfa = next(m for m in matches(body) if m["code"] == "J12.4")
    assert rfa["products"] == []  # no image control stated
    body = _text(client, base, "percutaneous RFA of a liver metastasis under ultrasound")
    rfa = next(m for m in matches(body) if m["code"] == "J12.4")
    assert [p["code"] for p in rfa["products"]] == ["Y53.2"]
    # C18.- is a candidate only: nothing in the description states a colon primary
    c18 = [m for m in matches(body) if m["code"] == "C18"]
    assert c18 and all(
        m["equivalence"] in ("narrower", "source-is-broader-than-target") for m in c18
    )


def test_microwave_still_reaches_ipg406(client: TestClient) -> None:
    body = _text(client, "r4", "percutaneous microwave ablation of a liver metastasis under CT")
    m = next(m for m in matches(body) if m["system"] == OPCS)
    assert (m["code"], [p["code"] for p in m["products"]]) == ("J12.7", ["Y53.3"])
    assert m["origin"].startswith(f"{BASE}/ConceptMap/ipg406-coding")


def test_two_guidances_read_alike_assert_nothing(packs: Path) -> None:
    store, _ = build_store([packs / "rfa", packs / "same-vocabulary"])
    with TestClient(create_app(store)) as c:
        body = _text(c, "r4", "percutaneous radiofrequency ablation of a liver metastasis")
    assert not any(m["system"] == OPCS for m in matches(body))
    assert "conflicting" in value(params(body, "message")[0]) or not result(body)


@pytest.mark.parametrize("base", ["r4", "r5"])
def test_the_capability_statement_names_each_compiled_pack(client: TestClient, base: str) -> None:
    described = client.get(f"/{base}/metadata").json()["implementation"]["description"]
    named = described.removeprefix("FHIR terminology service for ").split("; ")
    assert named[1:] == [
        "NICE IPG327 coding rules (compiled)",
        "NICE IPG903 and IPG904 coding rules (compiled)",
    ]
