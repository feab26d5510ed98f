"""The checks behind $validate-code, one coding at a time (see validate_answer for the answer).

Each finding is an OperationOutcome issue with its `tx-issue-type` code and the path of the
element it is about (`code`, `Coding.code`, `CodeableConcept.coding[1].display`, ...), so a
client such as the HL7 validator can place it on the element its user wrote.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from plugin.content.codesystem import CodeSystemIndex, Concept
from plugin.content.status import concept_deprecated
from plugin.content.store import Entry, Store
from plugin.content.systems import canonical_system, normalise_code
from plugin.content.valueset import Item, SystemVersions
from plugin.ops.validate_display import display_issue, preferred_display, valid_elsewhere
from plugin.wire.outcome import Issue


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


def unknown_system(store: Store, cand: Candidate, system: str) -> Issue:
    known = [e.version for e in store.versions("CodeSystem", system) if e.version]
    if cand.version:
        valid = (
            f"Valid versions: {' or '.join(known)}"
            if known
            else "No versions of this code system are known"
        )
        text = (
            f"A definition for CodeSystem '{cand.system}' version '{cand.version}' could not be "
            f"found, so the code cannot be validated. {valid}"
        )
        mid = "UNKNOWN_CODESYSTEM_VERSION" if known else "UNKNOWN_CODESYSTEM_VERSION_NONE"
    else:
        text = (
            f"A definition for CodeSystem '{cand.system}' could not be found, "
            "so the code cannot be validated"
        )
        mid = "UNKNOWN_CODESYSTEM"
    return Issue("error", "not-found", text, cand.at("system"), "not-found", mid)


def _status(concept: Concept) -> str:
    """How an inactive concept's status reads: "inactive", or e.g. "retired and inactive"."""
    stated = [str(v) for v in concept.property_values("status") if v != "inactive"]
    return f"{stated[0]} and inactive" if stated else "inactive"


def check_coding(store: Store, cand: Candidate, rules: Rules) -> Finding:
    """Look the candidate up in its CodeSystem: unknown system/code, display, status."""
    if not cand.system:
        # A warning, not an error: the value set verdict (if any) decides the result.
        issue = Issue(
            "warning",
            "invalid",
            "Coding has no system. A code with no system has no defined meaning, and it cannot "
            "be validated. A system should be provided",
            cand.whole,
            "invalid-data",
            "Coding_has_no_system__cannot_validate",
        )
        return Finding(cand, None, issues=[issue])
    system = canonical_system(cand.system)
    found = Finding(cand, system)
    stated = cand.version or cand.implied_version
    version = rules.versions.pick(system, stated, "") if rules.versions else stated
    entry = store.resolve("CodeSystem", system, version)
    if entry is None and store.resolve("ValueSet", system) is not None:
        found.issues.append(
            Issue(
                "error",
                "invalid",
                f"The Coding references a value set, not a code system ('{cand.system}')",
                cand.at("system"),
                "invalid-data",
                "Terminology_TX_System_ValueSet2",
            )
        )
        return found
    if entry is None and ":" not in system:
        found.issues.append(
            Issue(
                "error",
                "invalid",
                f"{cand.path or 'Coding.'}system must be an absolute reference, not a local "
                "reference",
                cand.at("system"),
                "invalid-data",
                "Terminology_TX_System_Relative",
            )
        )
    if entry is None:
        found.issues.append(unknown_system(store, cand, system))
        # The whole system is unknown, or only this version of it.
        versioned = cand.version and store.versions("CodeSystem", system)
        found.unknown_system = f"{system}|{cand.version}" if versioned else system
        return found
    if entry.index.supplements:
        # A supplement adds to another system; it is not a system codes can come from.
        found.issues.append(
            Issue(
                "error",
                "invalid",
                f"CodeSystem {entry.canonical} is a supplement, so can't be used as a value in "
                f"{cand.path or 'Coding.'}system",
                cand.at("system"),
                "invalid-data",
                "CODESYSTEM_CS_NO_SUPPLEMENT",
            )
        )
        return found
    found.entry = entry
    cs: CodeSystemIndex = entry.index
    concept = cs.get(cand.code)
    if concept is None and cs.content == "fragment":
        # A fragment does not list every code: absence is a warning, not a verdict.
        where = f" version '{entry.version}'" if entry.version else ""
        found.issues.append(
            Issue(
                "warning",
                "code-invalid",
                f"Unknown Code '{cand.code}' in the CodeSystem '{system}'{where} - note that the "
                "code system is labeled as a fragment, so the code may be valid in some other "
                "fragment",
                cand.at("code"),
                "invalid-code",
                "UNKNOWN_CODE_IN_FRAGMENT",
            )
        )
        found.in_fragment = True
        return found
    if concept is None:
        where = f" version '{entry.version}'" if entry.version else ""
        found.issues.append(
            Issue(
                "error",
                "code-invalid",
                f"Unknown code '{cand.code}' in the CodeSystem '{system}'{where}",
                cand.at("code"),
                "invalid-code",
                "Unknown_Code_in_Version",
            )
        )
        return found
    found.concept = concept
    if concept.code != cand.code and cs.case_sensitive:
        # The code system's own written form of the code (OPCS-4/ICD-10: upper case, dotted);
        # "J127" and "j12.7" are how NHS data sets carry J12.7, so valid, with the form to use.
        found.normalized = concept.code
        found.issues.append(
            Issue(
                "information",
                "business-rule",
                f"The code '{cand.code}' is a variant form of '{concept.code}' in the code "
                f"system '{entry.canonical}' (undotted or in other letter case); it is accepted "
                f"as '{concept.code}', the form to record",
                cand.at("code"),
                "code-rule",
                "CODE_FORM_DIFFERENCE",
            )
        )
    elif concept.code != cand.code:
        found.normalized = concept.code
        found.issues.append(
            Issue(
                "information",
                "business-rule",
                f"The code '{cand.code}' differs from the correct code '{concept.code}' by case. "
                f"Although the code system '{entry.canonical}' is case insensitive, implementers "
                "are strongly encouraged to use the correct case anyway",
                cand.at("code"),
                "code-rule",
                "CODE_CASE_DIFFERENCE",
            )
        )
    found.display = preferred_display(concept, cs, rules.language)
    if cand.display:
        wrong = display_issue(cand, concept, cs, rules)
        other = valid_elsewhere(store, cand, entry) if wrong and cand.version is None else None
        if other is not None:
            # The display is right in another version: that version is the one meant.
            wrong, found.entry = None, other
            found.concept = concept = other.index.get(cand.code)
            found.display = preferred_display(concept, other.index, rules.language)
        if wrong is not None:
            found.issues.append(wrong)
    if concept.deprecated and not concept.inactive:
        found.issues.append(
            Issue(
                "warning",
                "business-rule",
                f"The concept '{concept.code}' is deprecated and its use should be reviewed",
                cand.at("code"),
                "code-comment",
                "DEPRECATED_CONCEPT_FOUND",
            )
        )
    if concept.inactive:
        found.issues.append(
            Issue(
                "warning",
                "business-rule",
                f"The concept '{concept.code}' has a status of {_status(concept)} and its use "
                "should be reviewed",
                cand.whole,
                "code-comment",
                "INACTIVE_CONCEPT_FOUND",
            )
        )
        if rules.active_only:
            found.issues.append(
                Issue(
                    "error",
                    "business-rule",
                    f"The concept '{concept.code}' is valid but is not active",
                    cand.at("code"),
                    "code-rule",
                    "STATUS_CODE_WARNING_CODE",
                )
            )
    return found


def check_membership(
    found: Finding,
    members: Mapping[tuple[str, str], object],
    vs_canonical: str,
    rules: Rules,
    versioned: frozenset[tuple[str, str | None, str]] = frozenset(),
    open_systems: Collection[str] = (),
) -> None:
    """Add the value set verdict: in it, not in it, or abstract where abstract is not allowed.

    `versioned` holds (system, version, code) of the members: a coding that names a version the
    value set includes must be a member in that version.
    """
    cand = found.cand
    system = found.system or ""
    if found.in_fragment and system in open_systems:
        # A fragment cannot say the code does not exist, and the value set takes that system
        # whole or by filter: membership is undecided, the warning stands. A value set that
        # enumerates its codes, or has none of that system, decides (OPCS-4 C78.7 is not in an
        # ICD-10 value set; J12.9 is not in a list of four OPCS-4 codes).
        return
    key = (system, found.concept.code if found.concept else normalise_code(system, cand.code))
    concept = found.concept
    member = members.get(key) if found.system is not None else None
    if isinstance(member, Item) and concept_deprecated({"extension": member.extensions}):
        found.issues.append(
            Issue(
                "warning",
                "business-rule",
                f"The presence of the concept '{cand.code}' in the system '{system}' in the value "
                f"set {vs_canonical} is marked with a status of deprecated and its use should be "
                "reviewed",
                cand.at("code"),
                "code-comment",
                "CONCEPT_DEPRECATED_IN_VALUESET",
            )
        )
    in_vs = (
        found.system is not None
        and key in members
        and not (rules.active_only and concept is not None and concept.inactive)
    )
    named = cand.version if any(v == cand.version for s, v, _ in versioned if s == system) else None
    if in_vs and named and (system, named, key[1]) not in versioned:
        in_vs = False
        system = f"{system}|{named}"
    if in_vs and concept is not None and concept.not_selectable and not rules.abstract_ok:
        found.issues.append(
            Issue(
                "error",
                "business-rule",
                f"Code '{system}#{concept.code}' is abstract, and not allowed in this context",
                cand.at("code"),
                "code-rule",
                "ABSTRACT_CODE_NOT_ALLOWED",
            )
        )
        in_vs = False
    if not in_vs:
        found.in_value_set = False
        shown = f" ('{cand.display}')" if cand.display else ""
        if cand.version and "|" not in system:
            system = f"{system}|{cand.version}"
        found.issues.append(
            Issue(
                "error",
                "code-invalid",
                f"The provided code '{system}#{cand.code}{shown}' was not found in the value set "
                f"'{vs_canonical}'",
                cand.at("code"),
                "not-in-vs",
                "None_of_the_provided_codes_are_in_the_value_set_one",
            )
        )
