#!/usr/bin/env python3
# Vendored from the nice-tx steering repository (tools/run_txsuite.py), written by the
# project's own steering team: a Python port of the HL7 Java TxTester runner
# (org.hl7.fhir.validation.special.TxTester). Kept byte-for-byte apart from this header so
# results stay comparable with the reference runner; driven by tests/txsuite/harness.py.
"""Standalone runner for the HL7 FHIR terminology ecosystem test suite.

The test data (test-cases.json plus request/response JSON files) comes from the
HL7 repository fhir-tx-ecosystem-ig (folder tests/).  The reference runner is the
Java class org.hl7.fhir.validation.special.TxTester (hapifhir/org.hl7.fhir.core).
This script re-implements that runner's behaviour in Python (stdlib + httpx; it
falls back to urllib when httpx is not installed):

  * which suites/tests run (modes, disabled, version, name filter),
  * how each request is built and sent (tx-resource setup parameters, the
    profile parameters, GET-vs-POST rule, headers),
  * how the response is classified (resource vs OperationOutcome error),
  * R5 <-> R4 conversion of the parts that matter for terminology resources
    (the test files are R5; an R4 server is talked to in R4),
  * the scrubbing, sorting and JSON comparison rules (CompareUtilities),
    including the $optional$, $optional-properties$, $count-arrays$, $$,
    $instant$, $id$, $uuid$, $external:..$, $choice:..$, $fragments:..$ etc.

See research/txsuite.md in the steering repository for what is and is not
replicated.  Usage:

  python run_txsuite.py --base http://127.0.0.1:8000/r4 \
      --suite-dir shared/txsuite/tests --fhir-version 4.0 \
      [--suites simple-cases,translate] [--tests translate-1] \
      [--modes general] [--json-out result.json] [--output-dir out/]

Prints one PASS/FAIL line per test and finishes with 'N passed, N failed'.
Exit code 0 when every executed test passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import functools
import json
import os
import re
import sys
import time
import urllib.parse

try:  # httpx is preferred; urllib is the fallback
    import httpx  # type: ignore
except Exception:  # pragma: no cover
    httpx = None
    import urllib.request
    import urllib.error


# ---------------------------------------------------------------------------
# JSON with exact number text (the Java JSON model compares numbers as text)
# ---------------------------------------------------------------------------

class JNum:
    """A JSON number kept as its source text."""
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = str(text)

    def __repr__(self):
        return self.text

    def __eq__(self, other):
        return isinstance(other, JNum) and other.text == self.text

    def __hash__(self):
        return hash(self.text)


def loads_exact(text):
    return json.loads(text, parse_int=JNum, parse_float=JNum, parse_constant=JNum)


def _plain(o):
    if isinstance(o, JNum):
        return json.loads(o.text)
    if isinstance(o, dict):
        return {k: _plain(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_plain(v) for v in o]
    return o


def dumps(o, pretty=False):
    return json.dumps(_plain(o), indent=2 if pretty else None, ensure_ascii=False,
                      separators=None if pretty else (",", ":"))


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8-sig")


def load_json(path):
    return json.loads(read_text(path))


def prim_str(v):
    """Java primitiveValue() of a JSON primitive."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, JNum):
        return v.text
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        return v
    return None


def value_key(obj):
    """Return the value[x] key of a Parameters.parameter / Extension-like object."""
    for k in obj:
        if k.startswith("value") and len(k) > 5 and k[5].isupper():
            return k
    return None


PRIMITIVE_SUFFIXES = {
    "Base64Binary", "Boolean", "Canonical", "Code", "Date", "DateTime", "Decimal",
    "Id", "Instant", "Integer", "Integer64", "Markdown", "Oid", "PositiveInt",
    "String", "Time", "UnsignedInt", "Uri", "Url", "Uuid"}
URI_SUFFIXES = {"Uri", "Url", "Canonical", "Oid", "Uuid"}


# ---------------------------------------------------------------------------
# Constants taken from the Java sources
# ---------------------------------------------------------------------------

EXT_VS_EXP_PROP = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.property"
EXT_EXP_VS_CONT_PROP = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.contains.property"
EXT_VALUESET_FILTER_OP = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.compose.include.filter.op"
EXT_VERSION_ALGORITHM = "http://hl7.org/fhir/5.0/StructureDefinition/extension-CanonicalResource.versionAlgorithm"
EXT_CM_NOMAP_COMMENT = "http://hl7.org/fhir/4.0/StructureDefinition/extension-ConceptMap.group.element.target.comment"
EXT_OLD_CONCEPTMAP_EQUIVALENCE = "http://hl7.org/fhir/1.0/StructureDefinition/extension-ConceptMap.element.target.equivalence"

# TxTesterScrubbers.isManagedExtension: these absolute URLs survive the scrub
MANAGED_EXTENSIONS = {
    "http://hl7.org/fhir/StructureDefinition/codesystem-alternate",
    "http://hl7.org/fhir/StructureDefinition/codesystem-conceptOrder",
    "http://hl7.org/fhir/StructureDefinition/codesystem-label",
    "http://hl7.org/fhir/StructureDefinition/coding-sctdescid",
    "http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status",
    "http://hl7.org/fhir/StructureDefinition/itemWeight",
    "http://hl7.org/fhir/StructureDefinition/rendering-style",
    "http://hl7.org/fhir/StructureDefinition/rendering-xhtml",
    "http://hl7.org/fhir/StructureDefinition/translation",
    "http://hl7.org/fhir/StructureDefinition/valueset-concept-definition",
    "http://hl7.org/fhir/StructureDefinition/valueset-conceptOrder",
    "http://hl7.org/fhir/StructureDefinition/valueset-deprecated",
    "http://hl7.org/fhir/StructureDefinition/valueset-label",
    "http://hl7.org/fhir/StructureDefinition/valueset-supplement",
    "http://hl7.org/fhir/test/CodeSystem/de-multi",
    "http://hl7.org/fhir/test/CodeSystem/en-multi",
    "http://hl7.org/fhir/test/StructureDefinition/unknown-extension-1",
    "http://hl7.org/fhir/test/StructureDefinition/unknown-extension-3",
    "http://hl7.org/fhir/test/StructureDefinition/unknown-extension-4",
    "http://hl7.org/fhir/test/StructureDefinition/unknown-extension-5",
    "http://hl7.org/fhir/test/ValueSet/extensions-bad-supplement",
    "http://hl7.org/fhir/test/ValueSet/simple-all",
    "http://hl7.org/fhir/test/ValueSet/simple-enumerated",
    "http://hl7.org/fhir/StructureDefinition/alternate-code-use",
    "http://hl7.org/fhir/StructureDefinition/alternate-code-status",
    "http://hl7.org/fhir/StructureDefinition/operationoutcome-message-id",
    "http://hl7.org/fhir/test/ValueSet/simple-filter-isa",
    "http://hl7.org/fhir/StructureDefinition/valueset-unclosed",
    "http://hl7.org/fhir/StructureDefinition/valueset-unclosed-reason",
}

# RegexConstants (Java String.matches = full match)
ID_REGEX = r"[A-Za-z0-9\-\.]{1,64}"
INSTANT_REGEX = (r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])"
                 r"T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{1,9})?"
                 r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))")
DATE_REGEX = (r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])"
              r"(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{1,9})?"
              r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?")
URN_UUID_REGEX = r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# Java's [[:blank:|:blank:]] is a union character class = [:blank|]
URL_REGEX = r"^(((https?)://)(%[0-9A-Fa-f]{2}|[-()_.!~*';/?:@&=+$,A-Za-z0-9])+)([).!';/?:,][:blank|])?$"
TOKEN_REGEX = r"[0-9a-zA-Z_][0-9a-zA-Z_\.\-]*"
SEMVER_REGEX = r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z\-\.]+)?(\+[0-9A-Za-z\-\.]+)?"


# ---------------------------------------------------------------------------
# CompareUtilities (JSON part) - a line-by-line port
# ---------------------------------------------------------------------------

_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_B64["-"] = 62  # Apache commons-codec decodes the URL-safe alphabet too
_B64["_"] = 63


def un_base64(text):
    """Apache commons-codec Base64.decodeBase64 (lenient): ignores non-alphabet chars."""
    out = bytearray()
    acc = 0
    mod = 0
    for ch in text:
        if ch == "=":
            break
        v = _B64.get(ch)
        if v is None:
            continue
        acc = (acc << 6) | v
        mod = (mod + 1) % 4
        if mod == 0:
            out += bytes(((acc >> 16) & 0xFF, (acc >> 8) & 0xFF, acc & 0xFF))
            acc = 0
    if mod == 2:
        out.append((acc >> 4) & 0xFF)
    elif mod == 3:
        out += bytes(((acc >> 10) & 0xFF, (acc >> 2) & 0xFF))
    return bytes(out)


def same_bytes(b1, b2):
    if len(b1) == 0 or len(b2) == 0:
        return False
    return b1 == b2


def java_trim(s):
    return s.strip("".join(chr(i) for i in range(33)))


def jtype(v):
    if isinstance(v, dict):
        return "JsonObject"
    if isinstance(v, list):
        return "JsonArray"
    if v is None:
        return "JsonNull"
    if isinstance(v, bool):
        return "JsonBoolean"
    if isinstance(v, JNum) or isinstance(v, (int, float)):
        return "JsonNumber"
    return "JsonString"


def is_primitive(v):
    return jtype(v) in ("JsonNull", "JsonBoolean", "JsonNumber", "JsonString")


class Comparer:
    def __init__(self, modes, externals, variables, pattern=False):
        self.modes = modes
        self.externals = externals
        self.variables = variables or {}
        self.pattern = pattern
        self.warnings = []

    # -- messages
    def _present_expected(self, expected):
        if expected is None:
            return "null"
        if expected.startswith("$") and expected.endswith("$"):
            if expected.startswith("$choice:"):
                return "Contains one of " + str(expected[8:-1].split("|"))
            if expected.startswith("$fragments:"):
                return "Contains all of " + str(expected[11:-1].split("|"))
            if expected.startswith("$external:"):
                cmd = expected[1:-1].split(":")
                if self.externals is not None:
                    return '"%s" (Ext)' % self.externals.get(cmd[1])
                frag = cmd[2].split("|") if len(cmd) > 2 else []
                return "Contains all of %s (because no external string provided for %s)" % (frag, cmd[1])
            return {"$$": "$$", "$instant$": '"An Instant"', "$date$": '"A date"', "$uuid$": '"A Uuid"',
                    "$string$": '"A string"', "$id$": '"An Id"', "$url$": '"A URL"', "$token$": '"A Token"',
                    "$version$": self.variables.get("version", "(anything)"),
                    "$semver$": "A semver"}.get(expected, "Unhandled template: " + expected)
        return '"%s"' % expected

    def _not_equal(self, id_, message, expected, actual):
        return "%s. Expected:%s for %s. Actual  :\"%s\"" % (message, self._present_expected(expected), id_, actual)

    # -- optional handling
    def _passes_optional_filter(self, token):
        if token.startswith("!"):
            return self.modes is None or token[1:] not in self.modes
        if token.startswith("warning:"):
            return True
        if token.startswith("version:"):
            v = self.variables.get("version")
            return v is not None and v.startswith(token[8:])
        return self.modes is not None and token in self.modes

    def _is_optional(self, e):
        if isinstance(e, dict):
            o = e.get("$optional$", None)
            if isinstance(o, str) and self._passes_optional_filter(o):
                return True
            if isinstance(o, bool) and o:
                return True
        return False

    @staticmethod
    def _optional_warning(e):
        if isinstance(e, dict):
            o = e.get("$optional$")
            if isinstance(o, str) and o.startswith("warning:"):
                return o[len("warning:"):]
        return None

    def _optional_count(self, arr):
        c = 0
        for e in arr:
            if isinstance(e, dict):
                o = e.get("$optional$", None)
                if isinstance(o, str) and self._passes_optional_filter(o):
                    c += 1
                if isinstance(o, bool) and o:
                    c += 1
        return c

    def _count_expected_min(self, arr):
        return len(arr) - sum(1 for e in arr if self._is_optional(e))

    @staticmethod
    def _list_optionals(exp):
        res = []
        if "$optional-properties$" in exp:
            res += ["$optional-properties$", "$count-arrays$"]
            res += [s for s in exp["$optional-properties$"] if isinstance(s, str)]
        return res

    @staticmethod
    def _list_count_onlys(exp):
        v = exp.get("$count-arrays$")
        return [s for s in v if isinstance(s, str)] if isinstance(v, list) else []

    @staticmethod
    def _all_optional(value):
        if isinstance(value, list):
            for e in value:
                if isinstance(e, dict) and "$optional$" not in e:
                    return False
            return True
        return False

    # -- the comparison
    def compare_objects(self, id_, path, exp, act):
        optionals = self._list_optionals(exp)
        count_onlys = self._list_count_onlys(exp)
        for n, v in act.items():
            if n == "fhir_comments":
                continue
            if n in exp:
                s = self.compare_nodes(id_, path + "." + n, exp[n], v, n in count_onlys, n, act)
                if s:
                    return s
            elif not self.pattern and n not in optionals:
                return "properties differ at %s: unexpected property %s" % (path, n)
        for n, v in exp.items():
            if n != "fhir_comments" and not (n == "$optional$" or "*" in optionals or n in optionals):
                if n not in act and not self._all_optional(v):
                    return "properties differ at %s: missing property %s" % (path, n)
        return None

    def compare_nodes(self, id_, path, exp, act, count_only, name, parent):
        if not (is_primitive(exp) and is_primitive(act)):
            if jtype(act) != jtype(exp):
                return self._not_equal(id_, "properties differ at " + path, jtype(exp), jtype(act))
        if is_primitive(act):
            ta, te = jtype(act), jtype(exp)
            if ta == "JsonBoolean" and te == "JsonBoolean":
                if act != exp:
                    return self._not_equal(id_, "boolean property values differ at " + path, prim_str(exp), prim_str(act))
            elif ta == "JsonString" and te == "JsonString":
                if not ("<div" in act and "<div" in exp):
                    if not self._matches(act, exp):
                        if not same_bytes(un_base64(act), un_base64(exp)):
                            return self._not_equal(id_, "string property values differ at " + path, exp, act)
            elif ta == "JsonNumber" and te == "JsonNumber":
                if prim_str(act) != prim_str(exp):
                    return self._not_equal(id_, "number property values differ at " + path, prim_str(exp), prim_str(act))
            elif te == "JsonNull":
                return None if ta == "JsonNull" else self._not_equal(id_, "null Properties differ at " + path, "null", prim_str(act))
            else:
                return self._not_equal(id_, "property types differ at " + path, prim_str(exp), prim_str(act))
        elif isinstance(act, dict):
            s = self.compare_objects(id_, path, exp, act)
            if s:
                return s
        elif isinstance(act, list):
            as_, es = len(act), len(exp)
            if count_only:
                if as_ != es:
                    return self._not_equal(id_, "array item count differs at " + path, str(es), str(as_))
            else:
                expected_min = self._count_expected_min(exp)
                oc = self._optional_count(exp)
                if self.pattern:
                    c = 0
                    for i in range(es):
                        s = "Doesn't exist"
                        cs = [""]
                        while s is not None and c < as_:
                            s = self.compare_nodes(id_, "%s[%d]" % (path, i), exp[i], act[c], False, None, None)
                            if s is not None:
                                cs.append("  " + s)
                            c += 1
                        if s is not None:
                            return "The expected item at %s at index %d was not found: %s" % (path, i, " | ".join(cs))
                else:
                    if as_ > es or as_ < expected_min:
                        return self._not_equal(id_, "array item count differs at " + path, str(es), str(as_))
                    c = 0
                    for i in range(es):
                        if c >= as_:
                            if i >= es - oc and self._is_optional(exp[i]):
                                wt = self._optional_warning(exp[i])
                                if wt is not None:
                                    self.warnings.append(wt)
                                return None  # as in Java: the rest is not checked
                            return "One or more array items did not match at %s starting at index %d" % (path, i)
                        s = self.compare_nodes(id_, "%s[%d]" % (path, i), exp[i], act[c], False, None, None)
                        if s and not self._is_optional(exp[i]):
                            return s
                        if not s:
                            c += 1
                    if c < as_:
                        return "Unexpected Node found in array at '%s' at index %d" % (path, c)
        else:
            return "unhandled property " + jtype(act)
        return None

    def _matches(self, actual, expected):
        if expected.startswith("$") and expected.endswith("$"):
            if expected.startswith("$choice:"):
                return actual in expected[8:-1].split("|")
            if expected.startswith("$fragments:"):
                return all(f.lower() in actual.lower() for f in expected[11:-1].split("|"))
            if expected.startswith("$external:"):
                cmd = expected[1:-1].split(":")
                if self.externals is not None:
                    return actual == self.externals.get(cmd[1])
                if len(cmd) <= 2:
                    return True
                return all(f.lower() in actual.lower() for f in cmd[2].split("|"))
            if expected == "$$":
                return True
            if expected == "$instant$":
                return re.fullmatch(INSTANT_REGEX, actual) is not None
            if expected == "$date$":
                return re.fullmatch(DATE_REGEX, actual) is not None
            if expected == "$uuid$":
                return re.fullmatch(URN_UUID_REGEX, actual) is not None
            if expected == "$string$":
                return actual == java_trim(actual)
            if expected == "$id$":
                return re.fullmatch(ID_REGEX, actual) is not None
            if expected == "$url$":
                return re.fullmatch(URL_REGEX, actual) is not None
            if expected == "$token$":
                return re.fullmatch(TOKEN_REGEX, actual) is not None
            if expected == "$semver$":
                return re.fullmatch(SEMVER_REGEX, actual) is not None
            if expected == "$version$":
                return actual == self.variables["version"] if "version" in self.variables else True
            raise TxError("Unhandled template: " + expected)
        if "$version$" in expected and "version" in self.variables:
            expected = expected.replace("$version$", self.variables["version"])
        return actual == expected


# ---------------------------------------------------------------------------
# Errors and small helpers
# ---------------------------------------------------------------------------

class TxError(Exception):
    """A failure that the Java runner reports as an exception (test fails)."""


class ServerError(Exception):
    """EFhirClientException: non-2xx, or an OperationOutcome with error/fatal issues."""

    def __init__(self, code, oo, message):
        super().__init__(message)
        self.code = code
        self.oo = oo


def is_token(s):
    if not s:
        return False
    if not s[0].isascii() or not s[0].isalpha():
        return False
    return all((c.isascii() and (c.isalnum())) or c in "_[]" for c in s[1:])


def is_absolute_url(ref):
    if ref is not None and ":" in ref:
        scheme, details = ref.split(":", 1)
        return ((scheme in ("http", "https", "urn", "file:") or (is_token(scheme) and scheme == scheme.lower())
                 or ref.startswith(("urn:iso:", "urn:iso-iec:", "urn:iso-cie:", "urn:iso-astm:", "urn:iso-ieee:", "urn:iec:")))
                and len(details) > 0 and " " not in details)
    return False


def prune(o):
    """Drop empty objects/arrays/nulls (the Java composer never writes empty elements)."""
    if isinstance(o, dict):
        for k in list(o.keys()):
            v = o[k]
            if isinstance(v, (dict, list)):
                prune(v)
            if v is None or (isinstance(v, (dict, list)) and len(v) == 0):
                del o[k]
    elif isinstance(o, list):
        for i, v in enumerate(o):
            if isinstance(v, (dict, list)):
                prune(v)
        # None placeholders are kept (they align '_x' arrays with their primitive arrays)
        o[:] = [v for v in o if not (isinstance(v, dict) and len(v) == 0)]
    return o


def strip_unparseable_keys(o):
    """Keys the Java parser ignores in source files (e.g. 'definition:de', fhir_comments)."""
    if isinstance(o, dict):
        for k in list(o.keys()):
            if k == "fhir_comments" or ":" in k:
                del o[k]
            else:
                strip_unparseable_keys(o[k])
    elif isinstance(o, list):
        for v in o:
            strip_unparseable_keys(v)
    return o


# ---------------------------------------------------------------------------
# Minimal element tables (to mimic what the Java parsers keep)
# ---------------------------------------------------------------------------

BB = {"id", "extension", "modifierExtension"}
DR = {"resourceType", "id", "meta", "implicitRules", "language", "text", "contained", "extension", "modifierExtension"}
CANON = {"url", "identifier", "version", "name", "title", "status", "experimental", "date", "publisher", "contact",
         "description", "useContext", "jurisdiction", "purpose", "copyright"}
CS_PROP_VALUES = {"valueCode", "valueCoding", "valueString", "valueInteger", "valueBoolean", "valueDateTime", "valueDecimal"}
EXP_PARAM_VALUES = {"valueString", "valueBoolean", "valueInteger", "valueDecimal", "valueUri", "valueCode", "valueDateTime"}

SELF = "SELF"


def _spec(keys, children=None):
    d = {k: None for k in keys}
    for k, v in (children or {}).items():
        d[k] = v
    return d


# R4 structures used for the request-side conversion
R4_CS_CONCEPT = _spec(BB | {"code", "display", "definition"}, {
    "designation": _spec(BB | {"language", "use", "value"}),
    "property": _spec(BB | {"code"} | CS_PROP_VALUES),
    "concept": SELF})
R4_CODESYSTEM = _spec(DR | CANON | {"caseSensitive", "valueSet", "hierarchyMeaning", "compositional", "versionNeeded",
                                    "content", "supplements", "count"}, {
    "filter": _spec(BB | {"code", "description", "operator", "value"}),
    "property": _spec(BB | {"code", "uri", "description", "type"}),
    "concept": R4_CS_CONCEPT})
R4_VS_CONCEPT_SET = _spec(BB | {"system", "version", "valueSet"}, {
    "concept": _spec(BB | {"code", "display"}, {"designation": _spec(BB | {"language", "use", "value"})}),
    "filter": _spec(BB | {"property", "op", "value"})})
R4_VS_CONTAINS = _spec(BB | {"system", "abstract", "inactive", "version", "code", "display"}, {
    "designation": _spec(BB | {"language", "use", "value"}),
    "contains": SELF})
R4_VALUESET = _spec(DR | CANON | {"immutable"}, {
    "compose": _spec(BB | {"lockedDate", "inactive"}, {"include": R4_VS_CONCEPT_SET, "exclude": R4_VS_CONCEPT_SET}),
    "expansion": _spec(BB | {"identifier", "timestamp", "total", "offset"}, {
        "parameter": _spec(BB | {"name"} | EXP_PARAM_VALUES),
        "contains": R4_VS_CONTAINS})})

# Response-side tables (Parameters / OperationOutcome / ValueSet expansion), R4 and R5
OO_SPEC = _spec(DR, {"issue": _spec(BB | {"severity", "code", "details", "diagnostics", "location", "expression"})})
R5_VS_CONTAINS = _spec(BB | {"system", "abstract", "inactive", "version", "code", "display"}, {
    "designation": _spec(BB | {"language", "use", "additionalUse", "value"}),
    "property": _spec(BB | {"code"} | CS_PROP_VALUES, {"subProperty": _spec(BB | {"code"} | CS_PROP_VALUES)}),
    "contains": SELF})
R5_VALUESET_RESP = _spec(DR | CANON | {"immutable", "versionAlgorithmString", "versionAlgorithmCoding", "copyrightLabel",
                                       "approvalDate", "lastReviewDate", "effectivePeriod", "topic", "author", "editor",
                                       "reviewer", "endorser", "relatedArtifact", "compose", "scope"}, {
    "expansion": _spec(BB | {"identifier", "next", "timestamp", "total", "offset"}, {
        "parameter": _spec(BB | {"name"} | EXP_PARAM_VALUES),
        "property": _spec(BB | {"code", "uri"}),
        "contains": R5_VS_CONTAINS})})
R4_VALUESET_RESP = _spec(DR | CANON | {"immutable", "compose"}, {
    "expansion": _spec(BB | {"identifier", "timestamp", "total", "offset"}, {
        "parameter": _spec(BB | {"name"} | EXP_PARAM_VALUES),
        "contains": R4_VS_CONTAINS})})


def apply_spec(obj, spec, parent_spec=None):
    """Keep only the keys named in spec (plus their '_x' primitive siblings); recurse."""
    if spec is SELF:
        spec = parent_spec
    if isinstance(obj, list):
        return [apply_spec(v, spec, parent_spec) if isinstance(v, dict) else v for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    for k, v in obj.items():
        base = k[1:] if k.startswith("_") else k
        if base not in spec:
            continue
        child = spec[base]
        if child is not None and not k.startswith("_") and isinstance(v, (dict, list)):
            out[k] = apply_spec(v, child, spec)
        else:
            out[k] = v
    return out


def parameters_keep_known(p, resource_filter):
    """Parameters: keep resourceType,id,meta,implicitRules,language,parameter; parameter keeps known keys."""
    out = {k: v for k, v in p.items() if k in ("resourceType", "id", "meta", "implicitRules", "language", "parameter")}

    def fix(par):
        r = {}
        for k, v in par.items():
            if k in ("id", "extension", "modifierExtension", "name", "resource", "part") or \
                    (k.startswith("value") and len(k) > 5 and k[5].isupper()) or \
                    (k.startswith("_") and (k[1:] == "name" or k[1:].startswith("value"))):
                r[k] = v
        if isinstance(r.get("resource"), dict):
            r["resource"] = resource_filter(r["resource"])
        if isinstance(r.get("part"), list):
            r["part"] = [fix(x) for x in r["part"] if isinstance(x, dict)]
        return r

    if isinstance(out.get("parameter"), list):
        out["parameter"] = [fix(x) for x in out["parameter"] if isinstance(x, dict)]
    return out


def keep_known_response(res, r4):
    """Mimic the Java parser silently ignoring unknown JSON properties (partial)."""
    if not isinstance(res, dict):
        return res
    rt = res.get("resourceType")
    if rt == "Parameters":
        return parameters_keep_known(res, lambda r: keep_known_response(r, r4))
    if rt == "OperationOutcome":
        return apply_spec(res, OO_SPEC)
    if rt == "ValueSet":
        return apply_spec(res, R4_VALUESET_RESP if r4 else R5_VALUESET_RESP)
    return res


# ---------------------------------------------------------------------------
# R5 -> R4 (requests) and R4 -> R5 (responses); subset of VersionConvertor_40_50
# ---------------------------------------------------------------------------

R4_VS_FILTER_OPS = {"=", "is-a", "descendent-of", "is-not-a", "regex", "in", "not-in", "generalizes", "exists"}
R4_CS_FILTER_OPS = R4_VS_FILTER_OPS
REL_TO_EQUIV = {"related-to": "relatedto", "equivalent": "equivalent", "source-is-narrower-than-target": "wider",
                "source-is-broader-than-target": "narrower", "not-related-to": "disjoint"}
UNMAPPED_MODE_R5_TO_R4 = {"use-source-code": "provided", "fixed": "fixed", "other-map": "other-map"}


def _add_ext(obj, ext):
    obj.setdefault("extension", []).append(ext)


def _split_canonical(c):
    if c is None:
        return None, None
    if "|" in c:
        u, v = c.split("|", 1)
        return u, v
    return c, None


def r5_to_r4(res):
    if not isinstance(res, dict):
        return res
    rt = res.get("resourceType")
    if rt == "Parameters":
        return parameters_keep_known(res, r5_to_r4)
    if rt == "CodeSystem":
        return cs_r5_to_r4(res)
    if rt == "ValueSet":
        return vs_r5_to_r4(res)
    if rt == "ConceptMap":
        return cm_r5_to_r4(res)
    return res


def _convert_contained(out):
    if isinstance(out.get("contained"), list):
        out["contained"] = [r5_to_r4(c) for c in out["contained"]]


def cs_r5_to_r4(src):
    out = apply_spec(src, R4_CODESYSTEM)
    _convert_contained(out)
    for k in ("versionAlgorithmString", "versionAlgorithmCoding"):
        if k in src:
            _add_ext(out, {"url": EXT_VERSION_ALGORITHM, ("valueString" if k.endswith("String") else "valueCoding"): src[k]})
    for f in out.get("filter", []) or []:
        ops = f.get("operator")
        if isinstance(ops, list):
            f["operator"] = [o if o in R4_CS_FILTER_OPS else "?" for o in ops]  # Java sets FilterOperator.NULL
    return out


def _vs_filter_ops(vs):
    comp = vs.get("compose")
    if not isinstance(comp, dict):
        return
    for part in ("include", "exclude"):
        for inc in comp.get(part, []) or []:
            for f in inc.get("filter", []) or []:
                op = f.get("op")
                if op is not None and op not in R4_VS_FILTER_OPS:
                    del f["op"]
                    if op in ("child-of", "descendent-leaf"):
                        ext_holder = f.setdefault("_op", {})
                        _add_ext(ext_holder, {"url": EXT_VALUESET_FILTER_OP, "valueCode": op})


def _contains_r5_to_r4(src_list, out_list):
    for s, o in zip(src_list or [], out_list or []):
        for p in s.get("property", []) or []:
            ext = {k: v for k, v in p.items() if k in ("id",)}
            subs = [e for e in p.get("extension", [])]
            vk = value_key(p)
            subs.append({"url": "code", "valueCode": p.get("code")})
            if vk:
                subs.append({"url": "value", vk: p[vk]})
            ext["url"] = EXT_EXP_VS_CONT_PROP
            ext["extension"] = subs
            _add_ext(o, ext)
        _contains_r5_to_r4(s.get("contains"), o.get("contains"))


def vs_r5_to_r4(src):
    out = apply_spec(src, R4_VALUESET)
    _convert_contained(out)
    _vs_filter_ops(out)
    sexp = src.get("expansion")
    if isinstance(sexp, dict) and "expansion" in out:
        for p in sexp.get("property", []) or []:
            _add_ext(out["expansion"], {"url": EXT_VS_EXP_PROP, "extension": [
                {"url": "code", "valueCode": p.get("code")}, {"url": "uri", "valueUri": p.get("uri")}]})
        _contains_r5_to_r4(sexp.get("contains"), out["expansion"].get("contains"))
    return out


def cm_r5_to_r4(src):
    keep = DR | CANON - {"identifier"}
    out = {k: v for k, v in src.items() if (k[1:] if k.startswith("_") else k) in keep}
    _convert_contained(out)
    if isinstance(src.get("identifier"), list) and src["identifier"]:
        out["identifier"] = src["identifier"][0]
    for r5k, r4k in (("sourceScopeUri", "sourceUri"), ("sourceScopeCanonical", "sourceCanonical"),
                     ("targetScopeUri", "targetUri"), ("targetScopeCanonical", "targetCanonical")):
        if r5k in src:
            out[r4k] = src[r5k]
    attrs = {a.get("code"): a.get("uri") for a in src.get("additionalAttribute", []) or [] if isinstance(a, dict)}

    def bb(o, exclude=()):
        r = {}
        if "id" in o:
            r["id"] = o["id"]
        ex = [e for e in o.get("extension", []) or [] if e.get("url") not in exclude]
        if ex:
            r["extension"] = ex
        if o.get("modifierExtension"):
            r["modifierExtension"] = o["modifierExtension"]
        return r

    def other(o):
        r = bb(o)
        if "attribute" in o:
            r["property"] = attrs.get(o["attribute"])
        if "valueCoding" in o:
            c = o["valueCoding"]
            for k in ("system", "code", "display"):
                if k in c:
                    r[{"code": "value"}.get(k, k)] = c[k]
        else:
            vk = value_key(o)
            if vk:
                r["value"] = prim_str(o[vk])
        return r

    groups = []
    for g in src.get("group", []) or []:
        ng = bb(g)
        su, sv = _split_canonical(g.get("source"))
        tu, tv = _split_canonical(g.get("target"))
        if su:
            ng["source"] = su
        if sv:
            ng["sourceVersion"] = sv
        if tu:
            ng["target"] = tu
        if tv:
            ng["targetVersion"] = tv
        elements = []
        for e in g.get("element", []) or []:
            ne = bb(e, exclude=(EXT_CM_NOMAP_COMMENT,))
            for k in ("code", "display", "_code", "_display"):
                if k in e:
                    ne[k] = e[k]
            if e.get("noMap") is True:
                t = {"equivalence": "unmatched"}
                for x in e.get("extension", []) or []:
                    if x.get("url") == EXT_CM_NOMAP_COMMENT and "valueString" in x:
                        t["comment"] = x["valueString"]
                ne["target"] = [t]
            else:
                targets = []
                for t in e.get("target", []) or []:
                    nt = bb(t, exclude=(EXT_OLD_CONCEPTMAP_EQUIVALENCE,))
                    for k in ("code", "display", "_code", "_display"):
                        if k in t:
                            nt[k] = t[k]
                    old = [x.get("valueCode") for x in t.get("extension", []) or [] if x.get("url") == EXT_OLD_CONCEPTMAP_EQUIVALENCE]
                    if old:
                        nt["equivalence"] = old[0]
                    elif "relationship" in t:
                        nt["equivalence"] = REL_TO_EQUIV.get(t["relationship"], "?")
                    else:
                        nt["equivalence"] = "relatedto"
                    if "comment" in t:
                        nt["comment"] = t["comment"]
                    if t.get("dependsOn"):
                        nt["dependsOn"] = [other(x) for x in t["dependsOn"]]
                    if t.get("product"):
                        nt["product"] = [other(x) for x in t["product"]]
                    targets.append(nt)
                if targets:
                    ne["target"] = targets
            elements.append(ne)
        if elements:
            ng["element"] = elements
        um = g.get("unmapped")
        if isinstance(um, dict):
            nu = bb(um)
            if "mode" in um:
                nu["mode"] = UNMAPPED_MODE_R5_TO_R4.get(um["mode"], "?")
            for k in ("code", "display"):
                if k in um:
                    nu[k] = um[k]
            if "otherMap" in um:
                nu["url"] = um["otherMap"]
            ng["unmapped"] = nu
        groups.append(ng)
    if groups:
        out["group"] = groups
    return out


def _take_ext(obj, url):
    """Remove and return the extensions with this url from obj['extension']."""
    exts = obj.get("extension")
    if not isinstance(exts, list):
        return []
    taken = [e for e in exts if isinstance(e, dict) and e.get("url") == url]
    if taken:
        obj["extension"] = [e for e in exts if not (isinstance(e, dict) and e.get("url") == url)]
        if not obj["extension"]:
            del obj["extension"]
    return taken


def _sub_ext_value(ext, url):
    for e in ext.get("extension", []) or []:
        if isinstance(e, dict) and e.get("url") == url:
            vk = value_key(e)
            return e[vk] if vk else None
    return None


def _contains_r4_to_r5(lst):
    for c in lst or []:
        if not isinstance(c, dict):
            continue
        props = []
        for ext in _take_ext(c, EXT_EXP_VS_CONT_PROP):
            p = {}
            if "id" in ext:
                p["id"] = ext["id"]
            others = [e for e in ext.get("extension", []) or [] if e.get("url") not in ("code", "value[x]", "value")]
            if others:
                p["extension"] = others
            code = _sub_ext_value(ext, "code")
            if code is not None:
                p["code"] = prim_str(code)
            for url in ("value", "value[x]"):
                found = [e for e in ext.get("extension", []) or [] if e.get("url") == url]
                if found:
                    vk = value_key(found[0])
                    if vk:
                        p[vk] = found[0][vk]
                    break
            props.append(p)
        if props:
            c["property"] = c.get("property", []) + props
        _contains_r4_to_r5(c.get("contains"))


def r4_to_r5(res):
    if not isinstance(res, dict):
        return res
    rt = res.get("resourceType")
    if rt == "Parameters":
        for p in res.get("parameter", []) or []:
            _param_r4_to_r5(p)
    elif rt == "ValueSet":
        for c in res.get("contained", []) or []:
            r4_to_r5(c)
        comp = res.get("compose")
        if isinstance(comp, dict):
            for part in ("include", "exclude"):
                for inc in comp.get(part, []) or []:
                    for f in inc.get("filter", []) or []:
                        opx = f.get("_op")
                        if isinstance(opx, dict):
                            taken = _take_ext(opx, EXT_VALUESET_FILTER_OP)
                            if taken:
                                f["op"] = taken[0].get("valueCode")
        exp = res.get("expansion")
        if isinstance(exp, dict):
            props = []
            for ext in _take_ext(exp, EXT_VS_EXP_PROP):
                p = {}
                code = _sub_ext_value(ext, "code")
                uri = _sub_ext_value(ext, "uri")
                if code is not None:
                    p["code"] = prim_str(code)
                if uri is not None:
                    p["uri"] = prim_str(uri)
                props.append(p)
            if props:
                exp["property"] = props
            _contains_r4_to_r5(exp.get("contains"))
    return res


def _param_r4_to_r5(p):
    if isinstance(p.get("resource"), dict):
        r4_to_r5(p["resource"])
    for x in p.get("part", []) or []:
        _param_r4_to_r5(x)


# ---------------------------------------------------------------------------
# TxTesterScrubbers
# ---------------------------------------------------------------------------

def _scrub_ext_list(obj, tight):
    exts = obj.get("extension")
    if isinstance(exts, list):
        obj["extension"] = [e for e in exts if not isinstance(e, dict) or tight or
                            not is_absolute_url(e.get("url")) or e.get("url") in MANAGED_EXTENSIONS]


def _visit(node, tight, resource_type=None, key=None):
    """ElementVisitor + TxTesterScrubberVisitor: drop unmanaged extensions everywhere."""
    if isinstance(node, list):
        for v in node:
            _visit(v, tight, resource_type, key)
        return
    if not isinstance(node, dict):
        return
    if "resourceType" in node:
        resource_type = node["resourceType"]
        if resource_type != "Parameters" and resource_type != "Bundle" and resource_type != "Binary":
            _scrub_ext_list(node, tight)
    else:
        _scrub_ext_list(node, tight)
        if resource_type == "ValueSet" and key == "compose":
            return  # NO_VISIT_CHILDREN for ValueSet.compose
    for k, v in node.items():
        if isinstance(v, (dict, list)):
            _visit(v, tight, resource_type, k)


def scrub_domain_resource(dr, tight):
    if dr is not None:
        dr.pop("text", None)
        dr.pop("meta", None)
        _visit(dr, tight)
        prune(dr)


def scrub_value_set(vs, tight):
    scrub_domain_resource(vs, tight)


def scrub_operation_outcome(oo, tight):
    if oo is None:
        return
    scrub_domain_resource(oo, tight)
    issues = oo.get("issue")
    if isinstance(issues, list):
        def has_details(i):
            return isinstance(i.get("details"), dict) and len(i["details"]) > 0
        issues[:] = [i for i in issues if not (i.get("diagnostics") and not has_details(i))]
        for i in issues:
            d = i.get("diagnostics")
            if d and "x-request-id" not in d.lower():
                del i["diagnostics"]


def scrub_parameters(po, tight):
    po.pop("meta", None)
    params = po.get("parameter")
    if isinstance(params, list):
        params[:] = [p for p in params if p.get("name") != "diagnostics"]
        for p in params:
            r = p.get("resource")
            if isinstance(r, dict):
                rt = r.get("resourceType")
                if rt == "ValueSet":
                    scrub_value_set(r, tight)
                elif rt == "OperationOutcome":
                    scrub_operation_outcome(r, tight)
                elif rt == "Parameters":
                    scrub_parameters(r, tight)
    prune(po)


# ---------------------------------------------------------------------------
# TxTesterSorters
# ---------------------------------------------------------------------------

def _cmp(a, b):
    return (a > b) - (a < b)


def _sort(lst, cmp, pre=None):
    """Collections.sort: a comparator is only ever called for lists of 2+ items."""
    if not isinstance(lst, list) or len(lst) < 2:
        return
    if pre:
        for x in lst:
            pre(x)
    lst.sort(key=functools.cmp_to_key(cmp))


def _ext_pre(e):
    if isinstance(e, dict):
        _sort(e.get("extension"), _ext_cmp, _ext_pre)


def _ext_cmp(a, b):
    return _cmp(a.get("url") or "", b.get("url") or "")


def sort_extensions(lst):
    _sort(lst, _ext_cmp, _ext_pre)


def _part(p, name):
    for x in p.get("part", []) or []:
        if x.get("name") == name:
            return x
    return None


def _part_value(p, name):
    x = _part(p, name)
    if x is None:
        return None
    vk = value_key(x)
    return prim_str(x[vk]) if vk else None


def _param_pre(p):
    if isinstance(p, dict):
        sort_extensions(p.get("extension"))
        _sort(p.get("part"), _param_cmp, _param_pre)


def _param_cmp(o1, o2):
    n1, n2 = o1.get("name") or "", o2.get("name") or ""
    if n1 == n2 == "property":
        c1 = (_part_value(o1, "code") or "").lower()
        c2 = (_part_value(o2, "code") or "").lower()
        if c1 != c2:
            return _cmp(c1, c2)
        v1, v2 = _part_value(o1, "value"), _part_value(o2, "value")
        if v1 is not None and v2 is not None and v1.lower() != v2.lower():
            return _cmp(v1.lower(), v2.lower())
    if n1 == n2 == "designation":
        c1 = (_part_value(o1, "language") or "").lower()
        c2 = (_part_value(o2, "language") or "").lower()
        if c1 != c2:
            return _cmp(c1, c2)
        v1, v2 = _part_value(o1, "value"), _part_value(o2, "value")
        if v1 is not None and v2 is not None and v1.lower() != v2.lower():
            return _cmp(v1.lower(), v2.lower())
    return _cmp(n1, n2)


def _issue_cmp(o1, o2):
    def key(i):
        expr = i.get("expression")
        det = i.get("details") if isinstance(i.get("details"), dict) else {}
        return (i.get("severity") or "", i.get("code") or "",
                expr[0] if isinstance(expr, list) and expr and isinstance(expr[0], str) else "",
                det.get("text") or "")
    return _cmp(key(o1), key(o2))


def sort_parameters(po):
    params = po.get("parameter")
    _sort(params, _param_cmp, _param_pre)
    for p in params or []:
        r = p.get("resource")
        if isinstance(r, dict) and r.get("resourceType") == "OperationOutcome":
            _sort(r.get("issue"), _issue_cmp)
        if isinstance(r, dict) and r.get("resourceType") == "Parameters":
            sort_parameters(r)
        if p.get("name") == "message":
            vk = value_key(p)
            if vk and vk[5:] in PRIMITIVE_SUFFIXES:
                pv = prim_str(p[vk])
                if pv is not None and "; " in pv:
                    bits = sorted(pv.split("; "))
                    del p[vk]
                    p.pop("_" + vk, None)
                    p["valueString"] = "; ".join(bits)


def _designation_cmp(a, b):
    if a.get("language") is not None and b.get("language") is not None:
        return _cmp(a["language"], b["language"])
    return _cmp(a.get("value") or "", b.get("value") or "")


def _contains_cmp(a, b):
    return _cmp(a.get("code") or "", b.get("code") or "")


def _sort_contains_features(cc):
    _sort(cc.get("contains"), _contains_cmp)
    sort_extensions(cc.get("extension"))
    _sort(cc.get("designation"), _designation_cmp)
    _sort(cc.get("property"), lambda a, b: _cmp(a.get("code") or "", b.get("code") or ""))
    for c in cc.get("contains", []) or []:
        _sort_contains_features(c)


def _exp_param_pre(p):
    sort_extensions(p.get("extension"))


def _exp_param_cmp(a, b):
    r = _cmp(a.get("name") or "", b.get("name") or "")
    if r == 0:
        va = prim_str(a.get(value_key(a))) if value_key(a) else ""
        vb = prim_str(b.get(value_key(b))) if value_key(b) else ""
        r = _cmp(va or "", vb or "")
    return r


def _prop_defn_cmp(a, b):
    ua, ub = a.get("uri"), b.get("uri")
    if ua is None or ub is None:
        i = 0 if (ua is None and ub is None) else (-1 if ua is None else 1)
    else:
        i = _cmp(ua, ub)
    return i if i != 0 else _cmp(a.get("code") or "", b.get("code") or "")


def sort_value_set(vs):
    sort_extensions(vs.get("extension"))
    exp = vs.get("expansion")
    if isinstance(exp, dict):
        _sort(exp.get("parameter"), _exp_param_cmp, _exp_param_pre)
        _sort(exp.get("property"), _prop_defn_cmp)
        sort_extensions(exp.get("extension"))
        _sort(exp.get("contains"), _contains_cmp)
        for cc in exp.get("contains", []) or []:
            _sort_contains_features(cc)


def _by(key):
    return lambda a, b: _cmp(key(a) or "", key(b) or "")


def _codeable_concept_cmp(o1, o2):
    if o1.get("coding") and o2.get("coding"):
        c1, c2 = o1["coding"][0], o2["coding"][0]
        if c1.get("system") == c2.get("system"):
            return _cmp(c1.get("code") or "", c2.get("code") or "")
        return _cmp(c1.get("system") or "", c2.get("system") or "")
    return _cmp(o1.get("text") or "", o2.get("text") or "")


def sort_cap_stmt(cs):
    for k in ("format", "instantiates", "imports", "acceptLanguage"):
        _sort(cs.get(k), _cmp)
    _sort(cs.get("rest"), _by(lambda r: r.get("mode")))
    for r in cs.get("rest", []) or []:
        sec = r.get("security")
        if isinstance(sec, dict):
            for cc in sec.get("service", []) or []:
                _sort(cc.get("coding"), lambda a, b: _cmp(a.get("code") or "", b.get("code") or "")
                      if a.get("system") == b.get("system") else _cmp(a.get("system") or "", b.get("system") or ""))
            _sort(sec.get("service"), _codeable_concept_cmp)
        _sort(r.get("resource"), _by(lambda x: x.get("type")))
        for res in r.get("resource", []) or []:
            _sort(res.get("supportedProfile"), _cmp)
            _sort(res.get("interaction"), _by(lambda x: x.get("code")))
            _sort(res.get("searchInclude"), _cmp)
            _sort(res.get("searchRevInclude"), _cmp)
            _sort(res.get("searchParam"), _by(lambda x: x.get("name")))
            _sort(res.get("operation"), _by(lambda x: x.get("name")))
        _sort(r.get("interaction"), _by(lambda x: x.get("code")))
        _sort(r.get("searchParam"), _by(lambda x: x.get("name")))
        _sort(r.get("operation"), _by(lambda x: x.get("name")))
        _sort(r.get("compartment"), _cmp)


def sort_term_caps(tc):
    _sort(tc.get("codeSystem"), _by(lambda x: x.get("uri")))
    for t in tc.get("codeSystem", []) or []:
        _sort(t.get("version"), lambda a, b: 0 if a.get("code") is None or b.get("code") is None
              else _cmp(a["code"], b["code"]))
        for v in t.get("version", []) or []:
            _sort(v.get("language"), _cmp)
            _sort(v.get("property"), _cmp)
            _sort(v.get("filter"), _by(lambda x: x.get("code")))
    exp = tc.get("expansion")
    if isinstance(exp, dict):
        _sort(exp.get("parameter"), _by(lambda x: x.get("name")))


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

class Http:
    def __init__(self, timeout):
        self.timeout = timeout
        self.client = httpx.Client(timeout=timeout, follow_redirects=True) if httpx else None

    def request(self, method, url, headers, body=None):
        """Returns (status, headers(dict lower-case), content bytes). Raises OSError-ish on transport failure."""
        if self.client is not None:
            r = self.client.request(method, url, headers=headers, content=body)
            return r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


# ---------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------

OPS = {
    # name: (resource type, operation, how)  how: post | operate (GET if all primitive)
    "expand": ("ValueSet", "expand", "post"),
    "validate-code": ("ValueSet", "validate-code", "operate"),
    "cs-validate-code": ("CodeSystem", "validate-code", "operate"),
    "lookup": ("CodeSystem", "lookup", "post"),
    "translate": ("ConceptMap", "translate", "post"),
    "batch-validate": ("ValueSet", "batch-validate-code", "operate"),
    "compare": ("ValueSet", "compare", "post"),
}


def version_matches(fhir_version, item_version):
    """Run an item tagged 'version' only when the server's FHIR major.minor starts with it."""
    return fhir_version.startswith(item_version)


class Runner:
    def __init__(self, args):
        self.args = args
        self.base = args.base.rstrip("/")
        self.dir = args.suite_dir
        self.modes = set(m for m in (args.modes or "general").split(",") if m)
        self.tight = args.tight
        self.http = Http(args.timeout)
        self.externals = load_json(args.externals) if args.externals else None
        self.fhir = None  # "4.0" or "5.0"
        self.cap = None
        self.tc = None
        self.init_error = None
        self.initialised = False
        self.results = []
        self.warnings = []

    # -- loading
    def load(self, fn):
        return strip_unparseable_keys(load_json(os.path.join(self.dir, fn)))

    # -- version detection (TxTester.connectToServer)
    def detect_version(self):
        if self.args.fhir_version:
            v = self.args.fhir_version.lower().lstrip("r")
            self.fhir = "5.0" if v.startswith("5") else "4.0"
            return
        fv = None
        try:
            st, _, body = self.http.request("GET", self.base + "/$versions?_format=json",
                                            {"Accept": "application/json, application/fhir+json"})
            if 200 <= st < 300:
                vl = json.loads(body.decode("utf-8-sig"))
                if vl.get("resourceType") == "Parameters":
                    for p in vl.get("parameter", []):
                        if p.get("name") == "default":
                            fv = p.get("valueString")
                elif "default" in vl:
                    fv = vl["default"]
        except Exception:
            pass
        if fv is None:
            try:
                st, _, body = self.http.request("GET", self.base + "/metadata?_format=json",
                                                {"Accept": "application/fhir+json"})
                fv = json.loads(body.decode("utf-8-sig")).get("fhirVersion")
            except Exception:
                fv = None
        if fv is None:
            print("WARNING: could not determine the server's FHIR version; defaulting to R4", file=sys.stderr)
            fv = "4.0"
        self.fhir = "5.0" if str(fv).startswith("5") else "4.0"

    @property
    def r4(self):
        return self.fhir == "4.0"

    def variables(self):
        return {"version": "4.0.1" if self.r4 else "5.0.0"}

    def headers(self, test_headers, lang, request_id, has_body):
        fmt = "application/fhir+json; fhirVersion=" + self.fhir
        h = {}
        for name, value in test_headers:
            h[name] = value
        for name, value in self.args.header or []:
            h[name] = value
        h["User-Agent"] = "Tools/Java"
        if lang:
            h["Accept-Language"] = lang
        if request_id:
            h["X-Request-Id"] = request_id
        h["Accept"] = fmt
        if has_body:
            h["Content-Type"] = fmt + ";charset=UTF-8"
        return h

    # -- response handling (FhirRequestBuilder.unmarshalReference)
    def parse_response(self, status, hdrs, content, expect_oo=False):
        ok = 200 <= status < 300
        if not content:
            if not ok:
                raise ServerError(status, None, "HTTP %d with no content" % status)
            return None
        body = content.decode("utf-8-sig", errors="replace")
        ctype = hdrs.get("content-type")
        if ctype is None:
            if ok:
                resource = loads_exact(body)
            else:
                resource = self._text_oo(body)
        else:
            ctype = ctype.split(";")[0].strip()
            if ctype in ("application/json", "application/fhir+json"):
                try:
                    resource = loads_exact(body)
                except ValueError as e:
                    raise TxError("Error parsing response message (HTTP %d): %s" % (status, e))
            elif ctype in ("application/xml", "application/fhir+xml", "text/xml"):
                raise TxError("server answered XML (HTTP %d); this runner asks for and handles JSON only" % status)
            else:
                resource = self._text_oo(body)
        if not isinstance(resource, dict) or "resourceType" not in resource:
            raise TxError("Error parsing response message (HTTP %d): not a FHIR resource" % status)
        if resource.get("resourceType") == "OperationOutcome" and (not expect_oo or not ok):
            if any(i.get("severity") in ("error", "fatal") for i in resource.get("issue", []) or [] if isinstance(i, dict)):
                raise ServerError(status, resource, "Error from server (HTTP %d)" % status)
            if not ok:
                raise ServerError(status, None, "HTTP %d with an OperationOutcome that has no error" % status)
            return None  # Java: 'Got OperationOutcome with no error' -> null resource
        return resource

    @staticmethod
    def _text_oo(body):
        return {"resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "exception", "details": {"text": body}}]}

    # -- initialisation (TxTester.initialise/checkClient)
    def initialise(self):
        if self.initialised:
            return
        self.initialised = True
        self.detect_version()
        try:
            st, h, c = self.http.request("GET", self.base + "/metadata", self.headers([], None, None, False))
            self.cap = self.parse_response(st, h, c)
            if not isinstance(self.cap, dict) or self.cap.get("resourceType") != "CapabilityStatement" or not (200 <= st < 300):
                raise TxError("GET /metadata did not return a CapabilityStatement (HTTP %d)" % st)
            st, h, c = self.http.request("GET", self.base + "/metadata?mode=terminology", self.headers([], None, None, False))
            self.tc = self.parse_response(st, h, c)
            if not isinstance(self.tc, dict) or self.tc.get("resourceType") != "TerminologyCapabilities" or not (200 <= st < 300):
                raise TxError("GET /metadata?mode=terminology did not return a TerminologyCapabilities (HTTP %d)" % st)
        except Exception as e:
            self.init_error = "%s: %s" % (type(e).__name__, e)
            if not self.args.strict_init:
                print("WARNING: initialisation failed (%s). The Java TxTester stops here and runs no test; "
                      "this runner goes on and fails the affected tests." % self.init_error, file=sys.stderr)
        if self.r4:
            if isinstance(self.cap, dict):
                r4_to_r5(self.cap)
            if isinstance(self.tc, dict):
                r4_to_r5(self.tc)

    # -- selection
    def _passes_modes(self, obj):
        return "mode" not in obj or obj["mode"] in self.modes

    def _passes_version(self, obj):
        return "version" not in obj or version_matches(self.fhir, obj["version"])

    def _choose(self, test, name):
        for m in sorted(self.modes):
            if name + ":" + m in test:
                return test[name + ":" + m]
        return test.get(name)

    def selected(self, suite, test):
        if self.args.filter and self.args.filter not in test["name"]:
            return False
        if self.args.tests:
            wanted = self.args.tests
            return test["name"] in wanted or (suite["name"] + "/" + test["name"]) in wanted
        return True

    def run(self):
        manifest = load_json(os.path.join(self.dir, "test-cases.json"))
        self.initialise()
        suites_wanted = set(self.args.suites) if self.args.suites else None
        for suite in manifest.get("suites", []):
            if not self._passes_modes(suite) or not self._passes_version(suite):
                continue
            if suite.get("disabled") is True:
                continue
            if suites_wanted is not None and suite["name"] not in suites_wanted:
                continue
            setup_err = None
            try:
                setup = [self.load(f) for f in suite.get("setup", [])]
            except Exception as e:
                setup, setup_err = [], "cannot load setup: %s" % e
            for test in suite.get("tests", []):
                if not self._passes_modes(test) or not self._passes_version(test):
                    continue
                if test.get("disabled") is True:
                    continue
                if not self.selected(suite, test):
                    continue
                start = time.time()
                try:
                    if setup_err:
                        raise TxError(setup_err)
                    msg = self.run_test(suite, test, setup)
                except ServerError as e:
                    msg = "Exception: %s" % e
                except TxError as e:
                    msg = "Exception: %s" % e
                except Exception as e:  # transport errors etc.
                    msg = "Exception: %s: %s" % (type(e).__name__, e)
                dur = time.time() - start
                name = suite["name"] + "/" + test["name"]
                status = "pass" if msg is None else "fail"
                self.results.append({"suite": suite["name"], "test": test["name"], "operation": test.get("operation"),
                                     "status": status, "message": msg, "seconds": round(dur, 3)})
                if msg is None:
                    print("PASS %s" % name)
                else:
                    print("FAIL %s: %s" % (name, one_line(msg)))
                sys.stdout.flush()
        return self.results

    # -- one test (TxTester.runTest and the per-operation methods)
    def run_test(self, suite, test, setup):
        op = test.get("operation")
        profile = self.load(test.get("profile", "parameters-default.json"))
        hdrs = []
        hdr = test.get("header")
        if isinstance(hdr, dict) and (("mode" not in hdr) or hdr["mode"] in self.modes):
            hdrs.append((hdr["name"], hdr["value"]))
        req_fn = self._choose(test, "request")
        resp_fn = self._choose(test, "response")
        expected_text = read_text(os.path.join(self.dir, resp_fn))
        ext = None
        if self.externals is not None:
            ext = self.externals.get(resp_fn)
        lang = test.get("Accept-Language")
        request_id = "txTests:%s/%s" % (suite["name"], test["name"])
        expected_code = test.get("http-code", "2xx")

        if op in ("metadata", "term-caps"):
            if self.init_error:
                raise TxError("initialisation failed: " + self.init_error)
            res = copy.deepcopy(self.cap if op == "metadata" else self.tc)
            (sort_cap_stmt if op == "metadata" else sort_term_caps)(res)
            comp = Comparer(self.modes, ext, self.variables(), pattern=True)
            diff = comp.compare_objects(test["name"], "", loads_exact(expected_text), res)
            self.warnings += comp.warnings
            self._dump(resp_fn, expected_text, res, diff)
            return diff

        if op not in OPS:
            raise TxError("Unknown Operation " + str(op))
        rtype, opname, how = OPS[op]

        req = self.load(req_fn) if req_fn else {"resourceType": "Parameters"}
        params = list(req.get("parameter", []))
        for r in setup:
            params.append({"name": "tx-resource", "resource": copy.deepcopy(r)})
        if op == "expand":
            for pp in params:
                if pp.get("name") == "url":
                    vk = value_key(pp)
                    if not vk or vk[5:] not in URI_SUFFIXES:
                        raise TxError("Wrong param type")
        params += profile.get("parameter", [])
        preq = dict(req)
        preq["parameter"] = params
        if self.r4 and not self.args.no_convert:
            preq = r5_to_r4(preq)

        # GET if every parameter has a primitive value (FHIRToolingClient.operateType)
        url = "%s/%s/$%s" % (self.base, rtype, opname)
        method, body = "POST", None
        if how == "operate":
            complex_ = False
            for p in preq.get("parameter", []):
                vk = value_key(p)
                if not vk or vk[5:] not in PRIMITIVE_SUFFIXES:
                    complex_ = True
            if not complex_:
                method = "GET"
                qs = "".join(urllib.parse.urlencode({p["name"]: prim_str(p[value_key(p)])}) + "&"
                             for p in preq.get("parameter", []))
                url = url + "?" + qs
        if method == "POST":
            body = dumps(preq).encode("utf-8")

        code = 0
        actual = None
        try:
            st, h, c = self.http.request(method, url, self.headers(hdrs, lang, request_id, body is not None), body)
            res = self.parse_response(st, h, c)
            if not (200 <= st < 300):
                raise ServerError(st, None, "Server returned error code %d" % st)
            if res is None:
                raise TxError("no resource in the response (HTTP %d)" % st)
            if self.r4:
                res = r4_to_r5(keep_known_response(res, True))
            else:
                res = keep_known_response(res, False)
            if op == "expand":
                if res.get("resourceType") != "ValueSet":
                    raise TxError("expected a ValueSet, got " + str(res.get("resourceType")))
                scrub_value_set(res, self.tight)
                sort_value_set(res)
            else:
                rt = res.get("resourceType")
                if rt != "Parameters":
                    if how == "operate":
                        res = {"resourceType": "Parameters", "parameter": [{"name": "return", "resource": res}]}
                    else:
                        raise TxError("expected Parameters, got " + str(rt))
                scrub_parameters(res, self.tight)
                sort_parameters(res)
            code = 200
            actual = res
        except ServerError as e:
            code = e.code
            oo = e.oo
            if oo is not None:
                oo = r4_to_r5(keep_known_response(oo, True)) if self.r4 else keep_known_response(oo, False)
            if self.r4 and op in ("translate", "compare"):
                raise TxError("server error %d: the Java R4 client does not convert this error, so TxTester "
                              "reports an exception" % code)
            if oo is None:
                raise TxError("%s and no OperationOutcome" % e)
            if op == "cs-validate-code":
                oo.pop("text", None)  # validateCS only clears the narrative
                prune(oo)
            else:
                scrub_operation_outcome(oo, self.tight)
            actual = oo

        prune(actual)
        comp = Comparer(self.modes, ext, self.variables(), pattern=False)
        diff = comp.compare_objects(test["name"], "", loads_exact(expected_text), actual)
        self.warnings += comp.warnings
        self._dump(resp_fn, expected_text, actual, diff)
        if expected_code and not http_code_ok(expected_code, code):
            return "Response Code fail: should be '%s' but is '%s'" % (expected_code, code)
        return diff

    def _dump(self, fn, expected_text, actual, diff):
        if not self.args.output_dir or diff is None:
            return
        for sub, content in (("expected", expected_text), ("actual", dumps(actual, pretty=True))):
            p = os.path.join(self.args.output_dir, sub, fn)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w", encoding="utf-8") as f:
                f.write(content)


def http_code_ok(tcode, code):
    ranges = {"2xx": (200, 300), "3xx": (300, 400), "4xx": (400, 500), "5xx": (500, 600)}
    if tcode not in ranges:
        raise TxError("unknown code string " + tcode)
    lo, hi = ranges[tcode]
    return lo <= code < hi


def one_line(msg, limit=400):
    s = " ".join(str(msg).split())
    return s if len(s) <= limit else s[:limit] + "..."


def main(argv=None):
    ap = argparse.ArgumentParser(description="Run the HL7 tx-ecosystem terminology tests against a FHIR server.")
    ap.add_argument("--base", help="FHIR server base URL, e.g. http://127.0.0.1:8000/r4 (required unless --list)")
    ap.add_argument("--suite-dir", required=True, help="folder holding test-cases.json and the test files")
    ap.add_argument("--suites", type=lambda s: [x for x in s.split(",") if x], help="comma-separated suite names")
    ap.add_argument("--tests", type=lambda s: [x for x in s.split(",") if x],
                    help="comma-separated test names (name or suite/name)")
    ap.add_argument("--filter", help="substring of test names (the Java runner's -filter)")
    ap.add_argument("--fhir-version", help="4.0 or 5.0 (default: ask $versions, then /metadata)")
    ap.add_argument("--modes", default="general", help="comma-separated modes (default: general)")
    ap.add_argument("--externals", help="messages file (e.g. messages-tx.fhir.org.json) for $external$ strings")
    ap.add_argument("--json-out", help="write a JSON summary here")
    ap.add_argument("--output-dir", help="write expected/actual JSON of failing tests here")
    ap.add_argument("--timeout", type=float, default=60.0, help="HTTP timeout in seconds (default 60)")
    ap.add_argument("--header", action="append", type=lambda s: tuple(x.strip() for x in s.split(":", 1)),
                    help="extra request header 'Name: value' (repeatable)")
    ap.add_argument("--tight", action="store_true", help="keep all extensions when scrubbing (Java 'tight' mode)")
    ap.add_argument("--no-convert", action="store_true", help="send the R5 test resources unconverted to an R4 server")
    ap.add_argument("--strict-init", action="store_true",
                    help="stop (as the Java runner does) when /metadata or /metadata?mode=terminology fails")
    ap.add_argument("--list", action="store_true", help="list the suites (mode, operations, test count) and exit")
    args = ap.parse_args(argv)

    if args.list:
        manifest = load_json(os.path.join(args.suite_dir, "test-cases.json"))
        for s in manifest.get("suites", []):
            ops = {}
            for t in s.get("tests", []):
                ops[t.get("operation")] = ops.get(t.get("operation"), 0) + 1
            print("%-26s mode=%-12s tests=%-4d %s" % (s["name"], s.get("mode", "-"), len(s.get("tests", [])),
                                                     ", ".join("%s:%d" % kv for kv in sorted(ops.items()))))
        return 0

    if not args.base:
        ap.error("--base is required")
    runner = Runner(args)
    started = datetime.datetime.now(datetime.timezone.utc).isoformat()
    if args.strict_init:
        runner.initialise()
        if runner.init_error:
            print("ERROR: initialisation failed, no test run (as the Java TxTester): " + runner.init_error)
            print("0 passed, 0 failed")
            return 2
    results = runner.run()
    passed = sum(1 for r in results if r["status"] == "pass")
    failed = sum(1 for r in results if r["status"] != "pass")
    if args.json_out:
        summary = {"server": args.base, "fhirVersion": runner.fhir, "modes": sorted(runner.modes),
                   "suiteDir": os.path.abspath(args.suite_dir), "started": started,
                   "initError": runner.init_error, "passed": passed, "failed": failed,
                   "warnings": sorted(set(runner.warnings)), "tests": results}
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
