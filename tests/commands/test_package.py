"""`nice-tx package`: the FHIR package on disk, from the command line."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from click.testing import CliRunner

from plugin.cli import main


def test_package_writes_tgz(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["package", "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    path = tmp_path / "dist" / "nice-tx.ipg406-0.1.0.tgz"
    assert f"wrote {path} (18 resources)" in result.stdout
    assert "loaded 18 from ipg406" in result.stderr
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert "package/package.json" in names and "package/.index.json" in names
    assert len(names) == 20


def test_package_name_version_and_extra_content(tmp_path: Path) -> None:
    extra = tmp_path / "extra.json"
    extra.write_text(
        json.dumps(
            {
                "resourceType": "ValueSet",
                "id": "extra",
                "url": "http://example.org/fhir/ValueSet/e",
                "status": "active",
            }
        )
    )
    args = [
        "package",
        "--out",
        str(tmp_path),
        "--name",
        "my.maps",
        "--version",
        "2.0.0",
        "--content",
        str(extra),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    with tarfile.open(tmp_path / "my.maps-2.0.0.tgz") as tar:
        handle = tar.extractfile("package/package.json")
        assert handle is not None
        manifest = json.loads(handle.read())
        assert "package/ValueSet-extra.json" in tar.getnames()
    assert (manifest["name"], manifest["version"]) == ("my.maps", "2.0.0")
    assert "loaded ValueSet http://example.org/fhir/ValueSet/e" in result.stderr


def test_resource_without_id_cannot_be_packaged(tmp_path: Path) -> None:
    extra = tmp_path / "noid.json"
    extra.write_text('{"resourceType": "ValueSet", "url": "http://example.org/fhir/ValueSet/n"}')
    result = CliRunner().invoke(main, ["package", "--out", str(tmp_path), "--content", str(extra)])
    assert result.exit_code == 3
    assert "has no id" in result.stderr


def test_strict_stops_on_refused_content(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Patient"}')
    result = CliRunner().invoke(
        main, ["package", "--out", str(tmp_path), "--content", str(bad), "--strict"]
    )
    assert result.exit_code == 3
    assert f"refused {bad}: resourceType 'Patient'" in result.stderr
    assert not list(tmp_path.glob("*.tgz"))
