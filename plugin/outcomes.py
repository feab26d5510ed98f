"""Version-neutral operation outcomes: what each operation answers, before any rendering.

The operations return these frozen values; `plugin.wire` renders them as R4 or R5 FHIR JSON and
`plugin.python_api` hands them (reshaped for Python callers) to in-process users.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from plugin.errors import FhirError, Issue
from plugin.types import Coding, Match, Resource

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
    # for a free-text input: each recognised mention, in text order
    mentions: tuple[TextMention, ...] = ()


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


@dataclass(frozen=True)
class ExpansionEntry:
    """One code of an expansion page, as the client asked to see it, with its children.

    Extensions, designations and properties are FHIR data as the content states them
    (properties as `{"code": ..., "value[x]": ...}`, the R5 `contains.property` shape).
    """

    system: str
    code: str
    # Stated only when the expansion drew on several versions of the system.
    version: str | None = None
    display: str | None = None
    abstract: bool = False
    inactive: bool = False
    extensions: tuple[Resource, ...] = ()
    designations: tuple[Resource, ...] = ()
    properties: tuple[Resource, ...] = ()
    contains: tuple[ExpansionEntry, ...] = ()


@dataclass(frozen=True)
class ExpandOutcome:
    """The answer of ValueSet/$expand: one page of codes and how the expansion was made.

    `contains` holds the page's entries, nested under their parents when the layout allows it.
    """

    # The value set's own elements repeated in the answer (url, version, name, status, ...).
    value_set: Resource
    identifier: str
    timestamp: str
    total: int
    # Echoed only when the request gave an offset.
    offset: int | None
    # expansion.parameter, in order: (name, FHIR type, value).
    parameters: tuple[tuple[str, str, object], ...]
    contains: tuple[ExpansionEntry, ...]
    # expansion.property: (code, uri) of the properties the entries carry.
    properties: tuple[tuple[str, str], ...]
    # Systems the expansion has only a fragment of (the list is then not known to be complete).
    fragments: tuple[str, ...]
    # The page as flat codings (parents before children), each with its system version.
    codes: tuple[Coding, ...]


@dataclass(frozen=True)
class ValidateOutcome:
    """The answer of $validate-code (CodeSystem or ValueSet; identical in R4 and R5).

    The identity (code ... status) is the coding that carries the verdict; `unknown` lists the
    code systems the verdict is about or caused by, in order, as (parameter name, canonical).
    """

    result: bool
    # Echoed when the request validated a CodeableConcept.
    codeable_concept: Resource | None = None
    code: str | None = None
    normalized_code: str | None = None
    system: str | None = None
    version: str | None = None
    display: str | None = None
    inactive: bool = False
    status: str | None = None
    unknown: tuple[tuple[str, str], ...] = ()
    message: str | None = None
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class BatchOutcome:
    """The answer of $batch-validate-code: per request, its outcome or the refusal it met."""

    answers: tuple[ValidateOutcome | FhirError, ...]


@dataclass(frozen=True)
class SearchOutcome:
    """The answer of a search: the matching resources of one page, and how many matched.

    `entries` holds (id, resource as the `_summary` mode shapes it); `entries` is empty for
    `_summary=count`.
    """

    self_url: str
    total: int
    entries: tuple[tuple[str | None, Resource], ...] = ()
    # The following page's URL when this page does not reach the last match.
    next_url: str | None = None


@dataclass(frozen=True)
class ServedType:
    """A resource type the server serves (read, search) and the operations it has."""

    type: str
    # (name, OperationDefinition canonical)
    operations: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CapabilitiesOutcome:
    """What the CapabilityStatement declares: the types, operations and search parameters."""

    fhir_version: str
    base: str
    description: str
    types: tuple[ServedType, ...]
    # (name, search parameter type, documentation)
    search_params: tuple[tuple[str, str, str], ...]
    # (name, definition) of the operations also served at system level (`[base]/$name`)
    system_operations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TerminologyOutcome:
    """What TerminologyCapabilities declares: code systems and the expansion parameters."""

    base: str
    # (uri, versions)
    code_systems: tuple[tuple[str, tuple[str, ...]], ...]
    # (name, documentation)
    expansion_params: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class VersionsOutcome:
    """The answer of $versions: the FHIR versions served (major.minor) and the default."""

    versions: tuple[str, ...]
    default: str


@dataclass(frozen=True)
class ClosureLink:
    """An entry of a closure table: `source` is-a `target` (relation `subsumes`, R5
    `source-is-narrower-than-target`) or both codes name one concept (`equal`), within one code
    system version ("" when unversioned)."""

    system: str
    cs_version: str
    source: str
    target: str
    relation: str


@dataclass(frozen=True)
class ClosureOutcome:
    """The answer of ConceptMap/$closure: a table's version and the entries the client should
    add to its copy (`created`: a new, empty table; `update`: entries new in this version;
    `replay`: every entry after version `since`)."""

    name: str
    version: int
    kind: str
    date: str
    links: tuple[ClosureLink, ...] = ()
    since: int | None = None


@dataclass(frozen=True)
class SubsumesOutcome:
    """The answer of CodeSystem/$subsumes: how code A relates to code B."""

    # equivalent | subsumes | subsumed-by | not-subsumed
    outcome: str
