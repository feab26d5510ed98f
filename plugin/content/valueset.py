"""ValueSet expansion: compose include/exclude over the store's CodeSystems and ValueSets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from plugin.content.codesystem import (
    RENDERING_EXTENSIONS,
    VS_PROPERTY_EXTENSIONS,
    CodeSystemIndex,
    Concept,
    derived_properties,
)
from plugin.content.filters import compose_filter
from plugin.content.status import STANDARDS_STATUS, VS_DEPRECATED, canonical, standing
from plugin.content.store import Store, version_key, version_matches
from plugin.content.systems import canonical_system, normalise_code
from plugin.errors import FhirError, invalid, not_found
from plugin.messages import error, text
from plugin.types import Resource


@dataclass(slots=True)
class Item:
    """One code of an expansion."""

    system: str
    code: str
    display: str | None
    version: str | None = None
    inactive: bool = False
    abstract: bool = False
    concept: Concept | None = None
    source: CodeSystemIndex | None = None
    # Extensions the value set puts on the concept (e.g. valueset-deprecated).
    extensions: list[Resource] = field(default_factory=list)
    # Properties the value set states for the concept (its own order and label win).
    stated: list[Resource] = field(default_factory=list)
    # Designations the value set adds for the concept.
    designations: list[Resource] = field(default_factory=list)


@dataclass
class Expansion:
    """An expansion before paging: ordered items and the code system versions used."""

    items: list[Item] = field(default_factory=list)
    # `system|version` (or bare system) of every code system version drawn on, in order.
    used_systems: dict[str, None] = field(default_factory=dict)
    # True when codes of different versions of one system were matched by code alone.
    versions_matched: bool = False
    used_valuesets: list[str] = field(default_factory=list)
    fragments: dict[str, str | None] = field(default_factory=dict)
    # Systems included whole or by filter (not by an enumerated concept list): a code of such a
    # system that its fragment does not list may still be a member.
    open_systems: set[str] = field(default_factory=set)
    # canonical -> (standing, resource type) of used content not in good standing.
    standings: dict[str, tuple[str, str]] = field(default_factory=dict)

    def merge_used(self, other: Expansion) -> None:
        """Take over what `other` used (systems, fragments, standings)."""
        self.used_systems.update(other.used_systems)
        self.fragments.update(other.fragments)
        self.open_systems |= other.open_systems
        self.standings.update(other.standings)

    def keys(self) -> set[tuple[str, str]]:
        """(system, code) of every item."""
        return {(i.system, i.code) for i in self.items}


@dataclass
class SystemVersions:
    """Expansion-time version rules (FHIR $expand system-version parameters), by system."""

    default: dict[str, str] = field(default_factory=dict)
    check: dict[str, str] = field(default_factory=dict)
    force: dict[str, str] = field(default_factory=dict)
    # Systems whose default version (system-version) an expansion actually used.
    applied: set[str] = field(default_factory=set)
    # Systems whose version the check-system-version pattern chose (nothing else did).
    checked: set[str] = field(default_factory=set)
    # default-valueset-version: value set url -> version for unversioned imports.
    valuesets: dict[str, str] = field(default_factory=dict)

    def pick(self, system: str, pinned: str | None, where: str) -> str | None:
        """The version to use for `system` when the compose pins `pinned` (or nothing)."""
        if system in self.force:
            return self.force[system]
        if not pinned and system in self.default:
            self.applied.add(system)
        elif not pinned and system in self.check:
            self.checked.add(system)
        # Unpinned: the default version, else the newest one the check allows.
        return pinned or self.default.get(system) or self.check.get(system)

    def violation(self, system: str, used: str | None) -> str | None:
        """Why `used` breaks the check-system-version rule for `system`, or None."""
        required = self.check.get(system)
        if required is None or (used is not None and version_matches(used, required)):
            return None
        return text("VALUESET_VERSION_CHECK", used=used, system=system, required=required)

    def verify(self, system: str, used: str | None) -> None:
        """check-system-version: the version an expansion used must match the required one."""
        if self.violation(system, used) is not None:
            raise error(
                "VALUESET_VERSION_CHECK", used=used, system=system, required=self.check[system]
            )


_NO_RULES = SystemVersions()

# Extensions on a value set's listed concept that clients need to see in the expansion.
_PASSED_ON = frozenset(
    {
        VS_DEPRECATED,
        STANDARDS_STATUS,
        "http://hl7.org/fhir/StructureDefinition/valueset-concept-definition",
    }
)


@dataclass
class UnknownCodeSystem(FhirError):
    """A value set draws on a code system (version) this server does not have."""

    system: str = ""
    version: str | None = None


def _code_system(store: Store, system: str, version: str | None, where: str) -> CodeSystemIndex:
    entry = store.resolve("CodeSystem", system, version)
    if entry is None:
        known = [e.version for e in store.versions("CodeSystem", system) if e.version]
        valid = f". Valid versions: {' or '.join(known)}" if version and known else ""
        key = "UNKNOWN_CODESYSTEM_VERSION_EXP" if version else "UNKNOWN_CODESYSTEM_EXP"
        found = error(key, system=system, version=version, valid=valid)
        raise UnknownCodeSystem(
            found.code,
            found.text,
            (),
            tx_code=found.tx_code,
            message_id=found.message_id,
            system=system,
            version=version,
        )
    return entry.index  # type: ignore[no-any-return]


def _imports(
    store: Store, inc: Resource, where: str, chain: tuple[str, ...], rules: SystemVersions
) -> tuple[list[Expansion], list[str]]:
    """The expansions of the value sets an include imports, and their canonicals."""
    parts = []
    imported = []
    for u in inc.get("valueSet", []):
        vs = _resolve_vs(store, u, where, rules)
        if u in chain:
            raise error("VALUESET_CIRCULAR_REFERENCE", url=u, chain=" -> ".join((*chain, u)))
        parts.append(expand(store, vs, rules, (*chain, u)))
        if vs.get("url") and not u.startswith("#"):
            imported.append(f"{vs['url']}|{vs['version']}" if vs.get("version") else vs["url"])
        imported.extend(parts[-1].used_valuesets)
    return parts, imported


def _listed(system: str, cs: CodeSystemIndex | None, concepts: list[Resource]) -> list[Item]:
    """The items of an include that lists its concepts (codes a complete system lacks drop)."""
    out = []
    for c in concepts:
        code = normalise_code(system, str(c.get("code", "")))
        concept = cs.get(code) if cs else None
        if cs is not None and concept is None and cs.content == "complete":
            continue  # not a code of the system: contributes nothing
        item = _item(system, cs, concept, code, c.get("display"))
        item.extensions = [
            e
            for e in c.get("extension", [])
            if e.get("url") in _PASSED_ON or e.get("url") in RENDERING_EXTENSIONS
        ]
        item.stated = derived_properties(c, VS_PROPERTY_EXTENSIONS)
        item.designations = list(c.get("designation", []))
        out.append(item)
    return out


def _from_system(
    store: Store, inc: Resource, system: str, where: str, rules: SystemVersions
) -> Expansion:
    """The codes an include takes from its system: listed, or all that pass its filters."""
    out = Expansion()
    version = rules.pick(system, inc.get("version"), where)
    cs_entry = store.resolve("CodeSystem", system, version)
    if cs_entry is not None:
        rules.verify(system, cs_entry.version)
    if inc.get("concept"):
        out.items = _listed(system, cs_entry.index if cs_entry else None, inc["concept"])
    else:
        cs = _code_system(store, system, version, where)
        preds = [
            compose_filter(cs, f, f"{where}.filter[{i}]")
            for i, f in enumerate(inc.get("filter", []))
        ]
        for concept in cs.concepts.values():
            if all(p(concept) for p in preds):
                out.items.append(_item(system, cs, concept, concept.code, None))
        out.open_systems.add(system)
    used = cs_entry.version if cs_entry else version
    out.used_systems[f"{system}|{used}" if used else system] = None
    if cs_entry is not None and cs_entry.index.content == "fragment":
        out.fragments[system] = cs_entry.version
    if cs_entry is not None and (note := standing(cs_entry.resource)):
        out.standings[canonical(cs_entry.resource)] = (note, "CodeSystem")
    return out


def _include(
    store: Store, inc: Resource, where: str, chain: tuple[str, ...], rules: SystemVersions
) -> Expansion:
    """The codes one include (or exclude) selects: its system's and its imports' in common."""
    vs_parts, imported = _imports(store, inc, where, chain, rules)
    system = inc.get("system")
    if isinstance(system, str):
        out = _from_system(store, inc, canonical_system(system), where, rules)
        parts = vs_parts
    elif vs_parts:
        out, parts = vs_parts[0], vs_parts[1:]
    else:
        out, parts = Expansion(), []
    for part in parts:
        keys = part.keys()
        out.items = [i for i in out.items if (i.system, i.code) in keys]
        out.merge_used(part)
    out.used_valuesets = imported
    return out


def _item(
    system: str, cs: CodeSystemIndex | None, concept: Concept | None, code: str, display: str | None
) -> Item:
    return Item(
        system=system,
        code=concept.code if concept else code,
        display=display or (concept.display if concept else None),
        version=cs.version if cs else None,
        inactive=concept.inactive if concept else False,
        abstract=concept.not_selectable if concept else False,
        concept=concept,
        source=cs,
    )


def _resolve_vs(store: Store, url: str, where: str, rules: SystemVersions = _NO_RULES) -> Resource:
    # "#id" names a ValueSet contained in the one being expanded (FHIR contained references).
    if url.startswith("#"):
        entry = store.by_id("ValueSet", url[1:])
    elif "|" not in url and url in rules.valuesets:
        # default-valueset-version: the version to use for an unversioned import.
        version = rules.valuesets[url]
        entry = store.resolve("ValueSet", url, version)
        if entry is None:
            raise error("VS_EXP_IMPORT_UNK_PINNED", url=f"{url}|{version}")
    else:
        entry = store.resolve("ValueSet", url)
    if entry is None:
        raise not_found(f"A definition for the value Set '{url}' could not be found", where)
    return entry.resource


def _contained(res: object) -> Resource | None:
    """A contained CodeSystem or ValueSet as the store takes it.

    One without a url is reachable only by its local reference `#id` (FHIR contained
    resources), so it is indexed under that reference.
    """
    if not isinstance(res, dict) or res.get("resourceType") not in ("CodeSystem", "ValueSet"):
        return None
    if res.get("url"):
        return res
    rid = res.get("id")
    return {**res, "url": f"#{rid}"} if isinstance(rid, str) and rid else None


def expand(
    store: Store, vs: Resource, rules: SystemVersions = _NO_RULES, chain: tuple[str, ...] = ()
) -> Expansion:
    """Expand a ValueSet resource: includes, minus excludes, de-duplicated, in compose order.

    FHIR: a ValueSet with a stated expansion and no compose is taken as it is.
    """
    if not chain and isinstance(vs.get("url"), str):
        chain = (vs["url"],)
    if len(chain) > 50:
        raise invalid("Value set imports are nested too deeply", "ValueSet.compose")
    compose = vs.get("compose")
    if not compose:
        return _stated(vs)
    contained = [c for c in map(_contained, vs.get("contained", [])) if c is not None]
    if contained:
        store = store.overlay(contained)
    # versionsMatch (a valueset-expansion-parameter): true merges versions of a system by code.
    versions_match = _stated_parameter(compose, "versionsMatch")
    out = Expansion(versions_matched=versions_match is True)
    index: dict[tuple[str, ...], int] = {}
    for i, inc in _include_order(compose.get("include", [])):
        part = _include(store, inc, f"ValueSet.compose.include[{i}]", chain, rules)
        out.merge_used(part)
        out.used_valuesets += [u for u in part.used_valuesets if u not in out.used_valuesets]
        for item in part.items:
            key = _identity(item, versions_match is True)
            at = index.get(key)
            if at is None:
                index[key] = len(out.items)
                out.items.append(item)
            elif version_key(item.version) > version_key(out.items[at].version):
                out.items[at] = item  # merged by code: the latest version speaks
    for i, exc in enumerate(compose.get("exclude", [])):
        part = _include(store, exc, f"ValueSet.compose.exclude[{i}]", chain, rules)
        out.merge_used(part)
        # A value set named by an exclude was used too: it is reported like an imported one.
        out.used_valuesets += [u for u in part.used_valuesets if u not in out.used_valuesets]
        # A listed or filtered exclusion of one version removes that version's codes; a whole
        # other version excludes by code, unless the value set says versions do not match.
        exact = bool(exc.get("version")) and (
            bool(exc.get("concept") or exc.get("filter")) or versions_match is False
        )
        gone = {_identity(x, not exact) for x in part.items}
        out.items = [x for x in out.items if _identity(x, not exact) not in gone]
        out.versions_matched |= bool(exc.get("version")) and not exact
    if compose.get("inactive") is False:
        out.items = [i for i in out.items if not i.inactive]
    if note := standing(vs, lifecycle=False):
        out.standings[canonical(vs)] = (note, "ValueSet")
    return out


def _include_order(includes: list[Resource]) -> list[tuple[int, Resource]]:
    """Includes in processing order: several pinned versions of one system, newest first.

    The order decides which version of a code comes first in the expansion; clients (and the
    HL7 test suite) expect the newest pinned version before older ones.
    """
    order = list(enumerate(includes))
    by_system: dict[str, list[int]] = {}
    for n, inc in order:
        if inc.get("version") and isinstance(inc.get("system"), str):
            by_system.setdefault(inc["system"], []).append(n)
    for slots in by_system.values():
        if len(slots) > 1:
            ranked = sorted(slots, key=lambda n: version_key(includes[n]["version"]), reverse=True)
            for slot, n in zip(slots, ranked, strict=True):
                order[slot] = (n, includes[n])
    return order


def _identity(item: Item, by_code: bool) -> tuple[str, ...]:
    return (item.system, item.code) if by_code else (item.system, item.version or "", item.code)


def _stated_parameter(compose: Resource, name: str) -> bool | None:
    """A boolean expansion parameter the value set states (valueset-expansion-parameter)."""
    for ext in compose.get("extension", []):
        parts = {e.get("url"): e for e in ext.get("extension", [])}
        if parts.get("name", {}).get("valueCode") == name:
            value = next(
                (v for k, v in parts.get("value", {}).items() if k.startswith("value")), None
            )
            return value in (True, "true")
    return None


def _stated(vs: Resource) -> Expansion:
    out = Expansion()

    def walk(contains: list[Resource]) -> Iterator[Item]:
        for c in contains:
            if isinstance(c.get("code"), str) and isinstance(c.get("system"), str):
                system = canonical_system(c["system"])
                yield Item(
                    system,
                    normalise_code(system, c["code"]),
                    c.get("display"),
                    c.get("version"),
                    c.get("inactive") is True,
                    c.get("abstract") is True,
                )
            yield from walk(c.get("contains", []))

    out.items = list(walk(vs.get("expansion", {}).get("contains", [])))
    return out
