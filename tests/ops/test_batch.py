"""$batch-validate-code: shared parameters, per-request answers, one bad request isolated."""

from __future__ import annotations

from typing import Any

from plugin.content.store import Store, make_entry
from plugin.ops.batch import PARAMS, run
from plugin.ops.operation import Context
from plugin.ops.params import parse_parameters
from tests.ops.test_validate_code import CS, VS


def test_each_validation_is_answered_in_order() -> None:
    store = Store()
    for r in (CS, VS):
        store.add(make_entry(r, "test"))

    def request(code: str, name: str = "coding") -> dict[str, Any]:
        coding = {"system": "http://x/cs", "code": code}
        return {
            "name": "validation",
            "resource": {
                "resourceType": "Parameters",
                "parameter": [{"name": name, "valueCoding": coding}],
            },
        }

    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "url", "valueUri": "http://x/vs"},
            request("a"),
            request("a", name="codingX"),
            request("c"),
        ],
    }
    out = run(Context(parse_parameters(PARAMS, body), store))
    answers = [p["resource"] for p in out["parameter"]]
    assert [a["resourceType"] for a in answers] == ["Parameters", "OperationOutcome", "Parameters"]
    results = [
        next(p["valueBoolean"] for p in a["parameter"] if p["name"] == "result")
        for a in (answers[0], answers[2])
    ]
    assert results == [True, False]
