"""The CodeSystems and ValueSets of a compiled pack (the ConceptMap is `plugin.compile.fhir`).

- a procedure CodeSystem `ipgNNN-procedure`: the guidance's procedure (`ipgNNN`) and one concept
  per variant, with the facet properties the free-text recogniser reads (`plugin.compile.vocab`);
- OPCS-4 and ICD-10 CodeSystem fragments with the codes and titles as the page states them
  (OPCS-4 carries the version the page states, or none);
- ValueSets of the procedures and of the OPCS-4 and ICD-10 codes used.
"""

from __future__ import annotations

from typing import Any

from plugin.config import CANONICAL_BASE

Doc = dict[str, Any]
PACK_VERSION = "0.1.0"


def head(rtype: str, rid: str, name: str, title: str, description: str) -> Doc:
    """The metadata every compiled resource carries: id, canonical url under the project's
    base, version, name, title, status draft (compiled, for review), publisher."""
    return {
        "resourceType": rtype,
        "id": rid,
        "url": f"{CANONICAL_BASE}/{rtype}/{rid}",
        "version": PACK_VERSION,
        "name": name,
        "title": title,
        "status": "draft",
        "experimental": True,
        "publisher": "nice-tx guidance compiler",
        "description": description,
    }


def about(rules: Doc) -> str:
    """The provenance sentence: which guidance (its NICE URL), the OPCS-4 version the page states,
    which page and how complete it was."""
    src = rules["source"]
    title = f', "{rules["title"]}"' if rules.get("title") else ""
    version = (
        f"codes stated against OPCS-{src['stated_opcs_version']}"
        if src.get("stated_opcs_version")
        else "OPCS-4 version not stated on the page"
    )
    guidance = f"https://www.nice.org.uk/guidance/ipg{rules['ipg']}"
    page = src.get("url") or "a copy with no URL"
    return (
        f"NICE interventional procedure guidance IPG{rules['ipg']}{title} ({guidance}), "
        f"{version}; compiled from the coding section of {page} ({src['completeness']})."
    )


def variant_display(rules: Doc, v: Doc) -> str:
    """The display of a variant's procedure concept: the guidance title and the block label."""
    title = rules.get("title") or f"Procedure of IPG{rules['ipg']}"
    if v["selector"]["kind"] == "single":
        return title
    what = v["label"] or v["selector"]["value"]
    return f"{title}: {what.rstrip(':')}"


def procedures(rules: Doc, facets: dict[str, dict[str, str]]) -> Doc:
    """The procedure CodeSystem (content complete, is-a): the guidance's procedure and one child
    concept per variant, with the facet properties the free-text recogniser reads."""
    nid = rules["id"]
    cs = head(
        "CodeSystem",
        f"{nid}-procedure",
        f"{nid.upper()}Procedure",
        f"IPG{rules['ipg']} procedures",
        f"The procedures of {about(rules)} One concept per coding variant the page states.",
    )
    cs.update(
        {
            "caseSensitive": True,
            "hierarchyMeaning": "is-a",
            "content": "complete",
            "valueSet": f"{CANONICAL_BASE}/ValueSet/{nid}-procedures",
        }
    )
    cs["property"] = [
        {
            "code": k,
            "description": f"Free-text facet '{k}': a value code of the {k} facet.",
            "type": "code",
        }
        for k in ("technique", "site", "approach")
    ]
    top = facets.get(nid, {})
    children = []
    for v in rules["variants"]:
        props = facets.get(f"{nid}-{v['id']}", {})
        children.append(
            {
                "code": f"{nid}-{v['id']}",
                "display": variant_display(rules, v),
                "property": [{"code": k, "valueCode": c} for k, c in sorted(props.items())],
            }
        )
    root: Doc = {
        "code": nid,
        "display": rules.get("title") or f"Procedure of IPG{rules['ipg']}",
        "property": [{"code": k, "valueCode": c} for k, c in sorted(top.items())],
        "concept": children,
    }
    for c in [root, *children]:
        if not c["property"]:
            del c["property"]
    cs["concept"] = [root]
    cs["count"] = 1 + len(children)
    return cs


def codes_of(rules: Doc, label: str) -> dict[str, str | None]:
    """code -> title as first stated, for every code or category of `label` the rules name."""
    out: dict[str, str | None] = {}

    def add(c: Doc) -> None:
        if c.get("form") == "combination":
            for x in c["all_of"]:
                add(x)
        elif (
            c.get("system") == label
            and c["form"] in ("code", "category")
            and c.get("code")
            and not out.get(c["code"])
        ):
            out[c["code"]] = c.get("title")

    slots = [s for v in rules["variants"] for s in v["slots"]] + rules["shared_slots"]
    for s in [*slots, *rules["diagnoses"]]:
        for c in s["candidates"]:
            add(c)
        if s.get("default"):
            add(s["default"]["code_ref"])
        if s.get("from_category"):
            add(s["from_category"])
    return out


def fragment(rules: Doc, label: str, system: str, codes: dict[str, str | None]) -> Doc:
    """A CodeSystem with `content: fragment` at the classification's own canonical URL: the codes
    and titles as the page states them, versioned only when the page states the version."""
    nid = rules["id"]
    slug = "opcs-4" if label == "OPCS-4" else "icd-10-uk"
    cs = head(
        "CodeSystem",
        f"{nid}-{slug}",
        f"{nid.upper()}{slug.replace('-', '').upper()}",
        f"{label} codes as stated by IPG{rules['ipg']}",
        f"Fragment of {label}: the codes and titles exactly as stated by {about(rules)} "
        "Not the complete classification; titles are as the page prints them.",
    )
    cs["url"] = system
    version = rules["source"].get("stated_opcs_version") if label == "OPCS-4" else None
    if version:
        cs["version"] = version
    else:
        del cs["version"]
    cs.update({"caseSensitive": True, "content": "fragment", "count": len(codes)})
    cs["concept"] = [{"code": c, **({"display": t} if t else {})} for c, t in sorted(codes.items())]
    return cs


def valueset(rules: Doc, label: str, system: str, codes: dict[str, str | None]) -> Doc:
    """A ValueSet enumerating (compose.include.concept) the codes of one classification the page
    names, pinned to the stated version when there is one."""
    nid = rules["id"]
    slug = "opcs4" if label == "OPCS-4" else "icd10"
    vs = head(
        "ValueSet",
        f"{nid}-{slug}",
        f"{nid.upper()}{slug.upper()}",
        f"IPG{rules['ipg']} {label} codes",
        f"The {label} codes named by {about(rules)}",
    )
    include: Doc = {"system": system, "concept": [{"code": c} for c in sorted(codes)]}
    version = rules["source"].get("stated_opcs_version") if label == "OPCS-4" else None
    if version:
        include["version"] = version
    vs["compose"] = {"include": [include]}
    return vs


def procedure_valueset(rules: Doc) -> Doc:
    """The ValueSet of every procedure concept (the ConceptMap's sourceCanonical)."""
    nid = rules["id"]
    vs = head(
        "ValueSet",
        f"{nid}-procedures",
        f"{nid.upper()}Procedures",
        f"IPG{rules['ipg']} procedures",
        f"The procedures of {about(rules)}",
    )
    vs["compose"] = {"include": [{"system": f"{CANONICAL_BASE}/CodeSystem/{nid}-procedure"}]}
    return vs
