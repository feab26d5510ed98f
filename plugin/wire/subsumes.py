"""Rendering of $subsumes outcomes as Parameters (the same in R4 and R5)."""

from __future__ import annotations

from plugin.outcomes import SubsumesOutcome
from plugin.types import Resource
from plugin.wire.parameters import param, parameters


def render(outcome: SubsumesOutcome) -> Resource:
    """$subsumes output: the one `outcome` code."""
    return parameters([param("outcome", "code", outcome.outcome)])
