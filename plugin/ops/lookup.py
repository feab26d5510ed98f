"""CodeSystem/$lookup: a concept's display, designations and properties."""

from __future__ import annotations

from plugin.content.codesystem import CodeSystemIndex, Concept
from plugin.content.store import Store
from plugin.content.systems import canonical_system
from plugin.errors import invalid, not_found
from plugin.ops.expand_render import PREFERRED_FOR_LANGUAGE
from plugin.ops.operation import Context, Operation
from plugin.ops.params import Param, coding_of, mutually_exclusive
from plugin.types import Resource
from plugin.wire.parameters import param, parameters, part

PARAMS = (
    Param("code", "code", "The code to look up"),
    Param("system", "uri", "The code's system"),
    Param("version", "string", "Version of the system"),
    Param("coding", "Coding", "A Coding to look up"),
    Param("date", "dateTime", "Not used: content is not time-varying"),
    Param("displayLanguage", "code", "Language for the display"),
    Param("property", "code", "Properties to return (all when absent)", max=None),
    Param("tx-resource", "Resource", "CodeSystem used for this request only", max=None),
    Param("useSupplement", "canonical", "CodeSystem supplements to apply", max=None),
)


def resolve_system(store: Store, system: str, version: str | None, where: str) -> CodeSystemIndex:
    """The indexed CodeSystem, 404 when the system (or that version) is unknown."""
    entry = store.resolve("CodeSystem", canonical_system(system), version)
    if entry is None:
        shown = f"{system}|{version}" if version else system
        raise not_found(f"A definition for CodeSystem '{shown}' could not be found", where)
    return entry.index  # type: ignore[no-any-return]


def _properties(cs: CodeSystemIndex, concept: Concept, wanted: set[str] | None) -> list[Resource]:
    out: list[Resource] = []

    def want(name: str) -> bool:
        return wanted is None or name in wanted

    for p in concept.properties:
        code = p.get("code")
        if not isinstance(code, str) or not want(code) or code in ("parent", "child"):
            continue
        values: list[Resource] = [
            {"name": "value", k: v} for k, v in p.items() if k.startswith("value")
        ]
        out.append(part("property", [param("code", "code", code), *values]))
    if want("inactive"):
        out.append(
            part(
                "property",
                [param("code", "code", "inactive"), param("value", "boolean", concept.inactive)],
            )
        )
    for rel, codes in (("parent", concept.parents), ("child", concept.children)):
        if want(rel):
            for c in codes:
                other = cs.concepts[c]
                parts = [param("code", "code", rel), param("value", "code", c)]
                if other.display:
                    parts.append(param("description", "string", other.display))
                out.append(part("property", parts))
    return out


def run(ctx: Context) -> Resource:
    """FHIR $lookup: name, version, display, designations and properties of a code.

    An unknown system or code is a 404 `not-found` (the request names a concept that does not
    exist, there is no `result` to set false).
    """
    args = ctx.args
    mutually_exclusive(args, "code", "coding")
    if args.has("coding"):
        system, code, _, version = coding_of(args.get("coding"), "coding")
    elif args.has("code"):
        system, code, version = args.get("system"), args.get("code"), args.get("version")
    else:
        raise invalid("Give code and system, or coding, to look up", "code")
    if ctx.instance is not None:
        system = system or ctx.instance.url
    if not system:
        raise invalid("Parameter 'code' needs a system", "system")
    cs = resolve_system(ctx.store, system, version, "system")
    concept = cs.get(code)
    if concept is None:
        raise not_found(
            f"Unknown code '{code}' in the CodeSystem '{cs.url}' version '{cs.version}'", "code"
        )
    wanted: set[str] | None = set(args.all("property")) or None
    if wanted is not None and "*" in wanted:
        wanted = None
    out: list[Resource] = [
        param("name", "string", cs.name or cs.url),
        param("code", "code", concept.code),
        param("system", "uri", cs.url),
    ]
    if cs.version:
        out.append(param("version", "string", cs.version))
    if concept.display:
        out.append(param("display", "string", concept.display))
    if concept.definition:
        out.append(param("definition", "string", concept.definition))
    out.append(param("abstract", "boolean", concept.not_selectable))
    if cs.language and concept.display:
        # The display is the preferred designation in the system's own language.
        preferred = [
            param("language", "code", cs.language),
            param("use", "Coding", PREFERRED_FOR_LANGUAGE),
            param("value", "string", concept.display),
        ]
        out.append(part("designation", preferred))
    for d in concept.designations:
        parts: list[Resource] = []
        if d.get("language"):
            parts.append(param("language", "code", d["language"]))
        if d.get("use"):
            parts.append(param("use", "Coding", d["use"]))
        source = cs.designation_sources.get((concept.code, str(d.get("value"))))
        if source:
            parts.append(param("source", "canonical", source))
        parts.append(param("value", "string", d.get("value", "")))
        out.append(part("designation", parts))
    out.extend(_properties(cs, concept, wanted))
    out += [param("used-supplement", "canonical", a) for a in cs.applied_supplements]
    return parameters(out)


OPERATION = Operation(
    name="lookup",
    definition="http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup",
    resource_types=("CodeSystem",),
    params=PARAMS,
    run=run,
)
