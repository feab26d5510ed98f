"""Version-neutral operation results, shared by the operations and the wire renderers."""

from __future__ import annotations

from dataclasses import dataclass, field

from plugin.types import Match

# Equivalences whose target is asserted as the translation (the source is the same as, or more
# specific than, the target); the others (narrower, specializes, inexact) only offer a candidate.
ASSERTING = frozenset({"equivalent", "equal", "wider", "subsumes", "relatedto"})


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
