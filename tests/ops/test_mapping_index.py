"""The forward index gives the same matches as asking every candidate map, in the same order."""

from __future__ import annotations

import pytest

from benchmarks.content import concept_map
from plugin.content.store import Store, make_entry
from plugin.ops.mapping import TranslateRequest, _candidate_maps, _forward, _indexed, translate
from plugin.types import Coding, Dependency, Match


def _general(req: TranslateRequest, store: Store) -> list[Match]:
    return [m for cm in _candidate_maps(req, store) for m in _forward(cm, req.codings[0], req)]


def _requests(store: Store) -> list[TranslateRequest]:
    """Every listed code, without and with each dependency the maps state, for each target."""
    out = []
    for entry in store.all("ConceptMap"):
        conditions = {
            d
            for g in entry.index.groups
            for _, ts in g.elements.values()
            for t in ts
            for d in t.depends_on
        }
        # A dependency a companion group answers (image control), for each of its codes.
        conditions |= {
            Dependency(g.companion.dependency, g.source, code)
            for g in entry.index.groups
            if g.companion is not None
            for code in g.elements
        }
        for g in entry.index.groups:
            for code in g.elements:
                for target in (None, g.target, "http://example.org/other"):
                    for deps in [(), *((d,) for d in sorted(conditions, key=repr))]:
                        coding = Coding(g.source or "", code)
                        out.append(TranslateRequest([coding], deps, result_system=target))
    return out


def test_builtin_maps_indexed_as_asked(store: Store) -> None:
    requests = _requests(store)
    assert len(requests) > 100
    for req in requests:
        found = _indexed(req, store)
        general = _general(req, store)
        assert (found or []) == general, req
        assert translate(req, store).matches == general


def test_overlapping_maps_keep_load_order() -> None:
    store = Store()
    for i in range(3):
        cm = concept_map(0)
        cm["url"] = f"http://example.org/map-{i}"
        cm["group"][0]["element"][0]["target"][0]["code"] = f"answer-{i}"
        store.add(make_entry(cm, "test"))
    req = _requests(store)[0]
    found = _indexed(req, store)
    assert found is not None
    assert [m.concept.code for m in found if m.concept] == ["answer-0", "answer-1", "answer-2"]
    assert found == _general(req, store)


@pytest.mark.parametrize("why", ["overlay", "unmapped"])
def test_index_steps_aside_when_it_cannot_answer_alone(why: str) -> None:
    cm = concept_map(1)
    base = Store()
    if why == "unmapped":
        cm["group"][0]["unmapped"] = {"mode": "fixed", "code": "other"}
        base.add(make_entry(cm, "test"))
        view = base
    else:
        # Request-scoped content over a store that has maps from the same system.
        base.add(make_entry(cm, "test"))
        other = concept_map(1)
        other["url"] = "http://example.org/request-map"
        view = base.overlay([other])
    req = _requests(view)[0]
    assert _indexed(req, view) is None
    assert translate(req, view).matches == _general(req, view)


def test_index_answers_through_a_layer_without_maps() -> None:
    base = Store()
    base.add(make_entry(concept_map(2), "test"))
    view = base.layered_on(Store())  # as each base serves its content over FHIR core
    req = _requests(view)[0]
    found = _indexed(req, view)
    assert found is not None and found == _general(req, view)
