"""Bulk coding: CSV, TSV and NDJSON, streaming; bad rows reported and skipped; refusals first."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from plugin import code_description
from plugin.bulk import Refused, code_file, count_lines, format_of, summary

PERC = "Percutaneous MWA of liver mets"
LAP = "lap MWA of liver mets"


def _expected(text: str) -> tuple[str, str]:
    result, codes, _ = summary(code_description(text))
    return str(result).lower(), codes


@pytest.mark.parametrize(
    ("name", "given", "fmt"),
    [
        ("a.csv", None, "csv"),
        ("a.CSV", None, "csv"),
        ("a.tsv", None, "tsv"),
        ("a.ndjson", None, "ndjson"),
        ("a.jsonl", None, "ndjson"),
        ("a.csv.gz", None, "csv"),
        ("a.jsonl.gz", None, "ndjson"),
        ("a.txt", "csv", "csv"),
        ("a.txt", None, None),
        ("a.xlsx", None, None),
    ],
)
def test_format_of(name: str, given: str | None, fmt: str | None) -> None:
    assert format_of(Path(name), given) == fmt


def _code(tmp_path: Path, name: str, data: bytes, out: str = "out.ndjson", **kw: Any) -> Any:
    source, target = tmp_path / name, tmp_path / out
    source.write_bytes(data)
    seen: list[tuple[int, str]] = []
    kw.setdefault("progress", False)
    report = code_file(source, target, on_bad=lambda n, why: seen.append((n, why)), **kw)
    assert seen == report.bad  # every skipped row is reported as it happens
    return report, target


def _ndjson(target: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in target.read_text().splitlines()]


def test_ndjson_bad_rows_are_reported_and_skipped(tmp_path: Path) -> None:
    data = (
        f'{{"id": "a", "text": "{PERC}", "ward": 7}}\n'
        "{not json\n"
        '{"id": "b", "text": 5}\n'
        "[1, 2]\n"
        '{"id": "c"}\n'
        "\n"
        f'"{LAP}"\n'
    ).encode()
    report, target = _code(tmp_path, "in.ndjson", data)
    assert (report.rows, report.coded) == (6, 2)
    assert [n for n, _ in report.bad] == [2, 3, 4, 5]
    assert all(why for _, why in report.bad)
    rows = _ndjson(target)
    # input fields pass through; the line number says where each row came from
    assert [(r.get("id"), r["text"], r["line"]) for r in rows] == [("a", PERC, 1), (None, LAP, 7)]
    assert rows[0]["ward"] == 7
    assert [c["code"] for c in rows[0]["codes"] if c["asserted"]] == [
        c.code for c in code_description(PERC).assigned
    ]


def test_csv_bad_rows_and_pass_through(tmp_path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "note", "description"])
    w.writerow(["1", "x", "MWA of liver mets, CT guided"])
    w.writerow(["2"])  # too few fields
    w.writerow(["3", "multi\nline", LAP])  # a quoted field over two lines
    w.writerow(["4", "y", PERC])
    report, target = _code(tmp_path, "in.csv", buf.getvalue().encode(), "out.csv")
    assert report.coded == 3 and [n for n, _ in report.bad] == [3]
    rows = list(csv.DictReader(target.open(newline="")))
    assert list(rows[0]) == [
        "id",
        "note",
        "description",
        "line",
        "result",
        "codes",
        "candidates",
        "message",
    ]
    assert [r["id"] for r in rows] == ["1", "3", "4"]
    assert [r["line"] for r in rows] == ["2", "4", "6"]
    assert rows[1]["note"] == "multi\nline"
    for r in rows:
        assert (r["result"], r["codes"]) == _expected(r["description"])
    assert rows[0]["candidates"]  # approach not stated: candidates, none asserted


def test_unterminated_quote_skips_one_row_and_resynchronises(tmp_path: Path) -> None:
    data = f'id,text\n1,"{PERC}\n2,{LAP}\n3,{PERC}\n'.encode()
    report, target = _code(tmp_path, "in.csv", data, "out.csv")
    assert [n for n, _ in report.bad] == [2]
    assert "unterminated quote" in report.bad[0][1]
    assert [r["id"] for r in csv.DictReader(target.open(newline=""))] == ["2", "3"]


def test_quote_inside_an_unquoted_field_is_text(tmp_path: Path) -> None:
    data = b'id,text\n1,MWA of 3" lesion liver mets\n2,x\n'
    report, _ = _code(tmp_path, "in.csv", data, "out.csv")
    assert not report.bad and report.coded == 2


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_bom_gzip_and_tsv(tmp_path: Path, bom: bytes, gz: bool, fmt: str) -> None:
    sep = "," if fmt == "csv" else "\t"
    data = bom + f"id{sep}text\nr1{sep}{PERC}\nr2{sep}{LAP}\n".encode()
    name = f"in.{fmt}" + (".gz" if gz else "")
    report, target = _code(tmp_path, name, gzip.compress(data) if gz else data)
    assert report.coded == 2 and not report.bad
    assert [r["id"] for r in _ndjson(target)] == ["r1", "r2"]  # the BOM is not in the name


def test_latin1_is_read_as_windows_1252(tmp_path: Path) -> None:
    data = f"id,text\n1,{PERC} (café)\n".encode("latin-1")
    report, target = _code(tmp_path, "in.csv", data)
    assert report.encoding == "cp1252"
    assert _ndjson(target)[0]["text"] == f"{PERC} (café)"


def test_a_bad_byte_later_in_a_utf8_file_is_a_bad_row(tmp_path: Path) -> None:
    good = "".join(f"{i},{PERC} é\n" for i in range(5000)).encode()  # beyond the sample
    data = b"id,text\n" + good + b"x,\xff\xfe broken\n" + f"y,{LAP}\n".encode()
    report, _ = _code(tmp_path, "in.csv", data)
    assert report.bad == [(5002, report.bad[0][1])] and "utf-8" in report.bad[0][1]
    assert report.coded == 5001


def test_rows_over_the_size_limit_are_skipped(tmp_path: Path) -> None:
    big = "x" * 5000
    data = f'{{"text": "{big}"}}\n{{"text": "{PERC}"}}\n'.encode()
    report, target = _code(tmp_path, "in.ndjson", data, max_row_bytes=1000)
    assert [n for n, _ in report.bad] == [1] and "longer than" in report.bad[0][1]
    assert report.coded == 1
    # a quoted record over two lines, each under the limit, together over it
    part = "x" * 600
    data = f'id,text\n1,"{part}\n{part}"\n2,{PERC}\n'.encode()
    report, target = _code(tmp_path, "in.csv", data, max_row_bytes=1000)
    assert report.bad[0][0] == 2 and "too long" in report.bad[0][1]
    assert [r["id"] for r in _ndjson(target)] == ["2"]


@pytest.mark.parametrize(
    ("name", "data", "kw", "why"),
    [
        ("in.csv", b"id,note\n1,x\n", {}, "no 'text' or 'description' column"),
        ("in.csv", b"id,text\n1,x\n", {"column": "nope"}, "no 'nope' column"),
        ("in.ndjson", b'{"id": 1}\n', {}, "no 'text' or 'description' field"),
        ("in.xlsx", b"PK\x03\x04", {}, "unknown format"),
        ("in.csv", b"id,text\n1,\x00\x01\x02\n", {}, "NUL bytes"),
        ("in.csv", b"\xff\xfei\x00d\x00", {}, "UTF-16"),
        ("in.csv", b"id,text\n1,\x81\x8d\x8f\x90\x9d\n", {}, "cannot tell the encoding"),
        ("in.csv", b"", {}, "empty"),
        ("in.csv", b"id,text\n", {"in_format": "xml"}, "unknown input format"),
    ],
)
def test_refused_before_any_work(
    tmp_path: Path, name: str, data: bytes, kw: dict[str, Any], why: str
) -> None:
    (tmp_path / name).write_bytes(data)
    target = tmp_path / "out.ndjson"
    with pytest.raises(Refused, match=why):
        code_file(tmp_path / name, target, progress=False, **kw)
    assert not target.exists()  # nothing written


def test_compact_output_is_small(tmp_path: Path) -> None:
    data = "".join(json.dumps({"id": i, "text": PERC}) + "\n" for i in range(50)).encode()
    _, full = _code(tmp_path, "in.ndjson", data, "full.ndjson")
    _, compact = _code(tmp_path, "in.ndjson", data, "compact.ndjson", compact=True)
    row = _ndjson(compact)[0]
    assert set(row) == {"id", "text", "line", "result", "codes", "candidates"}
    assert (str(row["result"]).lower(), row["codes"]) == _expected(PERC)
    assert compact.stat().st_size * 5 < full.stat().st_size


def test_coded_names_do_not_overwrite_input_fields(tmp_path: Path) -> None:
    data = f'{{"text": "{PERC}", "codes": "mine", "line": "L"}}\n'.encode()
    _, target = _code(tmp_path, "in.ndjson", data, compact=True)
    row = _ndjson(target)[0]
    assert (row["codes"], row["line"]) == ("mine", "L")
    assert row["nice_tx_codes"] == _expected(PERC)[1] and row["nice_tx_line"] == 1


def test_binary_streams_in_and_text_stream_out() -> None:
    out = io.StringIO()
    report = code_file(
        io.BytesIO(f"id\ttext\n1\t{PERC}\n".encode()), out, in_format="tsv", progress=False
    )
    assert report.coded == 1
    assert out.getvalue().splitlines()[0].split("\t")[:4] == ["id", "text", "line", "result"]


def test_progress_bar_only_when_asked_or_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = tmp_path / "in.ndjson", tmp_path / "out.csv"
    source.write_text(f'"{PERC}"\n' * 5)
    assert count_lines(source) == 5
    code_file(source, target, progress=True)
    assert "5/5" in capsys.readouterr().err
    code_file(source, target)  # stderr is not a terminal here: no bar
    assert capsys.readouterr().err == ""


def test_memory_stays_bounded_on_a_huge_line(tmp_path: Path) -> None:
    # a 50 MB NDJSON line and 20,000 rows after it, in a fresh process: peak RSS stays small
    source = tmp_path / "big.ndjson"
    with source.open("wb") as f:
        f.write(b'{"text": "' + b"a" * 50_000_000 + b'"}\n')
        f.write(f'{{"text": "{PERC}"}}\n'.encode() * 20_000)
    # peak RSS from /proc (VmHWM starts afresh at exec; ru_maxrss would carry the forking
    # test process's own peak)
    script = (
        "import re, sys\n"
        "from plugin.bulk import code_file\n"
        "r = code_file(sys.argv[1], sys.argv[2], progress=False)\n"
        "status = open('/proc/self/status').read()\n"
        "print(r.coded, len(r.bad), re.search(r'VmHWM:\\s+(\\d+)', status).group(1))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(source), str(tmp_path / "o.csv")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    coded, bad, rss_kb = map(int, out)
    assert (coded, bad) == (20_000, 1)
    assert rss_kb < 200_000, f"{rss_kb} kB peak"
