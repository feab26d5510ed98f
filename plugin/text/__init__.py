"""The free-text recogniser: procedure descriptions -> facet values -> source codings.

`read_text(text, store)` reads a description against the vocabulary built from `store`'s
CodeSystems (see `vocabulary`); the result feeds the same ConceptMap engine as coded input.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from plugin.content.core import without_core
from plugin.content.store import Store
from plugin.text.matcher import Matcher
from plugin.text.reading import Reading, read
from plugin.text.vocabulary import Vocabulary, build

__all__ = ["Reading", "Vocabulary", "matcher_for", "memoise", "read_text"]

_MATCHERS: WeakKeyDictionary[Store, Matcher] = WeakKeyDictionary()


def matcher_for(store: Store) -> Matcher:
    """The matcher for a store's vocabulary, built once per store (content is immutable).

    The vocabulary comes from the loaded content only, never from the FHIR core fallback.
    """
    found = _MATCHERS.get(store)
    if found is None:
        found = Matcher(build(without_core(store)))
        _MATCHERS[store] = found
    return found


def memoise(store: Store, enabled: bool) -> None:
    """Keep (default) or drop the recogniser's memos of words and readings for `store`."""
    matcher_for(store).set_memo(enabled)


def read_text(text: str, store: Store) -> Reading:
    """Read a procedure description against the vocabulary of `store`."""
    return read(text, matcher_for(store))
