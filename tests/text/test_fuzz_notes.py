"""Fuzzing with generated clinical notes: sections shuffled, cues inserted, sentences mixed.

Two properties, over notes hypothesis builds from sentence templates:

- a note whose every mention of the procedure is negated, past, planned, offered, declined, not
  performed (in its sentence or by a later one referring back: "Procedure abandoned.", "After
  discussion with the patient the procedure was abandoned.") or about
  another organ asserts no code at all, wherever its sections and sentences
  fall, whatever cue words are sprinkled between them;
- a note with one sentence stating today's procedure asserts nothing that sentence alone does not
  assert: staging and follow-up imaging, past procedures and plans around it add no code.

Every answer must also be well formed (no exception, mentions point at their words).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.coding import CodedDescription, Coder, code_description
from plugin.content.store import Store
from plugin.text.rules import lexicon

SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
APPROACH = st.sampled_from(["percutaneous", "laparoscopic", "open", "lap", "perc", ""])
METHOD = st.sampled_from(["ultrasound", "CT", "MRI", "fluoroscopic", "US", "image"])
ORGAN = st.sampled_from(["lung", "kidney", "thyroid", "adrenal", "right lower lobe"])
YEAR = st.integers(1995, 2024).map(str)

# Sentences that mention the procedure, each set aside by its own words.
SET_ASIDE = [
    "No {a} microwave ablation of the liver metastasis was performed.",
    "Previous {a} microwave ablation of liver metastases in {y}.",
    "Listed for {a} microwave ablation of the liver metastasis under {m} guidance.",
    "Patient declined {a} MWA of her liver metastases.",
    "{A} microwave ablation of a {o} metastasis under {m} guidance; known liver metastases.",
    "{A} MWA of liver metastasis considered but not performed.",
    "Offered {a} MWA of the liver metastasis under {m} guidance.",
    "History of {a} MWA of liver metastases in {y}.",
    "Awaiting {a} microwave ablation of liver metastasis.",
    "{A} MWA of liver metastasis attempted; no ablation was performed.",
    "For {a} microwave ablation of liver metastases under {m} guidance at the next MDT.",
    "{A} microwave ablation of liver metastasis planned for next month.",
    # set aside by the next sentence, which refers back to it
    "{A} MWA of liver metastasis under {m} guidance. Procedure abandoned.",
    "{A} microwave ablation of the liver metastasis. It was cancelled because of a raised INR.",
    "{A} MWA of liver metastasis. Patient positioned supine. Unfortunately it was not performed.",
    "{A} microwave ablation of liver metastases. This was done in {y}.",
    # ... after an opening phrase
    "{A} MWA of liver metastasis. After discussion with the patient the procedure was abandoned.",
    "{A} MWA of liver metastasis under {m} guidance. On review, the procedure was not performed.",
]
# Sentences around it: imaging and findings that are not the procedure.
FILLER = [
    "Staging {m} showed two liver metastases.",
    "Follow-up {m} in 3 months.",
    "{M} in clinic characterised the lesion.",
    "Good radiological response after chemotherapy.",
    "No complications.",
    "Bloods in the morning.",
    "Surveillance {m} detected a new lesion in {y}.",
    "Check {m} at 24 hours showed no collection.",
]
POSITIVE = [
    "{A} microwave ablation of the segment 6 liver metastasis under {m} guidance.",
    "{A} MWA of colorectal liver metastasis, {m}-guided.",
    "Today: {a} microwave ablation of a liver metastasis.",
]
TITLES = st.sampled_from(
    ["", "Indication", "PMH", "Findings", "Plan", "Procedure", "Technique", "Background"]
)
# Cue phrases inserted as sentences of their own; a cue that itself names a facet value ("post
# ablation") would add a mention of its own, which is not what these properties are about.
CUES = sorted(
    c
    for c in {" ".join(r.words) for rules in lexicon().by_first.values() for r in rules}
    if not code_description(c).mentions
)


@pytest.fixture(scope="module")
def coder(store: Store) -> Coder:
    return Coder(store)


@st.composite
def sentence(draw: st.DrawFn, templates: list[str]) -> str:
    a = draw(APPROACH)
    m = draw(METHOD)
    text = draw(st.sampled_from(templates)).format(
        a=a, A=a.capitalize() or "The", m=m, M=m[:1].upper() + m[1:], o=draw(ORGAN), y=draw(YEAR)
    )
    return " ".join(text.split())


@st.composite
def note(draw: st.DrawFn, sentences: list[str]) -> str:
    """The sentences, with cue words sprinkled, shuffled into titled sections."""
    pieces = list(sentences)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(pieces)))
        pieces.insert(at, draw(st.sampled_from(CUES)).capitalize() + ".")
    pieces = draw(st.permutations(pieces))
    out, i = [], 0
    while i < len(pieces):
        size = draw(st.integers(1, 3))
        title = draw(TITLES)
        body = " ".join(pieces[i : i + size])
        out.append(f"{title}: {body}" if title else body)
        i += size
    return draw(st.sampled_from(["\n", " "])).join(out)


def well_formed(r: CodedDescription) -> None:
    assert r.message
    if not r.result:
        assert not r.assigned and not r.candidates
    for m in r.mentions:
        assert r.text[m.offset : m.offset + m.length] == m.text


@SETTINGS
@given(data=st.data())
def test_set_aside_procedures_assert_nothing(coder: Coder, data: st.DataObject) -> None:
    aside = data.draw(st.lists(sentence(SET_ASIDE), min_size=1, max_size=4))
    filler = data.draw(st.lists(sentence(FILLER), max_size=4))
    text = data.draw(note(aside + filler))
    r = coder.code(text)
    well_formed(r)
    assert not r.assigned, (text, r.message)
    assert not any(m.status == "used" and m.facet == "technique" for m in r.mentions), text


@SETTINGS
@given(data=st.data())
def test_nothing_beyond_the_procedure_sentence(coder: Coder, data: st.DataObject) -> None:
    positive = data.draw(sentence(POSITIVE))
    around = data.draw(st.lists(sentence(SET_ASIDE + FILLER), max_size=5))
    text = data.draw(note([positive, *around]))
    r = coder.code(text)
    well_formed(r)
    alone = {(c.system, c.code) for c in coder.code(positive).assigned}
    extra = {(c.system, c.code) for c in r.assigned} - alone
    assert not extra, (text, sorted(extra), r.message)
