"""The benchmark harness measures what it says: its parsers, its generated content, its verdicts.

Nothing here is timed; these checks keep the scripts in benchmarks/ from rotting.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from benchmarks.content import ELEMENTS, concept_map, probe_query, source_system
from benchmarks.http_load import _ms, _wrk_field
from benchmarks.inprocess import verdict
from plugin.content.store import Store, make_entry
from plugin.ops import translate
from plugin.ops.operation import Context
from plugin.ops.params import parse_query

WRK_REPORT = """Running 2s test @ http://127.0.0.1:18701/r4/x?system=s-50&code=c7
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.95ms  648.40us   8.45ms   83.50%
    Req/Sec     8.30k   368.17     8.69k    80.65%
  Latency Distribution
     50%    1.90ms
     75%    2.22ms
     90%    2.51ms
     99%  450.00us
  25592 requests in 3.10s, 11.89MB read
Requests/sec:   8253.83
"""


def test_wrk_report_percentiles_are_not_read_from_the_thread_stats() -> None:
    assert _ms(_wrk_field(r"^\s+50%\s+(\S+)$", WRK_REPORT)) == pytest.approx(1.90)
    assert _ms(_wrk_field(r"^\s+99%\s+(\S+)$", WRK_REPORT)) == pytest.approx(0.45)
    assert float(_wrk_field(r"Requests/sec:\s+([\d.]+)", WRK_REPORT)) == pytest.approx(8253.83)


@pytest.mark.parametrize(
    ("text", "ms"),
    [("512.00us", 0.512), ("1.20ms", 1.2), ("2.00s", 2000.0), ("1.00m", 60_000.0)],
)
def test_wrk_durations_in_milliseconds(text: str, ms: float) -> None:
    assert _ms(text) == pytest.approx(ms)


def test_unreadable_wrk_field_is_nan_not_an_error() -> None:
    assert math.isnan(_ms(_wrk_field(r"^\s+42%\s+(\S+)$", WRK_REPORT)))


@pytest.mark.parametrize("count", [1, 10, 1000])
def test_generated_maps_answer_the_probe(count: int) -> None:
    store = Store()
    for i in range(count):
        store.add(make_entry(concept_map(i), "bench"))
    op = translate.OPERATION
    items = [(k, v) for k, _, v in (kv.partition("=") for kv in probe_query(count).split("&"))]
    args = parse_query(op.params, items)
    answer = op.run(Context(args, store, "ConceptMap"))
    params = answer["parameter"]
    assert params[0] == {"name": "result", "valueBoolean": True}
    concepts = [
        part["valueCoding"]["code"]
        for p in params
        if p["name"] == "match"
        for part in p["part"]
        if part["name"] == "concept"
    ]
    assert concepts == ["t7"]
    assert len(store.concept_maps_for(source_system(count // 2))) == 1
    assert ELEMENTS > 7


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        ("1.8", "<= 5", "met"),
        ("16.0", "<= 5", "NOT met"),
        ("17,906", ">= 20,000", "NOT met"),
        ("21,000", ">= 20,000", "met"),
        ("nan", "<= 50", "NOT met"),
        ("15.2", "flat", ""),
        ("15.2", "", ""),
    ],
)
def test_in_process_verdicts(value: str, target: str, expected: str) -> None:
    assert verdict(value, target) == expected


def test_varied_workload_is_distinct_and_answered(store: Store) -> None:
    from starlette.testclient import TestClient

    from benchmarks.workload import varied
    from plugin.api.app import create_app

    paths = varied(10_500)
    assert len(paths) == len(set(paths)) == 10_500
    share = sum("$translate" in p for p in paths) / len(paths)
    assert 0.3 < share < 0.7  # a mix of both operations
    with TestClient(create_app(store)) as client:
        for path in paths[::50]:
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert answer.json()["resourceType"] == "Parameters"


def test_descriptions_are_distinct_parameters() -> None:
    import json

    from benchmarks.workload import descriptions

    bodies = descriptions(10_000)
    assert len(set(bodies)) == 10_000
    texts = {json.loads(b)["parameter"][0]["valueCodeableConcept"]["text"] for b in bodies}
    assert len(texts) == 10_000


def test_lua_scripts_quote_every_request() -> None:
    from benchmarks.workload import lua_paths, lua_posts

    script = lua_paths(['/a?x="q"', "/b?y=\\"])
    assert '"/a?x=\\"q\\""' in script and '"/b?y=\\\\"' in script
    assert "request = function()" in script
    post = lua_posts("/r4/ConceptMap/$translate", [b'{"t":"a \\"b\\""}'])
    assert 'wrk.format("POST", "/r4/ConceptMap/$translate", nil, bodies[i])' in post


def test_peers_are_skipped_with_a_reason_without_node(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import shutil

    from benchmarks import peers

    monkeypatch.setattr(shutil, "which", lambda name: None)
    reason = peers.install(tmp_path / "peers")
    assert reason is not None and "not installed" in reason
    assert not (tmp_path / "peers").exists()


def test_fastest_peer_is_taken_round_by_round() -> None:
    from benchmarks.http_load import Row, Sample, fastest_peer

    a = Row("node a: $translate GET", None, "/")
    b = Row("node b: $translate GET", None, "/")
    a.samples = [Sample(10, 1, 1, 0), Sample(30, 1, 1, 0)]
    b.samples = [Sample(20, 1, 1, 0), Sample(5, 1, 1, 0)]
    best = fastest_peer([a, b])
    assert best is not None
    assert [s.rps for s in best.samples] == [20, 30]
    assert fastest_peer([]) is None


def test_long_note_benchmark_reads_notes_of_about_300_words() -> None:
    from benchmarks.bench_notes import WORDS, notes

    texts = notes(12)
    assert len(set(texts)) == 12
    assert all(WORDS <= len(t.split()) < WORDS + 80 for t in texts)


def test_per_call_times_each_item_over_its_repeats() -> None:
    """One helper times both free-text benchmarks: every item, `repeat` calls each, medians in
    the unit asked for."""
    import time

    from benchmarks.timing import per_call

    calls: list[float] = []

    def nap(seconds: float) -> None:
        calls.append(seconds)
        time.sleep(seconds)

    wall, cpu = per_call(nap, [0.002, 0.004, 0.02], repeat=2, scale=1e3)
    assert calls == [0.002, 0.002, 0.004, 0.004, 0.02, 0.02]
    assert 4 <= wall < 20  # the median item, in milliseconds per call
    assert 0 <= cpu < wall  # asleep, the process used (almost) no CPU
