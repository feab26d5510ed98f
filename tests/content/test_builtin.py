"""The built-in pack describes itself (`pack.json`): its id, name and title are data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
