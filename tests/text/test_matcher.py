"""Tokens and term matching: exact, abbreviations, principled fuzzy matching, longest match."""

from __future__ import annotations

import pytest

from plugin.content.store import Store
from plugin.text import matcher_for
from plugin.text.matcher import Matcher, fuzziness
from plugin.text.vocabulary import Term, Value, Vocabulary


@pytest.mark.parametrize(("length", "edits"), [(3, 0), (5, 0), (6, 1), (9, 1), (10, 2), (14, 2)])
def test_fuzziness_by_length(length: int, edits: int) -> None:
    assert fuzziness(length) == edits


def words(text: str, store: Store) -> list[str | None]:
    return [t.word for t in matcher_for(store).tokens(text)]


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        ("laparascopic", "laparoscopic"),
        ("percutanous", "percutaneous"),
        ("metastsis", "metastasis"),
        ("microwve", "microwave"),
        ("ultrasuond", "ultrasound"),  # transposition = one edit
        ("hepatc", "hepatic"),
    ],
)
def test_misspellings_read_as_the_nearest_word(typo: str, word: str, store: Store) -> None:
    assert words(typo, store) == [word]


@pytest.mark.parametrize("typo", ["lapp", "perk", "opn", "mest", "cyro", "livr", "lang", "bon"])
def test_short_words_are_never_fuzzy(typo: str, store: Store) -> None:
    assert words(typo, store) == [None]


@pytest.mark.parametrize("typo", ["MWB", "RFAA", "HCCC", "CTT", "TAC"])
def test_abbreviations_are_whole_tokens_only(typo: str, store: Store) -> None:
    assert words(typo, store) == [None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("under US guidance", "us"),
        ("under us guidance", "us"),  # no case information: read as the abbreviation
        ("Referred to us", None),  # mixed case: 'us' is the pronoun
        ("perc MWA", "mwa"),
        ("perc mwa", "mwa"),
    ],
)
def test_two_letter_abbreviations_respect_case(
    text: str, expected: str | None, store: Store
) -> None:
    w = words(text, store)
    if expected is None:
        assert "us" not in w
    else:
        assert expected in w


def test_longest_match_wins(store: Store) -> None:
    m = matcher_for(store)
    found = m.mentions(m.tokens("high intensity focused ultrasound of the liver"))
    assert [x.term.value.code for x in found] == ["high-intensity-focused-ultrasound", "liver"]


def test_hyphens_and_spaces_read_the_same(store: Store) -> None:
    m = matcher_for(store)
    a = m.mentions(m.tokens("ultrasound-guided"))
    b = m.mentions(m.tokens("Ultrasound guided"))
    assert [x.term.written for x in a] == [x.term.written for x in b] == ["ultrasound guided"]


def test_a_tie_between_two_words_is_no_match() -> None:
    vocab = Vocabulary()
    for i, w in enumerate(("abcdefg", "abcdefh")):
        vocab.add_term(Term((w,), Value("s", str(i), w, "f"), w, False))
    m = Matcher(vocab)
    assert m.nearest("abcdefx") is None  # one edit from both
    assert m.nearest("abcdefgg") == "abcdefg"


def test_fuzzy_cache_is_bounded(store: Store) -> None:
    m = Matcher(matcher_for(store).vocab)
    for i in range(50):
        m.nearest(f"zzzzzz{i}")
    assert len(m._cache) <= 100_000


def test_a_tie_between_words_of_the_same_meaning_is_resolved(store: Store) -> None:
    # 'metastatis' is one edit from 'metastasis' and from 'metastatic': both a liver metastasis
    assert words("metastatis", store) == ["metastatic"]


def test_digits_carry_no_case(store: Store) -> None:
    assert words("Y-90 therapy", store)[:2] == ["y", "90"]
