"""Version rules of $validate-code: which version a value set pins, and how a coding differs.

A value set may pin a code system version (exactly or by wildcard), the request may default,
check or force versions, and a coding may name its own: these helpers say which applies and
word the difference the way clients expect.
"""

from __future__ import annotations

from plugin.content.store import Entry, version_matches
from plugin.content.systems import canonical_system
from plugin.content.valueset import SystemVersions
from plugin.errors import Issue
from plugin.messages import issue
from plugin.ops.validate_answer import version_mismatch
from plugin.ops.validate_types import Candidate, Rules
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
