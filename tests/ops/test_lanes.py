"""Lanes answer exactly as their operation does, or decline.

Every query below is put to a base's lane and to the operation itself (the path the dispatcher
takes when a lane declines). A lane may decline (None); when it answers, its bytes must be the
operation's. The queries cover every code of the content in every spelling the server accepts,
displays right, wrong and nearly right, codes no map or code system lists, the varied benchmark
workload, and generated values.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.workload import varied
from plugin.config import FHIR_VERSIONS
from plugin.content.core import with_core
from plugin.content.store import Store
from plugin.errors import FhirError
from plugin.jsonio import dumps
from plugin.ops import translate, validate_code
from plugin.ops.lanes import Template, TranslateLane, ValidateLane, lanes
from plugin.ops.operation import Context, Operation
from plugin.ops.params import parse_parameters, parse_query_string
from tests.conftest import ICD10, OPCS, PROC

OPCS_ALIASES = (OPCS, "https://fhir.nhs.uk/Id/opcs-4", "http://hl7.org/fhir/sid/ex-opcs4")
BASES = tuple(FHIR_VERSIONS)


@pytest.fixture(scope="module")
def based(store: Store) -> dict[str, tuple[Store, bool]]:
    return {b: (with_core(store, v), v.startswith("5.")) for b, v in FHIR_VERSIONS.items()}


@pytest.fixture(scope="module")
def compiled(based: dict[str, tuple[Store, bool]]) -> dict[tuple[str, str, str], object]:
    return dict(lanes(based))


def _operation(op: Operation, rtype: str, base: tuple[Store, bool], request: Any) -> bytes | None:
    """The operation's answer to a GET query string or a POSTed body; None when it refuses."""
    store, r5 = base
    try:
        if isinstance(request, str):
            args = parse_query_string(op.params, request)
        else:
            args = parse_parameters(op.params, request)
        return dumps(op.run(Context(args, store, rtype, None, r5)))
    except FhirError:
        return None


_TYPES = {"code": "valueCode", "sourceCode": "valueCode", "display": "valueString"}
_TYPES |= {"version": "valueString", "displayLanguage": "valueCode"}


def _body(query: str) -> dict[str, Any]:
    """The Parameters body a client POSTs for this query (each value in its FHIR type)."""
    out: list[dict[str, Any]] = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == "reverse" and value in ("true", "false"):
            out.append({"name": name, "valueBoolean": value == "true"})
        else:
            out.append({"name": name, _TYPES.get(name, "valueUri"): value})
    return {"resourceType": "Parameters", "parameter": out}


def _q(**params: str) -> str:
    return "&".join(f"{k}={quote(v, safe=':/|')}" for k, v in params.items())


def _check(lane: Any, op: Operation, rtype: str, base: tuple[Store, bool], request: Any) -> bool:
    """Assert the lane's answer to a query string (GET) or a body (POST) is the operation's;
    True when the lane answered."""
    got = lane(request) if isinstance(request, str) else lane.post(request)
    if got is None:
        return False
    assert got == _operation(op, rtype, base, request), request
    return True


def _codes(store: Store, system: str) -> list[str]:
    entry = store.resolve("CodeSystem", system)
    assert entry is not None
    return list(entry.index.concepts)


def _translate_queries(store: Store) -> Iterator[str]:
    procedures = _codes(store, PROC)
    opcs = _codes(store, OPCS)
    targets = ("", OPCS, ICD10, "https://fhir.nhs.uk/Id/opcs-4", "http://example.org/other")
    for code, target, names in itertools.product(
        [*procedures, "mwa-liver-unknown", "x"], targets, ("r4", "r5")
    ):
        system, code_name, target_name = (
            ("system", "code", "targetsystem")
            if names == "r4"
            else ("sourceSystem", "sourceCode", "targetSystem")
        )
        params = {system: PROC, code_name: code}
        if target:
            params[target_name] = target
        yield _q(**params)
        yield _q(**params, reverse="false")
    for code, system, reverse in itertools.product(
        [*opcs, "A01.1", "Z999", "c78.7"], OPCS_ALIASES, ("true", "false")
    ):
        for form in {code, code.replace(".", ""), code.lower(), f" {code}"}:
            yield _q(system=system, code=form, reverse=reverse)
            yield _q(system=system, code=form, reverse=reverse, targetsystem=PROC)
            yield _q(sourceSystem=system, sourceCode=form, reverse=reverse)
    # Shapes a lane must leave to the operation.
    yield _q(system=PROC, code="mwa-liver-open", version="1")
    yield _q(system=PROC, code="mwa-liver-open", url="https://example.org/map")
    yield _q(system=PROC, code="mwa-liver-open", reverse="maybe")
    yield _q(system=PROC, code="mwa-liver-open") + "&code=mwa-liver-open"
    yield _q(code="mwa-liver-open")
    yield "system=&code=x"
    yield ""


@pytest.mark.parametrize("base", BASES)
def test_translate_lane_agrees_with_the_operation(
    base: str, based: dict[str, tuple[Store, bool]], compiled: dict[tuple[str, str, str], object]
) -> None:
    lane = compiled[(base, "ConceptMap", "$translate")]
    op = translate.OPERATION
    queries = list(_translate_queries(based[base][0]))
    answered = [_check(lane, op, "ConceptMap", based[base], q) for q in queries]
    posted = [_check(lane, op, "ConceptMap", based[base], _body(q)) for q in queries]
    assert sum(posted) > len(posted) // 2
    # The lane is in use: most of these plain shapes are its to answer.
    assert sum(answered) > len(answered) // 2
    for params in (
        {"system": PROC, "code": "mwa-liver-open"},
        {"sourceSystem": PROC, "sourceCode": "mwa-liver-open", "targetSystem": ICD10},
        {"system": PROC, "code": "mwa-liver-unknown"},
        {"system": OPCS_ALIASES[1], "code": "J127", "reverse": "true"},
    ):
        assert _check(lane, translate.OPERATION, "ConceptMap", based[base], _q(**params)), params


def _validate_queries(store: Store) -> Iterator[str]:
    for system in (OPCS, ICD10, PROC):
        entry = store.resolve("CodeSystem", system)
        assert entry is not None
        others = [c.display for c in entry.index.concepts.values() if c.display]
        for code, concept in entry.index.concepts.items():
            display = concept.display or ""
            # Another concept's display: wrong here, right elsewhere in the system.
            other = next((d for d in others if d != display), "")
            designations = [d["value"] for d in concept.designations if "value" in d]
            shown = [
                None,
                display,
                display.upper(),
                display.lower(),
                f" {display}  ",
                display.replace(" ", "  "),
                *designations,
                "Wrong thing",
                other,
                'Quoted "display" \\ with backslash',
                "Ünïcödé display ✓",
                "x" * 600,
            ]
            forms = {code, code.replace(".", ""), code.lower()}
            for form, text, url in itertools.product(forms, shown, (system, OPCS_ALIASES[1])):
                params = {"url": url, "code": form}
                if text is not None:
                    params["display"] = text
                yield _q(**params)
    for code in ("A01.1", "Z99.9", "hello", "a b", "J12.7.1", "C78.7x"):
        yield _q(url=OPCS, code=code)
        yield _q(url=ICD10, code=code, display="Some display")
    yield _q(url=OPCS, code="J12.7", version="4.6")
    yield _q(url=OPCS, code="J12.7", displayLanguage="en")
    yield _q(url="http://example.org/unknown", code="J12.7")


@pytest.mark.parametrize("base", BASES)
def test_validate_lane_agrees_with_the_operation(
    base: str, based: dict[str, tuple[Store, bool]], compiled: dict[tuple[str, str, str], object]
) -> None:
    lane = compiled[(base, "CodeSystem", "$validate-code")]
    op = validate_code.CODESYSTEM
    queries = list(_validate_queries(based[base][0]))
    answered = [_check(lane, op, "CodeSystem", based[base], q) for q in queries]
    posted = [_check(lane, op, "CodeSystem", based[base], _body(q)) for q in queries]
    assert sum(posted) == sum(answered)
    # Near misses, aliases and variant forms are declined; the plain shapes are answered.
    assert sum(answered) > len(answered) // 10
    for params in (
        {"url": OPCS, "code": "J12.7"},
        {"url": OPCS, "code": "J12.7", "display": "Wrong thing"},
        {"url": OPCS, "code": "A01.1", "display": "x1"},
        {"url": ICD10, "code": "C78.7"},
    ):
        assert _check(lane, op, "CodeSystem", based[base], _q(**params)), params


@pytest.mark.parametrize("base", BASES)
def test_the_varied_workload_is_answered_alike_and_mostly_by_lanes(
    base: str, based: dict[str, tuple[Store, bool]], compiled: dict[tuple[str, str, str], object]
) -> None:
    answered = 0
    paths = varied(3000)
    for path in paths:
        route, _, query = path.partition("?")
        rtype, op_name = route.split("/")[2:4]
        op = translate.OPERATION if op_name == "$translate" else validate_code.CODESYSTEM
        lane = compiled[(base, rtype, op_name)]
        answered += _check(lane, op, rtype, based[base], query)
    # What the benchmark's varied load measures is the lanes: they must take nearly all of it.
    assert answered >= 0.9 * len(paths)


_text = st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=40)


@given(code=_text, display=st.none() | _text, reverse=st.booleans())
def test_generated_values_are_answered_alike(
    based: dict[str, tuple[Store, bool]],
    compiled: dict[tuple[str, str, str], object],
    code: str,
    display: str | None,
    reverse: bool,
) -> None:
    base = "r4"
    params = {"url": OPCS, "code": code}
    if display is not None:
        params["display"] = display
    vlane = compiled[(base, "CodeSystem", "$validate-code")]
    _check(vlane, validate_code.CODESYSTEM, "CodeSystem", based[base], _q(**params))
    tlane = compiled[(base, "ConceptMap", "$translate")]
    query = _q(system=OPCS if reverse else PROC, code=code, reverse=str(reverse).lower())
    _check(tlane, translate.OPERATION, "ConceptMap", based[base], query)


def test_a_template_fills_each_hole_with_the_escaped_value() -> None:
    answer = dumps({"a": "code \ue000\ue001 and \ue002\ue003, again \ue000\ue001"})
    template = Template.cut(answer)
    assert template.holes == (0, 1, 0)
    filled = template.fill('J"1', "d\\x")
    assert filled == dumps({"a": 'code J"1 and d\\x, again J"1'})


def test_a_lane_past_its_compile_budget_declines_what_it_did_not_compile(
    based: dict[str, tuple[Store, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("plugin.ops.lanes.MAX_COMPILED", 3)
    lane = TranslateLane(*based["r4"])
    assert not lane.complete
    assert len(lane.answers) <= 3
    # A code it did not compile is not called unmapped: the operation answers it.
    for code in _codes(based["r4"][0], PROC):
        got = lane(_q(system=PROC, code=code))
        if got is not None:
            assert got == _operation(
                translate.OPERATION, "ConceptMap", based["r4"], _q(system=PROC, code=code)
            )
    assert lane(_q(system=PROC, code="mwa-liver-unknown")) is None
    vlane = ValidateLane(*based["r4"])
    # No code system was compiled whole, so none is trusted to call a code unknown.
    assert not vlane.indexes
    assert vlane(_q(url=OPCS, code="A01.1")) is None


@pytest.mark.parametrize("base", BASES)
def test_a_posted_codeable_concept_of_one_coding_is_answered_alike(
    base: str, based: dict[str, tuple[Store, bool]], compiled: dict[tuple[str, str, str], object]
) -> None:
    """HAPI's remote terminology client POSTs `codeableConcept`; R5 clients the `source` form."""
    lane = compiled[(base, "ConceptMap", "$translate")]
    op = translate.OPERATION
    answered = 0
    cases: list[tuple[str, str, list[dict[str, Any]]]] = [
        (PROC, "mwa-liver-open", []),
        (PROC, "mwa-liver-percutaneous", [{"name": "targetsystem", "valueUri": ICD10}]),
        (PROC, "mwa-liver-unknown", []),
        (OPCS_ALIASES[1], "J127", [{"name": "reverse", "valueBoolean": True}]),
        (OPCS, "J12.7", [{"name": "reverse", "valueBoolean": False}]),
    ]
    for name in ("codeableConcept", "sourceCodeableConcept"):
        for system, code, extra in cases:
            cc = {"coding": [{"system": system, "code": code}]}
            params = [{"name": name, "valueCodeableConcept": cc}, *extra]
            body = {"resourceType": "Parameters", "parameter": params}
            answered += _check(lane, op, "ConceptMap", based[base], body)
    assert answered == 10


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "Parameters",
        {"resourceType": "Parameters"},
        {"resourceType": "Bundle", "parameter": []},
        {"resourceType": "Parameters", "parameter": {}},
        {"resourceType": "Parameters", "id": "x", "parameter": []},
        {"resourceType": "Parameters", "parameter": [{"name": ["code"], "valueCode": "x"}]},
        {"resourceType": "Parameters", "parameter": [{"name": "code", "valueString": "x"}]},
        {"resourceType": "Parameters", "parameter": [{"name": "code", "valueCode": 7}]},
        {"resourceType": "Parameters", "parameter": [{"name": "code", "valueCode": ""}]},
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "system", "valueUri": PROC},
                {"name": "code", "valueCode": "x"},
                {"name": "reverse", "valueBoolean": "true"},
            ],
        },
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "codeableConcept", "valueCodeableConcept": {"coding": []}},
            ],
        },
        {
            "resourceType": "Parameters",
            "parameter": [
                {
                    "name": "codeableConcept",
                    "valueCodeableConcept": {
                        "coding": [{"system": PROC, "code": "mwa-liver-open", "display": "x"}]
                    },
                },
            ],
        },
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "codeableConcept", "valueCodeableConcept": {"text": "open MWA"}},
            ],
        },
    ],
)
def test_bodies_a_lane_does_not_read_are_declined(
    compiled: dict[tuple[str, str, str], Any], body: Any
) -> None:
    for key in (("r4", "ConceptMap", "$translate"), ("r4", "CodeSystem", "$validate-code")):
        assert compiled[key].post(body) is None


def test_a_reverse_miss_is_certain_even_for_codes_of_groups_a_lane_does_not_compile() -> None:
    """A group the lane leaves to the operation (here one with `unmapped`) still lists its
    target codes: a reverse request for one of them must not be answered "no mapping"."""
    from plugin.content.store import make_entry

    base = "http://example.org/fhir"
    group = {"source": f"{base}/s1", "target": f"{base}/t"}
    cm = {
        "resourceType": "ConceptMap",
        "url": f"{base}/ConceptMap/m",
        "version": "1",
        "status": "draft",
        "group": [
            {
                **group,
                "unmapped": {"mode": "provided"},
                "element": [{"code": "a", "target": [{"code": "x", "equivalence": "equal"}]}],
            },
            {
                "source": f"{base}/s2",
                "target": f"{base}/t",
                "element": [{"code": "b", "target": [{"code": "y", "equivalence": "equal"}]}],
            },
        ],
    }
    store = Store()
    store.add(make_entry(cm, "test"))
    lane = TranslateLane(store, False)
    for code in ("x", "y", "z"):
        query = _q(system=f"{base}/t", code=code, reverse="true")
        _check(lane, translate.OPERATION, "ConceptMap", (store, False), query)
