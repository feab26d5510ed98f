"""CodeSystem/$lookup: a concept's display, designations and properties."""

from __future__ import annotations

from plugin.content.codesystem import CodeSystemIndex, Concept
from plugin.content.store import Store
from plugin.content.systems import canonical_system
from plugin.errors import invalid, not_found
from plugin.ops.expand_render import PREFERRED_FOR_LANGUAGE
from plugin.ops.operation import Context, Operation
from plugin.ops.params import Param, coding_of, mutually_exclusive
from plugin.outcomes import ConceptProperty, Designation, LookupOutcome
from plugin.types import Resource
from plugin.wire.lookup import render

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


def _properties(
    cs: CodeSystemIndex, concept: Concept, wanted: set[str] | None
) -> list[ConceptProperty]:
    out: list[ConceptProperty] = []

    def want(name: str) -> bool:
        return wanted is None or name in wanted

    for p in concept.properties:
        code = p.get("code")
        if not isinstance(code, str) or not want(code) or code in ("parent", "child"):
            continue
        values = tuple((k[5:], v) for k, v in p.items() if k.startswith("value"))
        out.append(ConceptProperty(code, values))
    if want("inactive"):
        out.append(ConceptProperty("inactive", (("boolean", concept.inactive),)))
    for rel, codes in (("parent", concept.parents), ("child", concept.children)):
        if want(rel):
            out += [
                ConceptProperty(rel, (("code", c),), cs.concepts[c].display or None) for c in codes
            ]
    return out


def _designations(cs: CodeSystemIndex, concept: Concept) -> list[Designation]:
    out: list[Designation] = []
    if cs.language and concept.display:
        # The display is the preferred designation in the system's own language.
        out.append(Designation(concept.display, cs.language, PREFERRED_FOR_LANGUAGE))
    for d in concept.designations:
        source = cs.designation_sources.get((concept.code, str(d.get("value"))))
        out.append(
            Designation(d.get("value", ""), d.get("language") or None, d.get("use") or None, source)
        )
    return out


def _concept_of(ctx: Context) -> tuple[CodeSystemIndex, Concept]:
    """The code asked about (code+system or coding, the instance's system by default)."""
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
    if concept is None and version is None:
        # Unpinned: a code missing from the latest version may be in an unversioned fragment.
        other = ctx.store.unversioned_fragment(cs.url, code)
        if other is not None:
            cs, concept = other.index, other.index.get(code)
    if concept is None:
        raise not_found(
            f"Unknown code '{code}' in the CodeSystem '{cs.url}' version '{cs.version}'", "code"
        )
    return cs, concept


def evaluate(ctx: Context) -> LookupOutcome:
    """FHIR $lookup: name, version, display, designations and properties of a code.

    An unknown system or code is a 404 `not-found` (the request names a concept that does not
    exist, there is no `result` to set false).
    """
    cs, concept = _concept_of(ctx)
    wanted: set[str] | None = set(ctx.args.all("property")) or None
    if wanted is not None and "*" in wanted:
        wanted = None
    return LookupOutcome(
        name=cs.name or cs.url,
        code=concept.code,
        system=cs.url,
        version=cs.version or None,
        display=concept.display or None,
        definition=concept.definition or None,
        abstract=concept.not_selectable,
        designations=tuple(_designations(cs, concept)),
        properties=tuple(_properties(cs, concept, wanted)),
        used_supplements=tuple(cs.applied_supplements),
    )


def run(ctx: Context) -> Resource:
    """The $lookup operation: evaluate, then render as Parameters."""
    return render(evaluate(ctx))


OPERATION = Operation(
    name="lookup",
    definition="http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup",
    resource_types=("CodeSystem",),
    params=PARAMS,
    run=run,
)
