"""The checks behind $validate-code, one coding at a time (see validate_answer for the answer).

Each finding is an OperationOutcome issue with its `tx-issue-type` code and the path of the
element it is about (`code`, `Coding.code`, `CodeableConcept.coding[1].display`, ...), so a
client such as the HL7 validator can place it on the element its user wrote.
"""

from __future__ import annotations

from plugin.content.codesystem import CodeSystemIndex, Concept
from plugin.content.status import concept_deprecated
from plugin.content.store import Entry, Store
from plugin.content.systems import canonical_system, normalise_code
from plugin.content.valueset import Item
from plugin.errors import Issue
from plugin.messages import issue
from plugin.ops.validate_display import display_issue, preferred_display, valid_elsewhere
from plugin.ops.validate_types import Candidate, Finding, Members, Rules


def unknown_system(store: Store, cand: Candidate, system: str) -> Issue:
    known = [e.version for e in store.versions("CodeSystem", system) if e.version]
    key = "UNKNOWN_CODESYSTEM"
    if cand.version:
        key = "UNKNOWN_CODESYSTEM_VERSION" if known else "UNKNOWN_CODESYSTEM_VERSION_NONE"
    return issue(
        key,
        cand.at("system"),
        system=cand.system,
        version=cand.version,
        versions=" or ".join(known),
    )


def _status(concept: Concept) -> str:
    """How an inactive concept's status reads: "inactive", or e.g. "retired and inactive"."""
    stated = [str(v) for v in concept.property_values("status") if v != "inactive"]
    return f"{stated[0]} and inactive" if stated else "inactive"


def _version(found: Finding, rules: Rules) -> str | None:
    """The version the coding is judged in: its own, else the request's rules', else None."""
    stated = found.cand.version or found.cand.implied_version
    return rules.versions.pick(found.system or "", stated, "") if rules.versions else stated


def _code_system(store: Store, found: Finding, version: str | None) -> Entry | None:
    """The CodeSystem the coding names, or None with the finding that says why not."""
    cand, system = found.cand, found.system or ""
    entry = store.resolve("CodeSystem", system, version)
    if entry is None and store.resolve("ValueSet", system) is not None:
        found.issues.append(
            issue("Terminology_TX_System_ValueSet2", cand.at("system"), system=cand.system)
        )
        return None
    if entry is None and ":" not in system:
        found.issues.append(
            issue("Terminology_TX_System_Relative", cand.at("system"), path=cand.path or "Coding.")
        )
    if entry is None:
        found.issues.append(unknown_system(store, cand, system))
        # The whole system is unknown, or only this version of it.
        versioned = cand.version and store.versions("CodeSystem", system)
        found.unknown_system = f"{system}|{cand.version}" if versioned else system
        return None
    if entry.index.supplements:
        # A supplement adds to another system; it is not a system codes can come from.
        found.issues.append(
            issue(
                "CODESYSTEM_CS_NO_SUPPLEMENT",
                cand.at("system"),
                canonical=entry.canonical,
                path=cand.path or "Coding.",
            )
        )
        return None
    return entry


def _unknown_code(found: Finding, entry: Entry) -> None:
    """The code is not in the system: an error, or a warning when the system is a fragment."""
    cand = found.cand
    where = f" version '{entry.version}'" if entry.version else ""
    # A fragment does not list every code: absence is a warning, not a verdict.
    found.in_fragment = entry.index.content == "fragment"
    key = "UNKNOWN_CODE_IN_FRAGMENT" if found.in_fragment else "Unknown_Code_in_Version"
    found.issues.append(
        issue(key, cand.at("code"), code=cand.code, system=found.system, where=where)
    )


def _display(store: Store, found: Finding, entry: Entry, concept: Concept, rules: Rules) -> Concept:
    """Judge the coding's display; returns the concept it is judged in (maybe another version)."""
    cand, cs = found.cand, entry.index
    found.display = preferred_display(concept, cs, rules.language)
    if not cand.display:
        return concept
    wrong = display_issue(cand, concept, cs, rules)
    other = valid_elsewhere(store, cand, entry) if wrong and cand.version is None else None
    if other is not None:
        # The display is right in another version: that version is the one meant.
        wrong, found.entry = None, other
        found.concept = concept = other.index.get(cand.code)
        found.display = preferred_display(concept, other.index, rules.language)
    if wrong is not None:
        found.issues.append(wrong)
    return concept


def _status_findings(found: Finding, concept: Concept, rules: Rules) -> None:
    """Deprecated or inactive concepts: warnings, an error when only active codes are valid."""
    cand = found.cand
    if concept.deprecated and not concept.inactive:
        found.issues.append(issue("DEPRECATED_CONCEPT_FOUND", cand.at("code"), code=concept.code))
    if concept.inactive:
        found.issues.append(
            issue("INACTIVE_CONCEPT_FOUND", cand.whole, code=concept.code, status=_status(concept))
        )
        if rules.active_only:
            found.issues.append(
                issue("STATUS_CODE_WARNING_CODE", cand.at("code"), code=concept.code)
            )


def check_coding(store: Store, cand: Candidate, rules: Rules) -> Finding:
    """Look the candidate up in its CodeSystem: unknown system/code, display, status."""
    if not cand.system:
        # A warning, not an error: the value set verdict (if any) decides the result.
        return Finding(
            cand, None, issues=[issue("Coding_has_no_system__cannot_validate", cand.whole)]
        )
    found = Finding(cand, canonical_system(cand.system))
    version = _version(found, rules)
    entry = _code_system(store, found, version)
    if entry is None:
        return found
    cs: CodeSystemIndex = entry.index
    concept = cs.get(cand.code)
    if concept is None and version is None:
        # Unpinned: a code missing from the latest version may be in an unversioned fragment.
        other = store.unversioned_fragment(found.system or "", cand.code)
        if other is not None:
            entry, cs = other, other.index
            concept = cs.get(cand.code)
            # Known from a fragment a value set's expansion of the system did not read: one
            # taking the system whole or by filter cannot decide membership from its members.
            found.in_fragment = True
    found.entry, found.concept = entry, concept
    if concept is None:
        _unknown_code(found, entry)
        return found
    if concept.code != cand.code:
        found.normalized = concept.code
        # In a case-sensitive system the code was found through its written form (OPCS-4 and
        # ICD-10: "J127", "j12.7" -> J12.7); the validator's case note would misdescribe it.
        found.issues.append(
            issue(
                "CODE_FORM_DIFFERENCE" if cs.case_sensitive else "CODE_CASE_DIFFERENCE",
                cand.at("code"),
                code=cand.code,
                correct=concept.code,
                system=entry.canonical,
            )
        )
    _status_findings(found, _display(store, found, entry, concept, rules), rules)
    return found


def check_membership(found: Finding, value_set: Members, vs_canonical: str, rules: Rules) -> None:
    """Add the value set verdict: in it, not in it, or abstract where abstract is not allowed."""
    members, versioned = value_set.by_code, value_set.versioned
    open_systems = value_set.open_systems
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
            issue(
                "CONCEPT_DEPRECATED_IN_VALUESET",
                cand.at("code"),
                code=cand.code,
                system=system,
                valueset=vs_canonical,
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
            issue("ABSTRACT_CODE_NOT_ALLOWED", cand.at("code"), system=system, code=concept.code)
        )
        in_vs = False
    if not in_vs:
        found.in_value_set = False
        shown = f" ('{cand.display}')" if cand.display else ""
        if cand.version and "|" not in system:
            system = f"{system}|{cand.version}"
        found.issues.append(
            issue(
                "None_of_the_provided_codes_are_in_the_value_set_one",
                cand.at("code"),
                system=system,
                code=cand.code,
                shown=shown,
                valueset=vs_canonical,
            )
        )
