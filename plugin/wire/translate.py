"""Rendering of $translate outcomes as R4 or R5 Parameters.

The parameters are written as literal dicts (not through `param()`): this runs once per
answer of the hottest operation.
"""

from __future__ import annotations

from plugin.outcomes import TextMention, TranslateOutcome
from plugin.types import R4_TO_R5, Match, Product, Resource
from plugin.wire.parameters import coding_json, param, parameters, part


def _product(p: Product, r5: bool) -> Resource:
    # R4 names a product's parts element/concept, R5 attribute/value.
    if r5:
        parts = [
            {"name": "attribute", "valueUri": p.property},
            {"name": "value", "valueCoding": coding_json(p.coding)},
        ]
    else:
        parts = [
            {"name": "element", "valueUri": p.property},
            {"name": "concept", "valueCoding": coding_json(p.coding)},
        ]
    return {"name": "product", "part": parts}


def _match(m: Match, outcome: TranslateOutcome, r5: bool, map_as_source: bool) -> Resource:
    parts: list[Resource] = []
    # R5-form reverse requests (targetCode...) follow the reference server: `concept` is the
    # map's target-side code and `source` the source-side answer. R4 `reverse=true` keeps the
    # R4 reading, where `concept` is the answer (HAPI's remote client reads it so).
    concept, other = (m.source, m.concept) if outcome.echo_source else (m.concept, m.source)
    if concept is not None:
        parts.append({"name": "concept", "valueCoding": coding_json(concept)})
    if r5:
        relationship = R4_TO_R5.get(m.equivalence, "related-to")
        parts.append({"name": "relationship", "valueCode": relationship})
    else:
        parts.append({"name": "equivalence", "valueCode": m.equivalence})
    for p in m.products:
        parts.append(_product(p, r5))
    # Both versions name the map as `originMap` (canonical url|version): R5 defines it, and the
    # HL7 test suite and the reference server send it on R4 too. R4's own `source` (the map's
    # uri) is added only for requests made with R4 names, because the suite and the reference
    # server read `source` as the source Coding of an R5-form reverse match.
    parts.append({"name": "originMap", "valueCanonical": m.origin_map})
    if outcome.echo_source and other is not None:
        parts.append({"name": "source", "valueCoding": coding_json(other)})
    elif map_as_source:
        parts.append({"name": "source", "valueUri": m.origin_map})
    if m.comment:
        parts.append({"name": "message", "valueString": m.comment})
    return {"name": "match", "part": parts}


def render(outcome: TranslateOutcome, r5: bool = False, map_as_source: bool = False) -> Resource:
    """$translate output: result, message (when no match), one `match` per mapping.

    `map_as_source` adds R4's `match.source` (the map's uri) beside `originMap`.
    """
    out: list[Resource] = [{"name": "result", "valueBoolean": outcome.result}]
    if outcome.message:
        out.append({"name": "message", "valueString": outcome.message})
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
