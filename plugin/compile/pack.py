"""Compile pages into a content pack folder: rules, then FHIR resources.

Layout of the folder (`nice-tx serve --content DIR` and `nice-tx package --content DIR` load it):

    DIR/rules/ipgNNN.json          the rules (guidance-coding schema v0.1), not loaded as content
    DIR/codesystems/*.json         procedure CodeSystem, facet CodeSystem, OPCS-4/ICD-10 fragments
    DIR/valuesets/*.json
    DIR/conceptmaps/ipgNNN-coding.json
    DIR/structuredefinitions/compiled-from.json   the definition of the provenance extension
    DIR/pack.json                  the pack's manifest (id, package name, title, folders), as
                                   the built-in pack's: the loader names the pack by its title
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin.compile.fhir import build_pack
from plugin.compile.known import Known, known
from plugin.compile.page import read_page
from plugin.compile.rules import build_rules
from plugin.content.builtin import MANIFEST, PackInfo, manifest_document
from plugin.content.loader import IGNORE_MARKER

Doc = dict[str, Any]
_FOLDERS = {
    "StructureDefinition": "structuredefinitions",
    "CodeSystem": "codesystems",
    "ValueSet": "valuesets",
    "ConceptMap": "conceptmaps",
}
# A manifest lists this many guidances by number in the pack id; more are counted.
_IDS_NAMED = 4
# The definition of the extension that says where a compiled map comes from, for validators.
COMPILED_FROM_SD = Path(__file__).parent / "compiled-from.structuredefinition.json"


@dataclass
class Compiled:
    """One guidance compiled: its rules, resources and what a reader should know."""

    rules: Doc
    resources: list[Doc]
    page_file: str
    warnings: list[str] = field(default_factory=list)


def compile_text(
    text: str,
    page_file: str,
    *,
    ipg: int | None = None,
    title: str | None = None,
    context: Known | None = None,
) -> Compiled:
    """Compile one page's text: rules and FHIR resources."""
    page = read_page(text, page_file, ipg)
    if page.ipg is None:
        raise ValueError(f"{page_file}: no IPG number in the text, URL or file name (use --ipg)")
    rules = build_rules(page, title, page_file)
    if rules["source"]["layout"] == "coding-recommendations-2015":
        rules["source"]["era"] = "post-2013"
    digest = hashlib.sha256(text.encode()).hexdigest()
    out = Compiled(rules, build_pack(rules, context or known(), digest), page_file)
    src = rules["source"]
    if src["completeness"].startswith("truncated"):
        where = (
            "inside the code list"
            if src["completeness"] == "truncated-in-codes"
            else ("after the codes (a later ICD-10 sentence cannot be ruled out)")
        )
        out.warnings.append(f"page is cut short {where}, at {src['truncated_at']!r}")
    if rules["status"] != "coded":
        out.warnings.append(f"status {rules['status']}: no coding variants")
    for a in rules["ambiguities"]:
        out.warnings.append(f"ambiguity at {a['path']}: chose {a['chosen']}")
    return out


def compile_pages(
    paths: list[Path], *, ipg: int | None = None, title: str | None = None
) -> list[Compiled]:
    """Compile several pages; a second copy of a guidance already compiled is recorded as an
    alternative copy of the first (`source.alt_copies`), not compiled again."""
    context = known()
    done: dict[int, Compiled] = {}
    for path in paths:
        c = compile_text(
            path.read_text(encoding="utf-8"), path.name, ipg=ipg, title=title, context=context
        )
        first = done.get(c.rules["ipg"])
        if first is not None:
            first.rules["source"]["alt_copies"].append(
                {
                    "url": c.rules["source"]["url"],
                    "page_file": path.name,
                    "differences": f"another copy ({c.rules['source']['layout']}, "
                    f"{c.rules['source']['completeness']}); not compiled again",
                }
            )
            continue
        done[c.rules["ipg"]] = c
    return list(done.values())


def write_pack(compiled: list[Compiled], out: Path) -> list[Path]:
    """Write rules and resources under `out`; returns the files written."""
    written = []
    rules_dir = out / "rules"
    rules_dir.mkdir(parents=True, exist_ok=True)
    (rules_dir / IGNORE_MARKER).write_text(
        "Guidance coding rules: read by nice-tx compile, not FHIR content.\n"
    )
    if compiled:
        sd = json.loads(COMPILED_FROM_SD.read_text(encoding="utf-8"))
        (out / _FOLDERS["StructureDefinition"]).mkdir(exist_ok=True)
        path = out / _FOLDERS["StructureDefinition"] / f"{sd['id']}.json"
        path.write_text(json.dumps(sd, indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    for c in compiled:
        path = rules_dir / f"{c.rules['id']}.json"
        path.write_text(json.dumps(c.rules, indent=2, ensure_ascii=False) + "\n")
        written.append(path)
        for r in c.resources:
            folder = out / _FOLDERS[r["resourceType"]]
            folder.mkdir(exist_ok=True)
            path = folder / f"{r['id']}.json"
            path.write_text(json.dumps(r, indent=2, ensure_ascii=False) + "\n")
            written.append(path)
    info = pack_manifest(_rules_in(rules_dir), [f for f in _FOLDERS.values() if (out / f).is_dir()])
    if info is not None:
        path = out / MANIFEST
        path.write_text(json.dumps(manifest_document(info), indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written


def _rules_in(rules_dir: Path) -> list[Doc]:
    """Every guidance's rules in the pack folder: those just written and those of an earlier
    compile into the same folder, whose resources are there too."""
    found = []
    for path in sorted(rules_dir.glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not rules of ours: the manifest describes what it can read
        if isinstance(doc, dict) and isinstance(doc.get("ipg"), int):
            found.append(doc)
    return found


def pack_manifest(rules: list[Doc], folders: list[str]) -> PackInfo | None:
    """The manifest of a compiled pack holding these guidances' rules (None for none): an id
    and package name from the IPG numbers, a title the CapabilityStatement shows, a
    description naming each guidance, its page and how complete the page was."""
    if not rules:
        return None
    rules = sorted(rules, key=lambda r: int(r["ipg"]))
    ipgs = [f"IPG{r['ipg']}" for r in rules]
    key = "-".join(ipgs) if len(ipgs) <= _IDS_NAMED else f"{ipgs[0]}-and-{len(ipgs) - 1}-more"
    named = ipgs[0] if len(ipgs) == 1 else f"{', '.join(ipgs[:-1])} and {ipgs[-1]}"
    about = "; ".join(
        f"{i}{': ' + r['title'] if r.get('title') else ''} "
        f"(page {r['source']['page_file']}, {r['source']['completeness']})"
        for i, r in zip(ipgs, rules, strict=True)
    )
    return PackInfo(
        id=f"compiled-{key.lower()}",
        name=f"nice-tx.compiled-{key.lower()}",
        title=f"NICE {named} coding rules (compiled)",
        description=f"Coding rules compiled by nice-tx compile from NICE coding sections: {about}",
        folders=tuple(folders),
    )
