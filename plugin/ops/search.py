"""Read (`[type]/[id]`) and search (`[type]?url=&version=&name=&status=`) of our resources."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from plugin.content.store import TERMINOLOGY_TYPES, Entry, Store
from plugin.content.systems import canonical_system
from plugin.errors import invalid, not_found
from plugin.ops.params import Args, Param
from plugin.outcomes import SearchOutcome
from plugin.types import Resource
from plugin.wire.bundle import render

PARAMS = (
    Param("url", "uri", "Canonical URL (aliases of OPCS-4 accepted)"),
    Param("version", "string", "Business version"),
    Param("name", "string", "Name, case-insensitive, starts with"),
    Param("title", "string", "Title, case-insensitive, contains"),
    Param("status", "code", "Publication status"),
    Param("_id", "id", "Logical id"),
    Param("_summary", "code", "true | count | false | data | text"),
    Param("_count", "integer", "Page size (default 100, at most 1000)"),
    Param("_offset", "integer", "Index of the page's first match (the `next` link sets it)"),
    Param("_elements", "string", "Not supported: whole resources are returned"),
)

# Searches are paged so that an unfiltered search over the FHIR core content (over a thousand
# value sets) cannot build one huge answer; the `next` link fetches the following page.
DEFAULT_PAGE = 100
MAX_PAGE = 1000

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


def _summarised(resource: Resource, summary: str) -> Resource:
    """The resource as `_summary` asks for it (true, text, data; false: whole)."""
    if summary == "true":
        return {k: v for k, v in resource.items() if k in _SUMMARY}
    if summary == "text":
        return {k: v for k, v in resource.items() if k in ("resourceType", "id", "meta", "text")}
    if summary == "data":
        return {k: v for k, v in resource.items() if k != "text"}
    return resource


def evaluate(store: Store, rtype: str, args: Args, base_url: str) -> SearchOutcome:
    """FHIR search over the stored resources of one type (url, version, name, title, status,
    _id; _summary and _count shape the answer)."""
    if rtype not in TERMINOLOGY_TYPES:
        raise not_found(f"Resource type {rtype} is not served here", rtype)
    summary = args.get("_summary", "false")
    if summary not in ("true", "false", "count", "data", "text"):
        raise invalid(
            f"_summary must be true, false, count, data or text, not '{summary}'", "_summary"
        )
    count = args.get("_count")
    offset = args.get("_offset", 0)
    for name, value in (("_count", count), ("_offset", offset)):
        if value is not None and value < 0:
            raise invalid(f"{name} must not be negative", name)
    found = sorted(_filter(store.all(rtype), args, rtype), key=lambda e: (e.url, e.version or ""))
    if summary == "count":
        return SearchOutcome(base_url, len(found))
    size = min(DEFAULT_PAGE if count is None else count, MAX_PAGE)
    page = found[offset : offset + size]
    entries = tuple((e.id, _summarised(e.resource, summary)) for e in page)
    more = offset + size < len(found) and size > 0
    return SearchOutcome(
        base_url, len(found), entries, _with_offset(base_url, offset + size) if more else None
    )


def _with_offset(url: str, offset: int) -> str:
    """The search URL with `_offset` set: FHIR paging links repeat the search with a position."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "_offset"]
    query.append(("_offset", str(offset)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def search(store: Store, rtype: str, args: Args, base_url: str) -> Resource:
    """FHIR search, answered as a searchset Bundle."""
    return render(evaluate(store, rtype, args, base_url))
