"""Checks on the FHIR R4 content files (codesystems/, valuesets/, conceptmaps/).

The expected OPCS-4 / ICD-10 tables below restate the published titles (OPCS-4.6 and ICD-10 5th
edition, NHS England; see the `copyright` of codesystems/opcs-4.json and icd-10-uk.json) apart
from the content files, so that an edited title in a content file is caught.

Each structural rule is a `problems_*` function returning a list of human-readable problems; the
content tests assert the list is empty, and the self-tests at the end feed deliberately broken
copies of the content to the same functions to show that they do fail.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.conceptmap import ConceptMap
from fhir.resources.R4B.valueset import ValueSet

ROOT = Path(__file__).resolve().parents[2]
CONTENT_DIRS = ("codesystems", "valuesets", "conceptmaps")

BASE = "https://w3id.org/nice-tx/fhir"
OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
ICD10_UK = "http://hl7.org/fhir/sid/icd-10-uk"
SNOMED = "http://snomed.info/sct"
DESIGNATION_USE = f"{BASE}/CodeSystem/designation-use"
MWA_PROCEDURE = f"{BASE}/CodeSystem/mwa-liver-procedure"
IMAGE_CONTROL = f"{BASE}/CodeSystem/image-control"
PROCEDURE_FACET = f"{BASE}/CodeSystem/procedure-facet"
PROP_IMAGE_CONTROL = f"{BASE}/property/image-control"
PROP_ADDITIONAL_CODE = f"{BASE}/property/additional-code"
COMPANION_GROUP = f"{BASE}/StructureDefinition/companion-group"

MODELS: dict[str, Any] = {
    "CodeSystem": CodeSystem,
    "ValueSet": ValueSet,
    "ConceptMap": ConceptMap,
}

EXPECTED_FILES = {
    "codesystems/opcs-4.json",
    "codesystems/icd-10-uk.json",
    "codesystems/designation-use.json",
    "codesystems/mwa-liver-procedure.json",
    "codesystems/image-control.json",
    "codesystems/procedure-facet.json",
    "valuesets/ipg406-opcs4-procedures.json",
    "valuesets/ipg406-opcs4-image-control.json",
    "valuesets/ipg406-icd10-diagnosis.json",
    "valuesets/ipg406-procedures.json",
    "valuesets/ipg406-image-control-methods.json",
    "conceptmaps/ipg406-coding.json",
}

# Fragments of external code systems: canonical url is theirs, so id is not the url's last
# segment and version is the code system's edition.
EXTERNAL_FRAGMENTS = {
    "opcs-4-fragment": (OPCS4, "4.6"),
    "icd-10-uk-fragment": (ICD10_UK, "5.0"),
}

# The OPCS-4.6 titles of the codes the guidance uses (NHS England, Crown copyright).
OPCS4_TITLES = {
    "J03": "Extirpation of lesion of liver",
    "J03.2": "Destruction of lesion of liver NEC",
    "J08": "Therapeutic endoscopic operations on liver using laparoscope",
    "J08.3": "Endoscopic microwave ablation of lesion of liver using laparoscope",
    "J12": "Other therapeutic percutaneous operations on liver",
    "J12.7": "Percutaneous microwave ablation of lesion of liver",
    "Y13": "Other destruction of lesion of organ NOC",
    "Y13.7": "Microwave destruction of lesion of organ NOC",
    "Y53": "Approach to organ under image control",
    "Y53.1": "Approach to organ under radiological control",
    "Y53.2": "Approach to organ under ultrasonic control",
    "Y53.3": "Approach to organ under computed tomography scan control",
    "Y53.4": "Approach to organ under fluoroscopic control",
    "Y53.5": "Approach to organ under image intensifier",
    "Y53.6": "Approach to organ under video control",
    "Y53.7": "Approach to organ under magnetic resonance imaging control",
    "Y53.8": "Other specified approach to organ under image control",
    "Y53.9": "Unspecified approach to organ under image control",
}
ICD10_UK_TITLES = {
    "C78": "Secondary malignant neoplasm of respiratory and digestive organs",
    "C78.7": "Secondary malignant neoplasm of liver and intrahepatic bile duct",
}

# image-control method -> Y53 code (content-model.md); `none` has no code.
METHOD_Y53 = {
    "radiological": "Y53.1",
    "ultrasound": "Y53.2",
    "ct": "Y53.3",
    "fluoroscopy": "Y53.4",
    "image-intensifier": "Y53.5",
    "video": "Y53.6",
    "mri": "Y53.7",
    "other": "Y53.8",
    "unspecified": "Y53.9",
}
NO_IMAGE_CONTROL = "none"

# approach concept -> (main OPCS-4 code, companion codes before any Y53, in coding order).
APPROACH_CODING = {
    "mwa-liver-open": ("J03.2", ["Y13.7"]),
    "mwa-liver-percutaneous": ("J12.7", []),
    "mwa-liver-laparoscopic": ("J08.3", []),
}
NOT_STATED = "mwa-liver"

FACETS = {"technique", "site", "lesion", "approach", "procedure"}
IN_SCOPE_VALUES = {
    "microwave-ablation",
    "liver",
    "open",
    "percutaneous",
    "laparoscopic",
    "liver-metastasis",
    "primary-liver-cancer",
    "liver-lesion",
}
LESION_VALUES = {"liver-metastasis", "primary-liver-cancer", "liver-lesion"}

# Terms the recogniser must find (a floor, not the full list): (code system, code) -> terms.
REQUIRED_TERMS = {
    (PROCEDURE_FACET, "microwave-ablation"): ["microwave ablation", "microwave", "MWA"],
    (PROCEDURE_FACET, "radiofrequency-ablation"): ["radiofrequency ablation", "RFA"],
    (PROCEDURE_FACET, "cryoablation"): ["cryoablation", "cryotherapy"],
    (PROCEDURE_FACET, "irreversible-electroporation"): ["IRE"],
    (PROCEDURE_FACET, "chemoembolisation"): ["chemoembolisation", "TACE"],
    (PROCEDURE_FACET, "radioembolisation"): ["SIRT"],
    (PROCEDURE_FACET, "liver"): ["liver", "hepatic"],
    (PROCEDURE_FACET, "kidney"): ["kidney", "renal"],
    (PROCEDURE_FACET, "lung"): ["lung"],
    (PROCEDURE_FACET, "liver-metastasis"): ["metastasis", "metastases", "mets", "secondary"],
    (PROCEDURE_FACET, "primary-liver-cancer"): ["hepatocellular carcinoma", "HCC"],
    (PROCEDURE_FACET, "liver-lesion"): ["lesion", "tumour"],
    (PROCEDURE_FACET, "open"): ["open", "laparotomy"],
    (PROCEDURE_FACET, "percutaneous"): ["percutaneous"],
    (PROCEDURE_FACET, "laparoscopic"): ["laparoscopic"],
    (PROCEDURE_FACET, "resection"): ["resection"],
    (IMAGE_CONTROL, "ultrasound"): ["ultrasound", "US", "intraoperative ultrasound"],
    (IMAGE_CONTROL, "ct"): ["CT", "computed tomography"],
    (IMAGE_CONTROL, "mri"): ["MRI", "magnetic resonance"],
    (IMAGE_CONTROL, "fluoroscopy"): ["fluoroscopy"],
    (IMAGE_CONTROL, "unspecified"): ["image guided", "image guidance", "imaging guidance"],
}

PUBLICATION_STATUS = {"draft", "active", "retired", "unknown"}
R4_EQUIVALENCE = {
    "relatedto",
    "equivalent",
    "equal",
    "wider",
    "subsumes",
    "narrower",
    "specializes",
    "inexact",
    "unmatched",
    "disjoint",
}
ABBREVIATION_RE = re.compile(r"^[A-Z][A-Z0-9]{1,5}$")
PROPERTY_VALUE_KEY = {
    "code": "valueCode",
    "Coding": "valueCoding",
    "string": "valueString",
    "integer": "valueInteger",
    "boolean": "valueBoolean",
    "dateTime": "valueDateTime",
    "decimal": "valueDecimal",
}


# ------------------------------------------------------------------------------------ loading


def content_files() -> list[Path]:
    return sorted(p for d in CONTENT_DIRS for p in (ROOT / d).glob("*.json"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@cache
def _load(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load(path: Path) -> dict[str, Any]:
    """A fresh copy of a file's JSON (callers may mutate it)."""
    data: dict[str, Any] = json.loads(_load(path))
    return data


def resources_of(kind: str) -> list[dict[str, Any]]:
    return [r for r in (load(p) for p in content_files()) if r.get("resourceType") == kind]


def code_systems() -> dict[str, dict[str, Any]]:
    return {cs["url"]: cs for cs in resources_of("CodeSystem")}


def value_sets() -> dict[str, dict[str, Any]]:
    return {vs["url"]: vs for vs in resources_of("ValueSet")}


def conceptmap() -> dict[str, Any]:
    return load(ROOT / "conceptmaps/ipg406-coding.json")


def is_ours(resource: dict[str, Any]) -> bool:
    return resource.get("id") not in EXTERNAL_FRAGMENTS


def walk(
    concepts: list[dict[str, Any]], parent: str | None = None
) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Every concept of a (nested) concept list, with its parent code."""
    for c in concepts:
        yield c, parent
        yield from walk(c.get("concept", []), c["code"])


def concept_index(cs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c, _ in walk(cs.get("concept", []))}


def parents(cs: dict[str, Any]) -> dict[str, str | None]:
    return {c["code"]: p for c, p in walk(cs.get("concept", []))}


FILES = content_files()
FILE_IDS = [rel(p) for p in FILES]


def by_file(paths: list[Path]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("path", paths, ids=[rel(p) for p in paths])


CS_FILES = [p for p in FILES if p.parent.name == "codesystems"]
VS_FILES = [p for p in FILES if p.parent.name == "valuesets"]


# ------------------------------------------------------------------------- problem checkers


def problems_metadata(r: dict[str, Any]) -> list[str]:
    out = []
    for key in ("id", "url", "version", "name", "title", "status", "date", "publisher"):
        if not isinstance(r.get(key), str) or not r[key].strip():
            out.append(f"missing or empty {key}")
    if not isinstance(r.get("description"), str) or not r["description"].strip():
        out.append("missing or empty description")
    if r.get("status") not in PUBLICATION_STATUS:
        out.append(f"status {r.get('status')!r} is not a publication status")
    if not re.fullmatch(r"[A-Z][A-Za-z0-9_]{0,254}", r.get("name", "")):
        out.append(f"name {r.get('name')!r} is not PascalCase / computer-friendly")
    if r.get("experimental") is not False:
        out.append("experimental must be false")
    if r.get("status") != "active":
        out.append("status must be active")
    if r.get("date") != "2026-11-24":
        out.append("date must be 2026-11-24")
    if r.get("publisher") != "nice-tx project":
        out.append("publisher must be 'nice-tx project'")
    desc = r.get("description") or ""
    for needle in ("IPG406", "Microwave ablation for the treatment of liver metastases"):
        if needle not in desc:
            out.append(f"description does not mention {needle!r}")
    for needle in ("https://www.nice.org.uk/guidance/ipg406", "OPCS-4.6"):
        if needle not in desc:
            out.append(f"description does not mention {needle!r}")
    return out


def problems_identity(r: dict[str, Any]) -> list[str]:
    out = []
    rid, url = r.get("id", ""), r.get("url", "")
    if rid in EXTERNAL_FRAGMENTS:
        exp_url, exp_version = EXTERNAL_FRAGMENTS[rid]
        if url != exp_url:
            out.append(f"fragment {rid} url {url!r} != {exp_url!r}")
        if r.get("version") != exp_version:
            out.append(f"fragment {rid} version {r.get('version')!r} != {exp_version!r}")
        if r.get("content") != "fragment":
            out.append(f"fragment {rid} content must be 'fragment'")
        if not r.get("copyright"):
            out.append(f"fragment {rid} needs a copyright note")
        return out
    if not url.startswith(BASE + "/"):
        out.append(f"url {url!r} is not under {BASE}")
    if url.rsplit("/", 1)[-1] != rid:
        out.append(f"id {rid!r} != last url segment of {url!r}")
    if url != f"{BASE}/{r.get('resourceType')}/{rid}":
        out.append(f"url {url!r} is not {BASE}/{r.get('resourceType')}/{rid}")
    if r.get("version") != "0.1.0":
        out.append(f"version {r.get('version')!r} != '0.1.0'")
    return out


def problems_code_table(cs: dict[str, Any], expected: dict[str, str]) -> list[str]:
    out = []
    found = {c["code"]: c.get("display") for c, _ in walk(cs.get("concept", []))}
    for code, title in expected.items():
        if code not in found:
            out.append(f"{code} missing")
        elif found[code] != title:
            out.append(f"{code} title {found[code]!r} != {title!r}")
    out += [f"unexpected code {code}" for code in found.keys() - expected.keys()]
    for code, parent in parents(cs).items():
        want = code.split(".")[0] if "." in code else None
        if parent != want:
            out.append(f"{code} has parent {parent!r}, expected {want!r}")
    if cs.get("count") is not None and cs["count"] != len(found):
        out.append(f"count {cs['count']} != {len(found)} concepts")
    return out


def problems_properties(cs: dict[str, Any]) -> list[str]:
    """Every concept property is declared and carries a value of the declared type."""
    out = []
    declared = {p["code"]: p["type"] for p in cs.get("property", [])}
    for c, _ in walk(cs.get("concept", [])):
        for prop in c.get("property", []):
            if prop["code"] not in declared:
                out.append(f"{c['code']}: property {prop['code']} not declared")
                continue
            key = PROPERTY_VALUE_KEY[declared[prop["code"]]]
            if key not in prop:
                out.append(f"{c['code']}: property {prop['code']} lacks {key}")
    return out


def designations(cs: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for c, _ in walk(cs.get("concept", [])):
        for d in c.get("designation", []):
            yield c["code"], d


def problems_designations(cs: dict[str, Any], use_codes: set[str]) -> list[str]:
    out = []
    seen: dict[str, str] = {}
    for code, d in designations(cs):
        value = d.get("value", "")
        use = d.get("use") or {}
        where = f"{code}: {value!r}"
        if use.get("system") != DESIGNATION_USE or use.get("code") not in use_codes:
            out.append(f"{where} use {use!r} not from {DESIGNATION_USE}")
        if d.get("language") != "en":
            out.append(f"{where} language is not 'en'")
        if value != value.strip() or "  " in value or not value:
            out.append(f"{where} has stray whitespace")
        is_abbrev = bool(ABBREVIATION_RE.match(value))
        if use.get("code") == "abbreviation" and not is_abbrev:
            out.append(f"{where} marked abbreviation but is not a short uppercase token")
        if use.get("code") == "synonym" and is_abbrev:
            out.append(f"{where} is a short uppercase token: use must be abbreviation")
        key = value.casefold()
        if key in seen and seen[key] != code:
            out.append(f"{where} also a designation of {seen[key]}")
        if key in seen and seen[key] == code:
            out.append(f"{where} duplicated")
        seen[key] = code
    return out


def expand(vs: dict[str, Any], systems: dict[str, dict[str, Any]]) -> tuple[list[str], set[str]]:
    """(problems, codes) for a ValueSet compose over the local code system files."""
    out: list[str] = []
    codes: set[str] = set()
    for inc in vs.get("compose", {}).get("include", []):
        cs = systems.get(inc.get("system", ""))
        if cs is None:
            out.append(f"include system {inc.get('system')!r} has no CodeSystem file")
            continue
        if "version" in inc and inc["version"] != cs.get("version"):
            out.append(f"include version {inc['version']!r} != CodeSystem {cs.get('version')!r}")
        index = concept_index(cs)
        ups = parents(cs)
        if "concept" in inc:
            for c in inc["concept"]:
                if c["code"] not in index:
                    out.append(f"{c['code']} not in {cs['url']}")
                elif "display" in c and c["display"] != index[c["code"]].get("display"):
                    out.append(f"{c['code']} display {c['display']!r} differs from CodeSystem")
                codes.add(c["code"])
        elif "filter" in inc:
            for f in inc["filter"]:
                if f.get("property") != "concept" or f.get("op") != "descendent-of":
                    out.append(f"unsupported filter {f!r}")
                    continue
                if f["value"] not in index:
                    out.append(f"filter value {f['value']} not in {cs['url']}")
                for code in index:
                    anc = ups.get(code)
                    while anc is not None:
                        if anc == f["value"]:
                            codes.add(code)
                            break
                        anc = ups.get(anc)
        else:
            codes |= set(index)
    return out, codes


def problems_conceptmap_integrity(
    cm: dict[str, Any], systems: dict[str, dict[str, Any]], vsets: dict[str, dict[str, Any]]
) -> list[str]:
    out = []
    for key in ("sourceCanonical", "targetCanonical"):
        if cm.get(key) not in vsets:
            out.append(f"{key} {cm.get(key)!r} is not one of our ValueSets")

    def check(system: str | None, code: str, display: str | None, what: str) -> None:
        cs = systems.get(system or "")
        if cs is None:
            out.append(f"{what} {code}: no CodeSystem file for {system!r}")
            return
        index = concept_index(cs)
        if code not in index:
            out.append(f"{what} {code} not in {system}")
        elif display is not None and display != index[code].get("display"):
            out.append(f"{what} {code} display {display!r} != {index[code].get('display')!r}")

    for g in cm.get("group", []):
        src, tgt = g.get("source"), g.get("target")
        for key, system in (("sourceVersion", src), ("targetVersion", tgt)):
            if key in g and system in systems and g[key] != systems[system].get("version"):
                out.append(f"group {src}: {key} {g[key]!r} != CodeSystem version")
        for el in g.get("element", []):
            if src != SNOMED:  # SNOMED CT is external; checked by content test instead
                check(src, el["code"], el.get("display"), "source")
            for t in el.get("target", []):
                check(tgt, t["code"], t.get("display"), "target")
                if t.get("equivalence") not in R4_EQUIVALENCE:
                    out.append(f"{el['code']}: equivalence {t.get('equivalence')!r} not R4")
                for dep in t.get("dependsOn", []):
                    check(dep.get("system"), dep["value"], dep.get("display"), "dependsOn")
                for prod in t.get("product", []):
                    check(prod.get("system"), prod["value"], prod.get("display"), "product")
    return out


def group1(cm: dict[str, Any]) -> dict[str, Any]:
    return next(g for g in cm["group"] if g.get("source") == MWA_PROCEDURE)


def problems_no_reverse_equivalent(cm: dict[str, Any]) -> list[str]:
    return [
        f"{el['code']} -> {t['code']} is {t['equivalence']!r}"
        for el in group1(cm)["element"]
        for t in el["target"]
        if t.get("equivalence") in {"equivalent", "equal"}
    ]


def problems_open_y13_7_first(cm: dict[str, Any]) -> list[str]:
    out = []
    for el in group1(cm)["element"]:
        for t in el["target"]:
            values = [p["value"] for p in t.get("product", [])]
            if t["code"] == "J03.2" and (not values or values[0] != "Y13.7"):
                out.append(f"{el['code']} -> J03.2 products {values}: Y13.7 must come first")
            if t["code"] != "J03.2" and "Y13.7" in values:
                out.append(f"{el['code']} -> {t['code']} must not carry Y13.7")
    return out


def companion_group(cm: dict[str, Any]) -> dict[str, Any]:
    return next(g for g in cm["group"] if g.get("source") == IMAGE_CONTROL)


def problems_image_control(cm: dict[str, Any]) -> list[str]:
    """Group 1: one unconditional target per main code, no `dependsOn` (an engine that ignores
    it must not read a conditional target as an alternative); the image-control group: marked as
    a companion group, one Y53 code per method, `none` not mapped."""
    out = []
    elements = {el["code"]: el for el in group1(cm)["element"]}
    expected_elements = {NOT_STATED, *APPROACH_CODING}
    if set(elements) != expected_elements:
        out.append(f"group 1 elements {sorted(elements)} != {sorted(expected_elements)}")
    for code, el in elements.items():
        if code == NOT_STATED:
            wanted = dict(APPROACH_CODING.values())
            equivalence = "narrower"
        else:
            main, companions = APPROACH_CODING.get(code, ("?", []))
            wanted = {main: companions}
            equivalence = "wider"
        got_codes = [t["code"] for t in el["target"]]
        if got_codes != list(wanted):
            out.append(f"{code}: target codes {got_codes} != {list(wanted)}")
        for t in el["target"]:
            if t.get("dependsOn"):
                out.append(f"{code} -> {t['code']}: a conditional target (dependsOn)")
            if t.get("equivalence") != equivalence:
                out.append(f"{code} -> {t['code']}: equivalence {t.get('equivalence')!r}")
            got = [p["value"] for p in t.get("product", [])]
            if got != wanted.get(t["code"], got):
                out.append(f"{code} -> {t['code']} products {got} != {wanted[t['code']]}")
            for p in t.get("product", []):
                if p.get("property") != PROP_ADDITIONAL_CODE or p.get("system") != OPCS4:
                    out.append(f"{code} -> {t['code']}: product {p!r} property/system")
    g = companion_group(cm)
    marks = [e for e in g.get("extension", []) if e.get("url") == COMPANION_GROUP]
    parts = {e["url"]: e.get("valueUri") for m in marks for e in m.get("extension", [])}
    if parts != {"dependency": PROP_IMAGE_CONTROL, "product": PROP_ADDITIONAL_CODE}:
        out.append(f"image-control group mark {parts}")
    if (g.get("target"), g.get("targetVersion")) != (OPCS4, "4.6"):
        out.append(f"image-control group target {g.get('target')}|{g.get('targetVersion')}")
    by_method = {
        el["code"]: [
            (t["code"], t.get("equivalence"), bool(t.get("dependsOn"))) for t in el["target"]
        ]
        for el in g["element"]
    }
    want = {m: [(y53, "wider", False)] for m, y53 in METHOD_Y53.items()}
    if by_method != want:
        out.append(f"image-control group {by_method} != {want}")
    return out


# ----------------------------------------------------------------------------- file-level


def test_expected_files_present() -> None:
    missing = EXPECTED_FILES - set(FILE_IDS)
    assert not missing, f"missing content files: {sorted(missing)}"


@by_file(FILES)
def test_canonical_json_layout(path: Path) -> None:
    text = _load(path)
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@by_file(FILES)
def test_parses_with_fhir_resources(path: Path) -> None:
    data = load(path)
    assert data.get("resourceType") in MODELS, data.get("resourceType")
    MODELS[data["resourceType"]].model_validate(data)


@by_file(FILES)
def test_keys_in_fhir_element_order_and_nothing_lost(path: Path) -> None:
    data = load(path)
    model = MODELS[data["resourceType"]].model_validate(data)
    canon = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    # String comparison (no sort_keys) checks key order at every level as well as content.
    assert json.dumps(data, indent=1) == json.dumps(canon, indent=1)


@by_file(FILES)
def test_metadata(path: Path) -> None:
    assert problems_metadata(load(path)) == []


@by_file(FILES)
def test_identity_and_namespace(path: Path) -> None:
    assert problems_identity(load(path)) == []


def test_ids_and_urls_unique() -> None:
    resources = [load(p) for p in FILES]
    ids = [r["id"] for r in resources]
    urls = [(r["resourceType"], r["url"]) for r in resources]
    assert len(ids) == len(set(ids))
    assert len(urls) == len(set(urls))


def test_file_names() -> None:
    for path in FILES:
        r = load(path)
        if r["resourceType"] in {"ValueSet", "ConceptMap"}:
            assert path.stem == r["id"], rel(path)


# ------------------------------------------------------------------------------ CodeSystems


def test_opcs4_fragment_matches_domain_table() -> None:
    cs = code_systems()[OPCS4]
    assert cs["id"] == "opcs-4-fragment"
    assert problems_code_table(cs, OPCS4_TITLES) == []


def test_icd10_uk_fragment_matches_domain_table() -> None:
    cs = code_systems()[ICD10_UK]
    assert cs["id"] == "icd-10-uk-fragment"
    assert problems_code_table(cs, ICD10_UK_TITLES) == []


@by_file(CS_FILES)
def test_codesystem_properties_declared(path: Path) -> None:
    assert problems_properties(load(path)) == []


@by_file(CS_FILES)
def test_codesystem_count_and_unique_codes(path: Path) -> None:
    cs = load(path)
    codes = [c["code"] for c, _ in walk(cs.get("concept", []))]
    assert len(codes) == len(set(codes))
    if "count" in cs:
        assert cs["count"] == len(codes)
    if is_ours(cs):
        assert cs.get("content") == "complete"
    for c, _ in walk(cs.get("concept", [])):
        assert c.get("display"), c["code"]


def test_designation_use_codesystem() -> None:
    cs = code_systems()[DESIGNATION_USE]
    assert set(concept_index(cs)) == {"synonym", "abbreviation"}


@by_file(CS_FILES)
def test_designations(path: Path) -> None:
    use_codes = set(concept_index(code_systems()[DESIGNATION_USE]))
    assert problems_designations(load(path), use_codes) == []


def test_designations_unique_across_code_systems() -> None:
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for url, cs in code_systems().items():
        for code, d in designations(cs):
            key = d["value"].casefold()
            if key in seen and seen[key] != (url, code):
                clashes.append((d["value"], seen[key], (url, code)))
            seen[key] = (url, code)
    assert clashes == []


def test_required_terms_present() -> None:
    systems = code_systems()
    missing = []
    for (url, code), terms in REQUIRED_TERMS.items():
        concept = concept_index(systems[url]).get(code)
        have = {d["value"] for d in (concept or {}).get("designation", [])}
        missing += [(code, t) for t in terms if t not in have]
    assert missing == []


def problems_cross_facet_terms(cs: dict[str, Any]) -> list[str]:
    """A value's designation must not contain, as whole words, a designation of another facet.

    Otherwise a longest-match recogniser would swallow e.g. the site in "liver metastasis".
    """
    facet_of = {c["code"]: p for c, p in walk(cs.get("concept", [])) if p is not None}
    terms = [(code, d["value"]) for code, d in designations(cs) if code in facet_of]
    out = []
    for code, value in terms:
        for other, inner in terms:
            if facet_of[other] == facet_of[code] or len(inner) >= len(value):
                continue
            flags = 0 if ABBREVIATION_RE.match(inner) else re.IGNORECASE
            if re.search(rf"(?<![\w-]){re.escape(inner)}(?![\w-])", value, flags):
                out.append(f"{code}: {value!r} contains {inner!r} of {other}")
    return out


def test_procedure_facet_terms_do_not_cross_facets() -> None:
    assert problems_cross_facet_terms(code_systems()[PROCEDURE_FACET]) == []


def test_procedure_facet_structure() -> None:
    cs = code_systems()[PROCEDURE_FACET]
    tops = {c["code"]: c for c in cs["concept"]}
    assert set(tops) == FACETS
    declared = {p["code"]: p for p in cs["property"]}
    assert declared["notSelectable"]["uri"] == (
        "http://hl7.org/fhir/concept-properties#notSelectable"
    )
    assert declared["in-scope"]["type"] == "boolean"
    in_scope = set()
    for facet, top in tops.items():
        props = {p["code"]: p for p in top.get("property", [])}
        assert props["notSelectable"]["valueBoolean"] is True, facet
        assert "designation" not in top, facet
        assert top.get("concept"), facet
        for value in top["concept"]:
            vprops = {p["code"]: p for p in value.get("property", [])}
            assert isinstance(vprops["in-scope"]["valueBoolean"], bool), value["code"]
            assert "notSelectable" not in vprops, value["code"]
            assert value.get("designation"), value["code"]
            assert "concept" not in value, value["code"]
            if vprops["in-scope"]["valueBoolean"]:
                in_scope.add(value["code"])
    assert in_scope == IN_SCOPE_VALUES
    assert {c["code"] for c in tops["lesion"]["concept"]} == LESION_VALUES
    assert {c["code"] for c in tops["approach"]["concept"]} == {
        "open",
        "percutaneous",
        "laparoscopic",
    }
    out_of_scope = {
        facet: [c["code"] for c in tops[facet]["concept"] if c["code"] not in IN_SCOPE_VALUES]
        for facet in ("technique", "site", "procedure")
    }
    assert all(out_of_scope.values()), out_of_scope


def test_mwa_liver_procedure_structure() -> None:
    cs = code_systems()[MWA_PROCEDURE]
    facet_cs = code_systems()[PROCEDURE_FACET]
    facet_of = {c["code"]: p for c, p in walk(facet_cs["concept"]) if p is not None}
    assert [c["code"] for c in cs["concept"]] == [NOT_STATED]
    root = cs["concept"][0]
    assert root["display"] == "Microwave ablation of lesion of liver, approach not stated"
    assert [c["code"] for c in root["concept"]] == list(APPROACH_CODING)
    declared = {p["code"]: p["type"] for p in cs["property"]}
    assert declared == {"technique": "code", "site": "code", "approach": "code"}
    for concept, parent in walk(cs["concept"]):
        props = {p["code"]: p["valueCode"] for p in concept.get("property", [])}
        assert props.get("technique") == "microwave-ablation", concept["code"]
        assert props.get("site") == "liver", concept["code"]
        for prop, value in props.items():
            assert facet_of.get(value) == prop, (concept["code"], prop, value)
        if parent is None:
            assert "approach" not in props
        else:
            assert props["approach"] == concept["code"].removeprefix("mwa-liver-")


def test_image_control_codes() -> None:
    cs = code_systems()[IMAGE_CONTROL]
    assert [c["code"] for c in cs["concept"]] == [*METHOD_Y53, NO_IMAGE_CONTROL]
    for c in cs["concept"]:
        assert c.get("designation"), c["code"]


# -------------------------------------------------------------------------------- ValueSets

EXPECTED_EXPANSIONS = {
    "ipg406-opcs4-procedures": {"J03.2", "Y13.7", "J12.7", "J08.3"},
    "ipg406-opcs4-image-control": set(METHOD_Y53.values()),
    "ipg406-icd10-diagnosis": {"C78.7"},
    "ipg406-procedures": {NOT_STATED, *APPROACH_CODING},
    "ipg406-image-control-methods": {*METHOD_Y53, NO_IMAGE_CONTROL},
}


@by_file(VS_FILES)
def test_valueset_codes_exist(path: Path) -> None:
    problems, _ = expand(load(path), code_systems())
    assert problems == []


@by_file(VS_FILES)
def test_valueset_expansion(path: Path) -> None:
    vs = load(path)
    _, codes = expand(vs, code_systems())
    assert codes == EXPECTED_EXPANSIONS[vs["id"]]


# ------------------------------------------------------------------------------- ConceptMap


def test_conceptmap_codes_exist() -> None:
    assert problems_conceptmap_integrity(conceptmap(), code_systems(), value_sets()) == []


def test_conceptmap_groups() -> None:
    cm = conceptmap()
    assert cm["sourceCanonical"] == f"{BASE}/ValueSet/ipg406-procedures"
    assert cm["targetCanonical"] == f"{BASE}/ValueSet/ipg406-opcs4-procedures"
    groups = [(g["source"], g["target"], g.get("targetVersion")) for g in cm["group"]]
    assert groups == [
        (MWA_PROCEDURE, OPCS4, "4.6"),
        (IMAGE_CONTROL, OPCS4, "4.6"),
        (PROCEDURE_FACET, ICD10_UK, "5.0"),
        (SNOMED, ICD10_UK, "5.0"),
    ]
    simple = {
        (g["source"], el["code"]): [(t["code"], t["equivalence"]) for t in el["target"]]
        for g in cm["group"][2:]
        for el in g["element"]
    }
    assert simple == {
        (PROCEDURE_FACET, "liver-metastasis"): [("C78.7", "wider")],
        (SNOMED, "94381002"): [("C78.7", "wider")],
    }


def test_open_targets_have_y13_7_first() -> None:
    assert problems_open_y13_7_first(conceptmap()) == []


def test_no_reverse_equivalent_in_group1() -> None:
    assert problems_no_reverse_equivalent(conceptmap()) == []


def test_image_control_is_a_companion_group_of_every_method() -> None:
    assert problems_image_control(conceptmap()) == []


def test_y_codes_never_main() -> None:
    for el in group1(conceptmap())["element"]:
        for t in el["target"]:
            assert not t["code"].startswith("Y"), (el["code"], t["code"])


# ------------------------------------------------------------------- self-tests (must fail)


def _mutated_cm() -> dict[str, Any]:
    return copy.deepcopy(conceptmap())


def _element(cm: dict[str, Any], code: str) -> dict[str, Any]:
    return next(el for el in group1(cm)["element"] if el["code"] == code)


def test_checks_catch_missing_method() -> None:
    cm = _mutated_cm()
    g = companion_group(cm)
    g["element"] = [el for el in g["element"] if el["code"] != "video"]
    assert any("video" in p for p in problems_image_control(cm))


def test_checks_catch_wrong_y53() -> None:
    cm = _mutated_cm()
    el = next(el for el in companion_group(cm)["element"] if el["code"] == "ct")
    el["target"][0]["code"] = "Y53.2"
    assert problems_image_control(cm)


def test_checks_catch_none_mapped() -> None:
    cm = _mutated_cm()
    g = companion_group(cm)
    g["element"].append({"code": NO_IMAGE_CONTROL, "target": [{"code": "Y53.9"}]})
    assert problems_image_control(cm)


def test_checks_catch_conditional_target() -> None:
    cm = _mutated_cm()
    t = copy.deepcopy(_element(cm, "mwa-liver-percutaneous")["target"][0])
    t["dependsOn"] = [{"property": PROP_IMAGE_CONTROL, "system": IMAGE_CONTROL, "value": "ct"}]
    _element(cm, "mwa-liver-percutaneous")["target"].append(t)
    assert problems_image_control(cm)


def test_checks_catch_missing_mark() -> None:
    cm = _mutated_cm()
    companion_group(cm).pop("extension")
    assert any("mark" in p for p in problems_image_control(cm))


def test_checks_catch_product_order() -> None:
    cm = _mutated_cm()
    t = _element(cm, "mwa-liver-open")["target"][0]
    t["product"].insert(0, {**t["product"][0], "value": "Y53.2"})
    assert problems_open_y13_7_first(cm)
    assert problems_image_control(cm)


def test_checks_catch_equivalent() -> None:
    cm = _mutated_cm()
    _element(cm, "mwa-liver-percutaneous")["target"][0]["equivalence"] = "equivalent"
    assert problems_no_reverse_equivalent(cm)


def test_checks_catch_unknown_codes() -> None:
    cm = _mutated_cm()
    _element(cm, "mwa-liver-open")["target"][0]["code"] = "J03.9"
    companion_group(cm)["element"][0]["code"] = "pet"
    problems = problems_conceptmap_integrity(cm, code_systems(), value_sets())
    assert any("J03.9" in p for p in problems)
    assert any("pet" in p for p in problems)


def test_checks_catch_wrong_opcs_title() -> None:
    cs = copy.deepcopy(code_systems()[OPCS4])
    cs["concept"][0]["concept"][0]["display"] = "Destruction of lesion of liver"
    assert problems_code_table(cs, OPCS4_TITLES)


def test_checks_catch_bad_designation() -> None:
    cs = copy.deepcopy(code_systems()[IMAGE_CONTROL])
    cs["concept"][0]["designation"][0]["use"]["code"] = "preferred"
    cs["concept"][1]["designation"].append(
        {"language": "en", "use": {"system": DESIGNATION_USE, "code": "synonym"}, "value": "CT"}
    )
    problems = problems_designations(cs, {"synonym", "abbreviation"})
    assert any("preferred" in p for p in problems)
    assert any("'CT'" in p for p in problems)


def test_checks_catch_cross_facet_term() -> None:
    cs = copy.deepcopy(code_systems()[PROCEDURE_FACET])
    lesion = next(c for c in cs["concept"] if c["code"] == "lesion")
    lesion["concept"][0]["designation"].append(
        {
            "language": "en",
            "use": {"system": DESIGNATION_USE, "code": "synonym"},
            "value": "liver metastasis",
        }
    )
    assert any("'liver'" in p for p in problems_cross_facet_terms(cs))


def test_checks_catch_bad_identity() -> None:
    r = copy.deepcopy(value_sets()[f"{BASE}/ValueSet/ipg406-procedures"])
    r["id"] = "procedures"
    r["url"] = "http://example.org/ValueSet/ipg406-procedures"
    assert len(problems_identity(r)) >= 2


def test_checks_catch_valueset_unknown_code() -> None:
    vs = copy.deepcopy(value_sets()[f"{BASE}/ValueSet/ipg406-opcs4-procedures"])
    vs["compose"]["include"][0]["concept"].append({"code": "J12.9"})
    problems, _ = expand(vs, code_systems())
    assert problems
