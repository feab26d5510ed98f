"""ConceptMap/$closure over OPCS-4 (J12 > J12.7, also written J127) and FHIR core's issue-type
hierarchy (invalid > structure), on both bases, system and type level; POST only, as FHIR
requires of an operation that changes state."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.conceptmap import ConceptMap as ConceptMapR5
from fhir.resources.R4B.conceptmap import ConceptMap as ConceptMapR4

from plugin.api.app import create_app
from plugin.api.settings import Settings, build_app
from plugin.content.closure import ClosureTables
from plugin.content.store import Store
from tests.conftest import OPCS
from tests.helpers import params, value

ISSUE_TYPE = "http://hl7.org/fhir/issue-type"
# What each base calls "source is-a target" and "the same concept".
IS_A = {"r4": "subsumes", "r5": "source-is-narrower-than-target"}
SAME = {"r4": "equal", "r5": "equivalent"}
PATHS = ["/$closure", "/ConceptMap/$closure"]


def _table() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def _call(
    client: Any,
    base: str,
    form: str,
    name: str | None,
    concepts: tuple[tuple[str, str], ...] = (),
    version: str | None = None,
    path: str = "/$closure",
) -> Any:
    url = f"/{base}{path}"
    if form == "get":
        query: list[tuple[str, str]] = [("name", name)] if name is not None else []
        query += [("concept", f"{s}|{c}") for s, c in concepts]
        if version is not None:
            query.append(("version", version))
        return client.get(url, params=query)
    p: list[dict[str, Any]] = [{"name": "name", "valueString": name}] if name is not None else []
    p += [{"name": "concept", "valueCoding": {"system": s, "code": c}} for s, c in concepts]
    if version is not None:
        p.append({"name": "version", "valueString": version})
    return client.post(url, json={"resourceType": "Parameters", "parameter": p})


def _ok(r: Any, base: str) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    # Every answer is a valid ConceptMap of the base's FHIR version.
    (ConceptMapR5 if base == "r5" else ConceptMapR4).model_validate(body)
    return body


def _entries(body: dict[str, Any], base: str) -> set[tuple[str, str, str, str]]:
    """(system, source, target, relationship) of every entry; the version rides on the group."""
    out = set()
    for g in body.get("group", []):
        assert g["source"] == g["target"], "a closure table never relates two code systems"
        system = g["source"].split("|", 1)[0]
        for e in g["element"]:
            for t in e["target"]:
                rel = t["relationship"] if base == "r5" else t["equivalence"]
                out.add((system, e["code"], t["code"], rel))
    return out


def _outcome(r: Any, status: int, code: str, expression: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["resourceType"] == "OperationOutcome"
    (issue,) = body["issue"]
    assert issue["code"] == code
    assert issue["details"]["text"]
    if expression is not None:
        assert issue["expression"] == [expression]
    return issue


@pytest.mark.parametrize("base", ["r4", "r5"])
@pytest.mark.parametrize("form", ["post"])
@pytest.mark.parametrize("path", PATHS)
def test_init_add_add_replay(client: Any, base: str, form: str, path: str) -> None:
    name = _table()
    created = _ok(_call(client, base, form, name, path=path), base)
    assert (created["id"], created["version"], created["status"]) == (name, "0", "active")
    assert "group" not in created

    # One concept relates to nothing yet; the call still issues a new version.
    first = _ok(_call(client, base, form, name, ((OPCS, "J12.7"),), path=path), base)
    assert first["version"] == "1"
    assert "group" not in first

    # Its parent, and the same code written without the dot: only the new entries come back.
    second = _ok(_call(client, base, form, name, ((OPCS, "J12"), (OPCS, "J127")), path=path), base)
    assert second["version"] == "2"
    added = {
        (OPCS, "J12.7", "J12", IS_A[base]),
        (OPCS, "J127", "J12", IS_A[base]),
        (OPCS, "J127", "J12.7", SAME[base]),
    }
    assert _entries(second, base) == added

    # Another system's codes are related among themselves only.
    third = _ok(
        _call(client, base, form, name, ((ISSUE_TYPE, "structure"), (ISSUE_TYPE, "invalid"))),
        base,
    )
    assert third["version"] == "3"
    assert _entries(third, base) == {(ISSUE_TYPE, "structure", "invalid", IS_A[base])}

    # A concept sent again is not new, and brings nothing.
    again = _ok(_call(client, base, form, name, ((OPCS, "J12"),), path=path), base)
    assert (again["version"], "group" in again) == ("4", False)

    # Replay: everything after a version, at the table's latest version.
    replay = _ok(_call(client, base, form, name, version="1", path=path), base)
    assert replay["version"] == "4"
    assert _entries(replay, base) == added | _entries(third, base)
    assert _entries(_ok(_call(client, base, form, name, version="0"), base), base) == _entries(
        replay, base
    )
    assert _entries(_ok(_call(client, base, form, name, version="3"), base), base) == set()


@pytest.mark.parametrize("base", ["r4", "r5"])
def test_entries_agree_with_subsumes(client: Any, base: str) -> None:
    """Every pair of the table's concepts: an entry exactly when $subsumes relates them."""
    name = _table()
    codes = ["invalid", "structure", "required", "value", "invariant", "security", "login"]
    _ok(_call(client, base, "post", name), base)
    got: set[tuple[str, str, str, str]] = set()
    for code in codes:  # one at a time: each entry is reported once, when it becomes known
        got |= _entries(_ok(_call(client, base, "post", name, ((ISSUE_TYPE, code),)), base), base)
    expected = set()
    for a in codes:
        for b in codes:
            r = client.get(
                f"/{base}/CodeSystem/$subsumes",
                params={"system": ISSUE_TYPE, "codeA": a, "codeB": b},
            )
            if value(params(r.json(), "outcome")[0]) == "subsumed-by":
                expected.add((ISSUE_TYPE, a, b, IS_A[base]))
    assert got == expected
    assert len(expected) >= 4  # the test is about a real hierarchy


def test_tables_are_kept_per_base(client: Any) -> None:
    name = _table()
    _ok(_call(client, "r4", "post", name), "r4")
    _outcome(_call(client, "r5", "post", name, ((OPCS, "J12"),)), 404, "not-found", "name")


def test_initialising_again_empties_the_table(client: Any) -> None:
    name = _table()
    _ok(_call(client, "r4", "post", name), "r4")
    _ok(_call(client, "r4", "post", name, ((OPCS, "J12"), (OPCS, "J12.7"))), "r4")
    again = _ok(_call(client, "r4", "post", name), "r4")
    assert again["version"] == "0"
    assert "group" not in _ok(_call(client, "r4", "post", name, version="0"), "r4")
    # The concepts are new again: their entry comes back.
    readded = _ok(_call(client, "r4", "post", name, ((OPCS, "J12"), (OPCS, "J12.7"))), "r4")
    assert _entries(readded, "r4") == {(OPCS, "J12.7", "J12", "subsumes")}


@pytest.mark.parametrize("form", ["post"])
@pytest.mark.parametrize(
    ("name", "concepts", "version", "status", "code", "expression"),
    [
        (None, (), None, 400, "invalid", "name"),
        ("bad name!", (), None, 400, "invalid", "name"),
        ("x" * 65, (), None, 400, "invalid", "name"),
        ("never-initialised", ((OPCS, "J12"),), None, 404, "not-found", "name"),
        ("never-initialised", (), "0", 404, "not-found", "name"),
        ("T", ((OPCS, "J12"),), "1", 400, "invalid", None),
        ("T", (), "one", 400, "invalid", "version"),
        ("T", (), "-1", 400, "invalid", "version"),
        ("T", (), "99", 400, "invalid", "version"),
        ("T", (("http://example.org/unknown", "a"),), None, 404, "not-found", "concept[0]"),
        ("T", ((OPCS, "J12"), (OPCS, "NOPE")), None, 400, "code-invalid", "concept[1]"),
    ],
)
def test_bad_requests(
    client: Any,
    form: str,
    name: str | None,
    concepts: tuple[tuple[str, str], ...],
    version: str | None,
    status: int,
    code: str,
    expression: str | None,
) -> None:
    if name == "T":
        name = _table()
        _ok(_call(client, "r4", "post", name), "r4")
    _outcome(_call(client, "r4", form, name, concepts, version), status, code, expression)
    if name is not None and name.startswith("t-"):
        # A refused call adds nothing: the table is as it was.
        assert _ok(_call(client, "r4", "post", name, version="0"), "r4")["version"] == "0"


def test_concept_without_system_is_refused(client: Any) -> None:
    name = _table()
    _ok(_call(client, "r4", "post", name), "r4")
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "name", "valueString": name},
            {"name": "concept", "valueCoding": {"code": "J12"}},
        ],
    }
    _outcome(client.post("/r4/$closure", json=body), 400, "invalid", "concept[0]")


def test_not_an_instance_operation(client: Any) -> None:
    r = client.post(
        "/r4/ConceptMap/ipg406-coding/$closure",
        json={"resourceType": "Parameters", "parameter": [{"name": "name", "valueString": "a"}]},
    )
    _outcome(r, 400, "invalid", "id")


@pytest.fixture
def bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("plugin.content.closure.MAX_CLOSURE_TABLES", 2)
    monkeypatch.setattr("plugin.content.closure.MAX_CLOSURE_CONCEPTS", 3)


@pytest.mark.usefixtures("bounded")
def test_bounds_are_4xx(store: Store) -> None:
    client = TestClient(create_app(store, closures=ClosureTables()))
    a, b = _table(), _table()
    _ok(_call(client, "r4", "post", a), "r4")
    _ok(_call(client, "r5", "post", b), "r5")
    _outcome(_call(client, "r4", "post", _table()), 422, "too-costly", "name")
    _ok(_call(client, "r4", "post", a), "r4")  # an existing table may still be initialised again
    _ok(_call(client, "r4", "post", a, ((OPCS, "J12"), (OPCS, "J12.7"))), "r4")
    _outcome(_call(client, "r4", "post", a, ((OPCS, "J03"), (OPCS, "J03.2"))), 422, "too-costly")
    replay = _ok(_call(client, "r4", "post", a, version="0"), "r4")
    assert replay["version"] == "1"  # the refused call issued no version


@pytest.fixture
def two_workers(store: Store, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps, each with its own connection to one database file: two worker processes."""
    db = tmp_path / "closure.sqlite3"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = TestClient(create_app(store, closures=ClosureTables(db)))
        b = TestClient(create_app(store, closures=ClosureTables(db)))
    yield a, b


@pytest.mark.parametrize("base", ["r4", "r5"])
def test_two_workers_share_the_tables(two_workers: tuple[Any, Any], base: str) -> None:
    a, b = two_workers
    name = _table()
    _ok(_call(a, base, "post", name), base)
    assert _ok(_call(b, base, "post", name, ((OPCS, "J12.7"),)), base)["version"] == "1"
    second = _ok(_call(a, base, "post", name, ((OPCS, "J12"),)), base)
    assert second["version"] == "2"
    assert _entries(second, base) == {(OPCS, "J12.7", "J12", IS_A[base])}
    # Either worker replays the same history.
    assert _entries(_ok(_call(b, base, "post", name, version="0"), base), base) == _entries(
        second, base
    )
    # One worker initialising again is seen by the other.
    _ok(_call(b, base, "post", name), base)
    assert "group" not in _ok(_call(a, base, "post", name, version="0"), base)


def test_workers_updating_at_once_never_share_a_version(two_workers: tuple[Any, Any]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    a, b = two_workers
    name = _table()
    _ok(_call(a, "r4", "post", name), "r4")
    codes = ["J03", "J03.2", "J08", "J08.3", "J12", "J12.7", "Y53", "Y53.1", "Y53.2", "Y53.9"]

    def add(i: int) -> tuple[str, set[tuple[str, str, str, str]]]:
        body = _ok(_call((a, b)[i % 2], "r4", "post", name, ((OPCS, codes[i]),)), "r4")
        return body["version"], _entries(body, "r4")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(add, range(len(codes))))
    assert sorted(int(v) for v, _ in answers) == list(range(1, len(codes) + 1))
    every = set().union(*(e for _, e in answers))
    assert every == _entries(_ok(_call(b, "r4", "post", name, version="0"), "r4"), "r4")
    assert (OPCS, "J12.7", "J12", "subsumes") in every
    # Each child with its parent (J03.2, J08.3, J12.7, Y53.1, Y53.2, Y53.9), each reported once.
    assert len(every) == sum(len(e) for _, e in answers) == 6


def _cs(version: str) -> dict[str, Any]:
    return {
        "resourceType": "CodeSystem",
        "url": "http://example.org/fhir/CodeSystem/shapes",
        "version": version,
        "status": "active",
        "content": "complete",
        "concept": [{"code": "shape", "concept": [{"code": "circle"}]}],
    }


def test_changed_terminology_asks_for_reinitialisation(tmp_path: Path) -> None:
    import json

    from plugin.content.loader import build_store

    db = tmp_path / "closure.sqlite3"
    apps = []
    for version in ("1", "2"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "cs.json").write_text(json.dumps(_cs(version)))
        store, _ = build_store([tmp_path / version])
        apps.append(TestClient(create_app(store, closures=ClosureTables(db))))
    old, new = apps
    system = "http://example.org/fhir/CodeSystem/shapes"
    name = _table()
    _ok(_call(old, "r4", "post", name), "r4")
    first = _ok(_call(old, "r4", "post", name, ((system, "circle"), (system, "shape"))), "r4")
    assert first["group"][0]["sourceVersion"] == "1"
    issue = _outcome(_call(new, "r4", "post", name, ((system, "shape"),)), 422, "business-rule")
    assert "must be reinitialized" in issue["details"]["text"]
    _outcome(_call(new, "r4", "post", name, version="0"), 422, "business-rule")
    _ok(_call(new, "r4", "post", name), "r4")  # after which the table works again
    again = _ok(_call(new, "r4", "post", name, ((system, "circle"), (system, "shape"))), "r4")
    assert again["group"][0]["sourceVersion"] == "2"


def test_the_response_cache_never_answers_closure() -> None:
    client = TestClient(build_app(Settings(cache_size=100)))
    name = _table()
    versions = [_call(client, "r4", "post", name).json()["version"]]
    for _ in range(2):
        versions.append(_call(client, "r4", "post", name, ((OPCS, "J12"),)).json()["version"])
    assert versions == ["0", "1", "2"]


@pytest.mark.parametrize("base", ["r4", "r5"])
def test_capabilities_declare_closure(client: Any, base: str) -> None:
    cs = client.get(f"/{base}/metadata").json()
    rest = cs["rest"][0]
    system_ops = {o["name"]: o["definition"] for o in rest["operation"]}
    assert system_ops["closure"] == "http://hl7.org/fhir/OperationDefinition/ConceptMap-closure"
    (cm,) = [t for t in rest["resource"] if t["type"] == "ConceptMap"]
    assert "closure" in {o["name"] for o in cm["operation"]}
    tc = client.get(f"/{base}/metadata", params={"mode": "terminology"}).json()
    assert tc["closure"] == {"translation": False}
    paths = client.get("/openapi.json").json()["paths"]
    ok = paths[f"/{base}/$closure"]["post"]["responses"]["200"]["content"]
    assert ok["application/fhir+json"]["schema"]["properties"]["resourceType"] == {
        "const": "ConceptMap"
    }
    assert f"/{base}/ConceptMap/{{id}}/$closure" not in paths


def test_a_coding_naming_its_version_is_the_same_member(client: Any) -> None:
    name = _table()
    _ok(_call(client, "r4", "post", name), "r4")
    _ok(_call(client, "r4", "post", name, ((OPCS, "J12"),)), "r4")
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "name", "valueString": name},
            {"name": "concept", "valueCoding": {"system": OPCS, "version": "4.6", "code": "J12"}},
            {"name": "concept", "valueCoding": {"system": OPCS, "code": "J12.7"}},
        ],
    }
    # J12|4.6 is the J12 the table holds: no "J12 equal J12", one entry for J12.7.
    assert _entries(_ok(client.post("/r4/$closure", json=body), "r4"), "r4") == {
        (OPCS, "J12.7", "J12", "subsumes")
    }


def test_a_code_gone_from_the_same_version_asks_for_reinitialisation(tmp_path: Path) -> None:
    import json

    from plugin.content.loader import build_store

    db = tmp_path / "closure.sqlite3"
    apps = []
    for folder, concepts in (("full", ["circle", "square"]), ("less", ["square"])):
        cs = _cs("1")
        cs["concept"][0]["concept"] = [{"code": c} for c in concepts]
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "cs.json").write_text(json.dumps(cs))
        store, _ = build_store([tmp_path / folder])
        apps.append(TestClient(create_app(store, closures=ClosureTables(db))))
    full, less = apps
    system = "http://example.org/fhir/CodeSystem/shapes"
    name = _table()
    _ok(_call(full, "r4", "post", name), "r4")
    _ok(_call(full, "r4", "post", name, ((system, "circle"),)), "r4")
    issue = _outcome(_call(less, "r4", "post", name, ((system, "shape"),)), 422, "business-rule")
    assert "circle is no longer a code" in issue["details"]["text"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_closure_leaves_the_event_loop(method: str) -> None:
    """A $closure call may wait for another worker's transaction and for a disk sync: it runs
    in the worker thread, so health probes and cheap requests are answered meanwhile."""
    from plugin.api.limits import is_heavy_request

    assert is_heavy_request("closure", method, "100")


@pytest.mark.parametrize("base", ["r4", "r5"])
@pytest.mark.parametrize("path", PATHS)
def test_get_is_refused_because_closure_changes_state(client: Any, base: str, path: str) -> None:
    """FHIR: an operation with affectsState is invoked with POST; a GET is 405 naming POST."""
    name = _table()
    r = client.get(f"/{base}{path}", params={"name": name})
    _outcome(r, 405, "not-supported")
    assert r.headers["allow"] == "POST"
    # Nothing was created: the table is still unknown to a POST that adds to it.
    _outcome(_call(client, base, "post", name, ((OPCS, "J12.7"),), path=path), 404, "not-found")
