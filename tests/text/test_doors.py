"""Every door gives the same codes: HTTP, Python API, CLI (--json) and bulk, for every dev case
(the descriptions and the clinical notes) and every case of our own (`cases-extra.jsonl`, whose
HTTP answers `test_descriptions.py` judges); HTTP and the Python API give the same mentions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from plugin import code_description
from plugin.bulk import code_file
from plugin.cli import main
from tests.text.scoring import load_cases, read_matches
from tests.text.test_notes import MISSES

DEV = (
    load_cases("descriptions-dev.jsonl")
    + load_cases("descriptions-dev-notes.jsonl")
    + load_cases("cases-extra.jsonl")
)
Codes = set[tuple[str, str, bool]]


def http_codes(status: int, body: dict[str, Any]) -> Codes:
    if status >= 400:
        return set()
    _, matches = read_matches(body)
    out: Codes = set()
    for m in matches:
        asserted = m["eq"] in {"equivalent", "equal", "wider", "subsumes", "relatedto"}
        for k in [m["concept"], *m["products"]]:
            if k:
                out.add((k[0], k[1], asserted))
    return out


def api_codes(codes: list[dict[str, Any]]) -> Codes:
    from tests.text.scoring import key

    out: Codes = set()
    for c in codes:
        k = key(c["system"], c["code"])
        assert k is not None
        out.add((k[0], k[1], c["asserted"]))
    return out


@pytest.fixture(scope="module")
def bulk(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Codes]:
    folder = tmp_path_factory.mktemp("bulk")
    source, target = folder / "in.ndjson", folder / "out.ndjson"
    source.write_text("".join(json.dumps({"id": c["id"], "text": c["text"]}) + "\n" for c in DEV))
    report = code_file(source, target, progress=False)
    assert report.coded == len(DEV) and not report.bad
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    return {r["id"]: api_codes(r["codes"]) for r in rows}


@pytest.mark.parametrize("case", DEV, ids=[c["id"] for c in DEV])
def test_same_codes_through_every_door(
    case: dict[str, Any], translate_text: Callable[..., Any], bulk: dict[str, Codes]
) -> None:
    via_http = http_codes(*translate_text(case["text"]))
    via_api = api_codes([c._asdict() for c in code_description(case["text"]).codes])
    out = CliRunner().invoke(main, ["code", "--json", case["text"]])
    assert out.exit_code == 0, out.output
    via_cli = api_codes(json.loads(out.output)["codes"])
    assert via_http == via_api == via_cli == bulk[case["id"]]
    status, body = translate_text(case["text"])
    if status == 200:  # the same explanation, word for word
        api = code_description(case["text"])
        message = next(p["valueString"] for p in body["parameter"] if p["name"] == "message")
        assert message == api.message
        reasons = [
            next(q["valueString"] for q in p["part"] if q["name"] == "message")
            for p in body["parameter"]
            if p["name"] == "match"
        ]
        assert reasons == list(api.reasons)
    if case["kind"] != "out" and case["id"] not in MISSES:
        assert via_http
    if status == 200:
        via_wire = [
            {q["name"]: next(v for k, v in q.items() if k.startswith("value")) for q in p["part"]}
            for p in body["parameter"]
            if p["name"] == "mention"
        ]
        api_mentions = code_description(case["text"]).mentions
        assert [(m["facet"], m["offset"], m["length"], m["status"]) for m in via_wire] == [
            (m.facet, m.offset, m.length, m.status) for m in api_mentions
        ]


def test_cli_and_api_agree_on_message() -> None:
    text = DEV[0]["text"]
    out = CliRunner().invoke(main, ["code", "--json", text])
    assert json.loads(out.output)["message"] == code_description(text).message


def test_bulk_file_is_not_needed_per_door(tmp_path: Path) -> None:
    # the CSV door gives the same assigned codes as the API
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("id,text\n1,Percutaneous MWA of CRLM under US\n")
    code_file(source, target, progress=False)
    row = target.read_text().splitlines()[1]
    assert "OPCS-4|J12.7 OPCS-4|Y53.2 ICD-10-UK|C78.7" in row
