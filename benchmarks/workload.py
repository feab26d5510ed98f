"""Workloads that miss every cache: many distinct requests, cycled by wrk through a Lua script.

- `varied(n)`: n distinct GETs, about half `$translate` (forward and reverse, every code form
  and system alias the server accepts, and codes no map lists) and half `$validate-code`
  (right and wrong displays, codes the fragments do not list).
- `descriptions(n)`: n distinct short procedure descriptions as `$translate` POST bodies.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from urllib.parse import quote

BASE = "https://w3id.org/nice-tx/fhir"
PROCEDURE = f"{BASE}/CodeSystem/mwa-liver-procedure"
FACET = f"{BASE}/CodeSystem/procedure-facet"
OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
ICD10 = "http://hl7.org/fhir/sid/icd-10-uk"
OPCS4_ALIASES = (OPCS4, "https://fhir.nhs.uk/Id/opcs-4", "http://hl7.org/fhir/sid/ex-opcs4")
ROOT = Path(__file__).resolve().parent.parent


def _codes(file: str) -> list[tuple[str, str]]:
    """(code, display) of every concept of a CodeSystem file of the built-in content."""
    data = json.loads((ROOT / "codesystems" / file).read_text())
    out: list[tuple[str, str]] = []
    stack = list(data.get("concept", []))
    while stack:
        c = stack.pop(0)
        out.append((c["code"], c.get("display", "")))
        stack.extend(c.get("concept", []))
    return out


def _q(**params: str) -> str:
    return "&".join(f"{k}={quote(v, safe=':/|')}" for k, v in params.items())


def varied(n: int, seed: int = 0) -> list[str]:
    """`n` distinct operation paths (with query), shuffled; n must be >= a few hundred."""
    opcs, icd = _codes("opcs-4.json"), _codes("icd-10-uk.json")
    procedures = [c for c, _ in _codes("mwa-liver-procedure.json")]
    fixed: list[str] = []
    for code, target in itertools.product(procedures, ("", OPCS4, ICD10)):
        extra = {"targetsystem": target} if target else {}
        fixed.append("/r4/ConceptMap/$translate?" + _q(system=PROCEDURE, code=code, **extra))
    fixed.append("/r4/ConceptMap/$translate?" + _q(system=FACET, code="liver-metastasis"))
    for (code, _), system in itertools.product(opcs, OPCS4_ALIASES):
        for form in {code, code.replace(".", ""), code.lower()}:
            fixed.append(
                "/r4/ConceptMap/$translate?" + _q(system=system, code=form, reverse="true")
            )
            fixed.append("/r4/CodeSystem/$validate-code?" + _q(url=system, code=form))
    for code, display in [*opcs, *icd]:
        system = ICD10 if (code, display) in icd else OPCS4
        fixed.append("/r4/CodeSystem/$validate-code?" + _q(url=system, code=code, display=display))
    out = dict.fromkeys(fixed)
    # The rest, each distinct: a wrong display to judge, a code no map lists, a code the
    # OPCS-4 fragment does not list (valid with a warning: a fragment cannot deny it).
    for i in itertools.count():
        if len(out) >= n:
            break
        code, display = opcs[i % len(opcs)]
        kind = i % 4
        if kind == 0:
            query = _q(url=OPCS4, code=code, display=f"{display} ({i})")
            out["/r4/CodeSystem/$validate-code?" + query] = None
        elif kind == 1:
            query = _q(system=PROCEDURE, code=f"mwa-liver-{i}")
            out["/r4/ConceptMap/$translate?" + query] = None
        elif kind == 2:
            query = _q(url=OPCS4, code=f"{code[0]}{i % 100:02d}.{i % 10}", display=f"x{i}")
            out["/r4/CodeSystem/$validate-code?" + query] = None
        else:
            system = OPCS4_ALIASES[i % len(OPCS4_ALIASES)]
            query = _q(system=system, code=f"{code[0]}{i % 1000:03d}", reverse="true")
            out["/r4/ConceptMap/$translate?" + query] = None
    paths = list(out)[:n]
    random.Random(seed).shuffle(paths)
    return paths


APPROACHES = ("Percutaneous", "Open", "Laparoscopic", "Lap", "Perc", "Open surgical")
TECHNIQUES = ("MWA", "microwave ablation", "microwave ablation (MWA)")
LESIONS = (
    "CRLM",
    "liver metastasis",
    "liver mets",
    "hepatic metastases",
    "colorectal liver metastasis",
    "metastatic deposit in liver",
)
GUIDANCE = ("under US", "US-guided", "under CT guidance", "image-guided", "")
SEGMENTS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")


def descriptions(n: int, seed: int = 0) -> list[bytes]:
    """`n` distinct short descriptions as $translate Parameters bodies, shuffled."""
    out = []
    combos = itertools.product(APPROACHES, TECHNIQUES, LESIONS, GUIDANCE, SEGMENTS, (1, 2, 3))
    for approach, technique, lesion, guidance, segment, count in combos:
        text = f"{approach} {technique} of {lesion} {guidance} segment {segment} x{count}"
        body = {
            "resourceType": "Parameters",
            "parameter": [
                {
                    "name": "codeableConcept",
                    "valueCodeableConcept": {"text": " ".join(text.split())},
                }
            ],
        }
        out.append(json.dumps(body, separators=(",", ":")).encode())
        if len(out) >= n:
            break
    random.Random(seed).shuffle(out)
    return out


def lua_paths(paths: list[str]) -> str:
    """A wrk script that sends `paths` (GET) in turn, cycling."""
    table = ",\n".join(_lua_string(p) for p in paths)
    return (
        f"local paths = {{\n{table}\n}}\nlocal i = 0\n"
        'wrk.headers["Accept"] = "application/fhir+json"\n'
        "request = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n"
    )


def lua_posts(path: str, bodies: list[bytes]) -> str:
    """A wrk script that POSTs `bodies` to `path` in turn, cycling."""
    table = ",\n".join(_lua_string(b.decode()) for b in bodies)
    return (
        f"local bodies = {{\n{table}\n}}\nlocal i = 0\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/fhir+json"\n'
        'wrk.headers["Accept"] = "application/fhir+json"\n'
        "request = function()\n  i = i % #bodies + 1\n"
        f'  return wrk.format("POST", {_lua_string(path)}, nil, bodies[i])\nend\n'
    )


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
