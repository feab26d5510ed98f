"""ValueSet/$expand: filter, then page, then render with the parameters echoed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from plugin.config import MAX_EXPANSION
from plugin.content.store import Store
from plugin.content.supplements import declared_supplements, with_supplements
from plugin.content.systems import canonical_system
from plugin.content.valueset import Expansion, Item, SystemVersions, expand
from plugin.errors import invalid, not_found
from plugin.messages import error
from plugin.ops.expand_render import Layout, can_nest, contains
from plugin.ops.operation import Context, Operation
from plugin.ops.params import Args, Param, mutually_exclusive
from plugin.outcomes import ExpandOutcome
from plugin.types import Coding, Resource
from plugin.wire.expansion import render

# The version rules an expansion follows; $validate-code takes the same ones (one declaration).
VERSION_PARAMS = (
    Param(
        "system-version",
        "canonical",
        "Version to use for a system the ValueSet does not pin (system|version)",
        max=None,
    ),
    Param(
        "check-system-version",
        "canonical",
        "Fail when the ValueSet pins another version (system|version)",
        max=None,
    ),
    Param(
        "force-system-version",
        "canonical",
        "Version to use for a system whatever the ValueSet says (system|version)",
        max=None,
    ),
    Param(
        "default-valueset-version",
        "canonical",
        "Version of an imported value set the compose names without one (url|version)",
        max=None,
    ),
    Param("useSupplement", "canonical", "CodeSystem supplements to apply", max=None),
    Param("tx-resource", "Resource", "Resources used for this request only", max=None),
)
PARAMS = (
    Param("url", "uri", "Canonical URL of the ValueSet to expand"),
    Param("valueSet", "Resource", "A ValueSet given in the request"),
    Param("valueSetVersion", "string", "Version of the ValueSet named by url"),
    Param("filter", "string", "Text filter: codes whose display or code contains every word"),
    Param("count", "integer", "Page size (0 = total only)"),
    Param("offset", "integer", "Index of the first code returned"),
    Param("activeOnly", "boolean", "Leave inactive codes out"),
    Param("includeDesignations", "boolean", "Return each code's designations"),
    Param("includeDefinition", "boolean", "Return the ValueSet definition with the expansion"),
    Param("excludeNested", "boolean", "Return a flat list instead of nesting codes under parents"),
    Param("displayLanguage", "code", "Language of the displays"),
    Param("property", "string", "Concept properties to return with each code", max=None),
    Param("designation", "string", "Designations to return (language or system|code)", max=None),
    *VERSION_PARAMS,
)

_EXT = "http://hl7.org/fhir/StructureDefinition"
_VS_PARAMETER = f"{_EXT}/valueset-expansion-parameter"
# Elements of the ValueSet not repeated in the expansion answer (compose and extensions only
# with includeDefinition).
_NOT_COPIED = frozenset({"expansion", "text", "compose", "contained", "description", "extension"})

# Parameters echoed in expansion.parameter, with their FHIR value types.
_ECHO = {
    "filter": "string",
    "count": "integer",
    "offset": "integer",
    "activeOnly": "boolean",
    "includeDesignations": "boolean",
    "includeDefinition": "boolean",
    "excludeNested": "boolean",
}


def _resolve(ctx: Context) -> Resource:
    args = ctx.args
    if ctx.instance is not None:
        return ctx.instance.resource
    if args.has("valueSet"):
        vs: Resource = args.get("valueSet")
        if vs.get("resourceType") != "ValueSet":
            raise invalid("Parameter 'valueSet' must carry a ValueSet", "valueSet")
        return vs
    if args.has("url"):
        entry = ctx.store.resolve("ValueSet", args.get("url"), args.get("valueSetVersion"))
        if entry is None:
            raise not_found(
                f"A definition for the value set '{args.get('url')}' could not be found", "url"
            )
        return entry.resource
    raise invalid("Give url, valueSet or an instance id to expand", "url")


def system_versions(args: Args) -> SystemVersions:
    """The system-version / check-system-version / force-system-version rules of a request."""
    rules = SystemVersions()
    for name, table in (
        ("system-version", rules.default),
        ("check-system-version", rules.check),
        ("force-system-version", rules.force),
    ):
        for value in args.all(name):
            system, sep, version = str(value).partition("|")
            if not sep or not version:
                raise invalid(f"Parameter '{name}' must be written system|version", name)
            table[canonical_system(system)] = version
    for value in args.all("default-valueset-version"):
        url, sep, version = str(value).partition("|")
        if not sep or not version:
            raise invalid(
                "Parameter 'default-valueset-version' must be written url|version",
                "default-valueset-version",
            )
        rules.valuesets[url] = version
    return rules


def _matches(item: Item, words: list[str]) -> bool:
    text = f"{item.code} {item.display or ''}".lower()
    return all(w in text for w in words)


def _vs_parameters(vs: Resource) -> dict[str, object]:
    """Expansion parameters the ValueSet states itself (valueset-expansion-parameter)."""
    out: dict[str, object] = {}
    for ext in (vs.get("compose") or {}).get("extension", []):
        if ext.get("url") != _VS_PARAMETER:
            continue
        parts = {e.get("url"): e for e in ext.get("extension", [])}
        name = parts.get("name", {}).get("valueCode")
        value = [v for k, v in parts.get("value", {}).items() if k.startswith("value")]
        if isinstance(name, str) and value:
            out[name] = value[0]
    return out


def display_language(ctx: Context, vs: Resource) -> str | None:
    """displayLanguage: the parameter, else Accept-Language, else what the ValueSet states."""
    if ctx.args.has("displayLanguage"):
        return str(ctx.args.get("displayLanguage"))
    if ctx.accept_language:
        return ctx.accept_language
    stated = _vs_parameters(vs).get("displayLanguage")
    return stated if isinstance(stated, str) else None


def _stated_versions(vs: Resource) -> list[str]:
    """`system|version` of the includes of systems the compose names in several versions."""
    seen: dict[str, set[str]] = {}
    for inc in (vs.get("compose") or {}).get("include", []):
        if isinstance(inc.get("system"), str):
            seen.setdefault(inc["system"], set()).add(str(inc.get("version", "")))
    return [f"{s}|{v}" for s, vs_ in seen.items() if len(vs_) > 1 for v in vs_]


Echo = tuple[str, str, object]


def _echo(args: Args, language: str | None, rules: SystemVersions) -> list[Echo]:
    """The request parameters repeated in expansion.parameter: (name, FHIR type, value)."""
    params: list[Echo] = [(n, vtype, args.get(n)) for n, vtype in _ECHO.items() if args.has(n)]
    if language:
        params.append(("displayLanguage", "code", language))
    params += [("default-valueset-version", "uri", v) for v in args.all("default-valueset-version")]
    # force-system-version is echoed; a default (system-version) only when it was used; a guard
    # (check-system-version) never: its effect shows in the used-codesystem versions.
    params += [("force-system-version", "uri", v) for v in args.all("force-system-version")]
    params += [
        ("system-version", "uri", v)
        for v in args.all("system-version")
        if canonical_system(str(v).partition("|")[0]) in rules.applied
    ]
    params += [
        ("check-system-version", "uri", v)
        for v in args.all("check-system-version")
        if canonical_system(str(v).partition("|")[0]) in rules.checked
    ]
    params += [("designation", "string", v) for v in args.all("designation")]
    return params


def _used(store: Store, expansion: Expansion) -> list[Echo]:
    """What the expansion drew on: code systems, supplements, value sets, fragments."""
    params: list[Echo] = [("used-codesystem", "uri", u) for u in expansion.used_systems]
    for used in expansion.used_systems:
        entry = store.resolve("CodeSystem", used)
        applied = entry.index.applied_supplements if entry is not None else []
        params += [("used-supplement", "uri", a) for a in applied]
    if expansion.versions_matched:
        params.append(("versionsMatch", "boolean", True))
    params += [("used-valueset", "uri", u) for u in expansion.used_valuesets]
    params += [(f"warning-{note}", "uri", c) for c, (note, _) in expansion.standings.items()]
    params += [
        ("used-fragment", "uri", f"{s}|{v}" if v else s) for s, v in expansion.fragments.items()
    ]
    return params


def _layout(args: Args, vs: Resource, language: str | None) -> Layout:
    languages = []
    for value in args.all("designation"):
        system, _, code = str(value).rpartition("|")
        if system in ("", "urn:ietf:bcp:47"):
            languages.append(code)
    nested = can_nest(vs, args.get("excludeNested"), args.has("filter"))
    return Layout(
        designations=bool(args.get("includeDesignations")),
        # FHIR R5 ValueSet.compose.property: the properties to return when the client names none.
        properties=[str(p) for p in args.all("property")]
        or [p for p in (vs.get("compose") or {}).get("property", []) if isinstance(p, str)],
        nested=nested,
        language=language,
        designation_languages=languages,
    )


def _page(args: Args, expansion: Expansion) -> tuple[list[Item], int]:
    """The items the request asks for (text filter, activeOnly, then count/offset), and the
    total before paging."""
    count, offset = args.get("count"), args.get("offset", 0)
    items = expansion.items
    if args.has("filter"):
        words = args.get("filter").lower().split()
        items = [i for i in items if _matches(i, words)]
    if args.get("activeOnly"):
        items = [i for i in items if not i.inactive]
    total = len(items)
    if count is None and total > MAX_EXPANSION:
        raise error("VALUESET_TOO_COSTLY", total=total, limit=MAX_EXPANSION)
    return items[offset : offset + count if count is not None else None], total


def _flat(items: list[Item], expansion: Expansion) -> tuple[Coding, ...]:
    """The page as codings, each with the version of its system the expansion used."""
    used: dict[str, str] = {}
    for canonical in expansion.used_systems:
        system, _, version = canonical.partition("|")
        used.setdefault(system, version)
    return tuple(
        Coding(i.system, i.code, i.display, i.version or used.get(i.system) or None) for i in items
    )


def evaluate(ctx: Context) -> ExpandOutcome:
    """FHIR $expand: the filter applies before paging; `count=0` returns only the total.

    Every input parameter is echoed in `expansion.parameter`, with `used-codesystem` for each
    code system version the expansion drew on.
    """
    args = ctx.args
    # The surface: a page that can exist, and one way to name the value set.
    if args.get("count", 0) < 0 or args.get("offset", 0) < 0:
        raise invalid("count and offset must not be negative", "count")
    mutually_exclusive(args, "url", "valueSet")
    vs = _resolve(ctx)
    store = with_supplements(ctx.store, declared_supplements(vs))
    rules = system_versions(args)
    expansion = expand(store, vs, rules)
    page, total = _page(args, expansion)
    language = display_language(ctx, vs)
    copied: Resource = {k: v for k, v in vs.items() if k not in _NOT_COPIED}
    if args.get("includeDefinition"):
        # The definition was asked for: its compose and its extensions come with it.
        copied.update({key: vs[key] for key in ("compose", "extension") if key in vs})
    layout = _layout(args, vs, language)
    # Paging cuts through the tree: a page is always flat.
    layout.nested = layout.nested and len(page) == total
    entries = contains(page, layout, [*expansion.used_systems, *_stated_versions(vs)])
    return ExpandOutcome(
        value_set=copied,
        identifier=f"urn:uuid:{uuid.uuid4()}",
        timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
        total=total,
        offset=args.get("offset", 0) if args.has("offset") else None,
        parameters=(*_echo(args, language, rules), *_used(store, expansion)),
        contains=tuple(entries),
        properties=tuple(layout.declared.items()),
        fragments=tuple(expansion.fragments),
        codes=_flat(page, expansion),
    )


def run(ctx: Context) -> Resource:
    """The $expand operation: evaluate, then render for the endpoint's FHIR version."""
    return render(evaluate(ctx), r5=ctx.r5)


OPERATION = Operation(
    name="expand",
    definition="http://hl7.org/fhir/OperationDefinition/ValueSet-expand",
    resource_types=("ValueSet",),
    params=PARAMS,
    run=run,
    returns="ValueSet",
)
