"""Regenerate tests/txsuite/baseline.json: `python -m tests.txsuite.update_baseline`.

The baseline may only grow: a test that passed before and fails now is reported and the file is
left unchanged, unless `--allow-shrink` is given (for a deliberate, explained change).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from tests.txsuite.harness import BASELINE, BASES, load_baseline, run_suite, serve


def main(argv: list[str] | None = None) -> int:
    """Run every general-mode test on each base, print per-suite counts, write the baseline."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--allow-shrink", action="store_true", help="accept losing baseline tests")
    ap.add_argument("--timeout", type=float, default=20.0, help="HTTP timeout per test (s)")
    ap.add_argument(
        "--failures", help="also write the failing tests and their first difference here"
    )
    args = ap.parse_args(argv)
    old = load_baseline()
    new: dict[str, list[str]] = {}
    lost: list[str] = []
    failing: list[str] = []
    with serve() as root:
        for base in BASES:
            results = run_suite(root, base, timeout=args.timeout)
            passed = sorted(f"{r['suite']}/{r['test']}" for r in results if r["status"] == "pass")
            new[base] = passed
            failing += [
                f"- /{base} `{r['suite']}/{r['test']}`: {' '.join(str(r['message']).split())[:160]}"
                for r in results
                if r["status"] != "pass"
            ]
            lost += [f"{base}:{n}" for n in sorted(set(old[base]) - set(passed))]
            total, ok = Counter(r["suite"] for r in results), Counter()
            for r in results:
                if r["status"] == "pass":
                    ok[r["suite"]] += 1
            print(f"/{base}: {len(passed)} of {len(results)} pass")
            for suite in total:
                print(f"  {suite:28} {ok[suite]:4} / {total[suite]}")
    if args.failures:
        with open(args.failures, "w", encoding="utf-8") as f:
            f.write("\n".join(failing) + "\n")
    if lost and not args.allow_shrink:
        print("Not written: these baseline tests no longer pass:", *lost, sep="\n  ")
        return 1
    BASELINE.write_text(json.dumps(new, indent=2) + "\n")
    print(f"wrote {BASELINE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
