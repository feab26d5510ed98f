"""The raw query-string parser reads exactly what `parse_qsl` + `parse_query` read."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.errors import FhirError
from plugin.ops import lookup, translate
from plugin.ops.params import Args, Param, parse_query, parse_query_string

PARAMS = translate.PARAMS


def _both(params: tuple[Param, ...], query: str) -> tuple[Args | str, Args | str]:
    def run(fn: Callable[[], Args]) -> Args | str:
        try:
            return fn()
        except FhirError as exc:
            return f"{exc.http_status} {exc}"

    slow = run(lambda: parse_query(params, parse_qsl(query, keep_blank_values=True)))
    fast = run(lambda: parse_query_string(params, query))
    return slow, fast


@pytest.mark.parametrize(
    "query",
    [
        "system=http://x.org/cs&code=a",
        "code=a+b&system=http%3A%2F%2Fx.org",
        "sourceCode=a&sourceSystem=s&targetSystem=t",
        "coding=http://x.org|c&reverse=true",
        "reverse=yes&code=a",
        "code=a&code=b",
        "&&code=&=x&system",
        "co%64e=%E2%9C%93&system=s",
        "unknown=1&_format=json&code=a",
        "code=%ZZ&system=%",
    ],
)
@pytest.mark.parametrize("params", [PARAMS, lookup.OPERATION.params])
def test_same_reading_as_parse_qsl(query: str, params: tuple[Param, ...]) -> None:
    slow, fast = _both(params, query)
    assert slow == fast


_NAMES = ["system", "code", "coding", "reverse", "sourceCode", "co%64e", "x", "", "tx-resource"]
_VALUES = st.text(alphabet="ab=+%2C3E9|:/ ", max_size=12)


@given(
    st.lists(st.tuples(st.sampled_from(_NAMES), st.sampled_from(["=", ""]), _VALUES), max_size=5)
)
def test_same_reading_for_any_query(items: list[tuple[str, str, str]]) -> None:
    query = "&".join(name + eq + value for name, eq, value in items)
    slow, fast = _both(PARAMS, query)
    assert slow == fast


_PIECES = [*"%+ab2CFEe90 ", "%20", "%2C", "%2c", "%25", "%2B", "%E2%9C%93", "%C3", "%28"]
_ESCAPED = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)


@given(text=_ESCAPED | st.text(max_size=20))
def test_unquote_decodes_as_unquote_plus(text: str) -> None:
    """The fast decoder of query values answers exactly as the standard library's."""
    from urllib.parse import unquote_plus

    from plugin.ops.params import unquote

    assert unquote(text) == unquote_plus(text)
