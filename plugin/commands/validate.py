"""`nice-tx validate FILE`: check a resource against FHIR R4 and against our content.

A command-line tool, never on the request path: the FHIR structure check uses the
`fhir.resources` models (R4B, which shares R4's terminology resources), installed with the
`validate` extra.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from plugin.content.store import TERMINOLOGY_TYPES, Store
from plugin.content.systems import canonical_system
from plugin.types import Resource

from .common import EXIT_CANNOT_RUN, EXIT_INVALID, EXIT_OK, content_option, load


@dataclass(frozen=True)
class Finding:
    """One message about the resource: severity (error, warning, information), where, what."""

    severity: str
    where: str
    text: str


def structure(resource: Resource) -> list[Finding]:
    """FHIR R4 structure: known resource type, known elements, right datatypes."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    rtype = resource.get("resourceType")
    try:
        model = get_fhir_model_class(str(rtype))
    except (KeyError, ValueError, AttributeError):
        return [Finding("error", "resourceType", f"'{rtype}' is not a FHIR R4 resource type")]
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        return [
            Finding("error", ".".join([str(rtype), *(str(p) for p in e["loc"])]), e["msg"])
            for e in exc.errors()
        ]
    return []


def _codings(node: Any, path: str) -> Iterator[tuple[str, Resource]]:
    """Every Coding-shaped object (`system` and `code` strings) in the resource."""
    if isinstance(node, dict):
        if isinstance(node.get("system"), str) and isinstance(node.get("code"), str):
            yield path, node
        for key, value in node.items():
            yield from _codings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _codings(value, f"{path}[{i}]")


def _code_known(store: Store, system: str, code: str, where: str) -> Finding | None:
    """Is `system|code` in the CodeSystem we hold? None when fine (or system not held)."""
    entry = store.resolve("CodeSystem", system)
    if entry is None or entry.index.get(code) is not None:
        return None
    severity = "warning" if entry.index.content == "fragment" else "error"
    why = " (this service holds a fragment of it)" if severity == "warning" else ""
    return Finding(severity, where, f"unknown code {code} in {entry.url}{why}")


def _concept_map(store: Store, cm: Resource) -> Iterator[Finding]:
    for g, group in enumerate(cm.get("group", [])):
        source, target = group.get("source"), group.get("target")
        for e, element in enumerate(group.get("element", [])):
            where = f"ConceptMap.group[{g}].element[{e}]"
            if isinstance(source, str) and isinstance(element.get("code"), str):
                found = _code_known(store, source, element["code"], where + ".code")
                if found:
                    yield found
            for t, tgt in enumerate(element.get("target", [])):
                if isinstance(target, str) and isinstance(tgt.get("code"), str):
                    found = _code_known(store, target, tgt["code"], f"{where}.target[{t}].code")
                    if found:
                        yield found


def against_content(resource: Resource, store: Store) -> list[Finding]:
    """Our content: every coding of a system we hold must name a real code with its display;
    a CodeSystem/ValueSet/ConceptMap must load, a ValueSet must expand, a ConceptMap's codes
    must exist in the systems it maps between."""
    from plugin.content.store import make_entry
    from plugin.content.valueset import expand
    from plugin.errors import FhirError
    from plugin.python_api import Terminology

    out: list[Finding] = []
    rtype = resource.get("resourceType")
    if rtype in TERMINOLOGY_TYPES:
        try:
            make_entry(resource, "validate")
        except (ValueError, KeyError, TypeError) as exc:
            return [Finding("error", str(rtype), f"cannot be loaded: {exc}")]
        if rtype == "ValueSet":
            try:
                expand(store.overlay([resource]), resource)
            except FhirError as exc:
                out.append(Finding("error", "ValueSet.compose", f"does not expand: {exc.text}"))
        if rtype == "ConceptMap":
            out.extend(_concept_map(store, resource))
    service = Terminology(store)
    held: set[str] = set()
    for path, coding in _codings(resource, str(rtype)):
        system = canonical_system(coding["system"])
        if store.resolve("CodeSystem", system) is None:
            if system not in held:
                out.append(Finding("information", path, f"{system} is not held here: not checked"))
            held.add(system)
            continue
        display = coding.get("display") if isinstance(coding.get("display"), str) else None
        try:
            answer = service.validate_code(system, coding["code"], display=display)
        except FhirError as exc:
            out.append(Finding("error", path, exc.text))
            continue
        if not answer.result:
            out.append(Finding("error", path, answer.message or "invalid code"))
        out.extend(Finding("warning", path, w) for w in answer.warnings)
    return out


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@content_option
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
def validate(file: Path, content: tuple[Path, ...], quiet: bool) -> None:
    """Check FILE (one FHIR R4 JSON resource) against FHIR and against the loaded content.

    Exit code 0 when there is no error, 1 when there is, 3 when FILE cannot be read as JSON or
    the `validate` extra (fhir.resources) is not installed.

    \b
    Examples:
      nice-tx validate procedure.json
      nice-tx validate my-map.json --content ./my-codesystems
    """
    from plugin.jsonio import loads

    try:
        resource = loads(file.read_bytes())
    except (OSError, ValueError) as exc:
        click.echo(f"{file}: not readable as JSON: {exc}", err=True)
        raise SystemExit(EXIT_CANNOT_RUN) from None
    if not isinstance(resource, dict):
        click.echo(f"{file}: not a FHIR resource (a JSON object)", err=True)
        raise SystemExit(EXIT_INVALID)
    try:
        findings = structure(resource)
    except ImportError:
        click.echo("the FHIR structure check needs: pip install 'nice-tx[validate]'", err=True)
        raise SystemExit(EXIT_CANNOT_RUN) from None
    findings += against_content(resource, load(content, False, quiet=True))
    errors = sum(f.severity == "error" for f in findings)
    for f in findings:
        if not quiet or f.severity == "error":
            click.echo(f"{f.severity}: {f.where}: {f.text}")
    click.echo(f"{file}: {errors} error(s), {len(findings) - errors} other message(s)")
    raise SystemExit(EXIT_INVALID if errors else EXIT_OK)
