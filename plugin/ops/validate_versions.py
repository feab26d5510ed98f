"""Version rules of $validate-code: which version a value set pins, and how a coding differs.

A value set may pin a code system version (exactly or by wildcard), the request may default,
check or force versions, and a coding may name its own: these helpers say which applies and
word the difference the way clients expect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from plugin.content.store import Entry, Store, version_matches
from plugin.content.systems import canonical_system, normalise_code
from plugin.content.valueset import Item, SystemVersions
from plugin.errors import Issue
from plugin.messages import issue
from plugin.ops.validate_answer import version_mismatch
from plugin.ops.validate_check import unknown_system
from plugin.ops.validate_types import Candidate, Finding, Rules
from plugin.types import Resource


def vs_canonical(vs: Resource) -> str:
    """`url|version` of the value set, as messages name it."""
    url = str(vs.get("url") or "(unidentified)")
    return f"{url}|{vs['version']}" if vs.get("version") else url


def pins(vs: Resource, system: str) -> list[str]:
    """The versions the value set's includes pin for `system`."""
    return [
        str(inc["version"])
        for inc in (vs.get("compose") or {}).get("include", [])
        if inc.get("version") and canonical_system(str(inc.get("system", ""))) == system
    ]


def pins_other(vs: Resource, system: str, version: str) -> bool:
    """True when the value set pins `system` to versions that exclude `version`."""
    pinned = pins(vs, system)
    return bool(pinned) and not any(version_matches(version, p) for p in pinned)


def unknown_version_note(
    vs: Resource, cand: Candidate, used: Entry, stated: str, rules: Rules
) -> Issue:
    """How the version the code was judged in differs from the coding's unknown one."""
    pinned = pins(vs, used.url)
    versions = rules.versions or SystemVersions()
    rule = versions.force.get(used.url) or (
        None if pinned else versions.default.get(used.url) or versions.check.get(used.url)
    )
    if rule is not None:
        return issue(
            "VALUESET_VALUE_MISMATCH_CHANGED",
            cand.at("version"),
            system=used.url,
            rule=rule,
            pinned=pinned[0] if pinned else "",
            stated=stated,
        )
    return version_mismatch(cand, used.url, used.version, stated, bool(pinned))


@dataclass
class Restated:
    """Codings (by position) judged in the value set's version instead of the one they name."""

    vs: Resource
    store: Store
    # The coding names a version of a known system that this server does not have.
    unknown: dict[int, str] = field(default_factory=dict)
    # The coding names another known version than the one the value set pins.
    mismatched: dict[int, str] = field(default_factory=dict)


def restate_versions(
    cands: list[Candidate],
    members: Mapping[tuple[str, str], Item],
    versioned: set[tuple[str, str | None, str]],
    vs: Resource,
    store: Store,
) -> Restated:
    """Which version each member coding is judged in; the codings are updated in place."""
    out = Restated(vs, store)
    for n, c in enumerate(cands):
        if not c.system:
            continue
        system = canonical_system(c.system)
        code = normalise_code(system, c.code)
        member = members.get((system, code))
        if member is None or member.version is None:
            continue
        if not c.version:
            # The value set's own pin decides; otherwise the request's version rules do.
            c.implied_version = member.version if bool(pins(vs, system)) else None
        elif store.resolve("CodeSystem", system, c.version) is None:
            # An unknown version of a known system: judge the code in the value set's version,
            # and say the answer is caused by the unknown version.
            out.unknown[n] = c.version
            c.version = None
            c.implied_version = member.version if pins(vs, system) else None
        elif (
            (system, c.version, code) not in versioned
            and store.resolve("CodeSystem", system, c.version)
            and pins_other(vs, system, c.version)
        ):
            # The coding names another (known) version than the value set uses: judge the code
            # in the value set's version and say so.
            out.mismatched[n] = c.version
            c.version, c.implied_version = None, member.version
    return out


def version_findings(found: Finding, n: int, restated: Restated, rules: Rules) -> None:
    """Add what the versions say about finding `n`: unknown version, check rule, mismatch."""
    c, entry, vs, store = found.cand, found.entry, restated.vs, restated.store
    if entry is None:
        return
    if n in restated.unknown:
        stated = Candidate(c.system, c.code, c.display, restated.unknown[n], c.path)
        found.issues.insert(0, unknown_system(store, stated, entry.url))
        found.issues.append(unknown_version_note(vs, c, entry, restated.unknown[n], rules))
        found.caused_by = f"{entry.url}|{restated.unknown[n]}"
    versions = rules.versions or SystemVersions()
    if versions.violation(entry.url, entry.version) is not None:
        found.issues.append(
            issue(
                "VALUESET_VERSION_CHECK",
                c.at("version"),
                used=entry.version,
                system=entry.url,
                required=versions.check[entry.url],
            )
        )
    if n in restated.mismatched:
        found.issues.append(version_mismatch(c, entry.url, entry.version, restated.mismatched[n]))
