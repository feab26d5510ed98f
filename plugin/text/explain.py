"""Explanations: the sentence a coder reads, and per match the words that led to it.

The top-level `message` says what was coded (or offered, or why nothing was) and from which words.
Each `match` gets its reasons in the match's `message` part: "approach 'perc' = Percutaneous; ..."
(the R5 $translate `match.message`; R4 clients that do not know it ignore it).
"""

from __future__ import annotations

from plugin.outcomes import ASSERTING, TextMention, TranslateOutcome
from plugin.text import context as ctx
from plugin.text.reading import CONFLICT, NOT_CODED, SET_ASIDE, SUPERSEDED, Found, Reading
from plugin.text.vocabulary import Value, Vocabulary
from plugin.types import Match

# where the unrecognised words go (filled last, so quoted words are never rescanned)
_UNRECOGNISED_SLOT = "\x02"


def system_label(system: str) -> str:
    """A short name for a code system: the last segment of its URL ("OPCS-4", "ICD-10-UK")."""
    return system.rstrip("/").rsplit("/", 1)[-1].upper()


def _term(f: Found, vocab: Vocabulary, reading: Reading) -> str:
    facet = vocab.facets[f.value.facet].label
    how = " (spelling corrected)" if f.fuzzy else ""
    how += " (implied)" if f.implied else ""
    # A value outside one guidance may be what another (compiled) guidance's procedure needs.
    chosen = reading.procedure is not None and (f.value.facet, f.value.code) in (
        reading.procedure.requires
    )
    outside = f.value.in_scope is False and f.status == ctx.USED and not chosen
    how += " (outside this guidance)" if outside else ""
    return f"{facet} '{f.words}' = {f.value.display}{how}"


def _codes(m: Match) -> str:
    if m.concept is None:
        return ""
    return " + ".join([m.concept.code, *(p.coding.code for p in m.products)])


def _by_system(matches: list[Match]) -> str:
    groups: dict[str, list[str]] = {}
    for m in matches:
        if m.concept is not None:
            groups.setdefault(system_label(m.concept.system), []).append(_codes(m))
    return "; ".join(f"{s} {', '.join(dict.fromkeys(c))}" for s, c in groups.items())


def _labels(reading: Reading, vocab: Vocabulary) -> dict[int, str]:
    return {id(f): _term(f, vocab, reading) for f in reading.found}


# Why a recognised term was set aside, in the words a coder reads (strongest reasons first).
SET_ASIDE_LABELS = (
    (ctx.NOT_PERFORMED, "Not performed, so not coded"),
    (ctx.PLANNED, "Planned, offered or considered, not done in this episode"),
    (ctx.HISTORICAL, "History, not this episode"),
    (ctx.NEGATED, "Negated"),
    (ctx.UNCERTAIN, "Uncertain, not coded"),
    (ctx.OTHER_ORGAN, "Another organ, not this procedure"),
    (ctx.NOT_GUIDANCE, "Imaging not used for guidance"),
    (NOT_CODED, "Not coded (outside this guidance)"),
    (CONFLICT, "Conflicting, so not used"),
    (ctx.UNUSED, "Set aside (not where the note states this procedure)"),
    (SUPERSEDED, "Superseded by a more specific or converted-to term"),
)
# Long notes stay short: past this many mentions, each line quotes fewer terms, and the reasons
# that explain no missing code (superseded, set aside, outside the guidance) are only counted.
COMPACT_AFTER = 12
MAX_QUOTED = 4
MAX_QUOTED_COMPACT = 2
MAX_UNRECOGNISED = 6
# Reasons that explain a code not given: always quoted.
_TELLING = frozenset(
    {
        ctx.NOT_PERFORMED,
        ctx.PLANNED,
        ctx.HISTORICAL,
        ctx.NEGATED,
        ctx.UNCERTAIN,
        ctx.OTHER_ORGAN,
        ctx.NOT_GUIDANCE,
    }
)


def _listed(found: list[Found], labels: dict[int, str], limit: int = MAX_QUOTED) -> str:
    """Terms, one per (facet, value), the first occurrence quoted; at most `limit`."""
    first: dict[tuple[str, str], Found] = {}
    count: dict[tuple[str, str], int] = {}
    for f in found:
        key = (f.value.facet, f.value.code)
        first.setdefault(key, f)
        count[key] = count.get(key, 0) + 1
    items = [labels[id(f)] + (f" (x{count[k]})" if count[k] > 1 else "") for k, f in first.items()]
    more = len(items) - limit
    shown = "; ".join(items[:limit])
    return f"{shown}; and {more} more" if more > 0 else shown


def unrecognised_text(words: list[str]) -> str:
    """The words not recognised, as the explanation lists them (at most MAX_UNRECOGNISED)."""
    unique = list(dict.fromkeys(words))
    more = len(unique) - MAX_UNRECOGNISED
    shown = ", ".join(unique[:MAX_UNRECOGNISED])
    return f"{shown} and {more} more" if more > 0 else shown


def _compact(reading: Reading) -> bool:
    return sum(not f.implied for f in reading.found) > COMPACT_AFTER


def _others(reading: Reading, labels: dict[int, str], vocab: Vocabulary) -> str:
    parts = []
    compact = _compact(reading)
    limit = MAX_QUOTED_COMPACT if compact else MAX_QUOTED
    counted = 0
    for status, label in SET_ASIDE_LABELS:
        items = [f for f in reading.found if f.status == status and not f.implied]
        if compact and status not in _TELLING:
            counted += len(items)
        elif items:
            parts.append(f"{label}: {_listed(items, labels, limit)}.")
    if counted:
        parts.append(
            f"{counted} other mentions set aside (superseded, outside this guidance, or not where"
            " the note states this procedure)."
        )
    primaries = {
        f.value.display
        for f in reading.found
        if f.status == ctx.USED
        and f.value.facet in vocab.lesion_facets
        and not f.value.not_stated
        and (f.value.system, f.value.code) not in vocab.mapped
    }
    if reading.procedure is not None and primaries:
        names = ", ".join(sorted(primaries))
        parts.append(
            f"{names}: this guidance gives no diagnosis code for it;"
            " the primary is coded on its own."
        )
    if reading.unrecognised:
        parts.append(f"Not recognised: {_UNRECOGNISED_SLOT}.")
    return " ".join(parts)


def _used(reading: Reading, labels: dict[int, str]) -> str:
    items = [f for f in reading.found if f.status == ctx.USED]
    limit = 2 * MAX_QUOTED if _compact(reading) else 4 * MAX_QUOTED
    return f"Read from the description: {_listed(items, labels, limit)}." if items else ""


def _value_text(v: Value | str, vocab: Vocabulary) -> str:
    if isinstance(v, str):
        return v
    return f"{vocab.facets[v.facet].label} {v.display}"


def message(
    outcome: TranslateOutcome, reading: Reading, vocab: Vocabulary, labels: dict[int, str]
) -> str:
    """The top-level message for a description's translation."""
    if not reading.text.strip():
        return "No code: the description is empty."
    tail = " ".join(s for s in (_used(reading, labels), _others(reading, labels, vocab)) if s)
    tail = tail.replace(_UNRECOGNISED_SLOT, unrecognised_text(reading.unrecognised))
    if reading.procedure is None:
        needed = ", ".join(_value_text(v, vocab) for v in reading.missing)
        if not any(f.status != ctx.NEGATED for f in reading.found):
            head = "No code: nothing in the description names a procedure this guidance codes"
        else:
            head = "No code: the description is not a procedure this guidance codes"
        head += f" (it needs {needed})." if needed else "."
        return f"{head} {tail}".strip()
    asserted = [m for m in outcome.matches if m.equivalence in ASSERTING]
    # a code asserted by one map is not also a candidate of another (a compiled guidance's
    # diagnosis candidate that the description states)
    sure = {(m.concept.system, m.concept.code) for m in asserted if m.concept is not None}
    offered = [
        m
        for m in outcome.matches
        if m not in asserted
        and (m.concept is None or (m.concept.system, m.concept.code) not in sure)
    ]
    name = reading.procedure.display
    if not outcome.matches:
        head = f"Read as {name}, but no map gives a code for it here."
        if outcome.message:
            head += f" {outcome.message}."
    elif offered:
        facets = sorted(
            {vocab.facets[f].label for p in reading.alternatives for f, _ in p.requires}
            - {vocab.facets[f].label for f, _ in reading.procedure.requires}
        )
        options = sorted(
            {
                vocab.values[(reading.procedure.system, c)].display
                if (reading.procedure.system, c) in vocab.values
                else c
                for p in reading.alternatives
                for f, c in p.requires - reading.procedure.requires
            }
        )
        what = " and ".join(facets) or "detail"
        head = (
            f"Read as {name}. The {what} is not stated, so these are candidates only, none "
            f"asserted: {_by_system(offered)}"
        )
        head += f" (state the {what}: {', '.join(options).lower()})." if options else "."
        if asserted:
            head += f" Asserted: {_by_system(asserted)}."
    else:
        head = f"Coded as {name}: {_by_system(asserted)}."
    return f"{head} {tail}".strip()


def _match_reason(m: Match, reading: Reading, labels: dict[int, str]) -> str:
    found = reading.sources(m.source)
    if m.depends_on:
        deps = {(d.system, d.value) for d in m.depends_on}
        found += [
            f
            for f in reading.found
            if f.status == ctx.USED and (f.value.system, f.value.code) in deps
        ]
    words = "; ".join([labels[id(f)] for f in found])
    lead = "From the description"
    return f"{lead}: {words} -> {m.source.display or m.source.code}" if words else lead


def annotate(outcome: TranslateOutcome, reading: Reading, vocab: Vocabulary) -> TranslateOutcome:
    """The outcome with the description's message and each match's reasons."""
    labels = _labels(reading, vocab)
    matches = []
    for m in outcome.matches:
        reason = _match_reason(m, reading, labels)
        comment = f"{m.comment} {reason}" if m.comment else reason
        matches.append(
            Match(
                m.equivalence, m.concept, m.source, m.origin_map, m.products, m.depends_on, comment
            )
        )
    return TranslateOutcome(
        outcome.result,
        matches,
        message(outcome, reading, vocab, labels),
        outcome.reverse,
        outcome.echo_source,
        outcome.notes,
        mentions(reading, vocab),
    )


def mention_status(f: Found) -> str:
    """The wire status of a recognised term: its assertion status, or `unused` for a used
    mention the reading set aside (superseded, outside the guidance, conflicting)."""
    return f.status if f.status == ctx.USED or f.status in SET_ASIDE else ctx.UNUSED


def mentions(reading: Reading, vocab: Vocabulary) -> tuple[TextMention, ...]:
    """Each recognised mention (implied values aside), as a coder's page highlights them."""
    return tuple(
        TextMention(
            f.value.facet,
            f.words,
            f.start,
            f.end - f.start,
            vocab.coding(f.value.system, f.value.code, f.value.display),
            mention_status(f),
        )
        for f in reading.found
        if not f.implied
    )
