"""The Python API: one function, a typed result."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import plugin
from plugin import CodedDescription, code_description
from plugin.cli import main as cli_main
from plugin.coding import Coder
from plugin.config import MAX_DESCRIPTION_CHARS
from plugin.ops.mapping import translate
from plugin.ops.translate import text_request
from plugin.text.explain import annotate


def test_exported() -> None:
    assert "code_description" in plugin.__all__


def test_typed_result() -> None:
    r = code_description("Ultrasound guided percutaneous microwave ablation of hepatic metastasis")
    assert isinstance(r, CodedDescription) and r.result
    assert [(c.code, c.role) for c in r.assigned] == [
        ("J12.7", "main"),
        ("Y53.2", "additional"),
        ("C78.7", "main"),
    ]
    assert r.candidates == []
    assert {t.facet for t in r.terms} >= {"technique", "site", "approach", "lesion"}
    assert len(r.reasons) == 2
    json.dumps(r.to_dict())


def test_candidates_are_not_assigned() -> None:
    r = code_description("Microwave ablation of a liver metastasis")
    assert [c.code for c in r.candidates] == ["J03.2", "J12.7", "J08.3"]
    assert [c.code for c in r.assigned] == ["C78.7"]


def test_engine_cache_gives_the_same_answers() -> None:
    coder = Coder()
    first = coder.code("perc MWA liver mets")
    again = coder.code("Percutaneous MWA of liver metastases")
    assert [c.code for c in first.assigned] == [c.code for c in again.assigned]
    assert first.terms != again.terms  # reasons are per description


def test_stated_image_control_is_asserted_without_the_approach() -> None:
    r = code_description("Microwave ablation of liver metastases under CT guidance")
    assert [(c.code, c.role, c.equivalence) for c in r.assigned] == [
        ("Y53.3", "additional", "wider"),
        ("C78.7", "main", "wider"),
    ]
    assert [c.code for c in r.candidates] == ["J03.2", "J12.7", "J08.3"]


@pytest.mark.parametrize(
    "text",
    [
        "Percutaneous MWA of CRLM under US",
        "Percutaneous MWA of CRLM under US, referred by Dr X",  # same signature, other words
        "percutanous MWA of hepatic metastsis without ultrasound (segment VII)",
        "open right hemicolectomy and MWA of liver mets",
        "TACE for HCC",
        "",
        "---",
        "ultrasound\x01guided percutaneous MWA of liver mets \x00 x3",
        "MWA of liver mets, CT guided",
    ],
)
def test_templated_explanation_equals_direct(text: str) -> None:
    coder = Coder()
    for _ in range(2):  # second time from the template cache
        r = coder.code(text)
        req = text_request(text, coder.store)
        assert req.reading is not None
        direct = annotate(translate(req, coder.store), req.reading, coder.vocab)
        assert r.message == direct.message
        assert list(r.reasons) == [m.comment for m in direct.matches]


def test_to_dict_has_every_field() -> None:
    r = code_description("Percutaneous MWA of CRLM under US")
    d = r.to_dict()
    assert [set(c) for c in d["codes"]] == [set(c._fields) for c in r.codes]
    assert [set(t) for t in d["terms"]] == [set(t._fields) for t in r.terms]
    assert d["codes"][0] == r.codes[0]._asdict()


def _over_long(filler: str) -> str:
    """A description longer than is read: many words, or one endless word (few tokens)."""
    head = "percutaneous microwave ablation of liver metastases under ultrasound"
    return head + filler * (MAX_DESCRIPTION_CHARS + 500) + " open approach"


def _http_message(client: Any, text: str) -> str:
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": "codeableConcept", "valueCodeableConcept": {"text": text}}],
    }
    answer = client.post("/r4/ConceptMap/$translate", json=body).json()
    return str(next(p["valueString"] for p in answer["parameter"] if p["name"] == "message"))


def _by_path(path: str, text: str, tmp_path: Path) -> str:
    """The message of one description coded by the Python API, the CLI or a bulk file."""
    if path == "code_description":
        return code_description(text).message
    if path == "Coder":
        return Coder().code(text).message
    if path == "cli --json":
        out = CliRunner().invoke(cli_main, ["code", "--json", text])
        return str(json.loads(out.stdout)["message"])
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    with source.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "text"], ["1", text]])
    done = CliRunner().invoke(cli_main, ["code", "--input", str(source), "--output", str(target)])
    assert done.exit_code == 0, done.output
    with target.open(newline="", encoding="utf-8") as fh:
        return str(next(csv.DictReader(fh))["message"])


@pytest.mark.parametrize("path", ["code_description", "Coder", "cli --json", "bulk csv"])
@pytest.mark.parametrize("filler", [" observed", "x"])
def test_the_rest_not_read_note_on_every_path(
    client: Any, tmp_path: Path, path: str, filler: str
) -> None:
    """Over-long text: every path reads the same head and says the rest was not read, in the
    words $translate uses over HTTP."""
    text = _over_long(filler)
    note = (
        f"Only the first {MAX_DESCRIPTION_CHARS} characters of the {len(text)}-character "
        "description were read."
    )
    message = _by_path(path, text, tmp_path)
    assert message.endswith(note)
    assert message == _http_message(client, text)


@pytest.mark.parametrize("path", ["code_description", "cli --json"])
def test_no_note_within_the_limit(tmp_path: Path, path: str) -> None:
    assert "were read" not in _by_path(
        path, "open microwave ablation of liver metastases", tmp_path
    )
