"""Rules -> FHIR resources: the content pack of one guidance, and its ConceptMap.

The ConceptMap `ipgNNN-coding` is modelled as the built-in IPG406 map: main code in
`target.code`, companions as `product` in coding order, image control and other conditional
codes as companion groups, the diagnosis as its own group; provenance (guidance, page, text
digest) in the description and the `compiled-from` extension; every ambiguity's chosen reading
in the target comments. The CodeSystems and ValueSets are built by `plugin.compile.resources`.
"""

from __future__ import annotations

from typing import Any

from plugin.compile.known import IMAGE_CONTROL, Known
from plugin.compile.resources import (
    PACK_VERSION,
    about,
    codes_of,
    fragment,
    head,
    procedure_valueset,
    procedures,
    valueset,
    variant_display,
)
from plugin.compile.sequences import (
    PROP_ADDITIONAL,
    PROP_APPLIES,
    PROP_IMAGE_CONTROL,
    Sequence,
    Uses,
)
from plugin.compile.sequences import sequences as sequences_of
from plugin.compile.vocab import facet_codesystem, procedure_facets
from plugin.config import CANONICAL_BASE
from plugin.content.conceptmap import COMPANION_GROUP

Doc = dict[str, Any]
COMPILED_FROM = f"{CANONICAL_BASE}/StructureDefinition/compiled-from"


def build_pack(rules: Doc, known: Known, digest: str) -> list[Doc]:
    """The FHIR resources of one guidance's rules."""
    facets = procedure_facets(rules)
    out = [procedures(rules, facets)]
    facet_cs = facet_codesystem(rules, facets)
    if facet_cs is not None:
        out.append(facet_cs)
    for label in ("OPCS-4", "ICD-10"):
        system = known.systems[label]
        codes = codes_of(rules, label)
        if codes:
            out.append(fragment(rules, label, system, codes))
            out.append(valueset(rules, label, system, codes))
    out.append(procedure_valueset(rules))
    out.append(_concept_map(rules, known, digest))
    return out


def _target(seq: Sequence, equivalence: str, lead: str) -> Doc:
    t: Doc = {"code": seq.code, "display": seq.display, "equivalence": equivalence}
    if not seq.display:
        del t["display"]
    codes = " then ".join(
        [str(seq.code), ", ".join(p["value"] for p in seq.products)]
        if seq.products
        else [str(seq.code)]
    )
    t["comment"] = " ".join([f"{lead}{codes}.", *seq.notes]).strip()
    if seq.depends_on:
        t["dependsOn"] = seq.depends_on
    if seq.products:
        t["product"] = seq.products
    return t


def _slots_of(rules: Doc, v: Doc) -> list[Doc]:
    shared = [
        s for s in rules["shared_slots"] if v["id"] in s["applies_to"] or "all" in s["applies_to"]
    ]
    return sorted([*v["slots"], *shared], key=lambda s: s["seq"])


def _concept_map(rules: Doc, known: Known, digest: str) -> Doc:  # noqa: PLR0912 - one branch per group kind, read top to bottom
    opcs4, icd10 = known.systems["OPCS-4"], known.systems["ICD-10"]
    nid = rules["id"]
    cm = head(
        "ConceptMap",
        f"{nid}-coding",
        f"{nid.upper()}Coding",
        f"IPG{rules['ipg']} coding rules (compiled)",
        f"The coding rules of {about(rules)} Main OPCS-4 code in target.code, companion "
        "codes as target.product in coding order, conditions as dependsOn; the diagnosis "
        "(ICD-10) is its own group. Where the text allows two readings, the target "
        "comment says which one was chosen.",
    )
    src = rules["source"]
    cm["extension"] = [
        {
            "url": COMPILED_FROM,
            "extension": [
                {"url": "guidance", "valueString": f"IPG{rules['ipg']}"},
                {"url": "page", "valueUri": src.get("url") or "urn:nice-tx:no-url"},
                {"url": "sha256", "valueString": digest},
                {"url": "completeness", "valueCode": src["completeness"]},
            ],
        }
    ]
    cm["sourceCanonical"] = f"{CANONICAL_BASE}/ValueSet/{nid}-procedures"
    cm["targetCanonical"] = f"{CANONICAL_BASE}/ValueSet/{nid}-opcs4"
    proc = f"{CANONICAL_BASE}/CodeSystem/{nid}-procedure"
    ambiguity = " ".join(
        f"Reading chosen: {a['chosen']} ({a['issue']})" for a in rules["ambiguities"]
    )
    opcs: Doc = {"source": proc, "sourceVersion": PACK_VERSION, "target": opcs4, "element": []}
    used = Uses()
    if src.get("stated_opcs_version"):
        opcs["targetVersion"] = src["stated_opcs_version"]
    per_variant = []
    for v in rules["variants"]:
        seqs = sequences_of(_slots_of(rules, v), opcs4, known.methods, used)
        per_variant.append((v, seqs))
        lead = f"{(v['label'] or v['selector']['value']).rstrip(':')}: "
        lead = "" if v["selector"]["kind"] == "single" else lead
        targets = [_target(q, "narrower" if q.choice else "wider", lead) for q in seqs]
        if ambiguity:
            for t in targets:
                t["comment"] += f" {ambiguity}"
        if targets:
            opcs["element"].append(
                {
                    "code": f"{nid}-{v['id']}",
                    "display": variant_display(rules, v),
                    "target": targets,
                }
            )
        else:
            opcs["element"].append({"code": f"{nid}-{v['id']}", "noMap": True})
    if len(per_variant) > 1:
        candidates = []
        for v, seqs in per_variant:
            what = (v["label"] or v["selector"]["value"]).rstrip(":")
            candidates += [_target(q, "narrower", f"Candidate if {what}: ") for q in seqs]
        opcs["element"].insert(
            0, {"code": nid, "display": rules.get("title") or nid, "target": candidates}
        )
    elif per_variant and opcs["element"] and "target" in opcs["element"][0]:
        opcs["element"].insert(
            0, {**opcs["element"][0], "code": nid, "display": rules.get("title") or nid}
        )
    groups = [opcs] if opcs["element"] else []
    first: Doc | None = opcs["element"][0] if opcs["element"] else None
    rows = [r for r in rules.get("snomed_ct", []) if r["role"] == "procedure"]
    if first is not None and "target" in first and rows:
        # The page's SNOMED CT table names the procedure concept: it maps as the guidance does.
        snomed: Doc = {"source": known.systems["SNOMED CT"], "target": opcs4, "element": []}
        if src.get("stated_opcs_version"):
            snomed["targetVersion"] = src["stated_opcs_version"]
        for r in rows:
            snomed["element"].append(
                {"code": r["concept_id"], "display": r["term"], "target": first["target"]}
            )
        groups.append(snomed)
    version = src.get("stated_opcs_version")
    companions = [
        _companion_group(known, used, version, opcs4),
        _applies_group(used, version, opcs4),
    ]
    groups[1:1] = [g for g in companions if g is not None]
    dx = _diagnosis_group(rules, proc, icd10)
    if dx is not None:
        groups.append(dx)
    cm["group"] = groups
    return cm


def _mark(dependency: str) -> Doc:
    return {
        "url": COMPANION_GROUP,
        "extension": [
            {"url": "dependency", "valueUri": dependency},
            {"url": "product", "valueUri": PROP_ADDITIONAL},
        ],
    }


def _applies_group(used: Uses, version: str | None, opcs4: str) -> Doc | None:
    """Conditional companion codes: sent as an `applies` dependency, each adds itself."""
    if not used.applies:
        return None
    group: Doc = {"extension": [_mark(PROP_APPLIES)], "source": opcs4}
    if version:
        group["sourceVersion"] = version
    group["target"] = opcs4
    if version:
        group["targetVersion"] = version
    group["element"] = []
    for code, (title, stated) in used.applies.items():
        target: Doc = {"code": code, "equivalence": "equivalent"}
        if title:
            target["display"] = title
        target["comment"] = f"{code} {stated.strip('()')}: after the main code(s)."
        element: Doc = {"code": code, "target": [target]}
        if title:
            element = {"code": code, "display": title, "target": [target]}
        group["element"].append(element)
    return group


def _companion_group(known: Known, used: Uses, version: str | None, opcs4: str) -> Doc | None:
    """Image-control method -> Y53 code, marked as a companion group (as the built-in map):
    the engine appends the code to the main code's sequence when the method is supplied."""
    methods = [m for m in known.methods if m.code in used.methods]
    if not methods:
        return None
    group: Doc = {"extension": [_mark(PROP_IMAGE_CONTROL)], "source": IMAGE_CONTROL}
    if known.image_control_version:
        group["sourceVersion"] = known.image_control_version
    group["target"] = opcs4
    if version:
        group["targetVersion"] = version
    group["element"] = [
        {
            "code": m.code,
            "display": m.display,
            "target": [
                {
                    "code": m.y53,
                    "display": m.y53_display,
                    "equivalence": "wider",
                    "comment": f"Under {m.display[:1].lower() + m.display[1:]}: {m.y53} after "
                    "the main code(s).",
                }
            ],
        }
        for m in methods
    ]
    return group


def _diagnosis_group(rules: Doc, proc: str, icd10: str) -> Doc | None:
    targets = []
    for d in rules["diagnoses"]:
        cands = [c for c in d["candidates"] if c.get("form") in ("code", "category")]
        for c in cands:
            # Never asserted from the procedure alone: the guidance names the diagnosis, the
            # record must support it (a candidate, as the built-in map's unstated approach).
            t: Doc = {"code": c["code"], "equivalence": "narrower"}
            if c.get("title"):
                t["display"] = c["title"]
            notes = [
                f"Candidate diagnosis, assigned when the record supports it; the guidance "
                f"says: {d['as_stated']}"
            ]
            if c["form"] == "category":
                notes.append(f"{c['code']} is a category: the code is chosen by the diagnosis.")
            if d["requirement"] != "required":
                notes.append(
                    f"Only {d['condition']['as_stated']}." if d.get("condition") else "Optional."
                )
            t["comment"] = " ".join(notes)
            targets.append(t)
    if not targets:
        return None
    nid = rules["id"]
    codes = [nid] + [f"{nid}-{v['id']}" for v in rules["variants"]]
    return {
        "source": proc,
        "sourceVersion": PACK_VERSION,
        "target": icd10,
        "element": [{"code": c, "target": targets} for c in codes],
    }
