"""Which ConText engine reads the notes: medspaCy or the in-house one? (a measurement, not a test)

    pip install medspacy==1.3.1      # not a dependency of the project; only this script needs it
    python benchmarks/context_choice.py

Both engines get the same targets (the vocabulary's mentions, as spans with their role as label),
the same cue rules (this project's `plugin/text/data/context_rules.json` plus medspaCy's own
English rules) and the same section kinds; only the assertion step differs, so accuracy and speed
compare the ConText implementations:

- in-house: `plugin.text.context.assert_mentions` over the recogniser's tokens;
- medspaCy: PyRuSH sentences + ConText (`medspacy.load(medspacy_enable=["medspacy_pyrush",
  "medspacy_context"])`, rules added with `ConTextRule`), its modifiers mapped to the same
  statuses. Placeholders (`<YEAR>`) and `sentence_start` are this project's extensions, which
  medspaCy does not read; guidance cues attach to every qualifier in scope there.

Prints, per engine: the dev sets' scores (passed / total, unsafe answers) read with the scorer's
rules, and median CPU microseconds per short description and milliseconds per ~300-word note
with every reading worked out afresh (the reading cache cleared before each call).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_notes import notes  # noqa: E402
from benchmarks.bench_text import descriptions  # noqa: E402
from plugin.content.loader import build_store  # noqa: E402
from plugin.ops.translate import text_request, translate_explained  # noqa: E402
from plugin.text import context, matcher_for, reading  # noqa: E402
from plugin.text.rules import DATA, Lexicon  # noqa: E402
from plugin.wire.translate import render  # noqa: E402
from tests.text.scoring import judge, load_cases, unsafe  # noqa: E402

Assert = Callable[[context.Note, Lexicon], list[context.Assertion]]


def medspacy_engine() -> Assert:
    """An assertion step with the same signature as the in-house one, done by medspaCy."""
    import medspacy
    from medspacy.context import ConTextRule
    from spacy.tokens import Span

    nlp = medspacy.load(medspacy_enable=["medspacy_pyrush", "medspacy_context"])
    rules = json.loads((DATA / "context_rules.json").read_text())["context_rules"]
    ours = []
    for r in rules:
        if "<" in r["literal"]:
            continue
        ours.append(
            ConTextRule(
                r["literal"],
                r["category"],
                direction=r["direction"],
                max_scope=r.get("max_scope"),
                allowed_types=set(r["allowed_types"]) if r.get("allowed_types") else None,
            )
        )
    nlp.get_pipe("medspacy_context").add(ours)

    def assert_with_medspacy(note: context.Note, lex: Lexicon) -> list[context.Assertion]:
        mentions, roles, layout = note.mentions, note.roles, note.layout
        doc = nlp.make_doc(note.text)
        spans: list[Span | None] = []
        for m, role in zip(mentions, roles, strict=True):
            spans.append(doc.char_span(m.start, m.end, label=role, alignment_mode="expand"))
        kept: list[Span] = []
        for s in spans:
            if s is not None and all(s.end <= k.start or s.start >= k.end for k in kept):
                kept.append(s)
        doc.ents = kept
        for _, proc in nlp.pipeline:
            doc = proc(doc)
        out = []
        for k, (m, span) in enumerate(zip(mentions, spans, strict=True)):
            kind = layout.kind_at(m.first)
            if roles[k] not in kind.roles:
                out.append(context.Assertion(kind.status or context.UNUSED))
                continue
            ent = next((e for e in doc.ents if span is not None and e.start == span.start), None)
            cats = {mod.category for mod in ent._.modifiers} if ent is not None else set()
            status = next((s for c, s in context._PRIORITY if c in cats), None)
            if status is not None:
                out.append(context.Assertion(status))
            elif roles[k] == "qualifier" and ("NOT_GUIDANCE" in cats or "GUIDANCE" not in cats):
                out.append(context.Assertion(context.NOT_GUIDANCE))
            else:
                out.append(context.Assertion(context.USED))
        return out

    return assert_with_medspacy


def score(store: Any, cases: list[dict[str, Any]]) -> tuple[int, int]:
    passed = bad = 0
    for c in cases:
        body = render(translate_explained(text_request(c["text"], store), store))
        passed += judge(c, 200, body) is None
        bad += bool(unsafe(c, 200, body))
    return passed, bad


def cpu_median(store: Any, texts: list[str], scale: float) -> float:
    plans = matcher_for(store).plans
    times = []
    for t in texts:
        plans.clear()
        c0 = time.process_time()
        translate_explained(text_request(t, store), store)
        times.append((time.process_time() - c0) * scale)
    return statistics.median(times)


def main() -> None:
    store, _ = build_store()
    dev = load_cases("descriptions-dev.jsonl")
    dev_notes = load_cases("descriptions-dev-notes.jsonl")
    short = descriptions()[:300]
    long = notes(40)
    engines: list[tuple[str, Assert]] = [("in-house", context.assert_mentions)]
    engines.append(("medspaCy 1.3.1", medspacy_engine()))
    for name, engine in engines:
        reading.assert_mentions = engine  # type: ignore[assignment]
        matcher_for(store).plans.clear()
        translate_explained(text_request(long[0], store), store)  # warm
        d_pass, d_bad = score(store, dev)
        n_pass, n_bad = score(store, dev_notes)
        us = cpu_median(store, short, 1e6)
        ms = cpu_median(store, long, 1e3)
        print(
            f"{name}: dev {d_pass}/{len(dev)} (unsafe {d_bad}), notes {n_pass}/{len(dev_notes)} "
            f"(unsafe {n_bad}); short description {us:.0f} us CPU, 300-word note {ms:.2f} ms CPU "
            "(reading cache cleared)"
        )


if __name__ == "__main__":
    main()
