"""How a description case is scored: the reading rules applied to a $translate answer, in-process.

An answer (FHIR R4 Parameters from $translate) is read as the scorer reads it:
  assigned   = match.concept where equivalence in {equivalent, equal, wider, subsumes, relatedto},
               plus every match.product.concept of those matches;
  candidates = match.concept where equivalence in {narrower, specializes, inexact}
               (products of candidates kept apart).
A case passes when:
  determinate  assigned OPCS-4 and ICD-10 sets equal the expected sets (codes in `optional` may
               be present or absent) and no candidate is offered beside them;
  ambiguous    no approach code (J03.2, J12.7, J08.3, Y13.7) is assigned, all three approach codes
               are candidates, each expected companion is assigned or a product of every
               candidate, and the assigned ICD-10 set equals the expected set;
  out          result is false with nothing assigned and no candidates (a 4xx OperationOutcome is
               also accepted for an empty text).
Codes are compared by system family (OPCS-4 / ICD-10) and code, dot optional. R5 answers
(`relationship`, product `value`) are read the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
# R4 equivalences and R5 relationships, as the scorer reads them
ASSIGNED = {
    "equivalent",
    "equal",
    "wider",
    "subsumes",
    "relatedto",
    "source-is-narrower-than-target",
    "related-to",
}
CANDIDATE = {"narrower", "specializes", "inexact", "source-is-broader-than-target"}
APPROACH = {"J03.2", "J12.7", "J08.3"}

Key = tuple[str, str]


def load_cases(name: str) -> list[dict[str, Any]]:
    """The cases of a JSON-lines file next to this module."""
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def family(system: str | None) -> str:
    s = (system or "").lower()
    if "opcs" in s:
        return "opcs"
    if "icd-10" in s or "icd10" in s:
        return "icd10"
    return "other:" + s


def norm(code: str | None) -> str:
    c = (code or "").strip().upper().rstrip("X")
    if "." not in c and len(c) == 4 and c[:3].isalnum():
        c = c[:3] + "." + c[3]
    return c


def key(system: str | None, code: str | None) -> Key | None:
    return (family(system), norm(code)) if code else None


def read_matches(params: dict[str, Any]) -> tuple[bool | None, list[dict[str, Any]]]:
    """(result, matches as {eq, concept key, product keys}) of a $translate Parameters."""
    result = None
    matches = []
    for p in params.get("parameter", []):
        if p.get("name") == "result":
            result = p.get("valueBoolean")
        elif p.get("name") == "match":
            m: dict[str, Any] = {"eq": None, "concept": None, "products": []}
            for q in p.get("part", []):
                if q.get("name") in ("equivalence", "relationship"):
                    m["eq"] = q.get("valueCode")
                elif q.get("name") == "concept":
                    c = q["valueCoding"]
                    m["concept"] = key(c.get("system"), c.get("code"))
                elif q.get("name") == "product":
                    for r in q.get("part", []):
                        if r.get("name") in ("concept", "value") and r.get("valueCoding"):
                            c = r["valueCoding"]
                            m["products"].append(key(c.get("system"), c.get("code")))
            matches.append(m)
    return result, matches


def sets(matches: list[dict[str, Any]]) -> tuple[set[Key], set[Key], list[set[Key]]]:
    """(assigned, candidates, products of each candidate)."""
    assigned: set[Key] = set()
    cands: set[Key] = set()
    cand_products: list[set[Key]] = []
    for m in matches:
        if m["eq"] in ASSIGNED:
            if m["concept"]:
                assigned.add(m["concept"])
            assigned.update(p for p in m["products"] if p)
        elif m["eq"] in CANDIDATE:
            if m["concept"]:
                cands.add(m["concept"])
            cand_products.append({p for p in m["products"] if p})
    return assigned, cands, cand_products


def unsafe(case: dict[str, Any], status: int, body: dict[str, Any] | None) -> list[Key]:
    """Codes the answer asserts that the case does not allow (the scorer's 'unsafe' count): any
    code for an 'out' case, a code outside opcs + optional + icd10 otherwise."""
    if status >= 400 or not body or body.get("resourceType") != "Parameters":
        return []
    assigned, _, _ = sets(read_matches(body)[1])
    allowed: set[Key] = set()
    if case["kind"] != "out":
        allowed = {("opcs", norm(c)) for c in case["opcs"] + case.get("optional", [])}
        allowed |= {("icd10", norm(c)) for c in case["icd10"]}
    return sorted(assigned - allowed)


def judge(case: dict[str, Any], status: int, body: dict[str, Any] | None) -> str | None:
    """None when the answer passes the case, else the reason."""
    kind = case["kind"]
    if status >= 400:
        empty_out = kind == "out" and not case["text"].strip()
        if empty_out and status < 500 and body and body.get("resourceType") == "OperationOutcome":
            return None
        return f"HTTP {status}"
    if not body or body.get("resourceType") != "Parameters":
        return "answer is not a Parameters resource"
    result, matches = read_matches(body)
    assigned, cands, cand_products = sets(matches)
    exp_opcs = {("opcs", norm(c)) for c in case["opcs"]}
    exp_icd = {("icd10", norm(c)) for c in case["icd10"]}
    optional = {("opcs", norm(c)) for c in case.get("optional", [])}
    got_icd = {k for k in assigned if k[0] == "icd10"}
    got_opcs = {k for k in assigned if k[0] == "opcs"}
    if kind == "out":
        if result is not False or assigned or cands:
            return f"expected no codes; result={result} assigned={assigned} candidates={cands}"
        return None
    if got_icd != exp_icd:
        return f"ICD-10 {got_icd} != expected {exp_icd}"
    if kind == "determinate":
        if got_opcs - optional != exp_opcs - optional:
            return f"OPCS-4 {got_opcs} != expected {exp_opcs}"
        if cands - assigned:
            return f"unexpected candidates {cands - assigned}"
        return None if result is True else f"result={result} with codes assigned"
    main = {("opcs", c) for c in APPROACH | {"Y13.7"}}
    if got_opcs & main:
        return f"approach not stated but {got_opcs & main} assigned"
    need = {("opcs", c) for c in APPROACH}
    if not need <= cands:
        return f"candidates {cands} lack {need - cands}"
    for comp in exp_opcs:
        if comp not in got_opcs and not (cand_products and all(comp in p for p in cand_products)):
            return f"companion {comp[1]} neither assigned nor on every candidate"
    if got_opcs - exp_opcs:
        return f"unexpected OPCS-4 assigned {got_opcs - exp_opcs}"
    return None
