"""The comparison rules of the HL7 terminology test suite, written for this project.

The reference is `CompareUtilities` (JSON part) in hapifhir/org.hl7.fhir.core
(`org.hl7.fhir.r5/src/main/java/org/hl7/fhir/r5/test/utils/CompareUtilities.java`), whose rules
the suite's expected responses are written against
(https://github.com/HL7/fhir-tx-ecosystem-ig/blob/main/tests/readme.md). Implemented:

- objects: every actual property must be expected (except in pattern mode) and every expected
  property present, unless it is listed in `$optional-properties$` (`*` = all; such a property
  may be present or absent) or is an array whose items are all `$optional$`; `fhir_comments`
  is ignored;
- arrays: same order; items marked `$optional$` may be missing (`true`, a mode name, `!mode`,
  `version:N` when the FHIR version starts with N, or `warning:text`, which records a
  warning); `$count-arrays$` compares only the length; pattern mode looks for each expected
  item in order among the actual items;
- `$only$` (newer suites; defined on the suite's testing page, "$optional$ and $only$"): an
  object (array item or property value) marked with a filter of `$optional$`'s grammar belongs
  to the versions or modes the filter passes: there it is required, elsewhere it must be
  absent (it is taken out of the expected response before the comparison, so an actual one is
  unexpected);
- strings: equal, or a template: `$$`, `$choice:a|b$`, `$fragments:a|b$` (case-insensitive
  containment), `$external:id:fragments$`, `$instant$`, `$date$`, `$uuid$`, `$string$`, `$id$`,
  `$url$`, `$token$`, `$semver$`, `$version$` (the FHIR version variable, also substituted
  inside a longer string such as `url|$version$`); two strings that decode
  to the same non-empty base64 bytes are equal, and two narratives (`<div`) are not compared;
- numbers are compared as their JSON text (`1.0` is not `1`), booleans by value, `null` only
  with `null`.

Left out: the XML and plain-text comparisons (the suite is JSON only) and the external diff
tool. A difference is reported as a message (the first one found), `None` when equal.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Num:
    """A JSON number kept as its source text (the reference compares numbers as text)."""

    text: str


def load_exact(text: str) -> Any:
    """Parse JSON keeping every number as a `Num` of its exact text."""
    return json.loads(text, parse_int=Num, parse_float=Num, parse_constant=Num)


def plain(value: Any) -> Any:
    """The same JSON with `Num`s turned back into Python numbers (for sending and printing)."""
    if isinstance(value, Num):
        return json.loads(value.text)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


_DATE = (
    r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])"
)
_TIME = r"T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{1,9})?"
_ZONE = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_SEMVER_ID = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
# Whole-string patterns of the simple templates.
TEMPLATES: dict[str, str] = {
    "$instant$": _DATE + _TIME + _ZONE,
    "$date$": _DATE + "(" + _TIME + _ZONE + ")?",
    "$uuid$": r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "$id$": r"[A-Za-z0-9\-.]{1,64}",
    "$url$": r"(https?://|www\.)[-a-zA-Z0-9+&@#/%?=~_|!:.;]*[-a-zA-Z0-9+&@#/%=~_|]",
    "$token$": r"[0-9a-zA-Z_][0-9a-zA-Z_.\-]*",
    "$semver$": r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    + rf"(?:-({_SEMVER_ID}(?:\.{_SEMVER_ID})*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?",
}


def _base64_bytes(text: str) -> bytes:
    """Lenient base64 decoding: characters outside the alphabet are skipped; b'' if undecodable."""
    kept = re.sub(r"[^A-Za-z0-9+/]", "", text.split("=", 1)[0])
    if len(kept) % 4 == 1:
        kept = kept[:-1]
    try:
        return base64.b64decode(kept + "=" * (-len(kept) % 4))
    except (binascii.Error, ValueError):
        return b""


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "primitive"


@dataclass
class Comparer:
    """One comparison, configured as the reference is: modes, external strings, variables."""

    modes: Set[str] = frozenset()
    externals: Mapping[str, str] | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    pattern: bool = False
    warnings: list[str] = field(default_factory=list)

    def compare(self, test_id: str, expected: Any, actual: Any) -> str | None:
        """The first difference between an expected and an actual JSON object, or None."""
        return self._objects(test_id, "", self._only(expected), actual)

    def _only(self, node: Any) -> Any:
        """`node` without the objects whose `$only$` filter fails here, and without the marker
        on those that stay (which are then required like any other)."""
        if isinstance(node, list):
            return [self._only(v) for v in node if self._belongs(v)]
        if isinstance(node, dict):
            return {k: self._only(v) for k, v in node.items() if k != "$only$" and self._belongs(v)}
        return node

    def _belongs(self, node: Any) -> bool:
        flag = node.get("$only$") if isinstance(node, dict) else None
        return not isinstance(flag, str) or self._passes(flag)

    # -- messages
    def _differ(self, test_id: str, what: str, expected: str | None, actual: str) -> str:
        sep = ". " if self.pattern else "\n"
        return (
            f'{what}{sep}Expected:{self._present(expected)} for {test_id}{sep}Actual  :"{actual}"'
        )

    def _present(self, expected: str | None) -> str:
        if expected is None:
            return "null"
        if not (expected.startswith("$") and expected.endswith("$")):
            return f'"{expected}"'
        if expected.startswith("$choice:"):
            return f"Contains one of {expected[8:-1].split('|')}"
        if expected.startswith("$fragments:"):
            return f"Contains all of {expected[11:-1].split('|')}"
        if expected == "$version$":
            return self.variables.get("version", "(anything)")
        return expected

    # -- objects
    def _objects(
        self, test_id: str, path: str, exp: dict[str, Any], act: dict[str, Any]
    ) -> str | None:
        optional = set(exp.get("$optional-properties$", []))
        if optional:
            optional |= {"$optional-properties$", "$count-arrays$"}
        count_only = set(exp.get("$count-arrays$", []))
        for name, value in act.items():
            if name == "fhir_comments":
                continue
            if name in exp:
                diff = self._nodes(test_id, f"{path}.{name}", exp[name], value, name in count_only)
                if diff:
                    return diff
            elif not (self.pattern or "*" in optional or name in optional):
                return f"properties differ at {path}: unexpected property {name}"
        for name, value in exp.items():
            if name in ("fhir_comments", "$optional$") or "*" in optional or name in optional:
                continue
            if name not in act and not self._all_optional(value):
                return f"properties differ at {path}: missing property {name}"
        return None

    @staticmethod
    def _all_optional(value: Any) -> bool:
        return isinstance(value, list) and all(
            not isinstance(v, dict) or "$optional$" in v for v in value
        )

    # -- any node
    def _nodes(self, test_id: str, path: str, exp: Any, act: Any, count_only: bool) -> str | None:
        if _kind(exp) != _kind(act):
            return self._differ(test_id, f"properties differ at {path}", _kind(exp), _kind(act))
        if isinstance(act, dict):
            return self._objects(test_id, path, exp, act)
        if isinstance(act, list):
            if count_only:
                if len(act) != len(exp):
                    return self._differ(
                        test_id, f"array item count differs at {path}", str(len(exp)), str(len(act))
                    )
                return None
            if self.pattern:
                return self._pattern_array(test_id, path, exp, act)
            return self._array(test_id, path, exp, act)
        return self._primitives(test_id, path, exp, act)

    def _primitives(self, test_id: str, path: str, exp: Any, act: Any) -> str | None:
        if isinstance(exp, bool) and isinstance(act, bool):
            if exp == act:
                return None
            return self._differ(
                test_id, f"boolean property values differ at {path}", str(exp), str(act)
            )
        if isinstance(exp, str) and isinstance(act, str):
            if ("<div" in act and "<div" in exp) or self._matches(act, exp):
                return None
            decoded = _base64_bytes(act)
            if decoded and decoded == _base64_bytes(exp):
                return None
            return self._differ(test_id, f"string property values differ at {path}", exp, act)
        exp_num, act_num = _number_text(exp), _number_text(act)
        if exp_num is not None and act_num is not None:
            if exp_num == act_num:
                return None
            what = f"number property values differ at {path}"
            return self._differ(test_id, what, exp_num, act_num)
        if exp is None:
            if act is None:
                return None
            return self._differ(test_id, f"null Properties differ at {path}", "null", str(act))
        return self._differ(test_id, f"property types differ at {path}", str(exp), str(act))

    # -- arrays
    def _array(self, test_id: str, path: str, exp: Sequence[Any], act: Sequence[Any]) -> str | None:
        optional = [self._is_optional(e) for e in exp]
        if len(act) > len(exp) or len(act) < len(exp) - sum(optional):
            return self._differ(
                test_id, f"array item count differs at {path}", str(len(exp)), str(len(act))
            )
        used = 0
        for i, item in enumerate(exp):
            if used >= len(act):
                if all(optional[i:]):
                    warning = self._warning(item)
                    if warning:
                        self.warnings.append(warning)
                    return None
                return f"One or more array items did not match at {path} starting at index {i}"
            diff = self._nodes(test_id, f"{path}[{i}]", item, act[used], False)
            if diff is None:
                used += 1
            elif not optional[i]:
                return diff
        if used < len(act):
            return f"Unexpected Node found in array at '{path}' at index {used}"
        return None

    def _pattern_array(
        self, test_id: str, path: str, exp: Sequence[Any], act: Sequence[Any]
    ) -> str | None:
        cursor = 0
        for i, item in enumerate(exp):
            tried: list[str] = []
            while cursor < len(act):
                diff = self._nodes(test_id, f"{path}[{i}]", item, act[cursor], False)
                cursor += 1
                if diff is None:
                    break
                tried.append(diff)
            else:
                return f"The expected item at {path} at index {i} was not found: " + "; ".join(
                    tried
                )
        return None

    def _is_optional(self, item: Any) -> bool:
        flag = item.get("$optional$") if isinstance(item, dict) else None
        if isinstance(flag, bool):
            return flag
        if not isinstance(flag, str):
            return False
        return self._passes(flag)

    def _passes(self, flag: str) -> bool:
        """The filter of `$optional$` and `$only$`: `warning:`, `version:N`, `!mode`, `mode`."""
        if flag.startswith("warning:"):
            return True
        if flag.startswith("version:"):
            return self.variables.get("version", "").startswith(flag[len("version:") :])
        if flag.startswith("!"):
            return flag[1:] not in self.modes
        return flag in self.modes

    @staticmethod
    def _warning(item: Any) -> str | None:
        flag = item.get("$optional$") if isinstance(item, dict) else None
        if isinstance(flag, str) and flag.startswith("warning:"):
            return flag[len("warning:") :]
        return None

    # -- string templates
    def _matches(self, actual: str, expected: str) -> bool:
        if not (len(expected) > 1 and expected.startswith("$") and expected.endswith("$")):
            if "version" in self.variables:
                expected = expected.replace("$version$", self.variables["version"])
            return actual == expected
        body = expected[1:-1]
        if body.startswith("choice:"):
            return actual in body[len("choice:") :].split("|")
        if body.startswith("fragments:"):
            return _contains_all(actual, body[len("fragments:") :])
        if body.startswith("external:"):
            parts = body.split(":")
            if self.externals is not None:
                return actual == self.externals.get(parts[1])
            return len(parts) <= 2 or _contains_all(actual, parts[2])
        if expected == "$$":
            return True
        if expected == "$string$":
            return actual == actual.strip()
        if expected == "$version$":
            return actual == self.variables.get("version", actual)
        if expected in TEMPLATES:
            return re.fullmatch(TEMPLATES[expected], actual) is not None
        raise ValueError(f"Unhandled template: {expected}")


def _number_text(value: Any) -> str | None:
    if isinstance(value, Num):
        return value.text
    if isinstance(value, int | float) and not isinstance(value, bool):
        return json.dumps(value)
    return None


def _contains_all(actual: str, fragments: str) -> bool:
    low = actual.lower()
    return all(f.lower() in low for f in fragments.split("|"))
