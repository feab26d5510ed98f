"""Memory and length bounds of the recogniser: caches bounded by bytes, descriptions by length."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.config import MAX_DESCRIPTION_CHARS
from plugin.content.store import Store
from plugin.text import matcher as matcher_module
from plugin.text import reading as reading_module
from plugin.text.matcher import Matcher
from plugin.text.vocabulary import build
from tests.text.scoring import read_matches, sets

Post = Callable[..., tuple[int, Any]]


@pytest.fixture
def fresh(store: Store) -> Matcher:
    return Matcher(build(store))


def _message(body: dict[str, Any]) -> str:
    return next(p["valueString"] for p in body["parameter"] if p["name"] == "message")


@pytest.mark.parametrize("length", [60, 3_000, 300_000])
def test_a_word_too_long_to_be_a_misspelling_is_not_looked_up_or_kept(
    fresh: Matcher, length: int
) -> None:
    word = "metastasis" * (length // 10)
    assert fresh.nearest(word) is None
    assert word not in fresh._cache


def test_word_cache_is_bounded_by_bytes(fresh: Matcher, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matcher_module, "_CACHE_BYTES", 5000)
    for i in range(2000):
        fresh.nearest("zq" + "".join(chr(97 + int(d)) for d in f"{i:05d}"))
    per_entry = matcher_module._ENTRY_BYTES
    assert fresh._cache_bytes <= 5000 + 7 + per_entry
    assert sum(len(w) + per_entry for w in fresh._cache) == fresh._cache_bytes
    assert 0 < len(fresh._cache) <= 5000 // per_entry + 1


def test_plan_cache_is_bounded_by_tokens(fresh: Matcher, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading_module, "_PLAN_TOKENS", 300)
    for i in range(200):
        # every text a distinct signature: a clause break moves along the description
        words = ["liver"] * 30
        words[i % 30] = "liver,"
        reading_module.read(" ".join(words) + " mwa" * (i // 30), fresh)
    assert fresh.plan_tokens <= 300 + reading_module.PLAN_MAX_TOKENS
    assert sum(len(k) for k in fresh.plans) == fresh.plan_tokens


@pytest.mark.parametrize("filler", [" ", "\n", "x"])
def test_only_the_stated_length_of_a_description_is_read(translate_text: Post, filler: str) -> None:
    head = "percutaneous microwave ablation of liver metastases"
    text = head + (filler * (MAX_DESCRIPTION_CHARS + 500)) + " open approach"
    status, body = translate_text(text)
    assert status == 200
    message = _message(body)
    assert f"Only the first {MAX_DESCRIPTION_CHARS} characters" in message
    assert f"of the {len(text)}-character description" in message
    # the approach after the limit was not read: the stated one stands alone
    _, matches = read_matches(body)
    assigned, _, _ = sets(matches)
    codes = {c for _, c in assigned}
    assert "J03.2" not in codes


def test_a_description_within_the_limit_is_read_whole(translate_text: Post) -> None:
    status, body = translate_text("open microwave ablation of liver metastases")
    assert status == 200
    assert "Only the first" not in _message(body)


_ANY = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    piece=_ANY,
    times=st.integers(min_value=1, max_value=3 * MAX_DESCRIPTION_CHARS),
    encoding=st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_any_description_at_any_length_is_answered(
    client: Any, piece: str, times: int, encoding: str
) -> None:
    """Text in any script, control characters included, up to three times the stated length,
    with or without a BOM: 200 with a message, never a 5xx."""
    text = (piece * (times // len(piece) + 1))[:times]
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": "codeableConcept", "valueCodeableConcept": {"text": text}}],
    }
    raw = json.dumps(body).encode(encoding)
    r = client.post(
        "/r4/ConceptMap/$translate",
        content=raw,
        headers={"Content-Type": "application/fhir+json"},
    )
    assert r.status_code < 500, r.text[:300]
    if r.status_code == 200:
        assert _message(r.json())
