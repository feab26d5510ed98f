"""Rendering of $translate outcomes as R4 or R5 Parameters."""

from __future__ import annotations

from plugin.outcomes import TextMention, TranslateOutcome
from plugin.types import R4_TO_R5, Match, Resource
from plugin.wire.parameters import coding_json, param, parameters, part


def _match(m: Match, outcome: TranslateOutcome, r5: bool, map_as_source: bool) -> Resource:
    parts: list[Resource] = []
    # R5-form reverse requests (targetCode...) follow the reference server: `concept` is the
    # map's target-side code and `source` the source-side answer. R4 `reverse=true` keeps the
    # R4 reading, where `concept` is the answer (HAPI's remote client reads it so).
    concept, other = (m.source, m.concept) if outcome.echo_source else (m.concept, m.source)
    if concept is not None:
        parts.append(param("concept", "Coding", coding_json(concept)))
    if r5:
        parts.append(param("relationship", "code", R4_TO_R5.get(m.equivalence, "related-to")))
    else:
        parts.append(param("equivalence", "code", m.equivalence))
    for p in m.products:
        if r5:
            parts.append(
                part(
                    "product",
                    [
                        param("attribute", "uri", p.property),
                        param("value", "Coding", coding_json(p.coding)),
                    ],
                )
            )
        else:
            parts.append(
                part(
                    "product",
                    [
                        param("element", "uri", p.property),
                        param("concept", "Coding", coding_json(p.coding)),
                    ],
                )
            )
    # Both versions name the map as `originMap` (canonical url|version): R5 defines it, and the
    # HL7 test suite and the reference server send it on R4 too. R4's own `source` (the map's
    # uri) is added only for requests made with R4 names, because the suite and the reference
    # server read `source` as the source Coding of an R5-form reverse match.
    parts.append(param("originMap", "canonical", m.origin_map))
    if outcome.echo_source and other is not None:
        parts.append(param("source", "Coding", coding_json(other)))
    elif map_as_source:
        parts.append(param("source", "uri", m.origin_map))
    if m.comment:
        parts.append(param("message", "string", m.comment))
    return part("match", parts)


def render(outcome: TranslateOutcome, r5: bool = False, map_as_source: bool = False) -> Resource:
    """$translate output: result, message (when no match), one `match` per mapping.

    `map_as_source` adds R4's `match.source` (the map's uri) beside `originMap`.
    """
    out: list[Resource] = [param("result", "boolean", outcome.result)]
    if outcome.message:
        out.append(param("message", "string", outcome.message))
    out.extend(_match(m, outcome, r5, map_as_source) for m in outcome.matches)
    out.extend(_mention(m) for m in outcome.mentions)
    return parameters(out)


def _mention(m: TextMention) -> Resource:
    """A recognised mention of a free-text input (this server's own output parameter)."""
    return part(
        "mention",
        [
            param("facet", "code", m.facet),
            param("text", "string", m.text),
            param("offset", "integer", m.offset),
            param("length", "integer", m.length),
            param("concept", "Coding", coding_json(m.concept)),
            param("status", "code", m.status),
        ],
    )
