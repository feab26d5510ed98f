"""Hostile content on disk: every refusal is reported with its path and reason, start-up goes on
(or stops under --strict), and two different definitions of one url|version conflict."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from plugin.cli import main
from plugin.content.loader import build_store
from plugin.content.sources import MAX_FOLDER_DEPTH
from plugin.content.store import Store
from tests import hostile

BUILTIN_PROC = "https://w3id.org/nice-tx/fhir/CodeSystem/mwa-liver-procedure"


def _vs(url: str, title: str = "A value set") -> dict[str, Any]:
    return {"resourceType": "ValueSet", "url": url, "version": "1", "title": title}


def _write(path: Path, resource: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(hostile.encode(resource))
    return path


def _refusals(paths: list[Path]) -> tuple[Store, dict[str, str]]:
    store, report = build_store(paths)
    return store, dict(report.refused)


def _truncated_tgz(tmp: Path) -> Path:
    runner = CliRunner()
    assert runner.invoke(main, ["package", "--out", str(tmp)]).exit_code == 0
    pkg = tmp / "nice-tx.ipg406-0.1.0.tgz"
    data = pkg.read_bytes()
    cut = tmp / "cut.tgz"
    cut.write_bytes(data[: len(data) // 2])
    return cut


def _symlink_self(tmp: Path) -> Path:
    link = tmp / "self.json"
    link.symlink_to(link)
    return link


def _fifo(tmp: Path) -> Path:
    fifo = tmp / "pipe.json"
    os.mkfifo(fifo)
    return fifo


def _empty(tmp: Path) -> Path:
    folder = tmp / "empty"
    folder.mkdir()
    return folder


# (how to make it, what the reason says, reported at the path itself)
ROOTS = [
    pytest.param(_truncated_tgz, "not a readable FHIR package", id="truncated-tgz"),
    pytest.param(_symlink_self, "symbolic link", id="symlink-loop"),
    pytest.param(_fifo, "FIFO", id="fifo"),
    pytest.param(_empty, "holds no readable .json file", id="empty-folder"),
]


@pytest.mark.parametrize(("make", "says"), ROOTS)
def test_a_bad_content_root_is_reported_and_loading_goes_on(
    tmp_path: Path, make: Any, says: str
) -> None:
    bad = make(tmp_path)
    good = _write(tmp_path / "good" / "vs.json", _vs("http://example.org/fhir/ValueSet/good"))
    store, refused = _refusals([bad, good])
    assert says in refused[str(bad)]
    assert store.resolve("ValueSet", "http://example.org/fhir/ValueSet/good") is not None
    assert store.resolve("CodeSystem", BUILTIN_PROC) is not None


def test_oddities_inside_a_folder_are_each_reported(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    _write(root / "a.json", _vs("http://example.org/fhir/ValueSet/a"))
    os.mkfifo(root / "pipe.json")
    (root / "loop.json").symlink_to(root / "loop.json")
    (root / "up").symlink_to(root)  # a folder link back to the root
    deep = root
    for i in range(MAX_FOLDER_DEPTH + 2):
        deep = deep / f"d{i}"
    _write(deep / "deep.json", _vs("http://example.org/fhir/ValueSet/deep"))
    _write(root / "nested.json", hostile.nested_chain(510))
    store, refused = _refusals([root])
    reasons = {Path(k).name: v for k, v in refused.items()}
    assert "FIFO" in reasons["pipe.json"]
    assert "symbolic link" in reasons["loop.json"]
    assert "symbolic link loop" in reasons["up"]
    assert f"more than {MAX_FOLDER_DEPTH} levels" in reasons[f"d{MAX_FOLDER_DEPTH}"]
    assert "nests deeper than" in reasons["nested.json"]
    assert store.resolve("ValueSet", "http://example.org/fhir/ValueSet/a") is not None
    assert store.resolve("ValueSet", "http://example.org/fhir/ValueSet/deep") is None


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"resource": "CodeSystem"}, "not a resource (a JSON str)"),
        ({"resource": [1]}, "not a resource (a JSON list)"),
        ("x", "not a resource (a JSON str)"),
        ({"resource": {"resourceType": "CodeSystem"}}, "has no url"),
    ],
)
def test_a_bad_bundle_entry_is_refused_and_the_others_load(
    tmp_path: Path, entry: Any, says: str
) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [entry, {"resource": _vs("http://example.org/fhir/ValueSet/b")}],
    }
    path = _write(tmp_path / "bundle.json", bundle)
    store, refused = _refusals([path])
    assert says in refused[f"{path} entry[0]"]
    assert store.resolve("ValueSet", "http://example.org/fhir/ValueSet/b") is not None


def test_a_pack_redefining_a_builtin_is_a_conflict_naming_both(tmp_path: Path) -> None:
    store, _ = build_store()
    builtin = store.resolve("CodeSystem", BUILTIN_PROC)
    assert builtin is not None
    changed = {**builtin.resource, "title": "Something else"}
    path = _write(tmp_path / "cs.json", changed)
    store, refused = _refusals([path])
    why = refused[str(path)]
    assert f"{BUILTIN_PROC}|{builtin.version}" in why
    assert "already defined differently by" in why and "mwa-liver-procedure" in why
    kept = store.resolve("CodeSystem", BUILTIN_PROC)
    assert kept is not None and kept.resource.get("title") == builtin.resource.get("title")
    assert len(store.versions("CodeSystem", BUILTIN_PROC)) == 1


def test_two_user_files_defining_one_canonical_conflict(tmp_path: Path) -> None:
    first = _write(tmp_path / "a" / "one.json", _vs("http://example.org/fhir/ValueSet/x", "A"))
    second = _write(tmp_path / "b" / "two.json", _vs("http://example.org/fhir/ValueSet/x", "B"))
    _, refused = _refusals([tmp_path])
    assert str(first) not in refused
    assert str(first) in refused[str(second)]


@pytest.mark.parametrize("strict", [False, True])
def test_serve_reports_and_goes_on_unless_strict(
    tmp_path: Path, strict: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[bool] = []
    from granian import server

    class FakeServer:
        def __init__(self, target: str, **kwargs: Any) -> None:
            pass

        def serve(self) -> None:
            started.append(True)

    monkeypatch.setattr(server, "Server", FakeServer)
    for var in [k for k in os.environ if k.startswith("NICE_TX_")]:
        monkeypatch.delenv(var)
    cut = _truncated_tgz(tmp_path)
    bundle = _write(
        tmp_path / "bundle.json", {"resourceType": "Bundle", "entry": [{"resource": "x"}]}
    )
    args = ["serve", "--content", str(cut), "--content", str(bundle)]
    result = CliRunner().invoke(main, args + (["--strict"] if strict else []))
    assert f"refused {cut}: not a readable FHIR package" in result.stderr
    assert f"refused {bundle} entry[0]: not a resource" in result.stderr
    assert "Aborted" not in result.output and "Traceback" not in result.output
    assert result.exit_code == (3 if strict else 0)
    assert started == ([] if strict else [True])
    monkeypatch.setattr(os, "environ", dict(os.environ))


def test_report_lines_are_json_safe(tmp_path: Path) -> None:
    """Reasons are plain text a log pipeline can carry (no bytes reprs, no tracebacks)."""
    _, refused = _refusals([_truncated_tgz(tmp_path), _fifo(tmp_path)])
    for why in refused.values():
        assert json.loads(json.dumps(why)) == why
        assert "Traceback" not in why and "b'" not in why


@pytest.mark.parametrize("where", ["root", "below"])
def test_a_pack_manifest_is_not_content(tmp_path: Path, where: str) -> None:
    """`pack.json` at the root of a content folder names the pack (and is not refused as a
    resource); a file of that name that is no manifest, or one below the root, is read as
    content like any other."""
    manifest = {"id": "x", "name": "example.x", "title": "Example rules", "folders": ["vs"]}
    _write(tmp_path / "vs" / "a.json", _vs("http://example.org/vs/a"))
    _write(tmp_path / ("pack.json" if where == "root" else "vs/pack.json"), manifest)
    store, refused = _refusals([tmp_path])
    assert store.resolve("ValueSet", "http://example.org/vs/a") is not None
    if where == "root":
        assert refused == {} and store.titles[-1] == "Example rules"
    else:
        assert list(refused) == [str(tmp_path / "vs" / "pack.json")]
