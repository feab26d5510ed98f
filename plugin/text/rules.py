"""The assertion-context lexicon and section titles: data files, loaded once, with provenance.

Cue rules use medspaCy's ConText rule format (`category`, `literal`, `direction`, optional
`pattern` of spaCy token dicts, `max_scope`, `allowed_types`), so the same files can be read by
medspaCy itself (`benchmarks/context_choice.py` does). Two files are read:

- `data/context_rules.json`: this project's rules (planned / not performed / imaging-for-guidance
  cues besides negation, uncertainty and history), and the words a clause may open with when its
  cue refers back to an earlier procedure (`refers_back_subjects`, after at most an opening
  phrase of `refers_back_openers`);
- `data/medspacy/context_rules.json`: medspaCy 1.3.1's English ConText rules (MIT licence, in
  `data/medspacy/LICENSE`), read as they are; of their token patterns the forms they use
  (`LOWER` a word or `{"IN": [...]}`, `OP: "?"`) are expanded into literals.

Section titles come from `data/sections.json` (this project's, which win) and medspaCy's
`data/medspacy/section_patterns.json`, whose categories `sections.json` maps to kinds. A title
of `sections.json` marked `reports_on` heads a section that reports on the one before it
("Outcome:", "Comment:"): a back reference opening it may reach into that section.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from plugin.text.vocabulary import words_of

DATA = Path(__file__).parent / "data"
# Placeholders a literal may hold (a whole word each).
YEAR = "<year>"
NUM = "<num>"
_PLACEHOLDERS = {"<YEAR>": YEAR, "<NUM>": NUM}
# Categories whose rules only end or block other cues.
TERMINATE = "TERMINATE"
PSEUDO = "PSEUDO"
# Not an assertion: which value a converted procedure ended with (read by `cues.py`).
CONVERSION = "CONVERSION"


@dataclass(frozen=True, slots=True)
class Rule:
    """One cue: its words, what it says, which way it reaches and how far, and for whom."""

    words: tuple[str, ...]
    category: str
    direction: str
    max_scope: int | None = None
    types: frozenset[str] | None = None
    sentence_start: bool = False
    # scope stops at clause punctuation (commas, brackets) as well as at sentence ends
    clause: bool = False
    # no placeholder among its words: matched by comparing words
    plain: bool = True
    sentence_end: bool = False
    # may refer back to the procedure named before its clause (see `context.py`)
    refers_back: bool = False
    # opening its section or paragraph, may refer forward to the next procedure named
    refers_forward: bool = False


@dataclass(slots=True)
class Lexicon:
    """Cue rules indexed by first word (longest first), and every word any cue uses."""

    by_first: dict[str, list[Rule]] = field(default_factory=dict)
    words: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()
    # words a clause may open with and still refer back ("procedure", "it", "was")
    subjects: frozenset[str] = frozenset()
    # phrases a clause may open with before those words ("after", "on review"), and how many
    # words such an opening phrase may hold
    openers: frozenset[tuple[str, ...]] = frozenset()
    opener_reach: int = 0


@dataclass(frozen=True, slots=True)
class SectionKind:
    """What a kind of section may tell: the roles it sets, and the status of the others."""

    key: str
    roles: frozenset[str]
    status: str | None


@dataclass(slots=True)
class Sections:
    """Section titles (as word tuples) by first word, longest first, with their kinds."""

    kinds: dict[str, SectionKind] = field(default_factory=dict)
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    # titles of sections that report on the one before ("Outcome:", "Comment:")
    reporting: frozenset[tuple[str, ...]] = frozenset()


def literal_words(text: str) -> tuple[str, ...]:
    """The words of a cue literal, placeholders kept whole."""
    out: list[str] = []
    for chunk in text.split():
        out.extend((_PLACEHOLDERS[chunk],) if chunk in _PLACEHOLDERS else words_of(chunk))
    return tuple(out)


def _pattern_words(pattern: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """The word sequences a spaCy token pattern of the forms medspaCy's rules use matches."""
    choices: list[list[tuple[str, ...]]] = []
    for element in pattern:
        lower = element.get("LOWER")
        if isinstance(lower, str):
            options = [words_of(lower)]
        elif isinstance(lower, dict) and isinstance(lower.get("IN"), list):
            options = [words_of(str(w)) for w in lower["IN"]]
        else:
            return []  # a form this reader does not support: the rule's literal is used instead
        if element.get("OP") == "?":
            options.append(())
        choices.append(options)
    return [tuple(w for part in combo for w in part) for combo in itertools.product(*choices)]


# Categories that, like negation in NegEx, are read within a clause (a comma ends them).
_CLAUSE_BOUND = frozenset({"NEGATED_EXISTENCE", "HISTORICAL", "POSSIBLE_EXISTENCE", "FAMILY"})


def _rules_of(doc: dict[str, Any]) -> list[Rule]:
    out: list[Rule] = []
    for r in doc.get("context_rules", []):
        category = str(r["category"])
        direction = str(r.get("direction", "BIDIRECTIONAL")).upper()
        if TERMINATE in (direction, category):
            category = direction = TERMINATE
        types = r.get("allowed_types")
        sequences = _pattern_words(r["pattern"]) if r.get("pattern") else []
        sequences = sequences or [literal_words(str(r["literal"]))]
        for words in dict.fromkeys(sequences):
            if words:
                out.append(
                    Rule(
                        words,
                        category,
                        direction,
                        r.get("max_scope"),
                        frozenset(types) if types else None,
                        bool(r.get("sentence_start")),
                        category in _CLAUSE_BOUND,
                        not any(w in (YEAR, NUM) for w in words),
                        bool(r.get("sentence_end")),
                        bool(r.get("refers_back")),
                        bool(r.get("refers_forward")),
                    )
                )
    return out


@cache
def lexicon(
    files: tuple[str, ...] = ("context_rules.json", "medspacy/context_rules.json"),
) -> Lexicon:
    """The cue lexicon from the rule files (first file wins for the same words)."""
    lex = Lexicon(sources=files)
    seen: set[tuple[str, ...]] = set()
    subjects: set[str] = set()
    openers: set[tuple[str, ...]] = set()
    for name in files:
        doc = json.loads((DATA / name).read_text(encoding="utf-8"))
        subjects.update(w for s in doc.get("refers_back_subjects", []) for w in words_of(s))
        openers.update(words_of(s) for s in doc.get("refers_back_openers", []))
        lex.opener_reach = max(lex.opener_reach, int(doc.get("refers_back_opener_reach", 0)))
        for rule in _rules_of(doc):
            key = (*rule.words, rule.direction, rule.category)
            if key in seen:
                continue
            seen.add(key)
            lex.by_first.setdefault(rule.words[0], []).append(rule)
    for rules in lex.by_first.values():
        # longest first; of equal length, a rule bound to a sentence edge before a free one
        rules.sort(key=lambda r: (-len(r.words), not (r.sentence_start or r.sentence_end)))
    lex.words = frozenset(w for rules in lex.by_first.values() for r in rules for w in r.words)
    lex.subjects = frozenset(subjects)
    lex.openers = frozenset(o for o in openers if o)
    return lex


@cache
def sections() -> Sections:
    """Section titles and kinds from `sections.json` and medspaCy's section patterns."""
    doc = json.loads((DATA / "sections.json").read_text(encoding="utf-8"))
    out = Sections()
    for key, kind in doc["kinds"].items():
        out.kinds[key] = SectionKind(key, frozenset(kind["roles"]), kind.get("status"))
    titles: dict[tuple[str, ...], str] = {}
    for t in doc["titles"]:
        titles.setdefault(words_of(t["literal"]), t["kind"])
    out.reporting = frozenset(words_of(t["literal"]) for t in doc["titles"] if t.get("reports_on"))
    categories: dict[str, str] = doc["medspacy_categories"]
    theirs = json.loads((DATA / "medspacy/section_patterns.json").read_text(encoding="utf-8"))
    for t in theirs["section_rules"]:
        kind = categories.get(t["category"])
        words = words_of(t["literal"])
        if kind and words:
            titles.setdefault(words, kind)
    for words, kind in titles.items():
        out.by_first.setdefault(words[0], []).append((words, kind))
    for bucket in out.by_first.values():
        bucket.sort(key=lambda t: -len(t[0]))
    return out
