"""Read (`[type]/[id]`) and search (`[type]?url=&version=&name=&status=`) of our resources."""

from __future__ import annotations

from collections.abc import Iterable

from plugin.content.store import TERMINOLOGY_TYPES, Entry, Store
from plugin.content.systems import canonical_system
from plugin.errors import invalid, not_found
from plugin.ops.params import Args, Param
from plugin.types import Resource

PARAMS = (
    Param("url", "uri", "Canonical URL (aliases of OPCS-4 accepted)"),
    Param("version", "string", "Business version"),
    Param("name", "string", "Name, case-insensitive, starts with"),
    Param("title", "string", "Title, case-insensitive, contains"),
    Param("status", "code", "Publication status"),
    Param("_id", "id", "Logical id"),
    Param("_summary", "code", "true | count | false | data | text"),
    Param("_count", "integer", "Page size"),
    Param("_elements", "string", "Not supported: whole resources are returned"),
)

# Elements kept by `_summary=true` (the summary elements of the three resource types).
_SUMMARY = (
    "resourceType",
    "id",
    "meta",
    "url",
    "identifier",
    "version",
    "name",
    "title",
    "status",
    "experimental",
    "date",
    "publisher",
    "contact",
    "useContext",
    "jurisdiction",
    "content",
    "count",
    "caseSensitive",
    "valueSet",
    "hierarchyMeaning",
    "compositional",
    "versionNeeded",
    "supplements",
    "immutable",
)


def read(store: Store, rtype: str, rid: str) -> Resource:
    """FHIR read: the resource with that id, 404 when there is none."""
    if rtype not in TERMINOLOGY_TYPES:
        raise not_found(f"Resource type {rtype} is not served here", rtype)
    entry = store.by_id(rtype, rid)
    if entry is None:
        raise not_found(f"{rtype}/{rid} is not known to this server", "id")
    return entry.resource


def _filter(entries: Iterable[Entry], args: Args, rtype: str) -> list[Entry]:
    out = list(entries)
    if args.has("url"):
        url = args.get("url")
        if "|" in url:
            url, version = url.split("|", 1)
            out = [e for e in out if e.version == version]
        if rtype == "CodeSystem":
            url = canonical_system(url)
        out = [e for e in out if e.url == url]
    if args.has("version"):
        out = [e for e in out if e.version == args.get("version")]
    if args.has("name"):
        name = args.get("name").lower()
        out = [e for e in out if str(e.resource.get("name", "")).lower().startswith(name)]
    if args.has("title"):
        title = args.get("title").lower()
        out = [e for e in out if title in str(e.resource.get("title", "")).lower()]
    if args.has("status"):
        statuses = set(args.get("status").split(","))
        out = [e for e in out if e.resource.get("status") in statuses]
    if args.has("_id"):
        ids = set(args.get("_id").split(","))
        out = [e for e in out if e.id in ids]
    return out


def search(store: Store, rtype: str, args: Args, base_url: str) -> Resource:
    """FHIR search over the stored resources of one type, answered as a searchset Bundle."""
    if rtype not in TERMINOLOGY_TYPES:
        raise not_found(f"Resource type {rtype} is not served here", rtype)
    summary = args.get("_summary", "false")
    if summary not in ("true", "false", "count", "data", "text"):
        raise invalid(
            f"_summary must be true, false, count, data or text, not '{summary}'", "_summary"
        )
    count = args.get("_count")
    if count is not None and count < 0:
        raise invalid("_count must not be negative", "_count")
    found = sorted(_filter(store.all(rtype), args, rtype), key=lambda e: (e.url, e.version or ""))
    bundle: Resource = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(found),
        "link": [{"relation": "self", "url": base_url}],
    }
    if summary == "count":
        return bundle
    page = found[:count] if count is not None else found
    entries = []
    for e in page:
        res = e.resource
        if summary == "true":
            res = {k: v for k, v in res.items() if k in _SUMMARY}
        elif summary == "text":
            res = {k: v for k, v in res.items() if k in ("resourceType", "id", "meta", "text")}
        elif summary == "data":
            res = {k: v for k, v in res.items() if k != "text"}
        rid = e.id
        entry: Resource = {"resource": res, "search": {"mode": "match"}}
        if rid:
            entry = {"fullUrl": f"{base_url.split('?', 1)[0]}/{rid}", **entry}
        entries.append(entry)
    if entries:
        bundle["entry"] = entries
    return bundle
