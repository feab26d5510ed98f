"""Fuzzing the recogniser: any text, adversarial text, 100 kB inputs -> an answer, in bounded time.

Time bounds are deliberately generous (the machine is shared): they catch runaway behaviour
(quadratic scans, regex backtracking), not slowness. The benchmark measures speed.
"""

from __future__ import annotations

import gc
import random
import string
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.coding import CodedDescription, Coder
from plugin.content.store import Store
from plugin.text import matcher_for
from plugin.text.cues import CUE_WORDS

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def coder(store: Store) -> Coder:
    return Coder(store)


def check(result: CodedDescription) -> None:
    assert isinstance(result.result, bool)
    assert result.message
    if not result.result:
        assert not result.assigned and not result.candidates
    for t in result.terms:
        assert result.text[t.start : t.end] == t.words


@SETTINGS
@given(st.text(max_size=1000))
def test_any_text(coder: Coder, text: str) -> None:
    check(coder.code(text))


def _pieces(store: Store) -> list[str]:
    vocab = matcher_for(store).vocab
    terms = [t.written for ts in vocab.by_first.values() for t in ts]
    return terms + sorted(CUE_WORDS) + list(",;.()/-") + ["x3", "segment VII", "  ", "\n"]


@SETTINGS
@given(data=st.data())
def test_adversarial_vocabulary_soup(coder: Coder, store: Store, data: st.DataObject) -> None:
    pieces = _pieces(store)
    words = data.draw(st.lists(st.sampled_from(pieces), max_size=80))
    sep = data.draw(st.sampled_from([" ", "", ", ", "-", "\t"]))
    mutate = data.draw(st.booleans())
    text = sep.join(words)
    if mutate and text:
        i = data.draw(st.integers(0, len(text) - 1))
        text = text[:i] + data.draw(st.sampled_from(string.ascii_letters)) + text[i + 1 :]
    check(coder.code(text))


def _big_inputs(store: Store) -> dict[str, str]:
    rng = random.Random(406)
    pieces = _pieces(store)
    size = 100_000
    soup = " ".join(rng.choice(pieces) for _ in range(size // 4))[:size]
    # every token a distinct near-miss of a long word: the worst case for approximate lookups
    misses = " ".join(
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(6, 14)))
        for _ in range(size // 10)
    )[:size]
    return {
        "one long word": "a" * size,
        "no no no": "no " * (size // 3),
        "punctuation": ",.;()" * (size // 5),
        "vocabulary soup": soup,
        "random long words": misses,
        "unicode": "ü漢字🙂 " * (size // 5),
        "repeated description": "Percutaneous MWA of CRLM under US, " * (size // 35),
    }


@pytest.mark.parametrize(
    "name",
    [
        "one long word",
        "no no no",
        "punctuation",
        "vocabulary soup",
        "random long words",
        "unicode",
        "repeated description",
    ],
)
def test_100kb_inputs_in_bounded_time(store: Store, name: str) -> None:
    text = _big_inputs(store)[name]
    coder = Coder(store)
    started = time.process_time()
    result = coder.code(text)
    assert time.process_time() - started < 30
    check(result)


@pytest.mark.parametrize(
    "unit",
    [
        "liver lung metastasis ",  # many values of one facet, each naming a lesion
        "open laparoscopic MWA liver biopsy ",  # conflicting approaches, other procedures
        "liver and lung and ",  # one long coordination chain
        "no ultrasound or CT or ",  # one long negation scope
    ],
)
def test_time_grows_linearly_with_length(store: Store, unit: str) -> None:
    # Quadratic work would take ~16x longer on a 4x longer text; linear work ~4x. The ratio
    # is compared, not absolute times, so a slow or busy machine does not matter.
    def cost(n: int) -> float:
        text = unit * n
        best = float("inf")
        for _ in range(3):
            coder = Coder(store)  # fresh caches
            gc.disable()  # the collector's pauses depend on the whole heap, not on this text
            try:
                started = time.process_time()
                result = coder.code(text)
                best = min(best, time.process_time() - started)
            finally:
                gc.enable()
            check(result)
        return best

    small = 25_000 // len(unit)
    assert cost(4 * small) < 12 * max(cost(small), 0.02)
