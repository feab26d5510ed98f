"""Version-neutral operation outcomes: what each operation answers, before any rendering.

The operations return these frozen values; `plugin.wire` renders them as R4 or R5 FHIR JSON and
`plugin.python_api` hands them (reshaped for Python callers) to in-process users.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plugin.types import Match, Resource

# Equivalences whose target is asserted as the translation (the source is the same as, or more
# specific than, the target); the others (narrower, specializes, inexact) only offer a candidate.
ASSERTING = frozenset({"equivalent", "equal", "wider", "subsumes", "relatedto"})


@dataclass(frozen=True)
class TranslateOutcome:
    """The version-neutral answer of $translate."""

    result: bool
    matches: list[Match]
    message: str | None = None
    reverse: bool = False
    # True when the client asked in R5 form (targetCode...): matches then also name the source.
    echo_source: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Designation:
    """A designation of a looked-up concept."""

    value: str
    language: str | None = None
    # The designation's `use`, a Coding as the content states it.
    use: Resource | None = None
    # The supplement the designation came from (`url|version`).
    source: str | None = None


@dataclass(frozen=True)
class ConceptProperty:
    """A property of a looked-up concept: its code and its value[x]s (type suffix, value)."""

    code: str
    values: tuple[tuple[str, object], ...]
    # parent / child: the display of the related concept.
    description: str | None = None


@dataclass(frozen=True)
class LookupOutcome:
    """The answer of CodeSystem/$lookup (identical in R4 and R5)."""

    name: str
    code: str
    system: str
    version: str | None
    display: str | None
    definition: str | None
    abstract: bool
    designations: tuple[Designation, ...] = ()
    properties: tuple[ConceptProperty, ...] = ()
    used_supplements: tuple[str, ...] = ()
