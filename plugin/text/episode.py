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
from dataclasses import dataclass

from plugin.text.context import NEGATED as CTX_NEGATED
from plugin.text.context import (
    NOT_GUIDANCE,
    NOT_PERFORMED,
    OTHER_ORGAN,
    UNUSED,
    USED,
    Assertion,
    Note,
)
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
        if mentions[k].first - mentions[j].last > OBJECT_REACH or layout.breaks_scope_between(
            mentions[j].last, mentions[k].first
        ):
            return None
        if roles[j] == FINDING:
            return j
    return None


@dataclass(slots=True)
class _Episode:
    note: Note
    said: list[Assertion]
    anchors: list[int]
    selection: frozenset[str]  # selection facets other than the act's own

    def sentence(self, k: int) -> int:
        return self.note.layout.sentence[self.note.mentions[k].first]

    def used(self, k: int) -> bool:
        return self.said[k].status == USED


def read_episode(note: Note, said: list[Assertion], converted: set[int], vocab: Vocabulary) -> None:
    """Apply the episode rules to the assertions of the note's mentions (in place)."""
    anchors = [k for k, m in enumerate(note.mentions) if m.term.value.facet in vocab.anchor_facets]
    if not anchors:
        return
    ep = _Episode(note, said, anchors, vocab.selection_facets - vocab.anchor_facets)
    objects = _other_organs(ep)
    _undone(ep)
    in_act = {ep.sentence(k) for k in anchors if ep.used(k)}
    _dead_clauses(ep, in_act)
    guided = in_act | _act_sections(note.mentions, note.roles, said, anchors, note.layout)
    for k in range(len(note.mentions)):
        stray = note.roles[k] == "qualifier" and ep.used(k)
        if stray and (
            ep.sentence(k) not in guided or _guides_other(k, note.mentions, note.roles, vocab)
        ):
            said[k] = Assertion(NOT_GUIDANCE, "")
    _facets_of_the_act(ep, in_act, converted)
    _lesion_treated(note.mentions, note.roles, said, objects)


def _other_organs(ep: _Episode) -> dict[int, int | None]:
    """Rule 1: acts whose object is another organ; returns each used act's treated lesion."""
    mentions, roles, layout = ep.note.mentions, ep.note.roles, ep.note.layout
    objects: dict[int, int | None] = {}
    for k in ep.anchors:
        if not ep.used(k):
            continue
        phrase, lesion = _object(k, mentions, roles, layout)
        objects[k] = lesion if lesion is not None else _finding_before(k, mentions, roles, layout)
        values = [mentions[j].term.value for j in phrase]
        values += [v for j in phrase for v in mentions[j].term.implies]
        by_facet: dict[str, set[bool | None]] = {}
        for v in values:
            if v.facet in ep.selection:
                by_facet.setdefault(v.facet, set()).add(v.in_scope)
        if any(scopes == {False} for scopes in by_facet.values()):
            words = ", ".join(mentions[j].term.written for j in phrase)
            ep.said[k] = Assertion(OTHER_ORGAN, words)
    return objects


def _undone(ep: _Episode) -> None:
    """Rule 2: an act stated without its kind, negated or not performed, undoes those before."""
    undone = [
        k
        for k in ep.anchors
        if ep.note.mentions[k].term.value.not_stated
        and ep.said[k].status in (CTX_NEGATED, NOT_PERFORMED)
    ]
    if undone:
        for j in ep.anchors:
            if j < undone[-1] and ep.used(j):
                ep.said[j] = Assertion(NOT_PERFORMED, ep.said[undone[-1]].cue)


def _dead_clauses(ep: _Episode, in_act: set[int]) -> None:
    """A sentence whose acts are all set aside describes no act of this episode: the approach
    and site words of their clause go with them ("Percutaneous MWA of a lung metastasis")."""
    mentions, layout = ep.note.mentions, ep.note.layout
    dead: dict[int, int] = {}
    for k in ep.anchors:
        if ep.sentence(k) not in in_act:
            dead.setdefault(ep.sentence(k), k)
    for k, m in enumerate(mentions):
        owner = dead.get(ep.sentence(k))
        if owner is None or m.term.value.facet not in ep.selection or not ep.used(k):
            continue
        lo, hi = sorted((m.first, mentions[owner].first))
        if not layout.breaks_clause_between(lo, hi):
            ep.said[k] = Assertion(ep.said[owner].status, ep.said[owner].cue)


def _facets_of_the_act(ep: _Episode, in_act: set[int], converted: set[int]) -> None:
    """Rule 4: a facet the act's sentence states is not taken from other sentences."""
    mentions = ep.note.mentions
    stated = {
        m.term.value.facet
        for k, m in enumerate(mentions)
        if m.term.value.facet in ep.selection and ep.used(k) and ep.sentence(k) in in_act
    }
    for k, m in enumerate(mentions):
        if (
            m.term.value.facet in stated
            and ep.used(k)
            and k not in converted
            and ep.sentence(k) not in in_act
        ):
            ep.said[k] = Assertion(UNUSED, "")


def _act_sections(
    mentions: Sequence[Mention],
    roles: Sequence[str],
    said: list[Assertion],
    anchors: list[int],
    layout: Layout,
) -> set[int]:
    """Sentences of a titled procedure section with a used act that name no act or other
    procedure themselves: their guidance is the act's ("Technique: antenna placed under
    ultrasound guidance")."""
    if not layout.sectioned:
        return set()
    if not any(
        said[k].status == USED and layout.kind_at(mentions[k].first).key == "procedure"
        for k in anchors
    ):
        return set()
    busy = {
        layout.sentence[m.first]
        for k, m in enumerate(mentions)
        if (roles[k] == "procedure" and m.term.value.in_scope is False) or k in anchors
    }
    return {
        layout.sentence[m.first]
        for m in mentions
        if layout.kind_at(m.first).key == "procedure" and layout.sentence[m.first] not in busy
    }


def _guides_other(
    k: int, mentions: Sequence[Mention], roles: Sequence[str], vocab: Vocabulary
) -> bool:
    """True when qualifier k is written just before another, out-of-scope procedure ("CT-guided
    liver biopsy", "US-guided biopsy"): it guided that procedure, not the act."""
    end = mentions[k].last
    for m, role in zip(mentions[k + 1 :], roles[k + 1 :], strict=False):
        if m.first - end > 2:
            return False
        facet = m.term.value.facet
        if facet in vocab.selection_facets:
            end = m.last
            continue
        return role == "procedure" and m.term.value.in_scope is False
    return False


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
