"""Version-neutral operation results, shared by the operations and the wire renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from plugin.content.conceptmap import Coding, Match

# Equivalences whose target is asserted as the translation (the source is the same as, or more
# specific than, the target); the others (narrower, specializes, inexact) only offer a candidate.
ASSERTING = frozenset({"equivalent", "equal", "wider", "subsumes", "relatedto"})


class TextMention(NamedTuple):
    """Words of a free-text input recognised as a facet value, and what became of them.

    Rendered as a top-level `mention` output parameter of $translate (parts facet, text, offset,
    length, concept, status); offsets are character offsets into the submitted text.
    """

    facet: str
    text: str
    offset: int
    length: int
    concept: Coding
    status: str  # used, negated, uncertain, historical, planned, not-performed, other-organ,
    # not-guidance-imaging, unused


@dataclass
class TranslateOutcome:
    """The version-neutral answer of $translate."""

    result: bool
    matches: list[Match]
    message: str | None = None
    reverse: bool = False
    # True when the client asked in R5 form (targetCode...): matches then also name the source.
    echo_source: bool = False
    notes: list[str] = field(default_factory=list)
    # for a free-text input: each recognised mention, in text order
    mentions: tuple[TextMention, ...] = ()
