"""Content packs through the `nice_tx.content` entry-point group, and plain folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from plugin.api.app import create_app
from plugin.content.loader import build_store, content_packs, discover_packs

FIXTURE_CS = "http://example.org/fhir/CodeSystem/fixture-pack"


def _write_dist(site: Path, name: str, entry_point: str) -> None:
    """A minimal installed distribution: a dist-info with METADATA and entry_points.txt."""
    info = site / f"{name}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[nice_tx.content]\n{entry_point}\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site directory on sys.path holding a tiny second content pack, as pip installs one."""
    site = tmp_path / "site"
    pack = site / "fixture_pack"
    (pack / "resources").mkdir(parents=True)
    (pack / "__init__.py").write_text(
        "from pathlib import Path\n\n\n"
        "def content_dirs():\n"
        "    return [Path(__file__).parent / 'resources']\n"
    )
    cs = {
        "resourceType": "CodeSystem",
        "id": "fixture-pack",
        "url": FIXTURE_CS,
        "version": "1.0.0",
        "name": "FixturePack",
        "status": "active",
        "content": "complete",
        "concept": [{"code": "alpha", "display": "Alpha"}, {"code": "beta", "display": "Beta"}],
    }
    (pack / "resources" / "CodeSystem-fixture-pack.json").write_text(json.dumps(cs))
    _write_dist(site, "nice_tx_fixture_pack", "fixture = fixture_pack:content_dirs")
    monkeypatch.syspath_prepend(str(site))
    return site


def test_builtin_content_is_a_pack() -> None:
    packs = dict(content_packs())
    assert "ipg406" in packs
    assert all(p.is_dir() for p in packs["ipg406"])


def test_second_pack_is_found_and_served(site: Path) -> None:
    assert [name for name, _ in content_packs()] == ["fixture", "ipg406"]
    store, report = build_store()
    assert report.refused == []
    entry = store.resolve("CodeSystem", FIXTURE_CS)
    assert entry is not None and entry.origin == "fixture"
    client = TestClient(create_app(store))
    found = client.get("/r4/CodeSystem/$lookup", params={"system": FIXTURE_CS, "code": "beta"})
    assert found.status_code == 200
    assert {"name": "display", "valueString": "Beta"} in found.json()["parameter"]
    # The built-in pack is still there beside it.
    assert store.resolve("ConceptMap", "https://w3id.org/nice-tx/fhir/ConceptMap/ipg406-coding")


def test_second_pack_in_content_list_of_a_fresh_process(site: Path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), *sys.path]))
    out = subprocess.run(
        [sys.executable, "-m", "plugin", "content", "list", "--type", "CodeSystem"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    ).stdout
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["TYPE", "CANONICAL", "VERSION", "PACK"]
    assert ["CodeSystem", FIXTURE_CS, "1.0.0", "fixture"] in rows
    assert ["CodeSystem", "http://fhir.hl7.org.uk/CodeSystem/OPCS-4", "4.6", "ipg406"] in rows


@pytest.mark.parametrize(
    ("entry_point", "why"),
    [
        ("broken = no_such_module:content_dirs", "ModuleNotFoundError"),
        ("broken = fixture_pack:no_such_function", "AttributeError"),
    ],
)
def test_broken_pack_is_refused_not_fatal(site: Path, entry_point: str, why: str) -> None:
    other = site.parent / "site2"
    _write_dist(other, "nice_tx_broken_pack", entry_point)
    sys.path.insert(0, str(other))
    try:
        packs, broken = discover_packs()
        store, report = build_store()
    finally:
        sys.path.remove(str(other))
    assert [n for n, _ in packs] == ["fixture", "ipg406"]
    assert len(broken) == 1 and why in broken[0][1]
    assert broken[0] in report.refused
    assert store.resolve("CodeSystem", FIXTURE_CS) is not None


def test_folder_refusals_are_reported(tmp_path: Path) -> None:
    (tmp_path / "ok.json").write_text(
        json.dumps({"resourceType": "ValueSet", "url": "http://example.org/fhir/ValueSet/v"})
    )
    (tmp_path / "patient.json").write_text('{"resourceType": "Patient"}')
    (tmp_path / "nourl.json").write_text('{"resourceType": "CodeSystem"}')
    (tmp_path / "list.json").write_text("[1, 2]")
    _, report = build_store([tmp_path, tmp_path / "missing"], packs=False)
    assert [e.url for e in report.loaded] == ["http://example.org/fhir/ValueSet/v"]
    assert {e.origin for e in report.loaded} == {str(tmp_path)}
    refused = dict(report.refused)
    assert refused[str(tmp_path / "patient.json")].startswith("resourceType 'Patient'")
    assert refused[str(tmp_path / "nourl.json")] == "CodeSystem has no url"
    assert refused[str(tmp_path / "list.json")] == "not a JSON object"
    assert refused[str(tmp_path / "missing")] == "no such file or folder"
