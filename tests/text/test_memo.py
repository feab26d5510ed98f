"""Without its memos the recogniser reads every description the same, and remembers nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plugin.api.cache import ResponseCache
from plugin.api.dispatch import FhirApp
from plugin.api.limits import SlowBodyGuard
from plugin.api.settings import Settings, build_app
from plugin.content.loader import build_store
from plugin.text import matcher_for, memoise, read_text

HERE = Path(__file__).parent
TEXTS = [
    json.loads(line)["text"]
    for name in ("descriptions-dev.jsonl", "cases-extra.jsonl")
    for line in (HERE / name).read_text().splitlines()
    if line.strip()
]


def _shape(text: str, store: object) -> tuple[object, ...]:
    r = read_text(text, store)  # type: ignore[arg-type]
    return (r.found, r.procedure, r.codings, r.dependencies, r.missing, r.unrecognised)


def test_same_readings_with_and_without_memos() -> None:
    remembering, _ = build_store()
    forgetting, _ = build_store()
    memoise(forgetting, False)
    # Twice over: the second pass of the remembering store reads from its memos.
    for _ in range(2):
        for text in TEXTS:
            assert _shape(text, remembering) == _shape(text, forgetting), text
    assert matcher_for(remembering).plans
    assert not matcher_for(forgetting).plans
    assert not matcher_for(forgetting)._cache


@pytest.mark.parametrize(("size", "remembers"), [(0, False), (64, True)])
def test_cache_size_zero_turns_every_memo_off(size: int, remembers: bool) -> None:
    from starlette.testclient import TestClient

    guarded = build_app(Settings(cache_size=size))
    assert isinstance(guarded, SlowBodyGuard)
    app = guarded.app
    assert isinstance(app, ResponseCache)
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "codeableConcept", "valueCodeableConcept": {"text": "open MWA of CRLM"}}
        ],
    }
    with TestClient(guarded) as c:
        for _ in range(2):
            assert c.post("/r4/ConceptMap/$translate", json=body).status_code == 200
    assert (len(app) > 0) is remembers
    inner = app.app
    assert isinstance(inner, FhirApp)
    served = inner.stores()
    assert served
    # The base that answered kept its readings, or (cache off) no base keeps any.
    assert any(matcher_for(s).plans for s in served) is remembers


def test_words_a_back_reference_opens_with_are_part_of_the_memo_key() -> None:
    """'It was abandoned.' refers back and 'Zed was abandoned.' does not: a reading remembered
    for one must not answer the other (the remembered reading would assert what is undone)."""
    from plugin.text.rules import lexicon

    remembering, _ = build_store()
    forgetting, _ = build_store()
    memoise(forgetting, False)
    mwa = "Percutaneous MWA of liver metastasis."
    lex = lexicon()
    words = sorted(lex.subjects | {" ".join(o) for o in lex.openers})
    for word in words:
        for later in ("Zed was abandoned.", f"{word} the procedure was abandoned."):
            text = f"{mwa} {later}"
            assert _shape(text, remembering) == _shape(text, forgetting), text
        text = f"{mwa} {word} was abandoned."
        assert _shape(text, remembering) == _shape(text, forgetting), text
