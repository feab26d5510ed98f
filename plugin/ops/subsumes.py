"""CodeSystem/$subsumes: how two codes of one code system relate in its hierarchy."""

from __future__ import annotations

from plugin.content.codesystem import CodeSystemIndex
from plugin.errors import invalid
from plugin.messages import error
from plugin.ops.lookup import resolve_system
from plugin.ops.operation import Context, Operation
from plugin.ops.params import Args, Param, coding_of, mutually_exclusive
from plugin.outcomes import SubsumesOutcome
from plugin.types import Resource
from plugin.wire.subsumes import render

PARAMS = (
    Param("codeA", "code", "The code that may subsume codeB"),
    Param("codeB", "code", "The code that may be subsumed by codeA"),
    Param("system", "uri", "The code system of codeA and codeB"),
    Param("version", "string", "Version of the code system"),
    Param("codingA", "Coding", "codeA as a Coding (instead of codeA and system)"),
    Param("codingB", "Coding", "codeB as a Coding (instead of codeB and system)"),
    Param("tx-resource", "Resource", "CodeSystem used for this request only", max=None),
)


def _side(args: Args, name: str) -> tuple[str | None, str, str | None]:
    """(system, code, version) of side A or B: from `codingX`, else from `codeX`."""
    mutually_exclusive(args, f"code{name}", f"coding{name}")
    if args.has(f"coding{name}"):
        system, code, _, version = coding_of(args.get(f"coding{name}"), f"coding{name}")
        if not system:
            raise error("SUBSUMES_CODING_NO_SYSTEM", (f"coding{name}",), side=name)
        return system, code, version
    if not args.has(f"code{name}"):
        raise invalid(f"Give code{name} (with system) or coding{name}", f"code{name}")
    return args.get("system"), args.get(f"code{name}"), args.get("version")


def concept_code(cs: CodeSystemIndex, code: str, where: str) -> str:
    """The code's canonical form in the code system; 400 (`code-invalid`, `invalid-code`) when
    the system does not define it: the request names a code that does not exist."""
    concept = cs.get(code)
    if concept is None:
        version = f" version '{cs.version}'" if cs.version else ""
        raise error("Unknown_Code_in_Version", (where,), code=code, system=cs.url, where=version)
    return concept.code


def evaluate(ctx: Context) -> SubsumesOutcome:
    """FHIR $subsumes: `equivalent`, `subsumes` (A is an ancestor of B), `subsumed-by` or
    `not-subsumed`, by the code system's hierarchy.

    Both codes must be in one code system: a missing system, codings of different systems, or a
    code the system does not define is an error (there is no `result` to set false).
    """
    system_a, code_a, version_a = _side(ctx.args, "A")
    system_b, code_b, version_b = _side(ctx.args, "B")
    if ctx.instance is not None:
        system_a, system_b = system_a or ctx.instance.url, system_b or ctx.instance.url
    if not system_a or not system_b:
        raise error("SUBSUMES_SYSTEM_REQUIRED", ("system",))
    if system_a != system_b or (version_a and version_b and version_a != version_b):
        raise invalid(
            f"codeA and codeB are in different code systems ('{system_a}', '{system_b}'): "
            "$subsumes compares codes of one code system",
            "codingB",
        )
    cs = resolve_system(ctx.store, system_a, version_a or version_b, "system")
    where_a = "codingA" if ctx.args.has("codingA") else "codeA"
    where_b = "codingB" if ctx.args.has("codingB") else "codeB"
    a, b = concept_code(cs, code_a, where_a), concept_code(cs, code_b, where_b)
    return SubsumesOutcome(relation(cs, a, b))


def relation(cs: CodeSystemIndex, a: str, b: str) -> str:
    """How canonical code `a` relates to `b` in the code system's is-a hierarchy (FHIR
    $subsumes outcome): `equivalent`, `subsumes` (A is an ancestor of B), `subsumed-by` or
    `not-subsumed`."""
    if a == b:
        return "equivalent"
    if a in cs.ancestors(b):
        return "subsumes"
    if b in cs.ancestors(a):
        return "subsumed-by"
    return "not-subsumed"


def run(ctx: Context) -> Resource:
    """The $subsumes operation: evaluate, then render as Parameters."""
    return render(evaluate(ctx))


OPERATION = Operation(
    name="subsumes",
    definition="http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes",
    resource_types=("CodeSystem",),
    params=PARAMS,
    run=run,
)
