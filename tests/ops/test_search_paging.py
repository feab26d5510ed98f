"""Search answers are paged: an unfiltered search over the FHIR core content stays small, and
following `next` links visits every match exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.ops.search import DEFAULT_PAGE, MAX_PAGE


def _links(bundle: dict[str, Any]) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle.get("link", [])}


@pytest.mark.parametrize("base", ["/r4", "/r5"])
def test_unfiltered_search_is_paged(client: Any, base: str) -> None:
    bundle = client.get(f"{base}/ValueSet").json()
    assert bundle["total"] > DEFAULT_PAGE  # the core value sets are searchable
    assert len(bundle["entry"]) == DEFAULT_PAGE
    assert "_offset=100" in _links(bundle)["next"]


def test_next_links_visit_every_match_once(client: Any) -> None:
    url: str | None = "/r4/CodeSystem?_count=250&_summary=true"
    seen: list[str] = []
    total = None
    while url:
        bundle = client.get(url).json()
        total = bundle["total"]
        seen += [e["fullUrl"] for e in bundle.get("entry", [])]
        url = _links(bundle).get("next")
    assert total is not None
    assert len(seen) == total == len(set(seen))


def test_count_is_capped_and_zero_gives_no_entries(client: Any) -> None:
    big = client.get(f"/r4/ValueSet?_count={MAX_PAGE * 5}&_summary=true").json()
    assert len(big["entry"]) == min(MAX_PAGE, big["total"])
    none = client.get("/r4/ValueSet?_count=0").json()
    assert "entry" not in none and "next" not in _links(none)
    assert none["total"] == big["total"]


def test_a_filtered_search_has_no_next_link(client: Any) -> None:
    url = "https://w3id.org/nice-tx/fhir/ConceptMap/ipg406-coding"
    bundle = client.get("/r4/ConceptMap", params={"url": url}).json()
    assert bundle["total"] == 1
    assert set(_links(bundle)) == {"self"}


@pytest.mark.parametrize("param", ["_offset=-1", "_offset=x", "_count=-2"])
def test_bad_paging_parameters_are_400(client: Any, param: str) -> None:
    r = client.get(f"/r4/ValueSet?{param}")
    assert r.status_code == 400
    assert r.json()["resourceType"] == "OperationOutcome"
