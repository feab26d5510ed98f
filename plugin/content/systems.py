"""Code system identity: URI aliases and the code forms that travel in real data, from content.

Which URIs name the same code system, and how its codes are written, are facts about a
classification, so they come from the content packs as FHIR `NamingSystem` resources
(https://hl7.org/fhir/R4/namingsystem.html), never from Python:

- `uniqueId` entries of type `uri`: the one marked `preferred` is the canonical URI, the others
  are aliases normalised to it on input;
- the project's `code-form` extension on the NamingSystem: `case` (`upper`: codes compare in upper
  case) and `dotAfter` (an integer n: a code written without its dot, n characters then one more,
  gets the dot back, so "J127" reads as "J12.7").

Codes are only ever compared together with their canonical system, because codes of different
classifications can look alike (OPCS-4 C15 is an eye operation, ICD-10 C15 oesophageal cancer).
The registry is filled while content loads (before the resources that use the codes are
indexed) and is read on every request; a request's own `tx-resource`s do not change it.
"""

from __future__ import annotations

from dataclasses import dataclass

from plugin.types import Resource

CODE_FORM = "https://w3id.org/nice-tx/fhir/StructureDefinition/code-form"


@dataclass(frozen=True, slots=True)
class CodeForm:
    """How codes of one system are normalised: upper case, a dot restored after `dot_after`."""

    upper: bool = False
    dot_after: int | None = None


_ALIASES: dict[str, str] = {}
_FORMS: dict[str, CodeForm] = {}


def canonical_system(uri: str) -> str:
    """Return the canonical URI for a code system URI or one of its known aliases."""
    return _ALIASES.get(uri, uri)


def normalise_code(system: str, code: str) -> str:
    """Return the code in its canonical form for `system` (already canonical).

    Only systems whose NamingSystem declares a code form are changed: with `case=upper` and
    `dotAfter=3`, "J127" and "j12.7" both become "J12.7". Other systems' codes are untouched
    (FHIR codes are case-sensitive unless the code system says otherwise).
    """
    form = _FORMS.get(system)
    if form is None:
        return code
    c = code.strip().upper() if form.upper else code.strip()
    n = form.dot_after
    if n and len(c) == n + 1 and "." not in c and c[0].isalpha() and c[1:n].isdigit():
        return c[:n] + "." + c[n:]
    return c


def register(naming_system: Resource) -> str:
    """Take a NamingSystem's URIs and code form into the registry; return its canonical URI.

    FHIR: a NamingSystem of kind `codesystem` lists the identifiers of one code system; exactly
    one `uri` uniqueId is `preferred`. Raises ValueError for a NamingSystem that cannot be used.
    """
    if naming_system.get("kind") != "codesystem":
        raise ValueError("NamingSystem kind must be 'codesystem' to name a code system")
    uris = [
        u
        for u in naming_system.get("uniqueId") or ()
        if isinstance(u, dict) and u.get("type") == "uri" and isinstance(u.get("value"), str)
    ]
    preferred = [u["value"] for u in uris if u.get("preferred") is True]
    if len(preferred) != 1:
        raise ValueError("NamingSystem needs exactly one preferred uniqueId of type uri")
    canonical = str(preferred[0])
    for u in uris:
        other = _ALIASES.get(u["value"])
        if other is not None and other != canonical:
            raise ValueError(f"uniqueId {u['value']} already names {other}")
    for u in uris:
        if u["value"] != canonical:
            _ALIASES[u["value"]] = canonical
    form = _code_form(naming_system)
    if form is not None:
        _FORMS[canonical] = form
    return canonical


def _code_form(resource: Resource) -> CodeForm | None:
    for ext in resource.get("extension") or ():
        if not isinstance(ext, dict) or ext.get("url") != CODE_FORM:
            continue
        parts = {e.get("url"): e for e in ext.get("extension") or () if isinstance(e, dict)}
        upper = parts.get("case", {}).get("valueCode") == "upper"
        dot = parts.get("dotAfter", {}).get("valueInteger")
        return CodeForm(upper, dot if isinstance(dot, int) and 0 < dot < 10 else None)
    return None
