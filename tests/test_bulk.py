"""Bulk coding: CSV and NDJSON, streaming, bad rows reported and skipped."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from plugin.bulk import BadRow, code_file, count_lines, format_of


@pytest.mark.parametrize(
    ("name", "given", "fmt"),
    [
        ("a.csv", None, "csv"),
        ("a.ndjson", None, "ndjson"),
        ("a.jsonl", None, "ndjson"),
        ("a.txt", "csv", "csv"),
    ],
)
def test_format_of(name: str, given: str | None, fmt: str) -> None:
    assert format_of(Path(name), given) == fmt


def test_ndjson_bad_rows_are_reported_and_skipped(tmp_path: Path) -> None:
    source, target = tmp_path / "in.ndjson", tmp_path / "out.ndjson"
    source.write_text(
        '{"id": "a", "text": "Percutaneous MWA of liver mets"}\n'
        "{not json\n"
        '{"id": "b", "text": 5}\n'
        "[1, 2]\n"
        '{"id": "c"}\n'
        "\n"
        '"lap MWA of liver mets"\n'
        '{"id": "d", "description": "TACE for HCC"}\n'
    )
    seen: list[tuple[int, str]] = []
    report = code_file(source, target, progress=False, on_bad=lambda n, why: seen.append((n, why)))
    assert report.coded == 3 and report.rows == 7
    assert [n for n, _ in report.bad] == [2, 3, 4, 5] == [n for n, _ in seen]
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", 7, "d"]
    assert [r["result"] for r in rows] == [True, True, False]


def test_csv_in_csv_out(tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    with source.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "note", "description"])
        w.writerow(["1", "x", "MWA of liver mets, CT guided"])
        w.writerow(["2"])  # short row
        w.writerow(["3", "y", "Percutaneous MWA of liver mets"])
    report = code_file(source, target, progress=False)
    assert report.coded == 2 and [n for n, _ in report.bad] == [3]
    rows = list(csv.DictReader(target.open()))
    assert rows[0]["id"] == "1" and rows[0]["codes"] == "OPCS-4|Y53.3 ICD-10-UK|C78.7"
    assert rows[0]["candidates"] == (
        "OPCS-4|J03.2+OPCS-4|Y13.7+OPCS-4|Y53.3 OPCS-4|J12.7+OPCS-4|Y53.3 OPCS-4|J08.3+OPCS-4|Y53.3"
    )
    assert rows[1]["codes"] == "OPCS-4|J12.7 ICD-10-UK|C78.7" and rows[1]["result"] == "true"


def test_csv_named_column_must_exist(tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.ndjson"
    source.write_text("id,text\n1,MWA\n")
    with pytest.raises(BadRow):
        code_file(source, target, column="nope", progress=False)


def test_cross_formats_and_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target = tmp_path / "in.ndjson", tmp_path / "out.csv"
    source.write_text('"Percutaneous MWA of liver mets"\n' * 5)
    assert count_lines(source) == 5
    report = code_file(source, target, progress=True)
    assert report.coded == 5
    assert len(target.read_text().splitlines()) == 6
    assert "5/5" in capsys.readouterr().err
