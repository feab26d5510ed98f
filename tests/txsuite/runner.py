"""The project's runner for the HL7 terminology ecosystem test suite.

The suite (https://github.com/HL7/fhir-tx-ecosystem-ig, folder `tests/`) is a manifest,
`test-cases.json`, of suites of tests; a test names an operation, a request and the expected
response. Its reference runner is `TxTester` in hapifhir/org.hl7.fhir.core
(`org.hl7.fhir.validation/src/main/java/org/hl7/fhir/validation/special/TxTester.java`); this
module follows its rules, written for this project:

- selection: a suite or test runs when it has no `mode` or its mode is requested (`modes`: one
  of them is), its `version` (if any) starts the server's FHIR version (`!4.0`: does not), and
  it is not `disabled`; `request:MODE` and `response:MODE` override the files for a requested
  mode;
- request: the test's Parameters, plus every setup resource of the suite as `tx-resource`, plus
  the parameters of the test's `profile` (default `parameters-default.json`); `Accept-Language`,
  the test's `header` (when its mode is requested) and `X-Request-Id: txTests:suite/test` are
  sent; an R4 server gets the R4 form (`convert.py`); `$validate-code` and `$batch-validate-code`
  (and the newer suites' `$subsumes`) go as GET when every parameter is a primitive (as the
  reference's client does), others POST;
  a test's `lenient-display` becomes the `lenient-display-validation` parameter of a
  `validate-code` or `cs-validate-code` request (the suite's testing page, and the reference's
  `TerminologyServiceTests`, which says `TxTester.runTest` does the same);
- response: a 2xx resource is the answer; a non-2xx status, or an OperationOutcome with an error
  or fatal issue, is the error path, compared as that OperationOutcome; an R4 answer is turned
  back into R5; it is scrubbed and sorted (`normalise.py`) and compared (`compare.py`); the test
  also checks the status class (`http-code`, default `2xx`); `metadata` and `term-caps` compare
  the CapabilityStatement and TerminologyCapabilities in pattern mode; `response2`, where a test
  has one, is an alternative expected response (the reference's `TerminologyServiceTests`).

The project's own reading (the reference runner at hapifhir/org.hl7.fhir.core commit b06c7ee7,
2026-08-15, and the suite's testing page define neither): a `closure` test POSTs its request
(with the suite's setup as `tx-resource`) to `[base]/$closure` and compares the ConceptMap,
its groups, elements and targets sorted; a `"sequential": true` suite's tests depend on the
ones before them (a closure table built up step by step), so they run in manifest order and
selecting one test runs the earlier tests of its suite first, unreported.

Left out: the reference's other operations
(`batch`, `related`), its report files (TestReport,
expected/actual folders), XML, and the R4 client's quirk of raising instead of comparing some
R4 error responses. Use: `python -m tests.txsuite.runner --base URL/r4 [--tests suite/test]`.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.txsuite.compare import Comparer, load_exact, plain
from tests.txsuite.convert import to_r4, to_r5
from tests.txsuite.normalise import (
    Json,
    scrub_outcome,
    scrub_parameters,
    scrub_resource,
    sort_capability_statement,
    sort_concept_map,
    sort_parameters,
    sort_terminology_capabilities,
    sort_value_set,
    text_of,
    value_of,
)

DATA = Path(__file__).parent / "data"
# operation -> (resource type, operation name, may go as GET)
OPERATIONS: dict[str, tuple[str, str, bool]] = {
    "expand": ("ValueSet", "expand", False),
    "validate-code": ("ValueSet", "validate-code", True),
    "cs-validate-code": ("CodeSystem", "validate-code", True),
    "lookup": ("CodeSystem", "lookup", False),
    "translate": ("ConceptMap", "translate", False),
    "batch-validate": ("ValueSet", "batch-validate-code", True),
    "subsumes": ("CodeSystem", "subsumes", True),
    "closure": ("", "closure", False),
}
STATUS_CLASSES = {"2xx": 200, "3xx": 300, "4xx": 400, "5xx": 500}


class TestFailure(Exception):
    """The test cannot be compared (the reference reports an exception: the test fails)."""


@dataclass
class Result:
    """The outcome of one test."""

    suite: str
    test: str
    operation: str
    message: str | None

    @property
    def passed(self) -> bool:
        """True when the response matched and the status class was right."""
        return self.message is None

    @property
    def name(self) -> str:
        """`suite/test`."""
        return f"{self.suite}/{self.test}"


@dataclass
class Runner:
    """Runs the suite's tests against one FHIR base (`fhir_version` "4.0" or "5.0")."""

    base: str
    fhir_version: str
    data: Path = DATA
    modes: frozenset[str] = frozenset({"general"})
    timeout: float = 30.0
    externals: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.base = self.base.rstrip("/")
        self._client = httpx.Client(timeout=self.timeout)
        self._metadata: dict[str, Json] = {}

    # -- selection
    def _runs(self, item: Json) -> bool:
        if item.get("disabled") is True:
            return False
        if "mode" in item and item["mode"] not in self.modes:
            return False
        if "modes" in item and not self.modes.intersection(item["modes"]):
            return False
        wanted = str(item.get("version", ""))
        if wanted.startswith("!"):
            # Newer manifests: "!4.0" runs on every FHIR version but 4.0.
            return not self.fhir_version.startswith(wanted[1:])
        return self.fhir_version.startswith(wanted)

    def selected(self) -> Iterator[tuple[Json, Json]]:
        """(suite, test) for every test that runs on this server, in manifest order."""
        manifest = json.loads((self.data / "test-cases.json").read_text(encoding="utf-8"))
        for suite in manifest["suites"]:
            if self._runs(suite):
                for test in suite["tests"]:
                    if self._runs(test):
                        yield suite, test

    def run(self, names: Iterable[str] | None = None) -> list[Result]:
        """Run every selected test, or only those named `suite/test`."""
        wanted = set(names) if names is not None else None
        results = []
        steps: list[tuple[Json, Json]] = []  # a sequential suite's tests not yet run
        for suite, test in self.selected():
            name = f"{suite['name']}/{test['name']}"
            if steps and steps[-1][0] is not suite:
                steps = []
            if wanted is None or name in wanted:
                for earlier in steps:  # what this step builds on, unreported
                    self.run_test(*earlier)
                steps = []
                results.append(self.run_test(suite, test))
            elif suite.get("sequential") is True:
                steps.append((suite, test))
        return results

    def run_test(self, suite: Json, test: Json) -> Result:
        """One test: send, normalise, compare; any failure to do so fails the test."""
        try:
            message = self._run(suite, test)
        except (TestFailure, httpx.HTTPError, OSError, ValueError, KeyError, TypeError) as exc:
            message = f"Exception: {type(exc).__name__}: {exc}"
        return Result(suite["name"], test["name"], test["operation"], message)

    # -- files
    def _file(self, test: Json, key: str) -> str | None:
        for mode in sorted(self.modes):
            if f"{key}:{mode}" in test:
                return str(test[f"{key}:{mode}"])
        return test.get(key)

    def _load(self, name: str) -> Json:
        data: Json = load_exact((self.data / name).read_text(encoding="utf-8-sig"))
        return data

    def _comparer(self, test: Json, pattern: bool = False) -> Comparer:
        externals = None
        if self.externals is not None:
            externals = self.externals.get(self._file(test, "response") or "")
        version = "4.0.1" if self.r4 else "5.0.0"
        return Comparer(self.modes, externals, {"version": version}, pattern)

    @property
    def r4(self) -> bool:
        """True when the server speaks FHIR R4."""
        return self.fhir_version.startswith("4")

    # -- one test
    def _run(self, suite: Json, test: Json) -> str | None:
        response_file = self._file(test, "response")
        if response_file is None:
            raise TestFailure("the test names no response")
        expected = load_exact((self.data / response_file).read_text(encoding="utf-8-sig"))
        if test["operation"] in ("metadata", "term-caps"):
            actual = self._capabilities(test["operation"])
            comparer = self._comparer(test, pattern=True)
            diff = comparer.compare(test["name"], expected, actual)
            self.warnings += comparer.warnings
            return diff
        if test["operation"] not in OPERATIONS:
            raise TestFailure(f"Unknown Operation {test['operation']}")
        status, actual = self._call(suite, test)
        comparer = self._comparer(test)
        diff = comparer.compare(test["name"], expected, actual)
        if diff is not None and "response2" in test:
            other = load_exact((self.data / test["response2"]).read_text(encoding="utf-8-sig"))
            diff = diff if comparer.compare(test["name"], other, actual) else None
        self.warnings += comparer.warnings
        want = test.get("http-code", "2xx")
        if want not in STATUS_CLASSES:
            raise TestFailure(f"unknown code string {want}")
        if not STATUS_CLASSES[want] <= status < STATUS_CLASSES[want] + 100:
            return f"Response Code fail: should be '{want}' but is '{status}'"
        return diff

    def _capabilities(self, operation: str) -> Json:
        if operation not in self._metadata:
            query = "?mode=terminology" if operation == "term-caps" else ""
            status, res = self._send("GET", f"{self.base}/metadata{query}", None, {})
            kind = "TerminologyCapabilities" if query else "CapabilityStatement"
            if status >= 300 or res.get("resourceType") != kind:
                raise TestFailure(f"GET /metadata{query} did not return a {kind} ({status})")
            res = to_r5(res) if self.r4 else res
            if query:
                self._metadata[operation] = sort_terminology_capabilities(res)
            else:
                self._metadata[operation] = sort_capability_statement(res)
        return copy.deepcopy(self._metadata[operation])

    def request(self, suite: Json, test: Json) -> Json:
        """The Parameters the reference would send for this test (R5 form)."""
        request_file = self._file(test, "request")
        req: Json = self._load(request_file) if request_file else {"resourceType": "Parameters"}
        params: list[Json] = req.setdefault("parameter", [])
        setup = suite.get("setup", [])
        if "lenient-display" in test and test["operation"] in ("validate-code", "cs-validate-code"):
            lenient = test["lenient-display"] in (True, "true")
            params.append({"name": "lenient-display-validation", "valueBoolean": lenient})
        params += [{"name": "tx-resource", "resource": self._load(f)} for f in setup]
        if test["operation"] == "expand":
            for p in params:
                if p.get("name") == "url" and not any(
                    k in p for k in ("valueUri", "valueUrl", "valueCanonical")
                ):
                    raise TestFailure("Wrong param type")
        params += self._load(test.get("profile", "parameters-default.json")).get("parameter", [])
        return req

    def _call(self, suite: Json, test: Json) -> tuple[int, Json]:
        kind, name, may_get = OPERATIONS[test["operation"]]
        req = self.request(suite, test)
        if self.r4:
            req = to_r4(req)
        url = f"{self.base}/{kind}/${name}" if kind else f"{self.base}/${name}"
        headers = {"X-Request-Id": f"txTests:{suite['name']}/{test['name']}"}
        if "Accept-Language" in test:
            headers["Accept-Language"] = test["Accept-Language"]
        header = test.get("header")
        if isinstance(header, dict) and header.get("mode") in self.modes:
            headers[header["name"]] = header["value"]
        values = [text_of(value_of(p)) for p in req["parameter"]]
        if may_get and all(v is not None for v in values):
            pairs = [(p["name"], v) for p, v in zip(req["parameter"], values, strict=True)]
            query = urllib.parse.urlencode(pairs)
            status, res = self._send("GET", f"{url}?{query}", None, headers)
        else:
            status, res = self._send("POST", url, req, headers)
        if self.r4:
            res = to_r5(res)
        if _is_error(status, res):
            if res.get("resourceType") != "OperationOutcome":
                raise TestFailure(f"HTTP {status} without an OperationOutcome")
            return status, scrub_outcome(res)
        if test["operation"] == "expand":
            if res.get("resourceType") != "ValueSet":
                raise TestFailure(f"expected a ValueSet, got {res.get('resourceType')}")
            return status, sort_value_set(scrub_resource(res))
        if test["operation"] == "closure":
            if res.get("resourceType") != "ConceptMap":
                raise TestFailure(f"expected a ConceptMap, got {res.get('resourceType')}")
            return status, sort_concept_map(scrub_resource(res))
        if res.get("resourceType") != "Parameters":
            raise TestFailure(f"expected Parameters, got {res.get('resourceType')}")
        return status, sort_parameters(scrub_parameters(res))

    def _send(
        self, method: str, url: str, body: Json | None, headers: dict[str, str]
    ) -> tuple[int, Json]:
        fmt = f"application/fhir+json; fhirVersion={self.fhir_version}"
        headers = {"Accept": fmt, "User-Agent": "nice-tx txsuite runner", **headers}
        content = None
        if body is not None:
            headers["Content-Type"] = fmt + "; charset=UTF-8"
            content = json.dumps(plain(body)).encode()
        reply = self._client.request(method, url, headers=headers, content=content)
        ctype = reply.headers.get("content-type", "").split(";")[0].strip()
        if reply.content and ctype in ("", "application/json", "application/fhir+json"):
            res = load_exact(reply.content.decode("utf-8-sig"))
        else:
            text = reply.content.decode("utf-8", "replace")
            res = {"resourceType": "OperationOutcome", "issue": [_text_issue(text)]}
        if not isinstance(res, dict) or "resourceType" not in res:
            raise TestFailure(f"HTTP {reply.status_code}: the answer is not a FHIR resource")
        return reply.status_code, res


def _text_issue(text: str) -> Json:
    return {"severity": "error", "code": "exception", "details": {"text": text}}


def _is_error(status: int, res: Json) -> bool:
    if not 200 <= status < 300:
        return True
    if res.get("resourceType") != "OperationOutcome":
        return False
    if any(i.get("severity") in ("error", "fatal") for i in res.get("issue", [])):
        return True
    raise TestFailure("the server answered an OperationOutcome without an error")


def main(argv: list[str] | None = None) -> int:
    """Command line: run the suite against a live server and print one line per test."""
    ap = argparse.ArgumentParser(description="Run the HL7 terminology ecosystem tests.")
    ap.add_argument("--base", required=True, help="FHIR base, e.g. http://127.0.0.1:8000/r4")
    ap.add_argument("--fhir-version", default=None, help="4.0 or 5.0 (default: from the base)")
    ap.add_argument("--tests", default=None, help="comma-separated suite/test names")
    ap.add_argument("--externals", default=None, help="messages file for $external$ strings")
    args = ap.parse_args(argv)
    version = args.fhir_version or ("5.0" if args.base.rstrip("/").endswith("r5") else "4.0")
    externals = json.loads(Path(args.externals).read_text()) if args.externals else None
    runner = Runner(args.base, version, externals=externals)
    results = runner.run(args.tests.split(",") if args.tests else None)
    for r in results:
        print(("PASS " if r.passed else "FAIL ") + r.name + ("" if r.passed else f": {r.message}"))
    failed = sum(not r.passed for r in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
