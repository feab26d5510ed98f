"""Free-text vocabulary of a compiled guidance, derived from its title and code titles.

A guidance title reads "<approach> <technique> [of <site>] [for <condition>]" ("Radiofrequency
ablation for the treatment of colorectal liver metastases"); a main code title reads "<approach>
<technique> of lesion of <site>" ("Percutaneous radiofrequency ablation of lesion of liver");
site codes are titled by the site ("Bronchus"). From these the compiler derives the facet values
(technique, site, approach) as designations of a facet CodeSystem, and gives each procedure
concept the facet properties the recogniser reads. Value codes are slugs of the phrase, so a
value that the built-in vocabulary also knows ("radiofrequency-ablation", "liver", "open") is
the same value and its synonyms and abbreviations ("RFA", "hepatic", "perc") apply too.
"""

from __future__ import annotations

import re
from typing import Any

from plugin.compile.refs import slug
from plugin.config import CANONICAL_BASE

Doc = dict[str, Any]
DESIGNATION_USE = f"{CANONICAL_BASE}/CodeSystem/designation-use"
# How English names the approach of an operation (not any one guidance's words).
APPROACHES = frozenset(
    {
        "open",
        "percutaneous",
        "laparoscopic",
        "endoscopic",
        "transluminal",
        "transapical",
        "arthroscopic",
        "thoracoscopic",
        "robotic",
        "endovascular",
        "transcatheter",
        "transvaginal",
        "transurethral",
        "transrectal",
        "non-endoscopic",
        "fibreoptic",
    }
)
_LESION_WORDS = ("lesion of", "lesions of")


def _split_title(title: str) -> tuple[str, str | None, str | None]:
    """(technique, site, condition) of a title; approach words removed from the technique."""
    t = re.sub(r"\s*\([^)]*\)", "", title).strip()
    condition = None
    m = re.search(r"\s+(?:for|in)\s+(?:the\s+)?(?:treatment\s+of\s+)?(.+)$", t)
    if m:
        condition, t = m.group(1), t[: m.start()]
    site = None
    for marker in (" of lesion of ", " of lesions of ", " of the ", " of "):
        if marker in t:
            t, site = t.split(marker, 1)
            break
    words = [w for w in t.split() if w.lower() not in APPROACHES]
    technique = " ".join(words).strip().lower()
    if site:
        site = re.sub(r"^(?:a|an|the)\s+", "", site.strip().lower())
        for lw in _LESION_WORDS:
            site = site.split(lw, 1)[-1].strip()
        # Classification suffixes are not words of a site ("liver NEC", "using laparoscope").
        site = re.sub(r"\s+(?:nec|noc)\b.*$|\s+using\b.*$", "", site)
    return technique, site, condition


def _main_title(rules: Doc) -> str | None:
    for v in rules["variants"]:
        for s in v["slots"]:
            if s["role"] == "main" and s["candidates"][0].get("title"):
                return str(s["candidates"][0]["title"])
    return None


def _site_titles(rules: Doc) -> list[str]:
    """Titles of the site codes (Z and O chapters): "Uterine artery", "Bronchus"."""
    return [
        str(c["title"]).lower()
        for v in rules["variants"]
        for s in v["slots"]
        if s["role"] == "site"
        for c in s["candidates"]
        if c.get("title") and c["form"] == "code"
    ]


def _derive(rules: Doc) -> tuple[str | None, str | None]:
    """(technique, site) phrases. The site is the first candidate (from the title, the site
    codes, the main code's title) that the guidance title names, else the first short one; a
    site named inside the technique phrase ("uterine artery embolisation") is taken out of it."""
    main = _main_title(rules)
    title = rules.get("title") or main
    if not title:
        return None, None
    technique, from_title, _ = _split_title(title)
    from_main = _split_title(main)[1] if main else None
    candidates = [
        c for c in (from_title, *_site_titles(rules), from_main) if c and len(c.split()) <= 3
    ]
    low = title.lower()
    site = next((c for c in candidates if c in low), candidates[0] if candidates else None)
    if technique and site and site in technique and technique != site:
        technique = " ".join(technique.replace(site, " ").split())
    return technique or None, site


def procedure_facets(rules: Doc) -> dict[str, dict[str, str]]:
    """concept code -> {facet: value code}: what each procedure concept requires in free text."""
    technique, site = _derive(rules)
    variants = rules["variants"]
    by_kind = {v["selector"]["kind"] for v in variants}
    # A technique alone ("radiofrequency ablation") would claim every organ's procedure: a
    # procedure needs its site, unless its variants are named techniques ("LASIK").
    if not technique or (site is None and by_kind != {"technique"}):
        return {}
    nid = rules["id"]
    base = {"technique": slug(technique)}
    if site:
        base["site"] = slug(site)
    if len(variants) <= 1 or not by_kind <= {"approach", "technique"}:
        return {nid: base}
    out = {nid: dict(base)}
    for v in variants:
        value = v["selector"]["value"]
        if v["selector"]["kind"] == "approach":
            out[f"{nid}-{v['id']}"] = {**base, "approach": slug(value)}
        else:
            out[f"{nid}-{v['id']}"] = {**base, "technique": slug(_technique_of(v))}
    if by_kind == {"technique"}:
        del out[nid]["technique"]  # the guidance's own technique is what the variants name
    return {k: v for k, v in out.items() if v}


def _technique_of(v: Doc) -> str:
    label = (v["label"] or v["selector"]["value"]).rstrip(":")
    return re.sub(r"\s*\([^)]*\)", "", label).strip() or str(v["selector"]["value"])


def _designation(text: str) -> Doc:
    return {"language": "en", "use": {"system": DESIGNATION_USE, "code": "synonym"}, "value": text}


def facet_codesystem(rules: Doc, facets: dict[str, dict[str, str]]) -> Doc | None:
    """The facet CodeSystem (technique, site, approach values with designations), or None."""
    if not facets:
        return None
    technique, site = _derive(rules)
    nid = rules["id"]
    values: dict[str, dict[str, Doc]] = {"technique": {}, "site": {}, "approach": {}}

    def add(facet: str, phrase: str, *more: str) -> None:
        code = slug(phrase)
        if phrase.endswith("s") and phrase[-2:-1] not in ("s", "u", "i", "e"):
            more = (*more, phrase[:-1])  # "varicose veins" also reads "varicose vein"
        elif phrase.endswith("y") and phrase[-2:-1] not in "aeiou":
            more = (*more, phrase[:-1] + "ies")  # "uterine artery", "uterine arteries"
        c = values[facet].setdefault(
            code,
            {
                "code": code,
                "display": phrase[:1].upper() + phrase[1:],
                "designation": [],
                "property": [{"code": "in-scope", "valueBoolean": True}],
            },
        )
        for text in (phrase, *more):
            if text and text.lower() not in {d["value"].lower() for d in c["designation"]}:
                c["designation"].append(_designation(text))

    if technique:
        add("technique", technique)
    if site:
        add("site", site)
    for t in _site_titles(rules):
        if site and t != site:
            values["site"][slug(site)]["designation"].append(_designation(t))
    for v in rules["variants"]:
        kind, value = v["selector"]["kind"], v["selector"]["value"]
        if kind == "approach":
            add("approach", value.lower(), (v["label"] or "").rstrip(":").lower())
        elif kind == "technique":
            add("technique", _technique_of(v).lower(), value)
    cs: Doc = {
        "resourceType": "CodeSystem",
        "id": f"{nid}-facet",
        "url": f"{CANONICAL_BASE}/CodeSystem/{nid}-facet",
        "version": "0.1.0",
        "name": f"{nid.upper()}Facet",
        "title": f"IPG{rules['ipg']} free-text vocabulary (derived from the titles)",
        "status": "draft",
        "experimental": True,
        "publisher": "nice-tx guidance compiler",
        "description": "Facet values of the guidance's procedures, derived from the guidance "
        "title and the code titles the page states. Top-level concepts are facets (not "
        "selectable); their children are values whose designations the recogniser matches.",
        "caseSensitive": True,
        "hierarchyMeaning": "is-a",
        "content": "complete",
        "property": [
            {
                "code": "notSelectable",
                "uri": "http://hl7.org/fhir/concept-properties#notSelectable",
                "type": "boolean",
            },
            {
                "code": "in-scope",
                "type": "boolean",
                "description": "Whether the value is within the scope of the guidance.",
            },
        ],
        "concept": [
            {
                "code": facet,
                "display": facet.capitalize(),
                "property": [{"code": "notSelectable", "valueBoolean": True}],
                "concept": list(vals.values()),
            }
            for facet, vals in values.items()
            if vals
        ],
    }
    return cs
