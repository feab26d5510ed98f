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


def test_bulk_exit_code_says_rows_were_skipped(tmp_path: Path) -> None:
    source, target = tmp_path / "in.ndjson", tmp_path / "out.ndjson"
    source.write_text('{"text": "lap MWA liver mets"}\n{oops\n')
    out = CliRunner().invoke(main, ["code", "--input", str(source), "--output", str(target)])
    assert out.exit_code == 1  # done, but a row was skipped
    assert f"{source}:2: skipped: not JSON" in out.output
    assert "1 of 2 rows coded" in out.output
    assert json.loads(target.read_text())["codes"][0]["code"] == "J08.3"
    source.write_text('{"text": "lap MWA liver mets"}\n')
    out = CliRunner().invoke(main, ["code", "--input", str(source), "--output", str(target)])
    assert out.exit_code == 0


def test_bulk_stdin_to_stdout_compact() -> None:
    out = CliRunner().invoke(
        main,
        ["code", "--input", "-", "--output", "-", "--compact"],
        input="id\ttext\n7\tlap MWA liver mets\n",
    )
    assert out.exit_code == 0
    lines = out.stdout.splitlines()
    assert lines[0].split("\t") == ["id", "text", "line", "result", "codes", "candidates"]
    assert lines[1].split("\t")[:4] == ["7", "lap MWA liver mets", "2", "true"]


def test_bulk_refusals_exit_3_and_write_nothing(tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "o.csv"
    source.write_text("id,text\n1,x\n")
    for args in (["--column", "zz"], ["--encoding", "klingon"]):
        out = CliRunner().invoke(
            main, ["code", "--input", str(source), "--output", str(target), *args]
        )
        assert out.exit_code == 3 and "refused:" in out.output
        assert not target.exists()
    missing = CliRunner().invoke(
        main, ["code", "--input", str(tmp_path / "nope.csv"), "--output", str(target)]
    )
    assert missing.exit_code == 3 and "cannot read" in missing.output


def test_usage_errors(tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["code"]).exit_code == 2
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,x\n")
    assert CliRunner().invoke(main, ["code", "--input", str(source)]).exit_code == 2
    assert (
        CliRunner()
        .invoke(main, ["code", "--input", str(source), "--output", "-", "--input-format", "xml"])
        .exit_code
        == 2
    )
