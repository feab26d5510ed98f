"""`nice-tx compile`: pages -> rules + a pack that `serve` and `package` load."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from plugin.cli import main

SECTIONS = Path(__file__).parents[1] / "compile" / "sections"


def _compile(tmp_path: Path, *args: str) -> tuple[Path, Result]:
    out = tmp_path / "pack"
    result = CliRunner().invoke(main, ["compile", *args, "--out", str(out)])
    return out, result


def test_compile_writes_rules_and_resources(tmp_path: Path) -> None:
    out, result = _compile(tmp_path, str(SECTIONS / "ipg406-seed.txt"), "--ipg", "406")
    assert result.exit_code == 0, result.output
    assert "IPG406 (ipg406-seed.txt): coded, 3 variant(s), 1 diagnosis slot(s)" in result.stdout
    rules = json.loads((out / "rules" / "ipg406.json").read_text())
    assert rules["schema_version"] == "0.1" and rules["ipg"] == 406
    assert (out / "conceptmaps" / "ipg406-coding.json").is_file()
    assert (out / "codesystems" / "ipg406-procedure.json").is_file()
    assert (out / "rules" / ".nice-tx-ignore").is_file()


def test_truncation_and_ambiguity_are_reported(tmp_path: Path) -> None:
    _, result = _compile(tmp_path, str(SECTIONS / "ipg906.txt"))
    assert result.exit_code == 0
    assert "truncated-in-codes" in result.stdout
    assert "warning: page is cut short inside the code list" in result.stderr
    assert "warning: ambiguity at /variants" in result.stderr


def test_title_option_and_several_pages(tmp_path: Path) -> None:
    pages = [str(SECTIONS / n) for n in ("ipg903.txt", "ipg904.txt")]
    out, result = _compile(tmp_path, *pages, "--title", "Test procedure")
    assert result.exit_code == 0, result.output
    assert {p.name for p in (out / "rules").glob("*.json")} == {"ipg903.json", "ipg904.json"}
    assert json.loads((out / "rules" / "ipg903.json").read_text())["title"] == "Test procedure"


def test_second_copy_of_a_guidance_is_an_alt_copy(tmp_path: Path) -> None:
    copy = tmp_path / "ipg903_alt.txt"
    copy.write_text((SECTIONS / "ipg903.txt").read_text())
    out, result = _compile(tmp_path, str(SECTIONS / "ipg903.txt"), str(copy))
    assert result.exit_code == 0
    rules = json.loads((out / "rules" / "ipg903.json").read_text())
    assert [a["page_file"] for a in rules["source"]["alt_copies"]] == ["ipg903_alt.txt"]


def test_no_ipg_number_is_a_clean_error(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Coding recommendations\nJ12.4 Percutaneous radiofrequency ablation\n")
    _, result = _compile(tmp_path, str(page))
    assert result.exit_code == 3
    assert "no IPG number" in result.stderr


@pytest.mark.parametrize("command", ["package", "content"])
def test_pack_loads_without_refusals(tmp_path: Path, command: str) -> None:
    out, result = _compile(tmp_path, str(SECTIONS / "ipg903.txt"))
    assert result.exit_code == 0
    if command == "package":
        args = ["package", "--out", str(tmp_path / "dist"), "--content", str(out), "--strict"]
    else:
        args = ["content", "list", "--content", str(out), "--strict", "--type", "ConceptMap"]
    loaded = CliRunner().invoke(main, args)
    assert loaded.exit_code == 0, loaded.output
    if command == "package":
        (tgz,) = (tmp_path / "dist").glob("*.tgz")
        with tarfile.open(tgz) as tar:
            assert any("ipg903-coding" in n for n in tar.getnames())
    else:
        assert "https://w3id.org/nice-tx/fhir/ConceptMap/ipg903-coding" in loaded.stdout


def test_pack_describes_itself_like_the_built_in_pack(tmp_path: Path) -> None:
    """A compiled pack has its `pack.json` (id, package name, title, folders), and a second
    compile into the same folder is described with the first."""
    from plugin.content.builtin import read_manifest

    out, result = _compile(tmp_path, str(SECTIONS / "ipg904.txt"))
    assert result.exit_code == 0, result.output
    info = read_manifest(out)
    assert info is not None
    assert (info.id, info.name) == ("compiled-ipg904", "nice-tx.compiled-ipg904")
    assert info.title == "NICE IPG904 coding rules (compiled)"
    assert "IPG904" in info.description and "ipg904.txt" in info.description
    assert info.folders == ("structuredefinitions", "codesystems", "valuesets", "conceptmaps")
    assert all((out / f).is_dir() for f in info.folders)
    _, again = _compile(tmp_path, str(SECTIONS / "ipg903.txt"))
    assert again.exit_code == 0, again.output
    both = read_manifest(out)
    assert both is not None and both.title == "NICE IPG903 and IPG904 coding rules (compiled)"
