"""CodeSystem supplements applied for one request (useSupplement, valueset-supplement)."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.content.store import Store, make_entry
from plugin.content.supplements import declared_supplements, with_supplements
from plugin.errors import FhirError

BASE: dict[str, Any] = {
    "resourceType": "CodeSystem",
    "url": "http://x/cs",
    "version": "1",
    "content": "complete",
    "concept": [{"code": "a", "display": "Alpha"}, {"code": "b", "display": "Beta"}],
}
SUPPLEMENT: dict[str, Any] = {
    "resourceType": "CodeSystem",
    "url": "http://x/sup",
    "version": "2",
    "content": "supplement",
    "supplements": "http://x/cs",
    "property": [{"code": "p", "uri": "http://x/p", "type": "string"}],
    "concept": [
        {
            "code": "a",
            "designation": [{"language": "nl", "value": "Alfa"}],
            "property": [{"code": "p", "valueString": "v"}],
        },
        {"code": "zz", "designation": [{"language": "nl", "value": "not a code of the base"}]},
    ],
}


def _store() -> Store:
    store = Store()
    for r in (BASE, SUPPLEMENT):
        store.add(make_entry(r, "test"))
    return store


def test_supplement_adds_designations_and_properties() -> None:
    view = with_supplements(_store(), ["http://x/sup"])
    entry = view.resolve("CodeSystem", "http://x/cs")
    assert entry is not None
    concept = entry.index.get("a")
    assert [d["value"] for d in concept.designations] == ["Alfa"]
    assert concept.property_values("p") == ["v"]
    assert entry.index.get("zz") is None
    assert entry.index.applied_supplements == ["http://x/sup|2"]
    assert entry.index.designation_sources == {
        ("a", "Alfa"): "http://x/sup|2",
        ("zz", "not a code of the base"): "http://x/sup|2",
    }


def test_the_shared_store_is_untouched() -> None:
    store = _store()
    with_supplements(store, ["http://x/sup"])
    entry = store.resolve("CodeSystem", "http://x/cs")
    assert entry is not None and entry.index.get("a").designations == []


@pytest.mark.parametrize("url", ["http://x/unknown", "http://x/cs"])
def test_unknown_or_non_supplement_is_refused(url: str) -> None:
    with pytest.raises(FhirError) as err:
        with_supplements(_store(), [url])
    assert err.value.http_status == 404
    assert err.value.message_id == "VALUESET_SUPPLEMENT_MISSING"


@pytest.mark.parametrize(
    ("extensions", "expected"),
    [
        ([], []),
        (
            [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/valueset-supplement",
                    "valueCanonical": "http://x/sup",
                }
            ],
            ["http://x/sup"],
        ),
        ([{"url": "http://example.org/other", "valueCanonical": "http://x/sup"}], []),
    ],
)
def test_declared_supplements(extensions: list[dict[str, Any]], expected: list[str]) -> None:
    assert declared_supplements({"resourceType": "ValueSet", "extension": extensions}) == expected
