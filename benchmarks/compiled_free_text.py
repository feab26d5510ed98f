"""Free text against compiled guidances (not a test: it needs NICE pages this repository does
not hold).

    python benchmarks/compiled_free_text.py CORPUS_DIR

Compiles five guidances of CORPUS_DIR/pages (titles below, as NICE publishes them) and the
restated IPG327 section of tests/compile/sections, loads them beside the built-in content, and
codes the descriptions of benchmarks/compiled-descriptions.jsonl (written by the nice-tx team).
Each description names the main OPCS-4 code a coder would give it from a compiled guidance, or
null when no compiled guidance should code it. Prints per guidance: right (the expected code,
or nothing, asserted), missed (nothing asserted where a code was expected) and wrong (another
compiled code asserted: the unsafe case), and each miss with the message.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

from plugin.coding import Coder
from plugin.compile.pack import compile_pages, write_pack
from plugin.content.loader import build_store

HERE = Path(__file__).parent
SECTIONS = HERE.parent / "tests" / "compile" / "sections"
TITLES = {
    8: "Radiofrequency ablation of varicose veins",
    200: "Photodynamic therapy for early-stage oesophageal cancer",
    367: "Uterine artery embolisation for fibroids",
    385: "Laser correction of refractive error following non-refractive ophthalmic surgery",
    461: "Endoscopic radiofrequency ablation for gastro-oesophageal reflux disease",
    327: "Radiofrequency ablation for the treatment of colorectal liver metastases",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dirs, ours = [], set()
        for ipg, title in TITLES.items():
            page = args.corpus / "pages" / f"ipg{ipg:03d}.txt"
            if ipg == 327:
                page = SECTIONS / "ipg327-restated.txt"
            out = Path(tmp) / f"ipg{ipg}"
            compiled = compile_pages([page], title=title)
            write_pack(compiled, out)
            dirs.append(out)
            ours |= {
                c["code"]
                for v in compiled[0].rules["variants"]
                for s in v["slots"]
                if s["role"] == "main"
                for c in s["candidates"]
            }
        store, report = build_store(dirs)
        assert not report.refused, report.refused
        coder = Coder(store)
        tally: dict[int, Counter[str]] = {}
        lines = (HERE / "compiled-descriptions.jsonl").read_text().splitlines()
        for line in lines:
            case = json.loads(line)
            coded = coder.code(case["text"])
            # main OPCS-4 codes asserted from a compiled map (not the built-in IPG406 one)
            compiled_main = [c.code for c in coded.assigned if c.role == "main" and c.code in ours]
            expect = case["expect"]
            if (compiled_main == [expect]) if expect else not compiled_main:
                verdict = "right"
            elif not compiled_main:
                verdict = "missed"
            else:
                verdict = "wrong"
            tally.setdefault(case["ipg"], Counter())[verdict] += 1
            if verdict != "right":
                print(f"  {verdict}: IPG{case['ipg']} {case['text']!r} -> {compiled_main}")
                print(f"      {coded.message[:160]}")
        total: Counter[str] = Counter()
        print("| guidance | descriptions | right | missed | wrong |")
        print("|---|---|---|---|---|")
        for ipg, t in sorted(tally.items()):
            total += t
            n = sum(t.values())
            print(f"| IPG{ipg} | {n} | {t['right']} | {t['missed']} | {t['wrong']} |")
        n = sum(total.values())
        print(f"| all | {n} | {total['right']} | {total['missed']} | {total['wrong']} |")


if __name__ == "__main__":
    main()
