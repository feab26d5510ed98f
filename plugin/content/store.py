"""The resource store: terminology resources indexed by type, canonical URL, version and id.

Content is immutable at run time. A request's `tx-resource` content is an overlay: a small store
whose lookups fall back to the shared one, discarded with the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from plugin.content.codesystem import CodeSystemIndex
from plugin.content.conceptmap import ConceptMapIndex, Group, Target
from plugin.content.fragments import is_fragment, merge
from plugin.content.shape import check_resource
from plugin.content.systems import canonical_system
from plugin.types import Resource

if TYPE_CHECKING:
    from plugin.content.closure import ClosureTables

TERMINOLOGY_TYPES = ("CodeSystem", "ValueSet", "ConceptMap")
# Kept beside the terminology resources (packaged and listed with them) but not served by the
# FHIR routes: NamingSystems declare code system identity (`plugin.content.systems`), and
# StructureDefinitions define the extensions the content uses, for validators.
STORED_TYPES = (*TERMINOLOGY_TYPES, "NamingSystem", "StructureDefinition")

# A forward index hit: the map, its group, and the group's targets for the code.
Hit = tuple[ConceptMapIndex, Group, list[Target]]


def version_key(version: str | None) -> tuple[tuple[int, int | str], ...]:
    """Sort key comparing versions part by part, numbers numerically ("4.10" > "4.9")."""
    if not version:
        return ()
    parts = re.split(r"[.\-+]", version)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


@dataclass(slots=True)
class Entry:
    """One stored resource and its index (CodeSystemIndex / ConceptMapIndex / None)."""

    type: str
    resource: Resource
    url: str
    version: str | None
    index: Any
    origin: str

    @property
    def id(self) -> str | None:
        """The logical id of the resource."""
        rid = self.resource.get("id")
        return rid if isinstance(rid, str) else None

    @property
    def canonical(self) -> str:
        """`url|version`, or the bare url for unversioned resources."""
        return f"{self.url}|{self.version}" if self.version else self.url


def make_entry(resource: Resource, origin: str) -> Entry:
    """Index a resource; raises ValueError when it is not a usable terminology resource."""
    rtype = resource.get("resourceType")
    check_resource(resource)
    if rtype == "NamingSystem":
        return Entry(rtype, resource, _preferred_uri(resource), None, None, origin)
    if rtype not in STORED_TYPES:
        raise ValueError(f"resourceType {rtype!r} is not a CodeSystem, ValueSet or ConceptMap")
    url = resource.get("url")
    if not isinstance(url, str) or not url:
        raise ValueError(f"{rtype} has no url")
    version = resource.get("version")
    if version is not None and not isinstance(version, str):
        raise ValueError(f"{rtype} {url} has a non-string version")
    index: Any = None
    if rtype == "CodeSystem":
        index = CodeSystemIndex(resource)
        url = index.url
    elif rtype == "ConceptMap":
        index = ConceptMapIndex(resource)
    return Entry(rtype, resource, url, version, index, origin)


def _preferred_uri(resource: Resource) -> str:
    # R4 NamingSystem has no url: it is known by its preferred uri uniqueId.
    for u in resource.get("uniqueId") or ():
        ok = isinstance(u, dict) and u.get("type") == "uri" and u.get("preferred") is True
        if ok and isinstance(u.get("value"), str) and u["value"]:
            return str(u["value"])
    raise ValueError("NamingSystem has no preferred uniqueId of type uri")


class Store:
    """Resources by type -> url -> version, with an optional parent to fall back to."""

    def __init__(self, parent: Store | None = None) -> None:
        self.parent = parent
        # Titles of the content packs loaded (from their manifests), for the server's description.
        self.titles: list[str] = parent.titles if parent is not None else []
        # The server's closure tables ($closure): state kept across requests, not content. Every
        # view of one server's content shares them (see `plugin.content.closure`).
        self.closures: ClosureTables | None = parent.closures if parent is not None else None
        self._canon: dict[str, dict[str, dict[str | None, Entry]]] = {t: {} for t in STORED_TYPES}
        self._ids: dict[tuple[str, str], Entry] = {}
        # Every entry in load order: two resources may share url|version (the HL7 test suite
        # sends two different ConceptMaps under one canonical); iteration must see both.
        self._entries: dict[str, list[Entry]] = {t: [] for t in STORED_TYPES}
        self._supplements: dict[str, list[Entry]] = {}
        # ConceptMaps by each system their groups map from or to: $translate picks its maps
        # without scanning them all, so its cost stays flat as maps are added.
        self._maps_by_system: dict[str, list[Entry]] = {}
        # (source system, code, target system or None) -> the groups that list the code, in
        # load order: a forward $translate of one coding is one dict access (see `forward`).
        self._forward: dict[tuple[str, str, str | None], list[Hit]] = {}
        # Source systems with a group that answers unlisted codes (`unmapped`): not indexable.
        self._open_sources: set[str] = set()

    def add(self, entry: Entry) -> None:
        """Store an entry; a later entry with the same url and version replaces the earlier,
        except that two fragments of one code system version are merged (`fragments.merge`)."""
        earlier = self._canon[entry.type].get(entry.url, {}).get(entry.version)
        if earlier is not None and is_fragment(earlier.resource) and is_fragment(entry.resource):
            if entry.id:  # the later fragment stays readable by its own id, merged
                self._ids[(entry.type, entry.id)] = earlier
            entry = make_entry(merge(earlier.resource, entry.resource), earlier.origin)
            for key, value in list(self._ids.items()):
                if value is earlier:
                    self._ids[key] = entry
            self._entries[entry.type] = [e for e in self._entries[entry.type] if e is not earlier]
        self._canon[entry.type].setdefault(entry.url, {})[entry.version] = entry
        self._entries[entry.type].append(entry)
        if entry.id:
            self._ids[(entry.type, entry.id)] = entry
        if entry.type == "CodeSystem" and entry.index.supplements:
            base = entry.index.supplements.split("|", 1)[0]
            self._supplements.setdefault(base, []).append(entry)
        if entry.type == "ConceptMap":
            sources, targets = entry.index.systems()
            for system in sources | targets:
                self._maps_by_system.setdefault(system, []).append(entry)
            self._index_forward(entry.index)

    def _index_forward(self, cm: ConceptMapIndex) -> None:
        for g in cm.groups:
            if g.source is None:
                continue
            if g.unmapped:
                self._open_sources.add(g.source)
            for code, (_, targets) in g.elements.items():
                hit = (cm, g, targets)
                self._forward.setdefault((g.source, code, None), []).append(hit)
                if g.target is not None:
                    self._forward.setdefault((g.source, code, g.target), []).append(hit)

    def forward(self, system: str, code: str, target: str | None) -> list[Hit] | None:
        """The map groups that list (system, code), narrowed to `target` when given.

        None when the index cannot answer alone: the store this one falls back to (request-scoped
        content's parent) has maps from `system` too, or a group from `system` maps unlisted codes
        (`unmapped`). Then every candidate map must be asked.
        """
        if system in self._open_sources:
            return None
        if self.parent is not None and self.parent.concept_maps_for(system):
            return None
        return self._forward.get((system, code, target), [])

    def layered_on(self, parent: Store | None) -> Store:
        """A view sharing this store's resources that falls back to `parent` (own ones win)."""
        view = Store(parent=parent)
        view.titles = self.titles
        view.closures = self.closures
        view._canon, view._ids, view._entries = self._canon, self._ids, self._entries
        view._supplements, view._maps_by_system = self._supplements, self._maps_by_system
        view._forward, view._open_sources = self._forward, self._open_sources
        return view

    def own(self, rtype: str) -> list[Entry]:
        """This layer's own entries of a type, in load order (not the parent's)."""
        return self._entries[rtype]

    def overlay(self, resources: Iterable[Resource]) -> Store:
        """A request-scoped store whose own resources win over this one's."""
        child = Store(parent=self)
        for r in resources:
            child.add(make_entry(r, "tx-resource"))
        return child

    def versions(self, rtype: str, url: str) -> list[Entry]:
        """Every stored version of a canonical, own entries shadowing the parent's."""
        key = canonical_system(url) if rtype == "CodeSystem" else url
        merged: dict[str | None, Entry] = {}
        if self.parent is not None:
            merged.update({e.version: e for e in self.parent.versions(rtype, key)})
        merged.update(self._canon[rtype].get(key, {}))
        return sorted(merged.values(), key=lambda e: version_key(e.version))

    def resolve(self, rtype: str, url: str, version: str | None = None) -> Entry | None:
        """The resource for a canonical (`url`, `url|version`); latest version when unpinned.

        Overlay (request) content wins over stored content for the same canonical.
        """
        if "|" in url and version is None:
            url, version = url.split("|", 1)
        own = self._canon[rtype].get(canonical_system(url) if rtype == "CodeSystem" else url)
        if own:
            found = _pick(list(own.values()), version)
            if found is not None:
                return found
        if self.parent is not None:
            return self.parent.resolve(rtype, url, version)
        return None

    def unversioned_fragment(self, url: str, code: str) -> Entry | None:
        """An unversioned `content: fragment` CodeSystem of `url` that has `code`, else None.

        FHIR resolves a code system reference without a version to the latest version, and a
        fragment without a version has no place in that order (it sorts first, so it is never
        chosen beside a versioned one); yet its codes are codes of the system. A request that
        pins no version and does not find its code in the version chosen is answered from here:
        a compiled guidance's OPCS-4 codes, when the page states no OPCS-4 version.
        """
        for e in self.versions("CodeSystem", url):
            if e.version is None and is_fragment(e.resource) and e.index.get(code) is not None:
                return e
        return None

    def by_id(self, rtype: str, rid: str) -> Entry | None:
        """The resource with logical id `rid`."""
        found = self._ids.get((rtype, rid))
        if found is None and self.parent is not None:
            return self.parent.by_id(rtype, rid)
        return found

    def all(self, rtype: str) -> Iterator[Entry]:
        """Every entry of a type (own first, then the parent's not shadowed by own)."""
        seen: set[tuple[str, str | None]] = set()
        for e in self._entries[rtype]:
            seen.add((e.url, e.version))
            yield e
        if self.parent is not None:
            for e in self.parent.all(rtype):
                if (e.url, e.version) not in seen:
                    yield e

    def concept_maps_for(self, system: str) -> list[Entry]:
        """ConceptMaps with a group from or to `system`, in the order `all` gives them."""
        own = self._maps_by_system.get(system, [])
        if self.parent is None:
            return own
        mine = {(e.url, e.version) for e in self._entries["ConceptMap"]}
        inherited = self.parent.concept_maps_for(system)
        return own + [e for e in inherited if (e.url, e.version) not in mine]

    def supplements_for(self, url: str) -> list[Entry]:
        """CodeSystem supplements that extend `url`."""
        own = self._supplements.get(url, [])
        return own + (self.parent.supplements_for(url) if self.parent else [])

    def __len__(self) -> int:
        own = sum(len(v) for v in self._entries.values())
        return own + (len(self.parent) if self.parent else 0)


_WILD = frozenset({"x", "X", "*"})


def version_matches(version: str, pattern: str) -> bool:
    """True when `version` is `pattern` or fits its wildcards ("1.0.x", "1.x.x", "1.x", "1.*").

    Each `x`/`*` part matches any one part (which must exist); later parts are free.
    """
    if version == pattern:
        return True
    wanted = pattern.split(".")
    if not _WILD.intersection(wanted):
        return False
    have = version.split(".")
    return len(have) >= len(wanted) and all(
        w in _WILD or have[i] == w for i, w in enumerate(wanted)
    )


def pick(entries: list[Entry], version: str | None) -> Entry | None:
    """The entry for a version (exact, then FHIR wildcards), the latest when unpinned."""
    return _pick(entries, version)


def _pick(entries: list[Entry], version: str | None) -> Entry | None:
    if version is None:
        if len(entries) == 1:
            return entries[0]  # the usual case: one version, nothing to compare
        return max(entries, key=lambda e: version_key(e.version)) if entries else None
    for e in entries:
        if e.version == version:
            return e
    # FHIR version wildcards: "1.x" / "1.0.x" select the latest matching version.
    matching = [e for e in entries if e.version and version_matches(e.version, version)]
    return max(matching, key=lambda e: version_key(e.version)) if matching else None
