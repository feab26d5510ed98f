"""The values $validate-code works with: a coding to check, the request's rules, the finding."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from plugin.content.codesystem import Concept
from plugin.content.store import Entry
from plugin.content.valueset import SystemVersions
from plugin.errors import Issue


@dataclass
class Candidate:
    """One coding to validate, with the path of the element it came from.

    `path` is the prefix of its elements: "" for the code/system/display parameters,
    "Coding." for a Coding, "CodeableConcept.coding[0]." for a coding of a CodeableConcept.
    """

    system: str | None
    code: str
    display: str | None
    version: str | None
    path: str
    # The version the value set uses for this code, when the coding names none.
    implied_version: str | None = None

    def at(self, element: str) -> tuple[str]:
        """The expression of one element of this candidate."""
        return (self.path + element,)

    @property
    def whole(self) -> tuple[str]:
        """The expression of the coding itself."""
        return (self.path.rstrip(".") or "code",)


@dataclass
class Rules:
    """How strict the validation is (request parameters)."""

    active_only: bool = False
    abstract_ok: bool = True
    lenient_display: bool = False
    # The display language(s) as the client wrote them (displayLanguage / Accept-Language).
    language: str | None = None
    # system-version / check-system-version / force-system-version of the request.
    versions: SystemVersions | None = None


@dataclass
class Finding:
    """What validating one candidate found."""

    cand: Candidate
    system: str | None
    entry: Entry | None = None
    concept: Concept | None = None
    issues: list[Issue] = field(default_factory=list)
    unknown_system: str | None = None
    in_value_set: bool = True
    display: str | None = None
    normalized: str | None = None
    in_fragment: bool = False
    # The coding's own version is unknown: the verdict is caused by it.
    caused_by: str | None = None

    @property
    def ok(self) -> bool:
        """No error-level issue."""
        return not any(i.severity == "error" for i in self.issues)


@dataclass(frozen=True)
class Members:
    """A value set's members, as a coding is judged against them."""

    # (system, code) -> the member (its version, its status in the value set).
    by_code: Mapping[tuple[str, str], object]
    # (system, version, code) of the members: a coding that names a version the value set
    # includes must be a member in that version.
    versioned: frozenset[tuple[str, str | None, str]] = frozenset()
    # Systems the value set takes whole or by filter (not by a list of codes).
    open_systems: Collection[str] = ()
