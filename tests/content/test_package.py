"""Meaning 2 of "plugin": our content as a FHIR NPM package, and packages loaded back."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plugin.api.app import create_app
from plugin.config import CANONICAL_BASE
from plugin.content.loader import build_store
from plugin.content.package import is_package, read_package, write_package
from plugin.content.store import TERMINOLOGY_TYPES, Store
from tests.bodies import translate_with_image_control

OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
PROCEDURE = f"{CANONICAL_BASE}/CodeSystem/mwa-liver-procedure"
IMAGE = f"{CANONICAL_BASE}/CodeSystem/image-control"


def _entries(store: Store) -> list[Any]:
    return [e for t in TERMINOLOGY_TYPES for e in store.all(t)]


@pytest.fixture(scope="module")
def builtin() -> Store:
    return build_store()[0]


@pytest.fixture(scope="module")
def tgz(builtin: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_package(_entries(builtin), tmp_path_factory.mktemp("pkg"))


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        out = {}
        for m in tar.getmembers():
            handle = tar.extractfile(m)
            assert handle is not None
            out[m.name] = handle.read()
        return out


def test_manifest(tgz: Path) -> None:
    assert tgz.name == "nice-tx.ipg406-0.1.0.tgz"
    manifest = json.loads(_members(tgz)["package/package.json"])
    assert manifest["name"] == "nice-tx.ipg406"
    assert manifest["version"] == "0.1.0"
    assert manifest["fhirVersions"] == ["4.0.1"]
    assert manifest["dependencies"] == {"hl7.fhir.r4.core": "4.0.1"}
    assert manifest["canonical"] == "https://w3id.org/nice-tx/fhir"
    assert manifest["license"] == "Apache-2.0"


def test_index_matches_files(tgz: Path, builtin: Store) -> None:
    members = _members(tgz)
    assert all(name.startswith("package/") for name in members)
    index = json.loads(members["package/.index.json"])
    assert index["index-version"] == 2
    files = {n.removeprefix("package/") for n in members} - {"package.json", ".index.json"}
    assert {row["filename"] for row in index["files"]} == files
    for row in index["files"]:
        resource = json.loads(members[f"package/{row['filename']}"])
        assert row["filename"] == f"{resource['resourceType']}-{resource['id']}.json"
        for key in ("resourceType", "id", "url", "version"):
            assert row[key] == resource[key]
    assert len(files) == len(_entries(builtin))


def test_package_is_reproducible(builtin: Store, tmp_path: Path, tgz: Path) -> None:
    again = write_package(_entries(builtin), tmp_path)
    assert again.read_bytes() == tgz.read_bytes()


def _unpack(tgz: Path, into: Path) -> Path:
    with tarfile.open(tgz, "r:gz") as tar:
        tar.extractall(into, filter="data")
    return into


REQUESTS = [
    ("ConceptMap/$translate", {"system": PROCEDURE, "code": "mwa-liver-open"}),
    ("ConceptMap/$translate", {"system": PROCEDURE, "code": "mwa-liver"}),
    ("ConceptMap/$translate", {"system": OPCS4, "code": "J08.3", "reverse": "true"}),
    ("ConceptMap/$translate", {"system": "http://snomed.info/sct", "code": "94381002"}),
    ("ConceptMap/$translate", {"system": OPCS4, "code": "Z99.9"}),
    ("CodeSystem/$lookup", {"system": OPCS4, "code": "Y53.4"}),
    (
        "ValueSet/$validate-code",
        {
            "url": f"{CANONICAL_BASE}/ValueSet/ipg406-opcs4-image-control",
            "system": OPCS4,
            "code": "Y53.7",
        },
    ),
]


@pytest.mark.parametrize("form", ["tgz", "unpacked", "unpacked-inner"])
def test_loaded_back_gives_identical_answers(
    form: str, tgz: Path, builtin: Store, tmp_path: Path
) -> None:
    if form == "tgz":
        path = tgz
    elif form == "unpacked":
        path = _unpack(tgz, tmp_path)
    else:
        path = _unpack(tgz, tmp_path) / "package"
    assert is_package(path)
    store, report = build_store([path], packs=False)
    assert report.refused == []
    assert {e.origin for e in report.loaded} == {"nice-tx.ipg406#0.1.0"}
    ours, theirs = TestClient(create_app(builtin)), TestClient(create_app(store))
    for path_, params in REQUESTS:
        a = ours.get(f"/r4/{path_}", params=params)
        b = theirs.get(f"/r4/{path_}", params=params)
        assert (a.status_code, a.json()) == (b.status_code, b.json())
    body = translate_with_image_control("mwa-liver-percutaneous", "ultrasound")
    a = ours.post("/r4/ConceptMap/$translate", json=body).json()
    assert a == theirs.post("/r4/ConceptMap/$translate", json=body).json()


def _tgz(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_refusals_say_why(tmp_path: Path) -> None:
    cs = {
        "resourceType": "CodeSystem",
        "id": "x",
        "url": "http://example.org/fhir/CodeSystem/x",
        "status": "active",
        "content": "complete",
        "concept": [{"code": "a"}],
    }
    pkg = _tgz(
        tmp_path / "p.tgz",
        {
            "package/package.json": b'{"name": "example.pack", "version": "1.0.0"}',
            "package/.index.json": b'{"index-version": 2, "files": []}',
            "package/CodeSystem-x.json": json.dumps(cs).encode(),
            "package/Patient-y.json": b'{"resourceType": "Patient"}',
            "package/broken.json": b"{not json",
            "package/example/CodeSystem-z.json": json.dumps(cs | {"id": "z"}).encode(),
        },
    )
    _, report = build_store([pkg], packs=False)
    assert [(e.type, e.url, e.origin) for e in report.loaded] == [
        ("CodeSystem", "http://example.org/fhir/CodeSystem/x", "example.pack#1.0.0")
    ]
    refused = dict(report.refused)
    assert "is not a CodeSystem, ValueSet or ConceptMap" in refused[f"{pkg}!Patient-y.json"]
    assert f"{pkg}!broken.json" in refused
    assert len(refused) == 2  # examples are not loaded, and not reported as refused


@pytest.mark.parametrize(
    ("files", "why"),
    [
        ({"package/CodeSystem-x.json": b"{}"}, "no package/package.json"),
        ({"package/package.json": b"[]"}, "package.json has no name"),
    ],
)
def test_unusable_package_is_refused(tmp_path: Path, files: dict[str, bytes], why: str) -> None:
    pkg = _tgz(tmp_path / "bad.tgz", files)
    _, report = build_store([pkg], packs=False)
    assert report.loaded == []
    assert any(why in reason for _, reason in report.refused)


def test_not_a_gzip_is_refused(tmp_path: Path) -> None:
    pkg = tmp_path / "fake.tgz"
    pkg.write_bytes(b"plain text")
    _, report = build_store([pkg], packs=False)
    assert report.loaded == []
    assert report.refused and report.refused[0][0] == str(pkg)


def test_read_package_lists_resource_files(tgz: Path) -> None:
    head, files = read_package(tgz)
    names = [label.split("!")[1] for label, _ in files]
    assert head.name == "nice-tx.ipg406"
    assert "ConceptMap-ipg406-coding.json" in names
    assert "package.json" not in names and ".index.json" not in names
