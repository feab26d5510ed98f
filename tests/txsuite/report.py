"""Per-suite pass counts of the conformance suite: `python -m tests.txsuite.report [--write]`.

Prints, for each FHIR base, the passes per suite and each failing test with its first difference.
`--write` rewrites `expected_failures.json` with the tests failing now; it refuses when a test
that is not on the list fails (a regression) unless `--allow-new` is given for a deliberate,
explained change.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from tests.txsuite.harness import BASES, EXPECTED_FAILURES, load_expected_failures, run_suite, serve


def main(argv: list[str] | None = None) -> int:
    """Run every general-mode test on each base and print the per-suite table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", action="store_true", help="rewrite expected_failures.json")
    ap.add_argument("--allow-new", action="store_true", help="accept new failures when writing")
    args = ap.parse_args(argv)
    old = load_expected_failures()
    failing: dict[str, list[str]] = {}
    with serve() as root:
        for base in BASES:
            results = run_suite(root, base)
            total, ok = (
                Counter(r.suite for r in results),
                Counter(r.suite for r in results if r.passed),
            )
            failing[base] = sorted(r.name for r in results if not r.passed)
            print(f"/{base}: {sum(ok.values())} of {len(results)} pass")
            for suite in total:
                print(f"  {suite:28} {ok[suite]:4} / {total[suite]}")
            for r in results:
                if not r.passed:
                    print(f"  FAIL {r.name}: {' '.join(str(r.message).split())[:200]}")
    new = {b: sorted(set(failing[b]) - set(old[b])) for b in BASES}
    if any(new.values()) and args.write and not args.allow_new:
        print("Not written: new failures", json.dumps(new, indent=2))
        return 1
    if args.write:
        EXPECTED_FAILURES.write_text(json.dumps(failing, indent=2) + "\n")
        print(f"wrote {EXPECTED_FAILURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
