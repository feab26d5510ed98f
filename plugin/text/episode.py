"""The procedure episode of a note: the act done today, on which organ, guided how, for what.

After the assertion context (`context.py`) has set aside what is negated, past, planned or not
performed, the episode is read around the *anchor* mentions: mentions of the facet the content
marks as the act of a procedure (the `episode-anchor` property of a facet; here the technique).

1. **The organ acted on.** The object of an anchor is the phrase after it up to the first finding
   (or a few words), with a term written just before it ("thyroid MWA"). If that phrase names
   values of a selection facet that are all outside the guidance (a lung metastasis, a renal
   tumour), the anchor is about another organ: `other-organ`, even if the note also names an
   in-scope value elsewhere ("... in a patient with known liver metastases").
2. **Not carried out.** An anchor stated without its kind ("no ablation was performed",
   "abandoned before any ablation") that is negated or not performed says the act did not
   happen: the anchors before it are `not-performed` too.
3. **Guidance belongs to the act.** A qualifier (image control) counts only in a sentence that
   has an anchor still in use; otherwise it is imaging for something else.
4. **The approach and site of the act.** When a sentence with a used anchor states a value of a
   selection facet, the same facet's values in other sentences are set aside ("Staging
   laparoscopy: ... Proceeded to open MWA" is open), unless they are a conversion target.
5. **The lesion treated.** When an anchor's object names a lesion of a stated kind, that is the
   diagnosis treated: other findings of other kinds are set aside ("MWA of HCC ... history of
   liver metastases"); if that lesion is uncertain or negated, so are the others of its kind.

Generic: facets, roles and values come from the vocabulary; nothing here names an organ.
"""

from __future__ import annotations

from collections.abc import Sequence

from plugin.text.context import NEGATED as CTX_NEGATED
from plugin.text.context import NOT_GUIDANCE, NOT_PERFORMED, OTHER_ORGAN, UNUSED, USED, Assertion
from plugin.text.matcher import Mention
from plugin.text.sections import Layout
from plugin.text.vocabulary import Vocabulary

# How far (in words) an anchor's object reaches when no finding closes it.
OBJECT_REACH = 6
FINDING = "finding"


def _object(
    k: int, mentions: Sequence[Mention], roles: Sequence[str], layout: Layout
) -> tuple[list[int], int | None]:
    """Mentions in the object phrase of anchor k, and the finding that closes it (if any)."""
    anchor = mentions[k]
    sentence = layout.sentence[anchor.first]
    out: list[int] = []
    if k > 0 and mentions[k - 1].last == anchor.first:
        out.append(k - 1)
    for j in range(k + 1, len(mentions)):
        m = mentions[j]
        if layout.sentence[m.first] != sentence or layout.breaks_scope_between(
            anchor.last, m.first
        ):
            break
        if roles[j] == FINDING:
            out.append(j)
            return out, j
        if m.first - anchor.last > OBJECT_REACH:
            break
        out.append(j)
    return out, None


def _finding_before(
    k: int, mentions: Sequence[Mention], roles: Sequence[str], layout: Layout
) -> int | None:
    sentence = layout.sentence[mentions[k].first]
    for j in range(k - 1, -1, -1):
        if layout.sentence[mentions[j].first] != sentence:
            return None
        if mentions[k].first - mentions[j].last > OBJECT_REACH:
            return None
        if roles[j] == FINDING:
            return j
    return None


def read_episode(
    mentions: Sequence[Mention],
    roles: Sequence[str],
    said: list[Assertion],
    converted: set[int],
    layout: Layout,
    vocab: Vocabulary,
) -> None:
    """Apply the episode rules to the assertions of `mentions` (in place)."""
    anchor_facets = vocab.anchor_facets
    anchors = [k for k, m in enumerate(mentions) if m.term.value.facet in anchor_facets]
    if not anchors:
        return
    selection = vocab.selection_facets - anchor_facets
    objects: dict[int, int | None] = {}
    for k in anchors:
        if said[k].status != USED:
            continue
        phrase, lesion = _object(k, mentions, roles, layout)
        objects[k] = lesion if lesion is not None else _finding_before(k, mentions, roles, layout)
        values = [mentions[j].term.value for j in phrase]
        values += [v for j in phrase for v in mentions[j].term.implies]
        by_facet: dict[str, set[bool | None]] = {}
        for v in values:
            if v.facet in selection:
                by_facet.setdefault(v.facet, set()).add(v.in_scope)
        if any(scopes == {False} for scopes in by_facet.values()):
            said[k] = Assertion(OTHER_ORGAN, ", ".join(mentions[j].term.written for j in phrase))
    undone = [
        k
        for k in anchors
        if mentions[k].term.value.not_stated and said[k].status in (CTX_NEGATED, NOT_PERFORMED)
    ]
    if undone:
        for j in anchors:
            if j < undone[-1] and said[j].status == USED:
                said[j] = Assertion(NOT_PERFORMED, said[undone[-1]].cue)
    used_sentences = {layout.sentence[mentions[k].first] for k in anchors if said[k].status == USED}
    # a sentence whose acts are all set aside describes no act of this episode: its approach and
    # site words go with them ("Percutaneous MWA of a lung metastasis" sets no approach)
    dead: dict[int, int] = {}
    for k in anchors:
        sentence = layout.sentence[mentions[k].first]
        if sentence not in used_sentences:
            dead.setdefault(sentence, k)
    for k, m in enumerate(mentions):
        owner = dead.get(layout.sentence[m.first])
        if owner is None or m.term.value.facet not in selection or said[k].status != USED:
            continue
        lo, hi = sorted((m.first, mentions[owner].first))
        if not layout.breaks_clause_between(lo, hi):
            said[k] = Assertion(said[owner].status, said[owner].cue)
    for k, m in enumerate(mentions):
        used = roles[k] == "qualifier" and said[k].status == USED
        if used and layout.sentence[m.first] not in used_sentences:
            said[k] = Assertion(NOT_GUIDANCE, "")
    for facet in selection:
        in_act = [
            k
            for k, m in enumerate(mentions)
            if m.term.value.facet == facet
            and said[k].status == USED
            and layout.sentence[m.first] in used_sentences
        ]
        if not in_act:
            continue
        for k, m in enumerate(mentions):
            if (
                m.term.value.facet == facet
                and said[k].status == USED
                and k not in converted
                and layout.sentence[m.first] not in used_sentences
            ):
                said[k] = Assertion(UNUSED, "")
    _lesion_treated(mentions, roles, said, objects)


def _lesion_treated(
    mentions: Sequence[Mention],
    roles: Sequence[str],
    said: list[Assertion],
    objects: dict[int, int | None],
) -> None:
    treated = [
        j
        for k, j in objects.items()
        if j is not None and said[k].status == USED and not mentions[j].term.value.not_stated
    ]
    if not treated:
        return
    kept = {mentions[j].term.value for j in treated if said[j].status == USED}
    doubtful = {mentions[j].term.value: said[j] for j in treated if said[j].status != USED}
    for k, m in enumerate(mentions):
        if roles[k] != FINDING or said[k].status != USED or k in treated:
            continue
        v = m.term.value
        if kept and v not in kept:
            said[k] = Assertion(UNUSED, "")
        elif not kept and v in doubtful:
            said[k] = Assertion(doubtful[v].status, doubtful[v].cue)
