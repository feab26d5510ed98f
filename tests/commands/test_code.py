"""`nice-tx code`: one description, --json, bulk, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from plugin.cli import main


def test_human_output() -> None:
    out = CliRunner().invoke(main, ["code", "Percutaneous MWA of CRLM under US"])
    assert out.exit_code == 0
    assert "J12.7" in out.output and "Y53.2" in out.output and "C78.7" in out.output
    assert "why: Coded as" in out.output
    assert "'CRLM'" in out.output


def test_no_code_output() -> None:
    out = CliRunner().invoke(main, ["code", "TACE for HCC"])
    assert out.exit_code == 0 and "no code" in out.output


def test_json_output() -> None:
    out = CliRunner().invoke(main, ["code", "--json", "MWA of liver mets"])
    data = json.loads(out.output)
    assert data["result"] is True
    assert {c["code"] for c in data["codes"] if not c["asserted"]} == {
        "J03.2",
        "Y13.7",
        "J12.7",
        "J08.3",
    }


def test_bulk(tmp_path: Path) -> None:
    source, target = tmp_path / "in.ndjson", tmp_path / "out.ndjson"
    source.write_text('{"text": "lap MWA liver mets"}\n{oops\n')
    out = CliRunner().invoke(
        main, ["code", "--input", str(source), "--output", str(target), "--no-progress"]
    )
    assert out.exit_code == 0
    assert "1 of 2 rows coded" in out.output and "skipped" in out.output
    assert json.loads(target.read_text())["codes"][0]["code"] == "J08.3"


def test_usage_errors(tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["code"]).exit_code == 2
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,x\n")
    assert CliRunner().invoke(main, ["code", "--input", str(source)]).exit_code == 2
    bad = CliRunner().invoke(
        main,
        ["code", "--input", str(source), "--output", str(tmp_path / "o.csv"), "--column", "zz"],
    )
    assert bad.exit_code == 2
