"""The built-in pack describes itself (`pack.json`): its id, name and title are data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.namingsystem import NamingSystem
from fhir.resources.R4B.structuredefinition import StructureDefinition

from plugin.config import CANONICAL_BASE
from plugin.content.builtin import content_dirs, manifest
from plugin.content.loader import build_store
from plugin.ops.capabilities import describe

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_is_the_pack_json() -> None:
    data = json.loads((ROOT / "pack.json").read_text())
    info = manifest()
    assert (info.id, info.name, info.title) == (data["id"], data["name"], data["title"])
    assert [p.name for p in content_dirs()] == data["folders"]


def test_the_server_names_the_packs_it_serves(client: Any) -> None:
    statement = client.get("/r4/metadata").json()
    assert statement["implementation"]["description"] == (
        f"FHIR terminology service for {manifest().title}"
    )


def test_a_pack_with_a_manifest_is_named(tmp_path: Path) -> None:
    (tmp_path / "pack.json").write_text(
        json.dumps({"id": "x", "name": "example.x", "title": "Example rules", "folders": ["cs"]})
    )
    (tmp_path / "cs").mkdir()
    store, _ = build_store([tmp_path / "cs"], packs=False)
    assert describe(store) == "FHIR terminology service for Example rules"
    bare, _ = build_store([], packs=False)
    assert describe(bare) == "FHIR terminology service"


def _pack_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).glob("*.json"))


IDENTITY_FILES = _pack_files("namingsystems") + _pack_files("structuredefinitions")


@pytest.mark.parametrize("path", IDENTITY_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_identity_and_extension_resources_are_valid_r4(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    model: dict[str, Any] = {
        "NamingSystem": NamingSystem,
        "StructureDefinition": StructureDefinition,
    }
    parsed = model[data["resourceType"]].model_validate(data)
    # canonical layout: keys in FHIR element order, nothing lost, 2-space indent
    canon = parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert text == json.dumps(canon, indent=2, ensure_ascii=False) + "\n"
    assert data["id"] == path.stem


def _extension_urls(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for ext in node.get("extension", []):
            if isinstance(ext, dict) and isinstance(ext.get("url"), str):
                found.add(ext["url"])
        for value in node.values():
            found |= _extension_urls(value)
    elif isinstance(node, list):
        for item in node:
            found |= _extension_urls(item)
    return found


def test_every_extension_of_ours_is_defined() -> None:
    """A validator loading the pack finds a StructureDefinition for each extension we use."""
    used: set[str] = set()
    for folder in manifest().folders:
        for path in _pack_files(folder):
            used |= {u for u in _extension_urls(json.loads(path.read_text())) if "://" in u}
    ours = {u for u in used if u.startswith(f"{CANONICAL_BASE}/")}
    defined = {json.loads(p.read_text())["url"] for p in _pack_files("structuredefinitions")}
    assert ours, "the content uses extensions of its own"
    assert ours <= defined, sorted(ours - defined)


def test_the_package_carries_the_definitions(store: Any) -> None:
    assert {e.id for e in store.all("StructureDefinition")} == {
        p.stem for p in _pack_files("structuredefinitions")
    }
    assert {e.url for e in store.all("NamingSystem")} >= {
        "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
    }
