"""What the note and sentence readers may change of the rules being built.

`plugin.compile.rules` builds the rules; the readers it calls see it through this protocol, so
their imports go one way.
"""

from __future__ import annotations

from typing import Any, Protocol

Doc = dict[str, Any]


class Builder(Protocol):
    """The rules document being built, the current variant and the open list mode."""

    doc: Doc
    cur: Doc | None
    mode: str | None
    mode_slot: Doc | None

    def variant(self, vid: str, label: str | None, kind: str, value: str) -> Doc: ...

    def current(self) -> Doc: ...

    def add_slot(self, role: str, cands: list[Doc], **kw: Any) -> Doc: ...

    def ambiguity(self, path: str, issue: str, chosen: str, others: list[str]) -> None: ...
