"""Tokens and term matching: exact, abbreviation and approximate (misspelt) words, longest match.

Approximate matching follows the usual search-engine rule for fuzziness by word length
(Elasticsearch's `AUTO:6,10`): words shorter than 6 letters must be spelt exactly, words of 6-9
letters may differ by one edit, longer words by two. The distance is the optimal string alignment
distance (insertions, deletions, substitutions, adjacent transpositions, each one edit). A word
matched approximately must be nearer to one vocabulary word than to any other; a tie is no match.
Words written in capitals in the vocabulary (abbreviations: MWA, US, CT) are only ever matched
exactly, as whole tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from plugin.text.vocabulary import WORD, Term, Vocabulary

# Approximate lookups are cached per vocabulary; the bound keeps memory flat on adversarial input.
_CACHE_LIMIT = 100_000
# Characters between two words that end a clause (negation and conversion do not cross them).
_BREAKS = frozenset(",;.:()[]{}!?|\n")


def fuzziness(length: int) -> int:
    """Edits allowed for a word of `length` letters (AUTO:6,10)."""
    if length < 6:
        return 0
    return 1 if length < 10 else 2


@dataclass(slots=True)
class Token:
    """A word of the text: its span, its lower-case form, and the vocabulary word it reads as."""

    start: int
    end: int
    lower: str
    word: str | None
    fuzzy: bool
    clause_start: bool
    # the characters between the previous word and this one ("" when only a space): sentence,
    # line and section boundaries are read from it
    gap: str = ""


@dataclass(slots=True)
class Mention:
    """A term found in the text, over tokens [first, last)."""

    first: int
    last: int
    start: int
    end: int
    term: Term
    fuzzy: bool


class Matcher:
    """Reads texts against one vocabulary."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self._approx = sorted(w for w, strict in vocab.words.items() if not strict and len(w) >= 6)
        self._cache: dict[str, str | None] = {}
        # readings already worked out, by token signature (see `reading.read`)
        self.plans: dict[tuple[str, ...], Any] = {}
        # word -> the values it names as a whole one-word term (None if it is only part of terms)
        meaning: dict[str, set[tuple[str, str]]] = {}
        for terms in vocab.by_first.values():
            for t in terms:
                if len(t.words) == 1:
                    meaning.setdefault(t.words[0], set()).add((t.value.system, t.value.code))
        self._meaning = {w: frozenset(v) for w, v in meaning.items()}
        self._by_first = {
            w: [(list(t.words), t) for t in terms] for w, terms in vocab.by_first.items()
        }

    def nearest(self, lower: str) -> str | None:
        """The one vocabulary word within the allowed edits of `lower`, if there is exactly one."""
        if lower in self._cache:
            return self._cache[lower]
        found: str | None = None
        if len(lower) >= 6 and lower.isalpha():
            limit = fuzziness(len(lower))
            hits = process.extract(
                lower, self._approx, scorer=OSA.distance, score_cutoff=limit, limit=None
            )
            allowed = [(w, d) for w, d, _ in hits if d <= fuzziness(min(len(lower), len(w)))]
            if allowed:
                best = min(d for _, d in allowed)
                nearest = [w for w, d in allowed if d == best]
                found = nearest[0] if len(nearest) == 1 else self._same_meaning(lower, nearest)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[lower] = found
        return found

    def _same_meaning(self, lower: str, tied: list[str]) -> str | None:
        """A tie is no ambiguity when every tied word is a whole term of the same value(s)
        ("metastatis": "metastasis" or "metastatic", both a liver metastasis); the word sharing
        the longest prefix with the token is taken. Otherwise no match."""
        meanings = {self._meaning.get(w) for w in tied}
        if len(meanings) != 1 or None in meanings:
            return None

        def shared(w: str) -> int:
            return next(
                (i for i, (a, b) in enumerate(zip(w, lower, strict=False)) if a != b),
                min(len(w), len(lower)),
            )

        return min(tied, key=lambda w: (-shared(w), w))

    def tokens(self, text: str) -> list[Token]:
        """The words of `text`, each resolved to a vocabulary word (or None)."""
        words = self.vocab.words
        caps_only = self.vocab.caps_only
        low = text.lower()
        # lower() never shortens a string; the same length means no character expanded, so the
        # lower-case text is aligned with the text and tokens can be sliced from it.
        aligned = len(low) == len(text)
        mixed = low != text and text != text.upper()
        cache = self._cache
        out: list[Token] = []
        prev_end = 0
        for m in WORD.finditer(text):
            start, end = m.span()
            lower = low[start:end] if aligned else m.group().lower()
            gap = text[prev_end:start]
            clause_start = not out or (gap != " " and not _BREAKS.isdisjoint(gap))
            q = gap.rstrip()
            if q.endswith("?") and (len(q) == 1 or not q[-2].isalnum()) and (out or not q[:-1]):
                # Clinical shorthand "? metastasis" (query): a cue word where the "?" stands,
                # in the clause of the word it qualifies. A "?" closing a question ("mets? yes")
                # follows a word directly and is only a clause break.
                at = prev_end + len(q) - 1
                before = text[prev_end:at]
                out.append(
                    Token(at, at + 1, "query", None, False, clause_start, before.strip() and before)
                )
                clause_start = False
                gap = " "
            prev_end = end
            fuzzy = False
            word: str | None = None
            if lower in words:
                if not (lower in caps_only and mixed and not text[start:end].isupper()):
                    word = lower
            elif len(lower) >= 6:
                word = cache[lower] if lower in cache else self.nearest(lower)
                fuzzy = word is not None
            out.append(
                Token(start, end, lower, word, fuzzy, clause_start, "" if gap == " " else gap)
            )
        return out

    def mentions(self, tokens: list[Token]) -> list[Mention]:
        """Terms found left to right, the longest term at each position winning."""
        by_first = self._by_first
        out: list[Mention] = []
        seq = [t.word for t in tokens]
        fuzzy_at = [t.fuzzy for t in tokens]
        any_fuzzy = True in fuzzy_at
        n = len(seq)
        i = 0
        while i < n:
            first = seq[i]
            found = None
            if first is not None:
                for words, term in by_first.get(first, ()):
                    if seq[i : i + len(words)] == words:
                        found = term
                        break
            if found is None:
                i += 1
                continue
            last = i + len(found.words)
            fuzzy = any_fuzzy and True in fuzzy_at[i:last]
            out.append(Mention(i, last, tokens[i].start, tokens[last - 1].end, found, fuzzy))
            i = last
        return out
