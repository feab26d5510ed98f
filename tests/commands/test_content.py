"""`nice-tx content list`: what is loaded, with canonical, version, type and source pack."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from plugin.cli import main


def test_list_builtin() -> None:
    result = CliRunner().invoke(main, ["content", "list"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["TYPE", "CANONICAL", "VERSION", "PACK"]
    assert len(rows) == 13
    assert [
        "ConceptMap",
        "https://w3id.org/nice-tx/fhir/ConceptMap/ipg406-coding",
        "0.1.0",
        "ipg406",
    ] in rows


@pytest.mark.parametrize("rtype", ["CodeSystem", "ValueSet", "ConceptMap"])
def test_list_json_by_type(rtype: str) -> None:
    result = CliRunner().invoke(main, ["content", "list", "--json", "--type", rtype])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and {r["resourceType"] for r in rows} == {rtype}
    assert set(rows[0]) == {"resourceType", "url", "version", "pack"}


def test_list_names_a_package_source(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["package", "--out", str(tmp_path)]).exit_code == 0
    pkg = tmp_path / "nice-tx.ipg406-0.1.0.tgz"
    result = runner.invoke(main, ["content", "list", "--json", "--content", str(pkg)])
    packs = {json.loads(line)["pack"] for line in result.stdout.splitlines()}
    assert packs == {"ipg406", "nice-tx.ipg406#0.1.0"}


def test_unknown_type_is_a_usage_error() -> None:
    assert CliRunner().invoke(main, ["content", "list", "--type", "Patient"]).exit_code == 2


def test_content_from_environment(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(
        '{"resourceType":"ValueSet","url":"http://example.org/fhir/ValueSet/a"}'
    )
    (tmp_path / "b.json").write_text(
        '{"resourceType":"ValueSet","url":"http://example.org/fhir/ValueSet/b"}'
    )
    env = {"NICE_TX_CONTENT": f"{tmp_path / 'a.json'}{os.pathsep}{tmp_path / 'b.json'}"}
    result = CliRunner().invoke(main, ["content", "list", "--json", "--type", "ValueSet"], env=env)
    urls = {json.loads(line)["url"] for line in result.stdout.splitlines()}
    assert {"http://example.org/fhir/ValueSet/a", "http://example.org/fhir/ValueSet/b"} <= urls
