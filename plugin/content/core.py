"""FHIR core terminology: the code systems and value sets of the FHIR specification itself.

Each FHIR base serves its own FHIR version's core content first (R4 4.0.1 at `/r4`, R5 5.0.0
at `/r5`): an unversioned canonical resolves to the base's own FHIR version's definition. One
store holds both versions, so a request that pins the other version
(`administrative-gender|5.0.0` on `/r4`) is answered too. The content ships inside the
package as one compressed pack per version (`corepacks/`, built by
`scripts/build_core_packs.py`; provenance and licence in the README). Nothing is fetched at
run time.

A pack holds about 1,200 resources; a request needs a handful. So the store opens the pack
when a request first falls through to core content, and indexes a resource the first time a
request resolves it (then keeps it): start-up costs nothing and memory grows only with use.
"""

from __future__ import annotations

import functools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from plugin.content.store import Entry, Store, make_entry, pick, version_key
from plugin.jsonio import loads

PACKS = Path(__file__).parent / "corepacks"
# FHIR version of a base -> pack file name.
PACK_FOR_VERSION = {"4.0.1": "r4.zip", "5.0.0": "r5.zip"}


class Row(NamedTuple):
    """One resource of a pack's index, readable without opening the resource."""

    type: str
    url: str
    version: str | None
    id: str | None
    content: str | None
    supplements: str | None
    member: str


@dataclass
class _Index:
    """A pack's index: provenance, and rows by canonical, by id and by supplemented system."""

    origin: str
    fhir_version: str
    rows: list[Row]
    by_url: dict[tuple[str, str], list[Row]] = field(default_factory=dict)
    by_id: dict[tuple[str, str], Row] = field(default_factory=dict)
    supplementing: dict[str, list[Row]] = field(default_factory=dict)


class CoreStore(Store):
    """A read-only store over a core pack; the index is read on first use, each resource the
    first time a request reaches it (then kept)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        self._loaded: dict[str, Entry] = {}

    @functools.cached_property
    def _zip(self) -> zipfile.ZipFile:
        return zipfile.ZipFile(self._path)

    @functools.cached_property
    def _index(self) -> _Index:
        head: dict[str, Any] = loads(self._zip.read("index.json"))
        index = _Index(
            f"{head['package']}#{head['version']}",
            head["fhirVersion"],
            [Row(*r) for r in head["resources"]],
        )
        for row in index.rows:
            index.by_url.setdefault((row.type, row.url), []).append(row)
            if row.id:
                index.by_id[(row.type, row.id)] = row
            if row.supplements:
                index.supplementing.setdefault(row.supplements.split("|")[0], []).append(row)
        return index

    @property
    def fhir_version(self) -> str:
        """The FHIR version of the pack's content."""
        return self._index.fhir_version

    @property
    def rows(self) -> list[Row]:
        """One row per resource of the pack, in pack order."""
        return self._index.rows

    def _entry(self, row: Row) -> Entry:
        entry = self._loaded.get(row.member)
        if entry is None:
            entry = make_entry(loads(self._zip.read(row.member)), self._index.origin)
            self._loaded[row.member] = entry
        return entry

    @property
    def loaded(self) -> int:
        """How many of the pack's resources have been read and indexed so far."""
        return len(self._loaded)

    def add(self, entry: Entry) -> None:
        """Core content is fixed: adding to it is a programming error."""
        raise TypeError("the FHIR core store is read-only")

    def versions(self, rtype: str, url: str) -> list[Entry]:
        """Every core version of a canonical (usually one)."""
        return [self._entry(r) for r in self._index.by_url.get((rtype, url), [])]

    def resolve(self, rtype: str, url: str, version: str | None = None) -> Entry | None:
        """The core resource for a canonical, with the store's version rules."""
        if "|" in url and version is None:
            url, version = url.split("|", 1)
        return pick(self.versions(rtype, url), version)

    def by_id(self, rtype: str, rid: str) -> Entry | None:
        """The core resource with logical id `rid`."""
        row = self._index.by_id.get((rtype, rid))
        return self._entry(row) if row else None

    def all(self, rtype: str) -> Iterator[Entry]:
        """Every core resource of a type (indexed as it is reached; used by search)."""
        for row in self.rows:
            if row.type == rtype:
                yield self._entry(row)

    def concept_maps_for(self, system: str) -> list[Entry]:
        """Core packs hold no ConceptMaps."""
        return []

    def supplements_for(self, url: str) -> list[Entry]:
        """Core CodeSystem supplements of `url`."""
        return [self._entry(r) for r in self._index.supplementing.get(url, [])]

    def __len__(self) -> int:
        return len(self.rows)


@functools.cache
def core_store(fhir_version: str) -> CoreStore | None:
    """The core store of a FHIR version (one per process), None when no pack is shipped."""
    name = PACK_FOR_VERSION.get(fhir_version)
    if name is None or not (PACKS / name).is_file():
        return None
    return CoreStore(PACKS / name)


class CoreView(Store):
    """Core content of every FHIR version in one store, a base's own version first.

    An unversioned canonical resolves to the base's own version (or, for a resource only the
    other version defines, to that one); a pinned version finds whichever pack holds it.
    """

    def __init__(self, packs: list[CoreStore]) -> None:
        super().__init__()
        self.packs = packs

    def add(self, entry: Entry) -> None:
        """Core content is fixed: adding to it is a programming error."""
        raise TypeError("the FHIR core store is read-only")

    def versions(self, rtype: str, url: str) -> list[Entry]:
        """Every core version of a canonical, across the packs, oldest first."""
        found = [e for pack in self.packs for e in pack.versions(rtype, url)]
        return sorted(found, key=lambda e: version_key(e.version))

    def resolve(self, rtype: str, url: str, version: str | None = None) -> Entry | None:
        """The first pack's answer, else the next one's."""
        for pack in self.packs:
            found = pack.resolve(rtype, url, version)
            if found is not None:
                return found
        return None

    def by_id(self, rtype: str, rid: str) -> Entry | None:
        """By logical id: the base's own version wins (the packs share their ids)."""
        for pack in self.packs:
            found = pack.by_id(rtype, rid)
            if found is not None:
                return found
        return None

    def all(self, rtype: str) -> Iterator[Entry]:
        """Every core resource of a type a base serves: its own version's, then the other
        packs' resources whose id its own pack does not use (ids are unique per base, as read
        by id finds them)."""
        taken: set[str | None] = set()
        for pack in self.packs:
            ids = {r.id for r in pack.rows if r.type == rtype}
            for row in pack.rows:
                if row.type == rtype and (row.id is None or row.id not in taken):
                    yield pack._entry(row)
            taken |= ids

    def concept_maps_for(self, system: str) -> list[Entry]:
        """Core packs hold no ConceptMaps."""
        return []

    def supplements_for(self, url: str) -> list[Entry]:
        """Core CodeSystem supplements of `url`, from every pack."""
        return [e for pack in self.packs for e in pack.supplements_for(url)]

    def __len__(self) -> int:
        return sum(len(p) for p in self.packs)


def core_view(fhir_version: str) -> CoreView | None:
    """One store over every shipped core pack, `fhir_version`'s first; None without packs."""
    own = core_store(fhir_version)
    if own is None:
        return None
    others = [core_store(v) for v in PACK_FOR_VERSION if v != fhir_version]
    return CoreView([own, *(p for p in others if p is not None)])


def with_core(store: Store, fhir_version: str) -> Store:
    """A view of `store` that falls back to FHIR core content, `fhir_version`'s first.

    The store's own content wins over core for the same canonical; `store` itself is unchanged
    (its other views and the free-text vocabulary never see core content).
    """
    core = core_view(fhir_version)
    if core is None or store.parent is not None:
        return store
    return store.layered_on(core)


def code_system_summaries(store: Store) -> Iterator[tuple[str, str | None, str | None]]:
    """(url, version, content) of every CodeSystem a store serves, core ones unread."""
    layer: Store | None = store
    seen: set[tuple[str, str | None]] = set()
    while layer is not None:
        if isinstance(layer, CoreView):
            rows = (
                (r.url, r.version, r.content)
                for pack in layer.packs
                for r in pack.rows
                if r.type == "CodeSystem"
            )
        else:
            rows = ((e.url, e.version, e.resource.get("content")) for e in layer.own("CodeSystem"))
        for url, version, content in rows:
            if (url, version) not in seen:
                seen.add((url, version))
                yield url, version, content
        layer = layer.parent
