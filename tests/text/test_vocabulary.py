"""The vocabulary comes from the resources: change the data, the recogniser follows."""

from __future__ import annotations

import copy
from typing import Any

from plugin.coding import code_description
from plugin.config import CANONICAL_BASE
from plugin.content.core import with_core
from plugin.content.store import Store
from plugin.text import matcher_for
from plugin.text.vocabulary import DESIGNATION_USE, build, words_of

FACET = f"{CANONICAL_BASE}/CodeSystem/procedure-facet"
IMAGE = f"{CANONICAL_BASE}/CodeSystem/image-control"
PROCEDURE = f"{CANONICAL_BASE}/CodeSystem/mwa-liver-procedure"


def test_words_of() -> None:
    assert words_of("X-ray guided") == ("x", "ray", "guided")
    assert words_of("  ") == ()


def test_facets_values_and_procedures_from_content(store: Store) -> None:
    v = matcher_for(store).vocab
    assert {"technique", "site", "lesion", "approach", "procedure"} <= set(v.facets)
    image = v.facets["image-control"]
    assert image.element == f"{CANONICAL_BASE}/property/image-control"
    assert v.values[(FACET, "liver")].in_scope is True
    assert v.values[(FACET, "lung")].in_scope is False
    assert v.values[(FACET, "liver-lesion")].not_stated
    assert v.values[(IMAGE, "unspecified")].not_stated
    procs = {p.code: p.requires for p in v.procedures}
    assert procs["mwa-liver"] == {("technique", "microwave-ablation"), ("site", "liver")}
    assert ("approach", "open") in procs["mwa-liver-open"]
    assert (FACET, "liver-metastasis") in v.mapped
    assert v.words["mwa"] is True  # abbreviation: exact only
    assert v.words["percutaneous"] is False
    assert "us" in v.caps_only


def test_implied_values_come_from_the_designation_extension(store: Store) -> None:
    v = matcher_for(store).vocab
    crlm = next(t for t in v.by_first["crlm"])
    assert [x.code for x in crlm.implies] == ["liver"]


def _with_synonym(store: Store, code: str, term: str) -> dict[str, Any]:
    cs = copy.deepcopy(store.resolve("CodeSystem", FACET).resource)  # type: ignore[union-attr]

    def walk(concepts: list[dict[str, Any]]) -> None:
        for c in concepts:
            if c["code"] == code:
                c["designation"].append(
                    {
                        "language": "en",
                        "use": {"system": DESIGNATION_USE, "code": "synonym"},
                        "value": term,
                    }
                )
            walk(c.get("concept", []))

    walk(cs["concept"])
    return cs


def test_a_new_designation_is_recognised_without_code_changes(store: Store) -> None:
    text = "Transhepatic needle MWA of liver mets"
    assert code_description(text, store).candidates  # approach not stated
    overlay = store.overlay([_with_synonym(store, "percutaneous", "transhepatic needle")])
    result = code_description(text, overlay)
    assert [c.code for c in result.assigned] == ["J12.7", "C78.7"]


def test_build_on_an_empty_store_reads_nothing() -> None:
    v = build(Store())
    assert not v.procedures and not v.by_first


def test_fhir_core_content_is_not_vocabulary(store: Store) -> None:
    """Core CodeSystems (item-type's "date", "text", "choice"...) never become facet values."""
    for version in ("4.0.1", "5.0.0"):
        served = with_core(store, version)
        assert served.resolve("CodeSystem", "http://hl7.org/fhir/item-type") is not None
        values = matcher_for(served).vocab.values
        assert {system for system, _ in values} == {
            system for system, _ in matcher_for(store).vocab.values
        }
