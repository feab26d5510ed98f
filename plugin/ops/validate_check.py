"""The checks behind $validate-code, one coding at a time, and the answer they add up to.

Each finding is an OperationOutcome issue with its `tx-issue-type` code and the path of the
element it is about (`code`, `Coding.code`, `CodeableConcept.coding[1].display`, ...), so a
client such as the HL7 validator can place it on the element its user wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from plugin.content.codesystem import CodeSystemIndex, Concept
from plugin.content.status import concept_deprecated
from plugin.content.store import Entry, Store
from plugin.content.systems import canonical_system, normalise_code
from plugin.content.valueset import Item
from plugin.ops.expand_render import lang_match, preferred_languages
from plugin.types import Resource
from plugin.wire.outcome import Issue, operation_outcome
from plugin.wire.parameters import param, parameters


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

    @property
    def ok(self) -> bool:
        """No error-level issue."""
        return not any(i.severity == "error" for i in self.issues)


def _unknown_system(store: Store, cand: Candidate, system: str) -> Issue:
    known = [e.version for e in store.versions("CodeSystem", system) if e.version]
    if cand.version and known:
        text = (
            f"A definition for CodeSystem '{cand.system}' version '{cand.version}' could not be "
            f"found, so the code cannot be validated. Valid versions: {', '.join(known)}"
        )
        mid = "UNKNOWN_CODESYSTEM_VERSION"
    else:
        text = (
            f"A definition for CodeSystem '{cand.system}' could not be found, "
            "so the code cannot be validated"
        )
        mid = "UNKNOWN_CODESYSTEM"
    return Issue("error", "not-found", text, cand.at("system"), "not-found", mid)


def _valid_displays(concept: Concept, cs: CodeSystemIndex) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    if concept.display:
        out.append((concept.display, cs.language))
    for d in concept.designations:
        value = d.get("value")
        if isinstance(value, str) and (value, d.get("language")) not in out:
            out.append((value, d.get("language")))
    return out


def _offered_displays(concept: Concept) -> list[str]:
    """The displays worth suggesting: the display and designations meant as displays."""
    out = [concept.display] if concept.display else []
    for d in concept.designations:
        use = d.get("use") or {}
        if isinstance(d.get("value"), str) and use.get("code") in (None, "preferredForLanguage"):
            out.append(d["value"])
    return out


def _for_languages(
    choices: list[tuple[str, str | None]], language: str | None
) -> list[tuple[str, str | None]]:
    """The displays in one of the requested languages (all of them when none is requested)."""
    wanted = [w for w in preferred_languages(language)[0] if w != "*"]
    if not wanted:
        return choices
    # A display of unstated language (no CodeSystem.language) may serve any language.
    return [
        (v, lang) for v, lang in choices if lang is None or any(lang_match(lang, w) for w in wanted)
    ]


def preferred_display(concept: Concept, cs: CodeSystemIndex, language: str | None) -> str | None:
    """The display to report: the first one in a requested language, else the default."""
    shown = _for_languages(_valid_displays(concept, cs), language)
    return shown[0][0] if shown and language else concept.display


def _display_issue(
    cand: Candidate, concept: Concept, cs: CodeSystemIndex, rules: Rules
) -> Issue | None:
    """The finding on a display, or None when it is one of the code's valid displays."""
    given = cand.display or ""
    every = _valid_displays(concept, cs)
    choices = _for_languages(every, rules.language)
    if given in {v for v, _ in choices}:
        return None
    langs = rules.language or "--"
    severity = "warning" if rules.lenient_display else "error"
    head = f"Wrong Display Name '{given}' for {cs.url}#{concept.code}."
    if not choices:
        if given in {v for v, _ in every}:
            return Issue(
                "information",
                "invalid",
                f"There are no valid display names found for the code {cs.url}#{concept.code} "
                f"for language(s) '{langs}'. The display is '{given}' which is a valid display "
                "for the default language",
                cand.at("display"),
                "invalid-display",
                "NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_OK",
            )
        return Issue(
            severity,
            "invalid",
            f"{head} There are no valid display names found for language(s) '{langs}'. "
            f"Default display is '{concept.display}'",
            cand.at("display"),
            "invalid-display",
            "NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_ERR",
        )
    # Designations with a special use (e.g. an old-English rendering) are accepted but not
    # offered as the display to use.
    offered = set(_offered_displays(concept))
    listed = [(v, lang) for v, lang in choices if v in offered] or choices
    shown = [f"'{v}' ({lang})" if lang else f"'{v}'" for v, lang in listed]
    valid = (
        f"Valid display is {shown[0]}"
        if len(shown) == 1
        else f"Valid display is one of {len(shown)} choices: {' or '.join(shown)}"
    )
    mid = "Display_Name_for__should_be_one_of__instead_of"
    if " ".join(given.split()) in {" ".join(v.split()) for v, _ in choices}:
        head = f"Wrong whitespace in Display Name '{given}' for {cs.url}#{concept.code}."
        mid = "Display_Name_WS_for__should_be_one_of__instead_of"
    return Issue(
        severity,
        "invalid",
        f"{head} {valid} (for the language(s) '{langs}')",
        cand.at("display"),
        "invalid-display",
        mid,
    )


def _valid_displays_any(concept: Concept | None, cs: CodeSystemIndex) -> set[str]:
    return {v for v, _ in _valid_displays(concept, cs)} if concept is not None else set()


def _valid_elsewhere(store: Store, cand: Candidate, used: Entry) -> bool:
    """True when another version of the system has this display for the code.

    A value set may include several versions of one system ("overloading"); a display right
    in any of them is not wrong when the coding names no version.
    """
    for other in store.versions("CodeSystem", used.url):
        if other is not used and cand.display in _valid_displays_any(
            other.index.get(cand.code), other.index
        ):
            return True
    return False


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
    entry = store.resolve("CodeSystem", system, cand.version)
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
        found.issues.append(_unknown_system(store, cand, system))
        found.unknown_system = f"{system}|{cand.version}" if cand.version else system
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
    if concept.code != cand.code:
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
        wrong = _display_issue(cand, concept, cs, rules)
        if wrong is not None and cand.version is None and _valid_elsewhere(store, cand, entry):
            wrong = None
        if wrong is not None:
            found.issues.append(wrong)
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
    found: Finding, members: Mapping[tuple[str, str], object], vs_canonical: str, rules: Rules
) -> None:
    """Add the value set verdict: in it, not in it, or abstract where abstract is not allowed."""
    cand = found.cand
    if found.in_fragment:
        return
    system = found.system or ""
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


# Notes that qualify a valid answer without being a problem to tell the user about.
_QUIET = frozenset(
    {
        "UNKNOWN_CODE_IN_FRAGMENT",
        "CODE_CASE_DIFFERENCE",
        "CONCEPT_DEPRECATED_IN_VALUESET",
        "MSG_DRAFT",
        "MSG_EXPERIMENTAL",
        "MSG_DEPRECATED",
        "MSG_WITHDRAWN",
    }
)


def standing_notes(standings: Mapping[str, tuple[str, str]]) -> list[Issue]:
    """Information issues for used content that is draft, experimental, deprecated, withdrawn."""
    return [
        Issue(
            "information",
            "business-rule",
            f"Reference to {note} {rtype} {canonical}",
            (),
            "status-check",
            f"MSG_{note.upper()}",
        )
        for canonical, (note, rtype) in standings.items()
    ]


def _message(issues: list[Issue]) -> str:
    """The `message` parameter: the problems found (display notes count, quiet notes not)."""
    errors = any(i.severity == "error" for i in issues)
    return "; ".join(
        i.text
        for i in issues
        if i.message_id not in _QUIET
        and (
            i.severity in ("error", "warning")
            or (not errors and i.severity == "information" and i.tx_code == "invalid-display")
        )
    )


def _identity(found: Finding) -> list[Resource]:
    """code / system / version / display / inactive of a finding, as output parameters."""
    out: list[Resource] = [param("code", "code", found.cand.code)]
    if found.normalized:
        out.append(param("normalized-code", "code", found.normalized))
    if found.system:
        out.append(param("system", "uri", found.cand.system))
    if found.entry is not None and found.entry.version:
        out.append(param("version", "string", found.entry.version))
    if found.concept is not None:
        if found.display:
            out.append(param("display", "string", found.display))
        if found.concept.inactive:
            out.append(param("inactive", "boolean", True))
            status = [v for v in found.concept.property_values("status") if isinstance(v, str)]
            if status:
                out.append(param("status", "code", status[0]))
    return out


def answer_single(found: Finding, caused_by_unknown: bool = False) -> Resource:
    """The answer for code+system or a Coding.

    `caused_by_unknown`: the value set itself could not be expanded for want of the code
    system, so the verdict is caused by it (x-caused-by-unknown-system), not only about it.
    """
    out = [param("result", "boolean", found.ok), *_identity(found)]
    if found.unknown_system:
        name = "x-caused-by-unknown-system" if caused_by_unknown else "x-unknown-system"
        out.append(param(name, "canonical", found.unknown_system))
    if found.issues:
        if _message(found.issues):
            out.append(param("message", "string", _message(found.issues)))
        out.append({"name": "issues", "resource": operation_outcome(found.issues)})
    return parameters(out)


def answer_concept(
    findings: list[Finding],
    concept: Resource,
    vs_canonical: str | None,
    notes: list[Issue] | None = None,
) -> Resource:
    """The answer for a CodeableConcept: valid when one coding is good and none is wrong.

    A coding that is merely outside the value set is information (another coding may carry
    the meaning); an unknown code or a wrong display stays an error.
    """
    good = next((f for f in findings if f.ok), None)
    out: list[Resource] = [param("codeableConcept", "CodeableConcept", concept)]
    issues: list[Issue] = []
    if good is None and vs_canonical is not None:
        issues.append(
            Issue(
                "error",
                "code-invalid",
                f"No valid coding was found for the value set '{vs_canonical}'",
                (),
                "not-in-vs",
                "TX_GENERAL_CC_ERROR_MESSAGE",
            )
        )
    for f in findings:
        for i in f.issues:
            issues.append(
                Issue(
                    "information",
                    i.code,
                    i.text,
                    i.expression,
                    "this-code-not-in-vs",
                    i.message_id,
                )
                if i.tx_code == "not-in-vs"
                else i
            )
    issues += notes or []
    out.append(param("result", "boolean", not any(i.severity == "error" for i in issues)))
    if good is not None:
        out += _identity(good)
    unknown = [f.unknown_system for f in findings if f.unknown_system]
    out += [param("x-unknown-system", "canonical", u) for u in unknown]
    if issues:
        if _message(issues):
            out.append(param("message", "string", _message(issues)))
        out.append({"name": "issues", "resource": operation_outcome(issues)})
    return parameters(out)


def cannot_infer(cand: Candidate, vs_canonical: str, systems: list[str]) -> Issue:
    """inferSystem found the code in several systems of the value set."""
    return Issue(
        "error",
        "not-found",
        f"The System URI could not be determined for the code '{cand.code}' in the ValueSet "
        f"'{vs_canonical}': value set expansion has multiple matches: [{', '.join(systems)}]",
        cand.at("code"),
        "cannot-infer",
        "Unable_to_resolve_system__value_set_has_multiple_matches",
    )


def unresolved(text: str) -> Resource:
    """The answer when the value set itself cannot be worked out (e.g. a missing import)."""
    issue = Issue("error", "not-found", text, (), "not-found", "Unable_to_resolve_value_Set_")
    return parameters(
        [
            param("result", "boolean", False),
            param("message", "string", text),
            {"name": "issues", "resource": operation_outcome([issue])},
        ]
    )
