"""Display checking for $validate-code: which displays are valid, in which language.

A display is valid when it is the code's display or one of its designations, in one of the
languages the client asked for (displayLanguage / Accept-Language / the value set's language);
a display of unstated language serves any language.
"""

from __future__ import annotations

from plugin.content.codesystem import CodeSystemIndex, Concept
from plugin.content.status import STANDARDS_STATUS
from plugin.content.store import Entry, Store
from plugin.errors import Issue
from plugin.messages import issue
from plugin.ops.expand_render import lang_match, preferred_languages
from plugin.ops.validate_types import Candidate, Rules


def _valid_displays(concept: Concept, cs: CodeSystemIndex) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    if concept.display:
        out.append((concept.display, cs.language))
    for d in concept.designations:
        value = d.get("value")
        if isinstance(value, str) and (value, d.get("language")) not in out:
            out.append((value, d.get("language")))
    return out


def _retired_designation(concept: Concept, value: str) -> str | None:
    """The status of a designation with this value that is marked deprecated or withdrawn."""
    for d in concept.designations:
        if d.get("value") != value:
            continue
        for ext in d.get("extension", []):
            if ext.get("url") == STANDARDS_STATUS and ext.get("valueCode") in (
                "deprecated",
                "withdrawn",
            ):
                return str(ext["valueCode"])
    return None


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


def display_issue(
    cand: Candidate, concept: Concept, cs: CodeSystemIndex, rules: Rules
) -> Issue | None:
    """The finding on a display, or None when it is one of the code's valid displays."""
    given = cand.display or ""
    retired = _retired_designation(concept, given)
    if retired is not None:
        return issue(
            "INACTIVE_DISPLAY_FOUND",
            cand.at("display"),
            display=given,
            code=concept.code,
            status=retired,
            correct=concept.display,
        )
    every = _valid_displays(concept, cs)
    choices = _for_languages(every, rules.language)
    if given in {v for v, _ in choices}:
        return None
    langs = rules.language or "--"
    severity = "warning" if rules.lenient_display else "error"
    about = {"display": given, "system": cs.url, "code": concept.code, "langs": langs}
    if not choices:
        if given in {v for v, _ in every}:
            return issue("NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_OK", cand.at("display"), **about)
        return issue(
            "NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_ERR",
            cand.at("display"),
            severity,
            default=concept.display,
            **about,
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
    key = "Display_Name_for__should_be_one_of__instead_of"
    if given.casefold() in {v.casefold() for v, _ in choices}:
        # Only the letter case differs: the same concept named, so a warning, not a failure.
        return issue(
            "Display_Name_Case_for__should_be_one_of__instead_of",
            cand.at("display"),
            valid=valid,
            **about,
        )
    if " ".join(given.split()) in {" ".join(v.split()) for v, _ in choices}:
        key = "Display_Name_WS_for__should_be_one_of__instead_of"
    return issue(key, cand.at("display"), severity, valid=valid, **about)


def _valid_displays_any(concept: Concept | None, cs: CodeSystemIndex) -> set[str]:
    return {v for v, _ in _valid_displays(concept, cs)} if concept is not None else set()


def valid_elsewhere(store: Store, cand: Candidate, used: Entry) -> Entry | None:
    """Another version of the system that has this display for the code, if any.

    A value set may include several versions of one system ("overloading"); a display right
    in any of them is not wrong when the coding names no version.
    """
    for other in store.versions("CodeSystem", used.url):
        if other is not used and cand.display in _valid_displays_any(
            other.index.get(cand.code), other.index
        ):
            return other
    return None
