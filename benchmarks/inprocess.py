"""In-process cost of one request through the functions the HTTP routes use.

Lane rows: the plain coded GETs as the dispatcher serves them first (plugin/ops/lanes.py): the
query string -> the answer, from tables compiled at load (no memo of answers).
Operation rows (every memo off, as `--cache-size 0` serves): parse the query (or Parameters body)
-> operation -> render -> JSON bytes, what the dispatcher runs when a lane declines.
Memo path (a repeat): the ResponseCache lookup a served request goes through first.

    python benchmarks/inprocess.py [--rounds 15] [--text-body benchmarks/text-translate.json]

Prints a table of medians (µs per request); every loop is bounded in count.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from content import probe_query, write_maps
from workload import descriptions as short_descriptions

from plugin.api.app import create_app
from plugin.api.cache import ResponseCache
from plugin.api.dispatch import run_operation
from plugin.config import FHIR_VERSIONS
from plugin.content.core import with_core
from plugin.content.loader import build_store
from plugin.content.store import Store
from plugin.errors import FhirError
from plugin.jsonio import dumps, loads
from plugin.ops import lookup, translate, validate_code
from plugin.ops.lanes import TranslateLane, ValidateLane
from plugin.ops.operation import Operation
from plugin.ops.params import parse_parameters, parse_query_string
from plugin.text import memoise

HERE = Path(__file__).resolve().parent
PROCEDURE = "https://w3id.org/nice-tx/fhir/CodeSystem/mwa-liver-procedure"
OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
TRANSLATE_Q = f"system={PROCEDURE}&code=mwa-liver-percutaneous"
VALIDATE_Q = f"url={OPCS4}&code=J12.7"
LOOKUP_Q = f"system={OPCS4}&code=J12.7"
NO_MATCH_Q = f"system={PROCEDURE}&code=mwa-liver-1234"
REVERSE_Q = f"system={OPCS4}&code=J12.7&reverse=true"
WRONG_Q = f"url={OPCS4}&code=J12.7&display=Percutaneous%20ablation%20(1234)"
UNLISTED_Q = f"url={OPCS4}&code=A01.1&display=x1234"
# What HAPI's remote terminology client POSTs for a translation: one coding in a CodeableConcept.
HAPI = dumps(
    {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "codeableConcept",
                "valueCodeableConcept": {
                    "coding": [{"system": PROCEDURE, "code": "mwa-liver-percutaneous"}]
                },
            },
            {"name": "targetsystem", "valueUri": OPCS4},
        ],
    }
)
VALIDATE_BODY = dumps(
    {
        "resourceType": "Parameters",
        "parameter": [{"name": "url", "valueUri": OPCS4}, {"name": "code", "valueCode": "J12.7"}],
    }
)
MEMO = "ConceptMap/$translate"


def median_us(fn: Callable[[], object], rounds: int, per_round: int) -> float:
    """Median over `rounds` of the mean CPU time of `per_round` calls, in microseconds.

    CPU time of this process (`time.process_time`), not wall time: on a shared machine the wall
    clock also counts the time other processes held the core.
    """
    fn()
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(per_round):
            fn()
        samples.append((time.process_time() - start) / per_round * 1e6)
    return statistics.median(samples)


def lane_post(lane: TranslateLane | ValidateLane, body: bytes) -> Callable[[], object]:
    """A POST as the dispatcher gives it to a lane: the decoded body -> the answer."""
    return lambda: lane.post(loads(body))


def get_path(op: Operation, rtype: str, query: str, store: Store) -> Callable[[], bytes]:
    """A GET as the route runs it on a cache miss: query -> Args -> operation -> bytes."""

    def call() -> bytes:
        args = parse_query_string(op.params, query)
        return dumps(run_operation((op, rtype, store, False), args))

    return call


def post_path(op: Operation, rtype: str, body: bytes, store: Store) -> Callable[[], bytes]:
    """A POST as the route runs it on a cache miss: JSON body -> Args -> operation -> bytes."""

    def call() -> bytes:
        args = parse_parameters(op.params, loads(body))
        return dumps(run_operation((op, rtype, store, False), args))

    return call


def posts_path(op: Operation, rtype: str, bodies: list[bytes], store: Store) -> Callable[[], bytes]:
    """POSTs of `bodies` in turn (each distinct), as `post_path` runs one."""
    calls = [post_path(op, rtype, b, store) for b in bodies]
    position = [0]

    def call() -> bytes:
        position[0] = (position[0] + 1) % len(calls)
        return calls[position[0]]()

    return call


def memo_path(path: str, query: str, body: bytes = b"") -> Callable[[], object]:
    """A served GET (or POST of `body`) that the ResponseCache answers after the first."""
    cache = ResponseCache(create_app())
    headers = [(b"host", b"127.0.0.1"), (b"accept", b"application/fhir+json")]
    if body:
        headers += [(b"content-type", b"application/fhir+json")]
        headers += [(b"content-length", str(len(body)).encode())]
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST" if body else "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": headers,
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        return None

    def call() -> object:
        # A hit never suspends, so the coroutine is driven without an event loop.
        coro = cache(scope, receive, send)
        try:
            coro.send(None)
        except StopIteration:
            return None
        raise RuntimeError("the cached answer suspended: not a hit")

    import asyncio

    asyncio.run(cache(scope, receive, send))  # the miss that fills the cache
    assert len(cache) >= 1, "the first request was not stored"
    return call


def outcome(fn: Callable[[], bytes]) -> str:
    """'ok' when the operation answers, else the error it gives (so a row is never silent)."""
    try:
        body = loads(fn())
    except FhirError as exc:
        return f"error {exc.http_status}: {exc}"[:70]
    result = next((p for p in body.get("parameter", []) if p.get("name") == "result"), None)
    return "result=false" if result is not None and not result.get("valueBoolean") else "ok"


def bulk_row(count: int) -> tuple[str, str, str, str]:
    """Descriptions per second through the Python bulk API (`plugin.coding`), all distinct."""
    try:
        from plugin.coding import default_coder
    except ImportError:
        return ("bulk free text (desc/s)", "-", ">= 20,000", "no plugin.coding in this build")
    coder = default_coder()
    texts = [loads(b)["parameter"][0]["valueCodeableConcept"]["text"] for b in descriptions(count)]
    coder.code(texts[0])
    # Ten consecutive chunks, each timed; the median chunk rate resists a burst of load.
    size = max(1, len(texts) // 10)
    rates = []
    for i in range(0, len(texts), size):
        chunk = texts[i : i + size]
        start = time.perf_counter()
        for text in chunk:
            coder.code(text)
        rates.append(len(chunk) / (time.perf_counter() - start))
    rate = statistics.median(rates)
    return (f"bulk: Coder.code, {count} distinct texts (desc/s)", f"{rate:,.0f}", ">= 20,000", "ok")


def descriptions(count: int) -> list[bytes]:
    """`count` distinct free-text $translate bodies (varied wording, one stated approach)."""
    approaches = ("Percutaneous", "Open", "Laparoscopic")
    guidance = ("under ultrasound guidance", "with CT guidance", "")
    out = []
    for i in range(count):
        text = (
            f"{approaches[i % 3]} microwave ablation of liver metastasis "
            f"{guidance[(i // 3) % 3]} (case {i})"
        )
        cc = {"text": text}
        out.append(
            dumps(
                {
                    "resourceType": "Parameters",
                    "parameter": [{"name": "codeableConcept", "valueCodeableConcept": cc}],
                }
            )
        )
    return out


def stages(store: Store) -> list[Timed]:
    """The coded $translate GET split into its stages, plus an empty call for calibration."""
    from plugin.ops.mapping import translate as engine
    from plugin.wire.translate import render

    op = translate.OPERATION
    args = parse_query_string(op.params, TRANSLATE_Q)
    req = translate.parse_request(args, store)
    outcome = engine(req, store)
    answer = render(outcome, False, True)
    return [
        Timed("  stage: query string -> Args", lambda: parse_query_string(op.params, TRANSLATE_Q)),
        Timed("  stage: input checks -> request", lambda: translate.parse_request(args, store)),
        Timed("  stage: engine (index, dependsOn)", lambda: engine(req, store)),
        Timed("  stage: render Parameters", lambda: render(outcome, False, True)),
        Timed("  stage: orjson", lambda: dumps(answer)),
        Timed("calibration: an empty Python call", lambda: None),
    ]


@dataclass
class Timed:
    """A timed row: what to call, how many calls per round, and its samples."""

    name: str
    call: Callable[[], object]
    target: str = ""
    per_round: int = 1
    status: str = "ok"
    samples: list[float] = field(default_factory=list)


def main() -> None:
    """Run every in-process measurement and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--per-round", type=int, default=2000)
    ap.add_argument("--text-body", type=Path, default=HERE / "text-translate.json")
    ap.add_argument("--maps", default="1,10,100,1000", help="generated ConceptMap counts")
    ap.add_argument("--bulk", type=int, default=5000, help="descriptions in the bulk run")
    opts = ap.parse_args()
    content, _ = build_store()
    # What /r4 serves: the content over FHIR core (as create_app builds each base's view).
    store = with_core(content, FHIR_VERSIONS["r4"])
    memoise(store, False)  # compute rows: the recogniser reads every text afresh
    n = opts.per_round
    tr, vc, lk = translate.OPERATION, validate_code.CODESYSTEM, lookup.OPERATION
    translate_lane, validate_lane = TranslateLane(store, False), ValidateLane(store, False)
    timed = [
        Timed("$translate GET coded, lane", lambda: translate_lane(TRANSLATE_Q), "<= 3"),
        Timed("$translate GET no match, lane", lambda: translate_lane(NO_MATCH_Q)),
        Timed("$translate GET reverse, lane", lambda: translate_lane(REVERSE_Q)),
        Timed("$validate-code GET, lane", lambda: validate_lane(VALIDATE_Q), "<= 5"),
        Timed("$validate-code GET wrong display, lane", lambda: validate_lane(WRONG_Q)),
        Timed("$validate-code GET unlisted code, lane", lambda: validate_lane(UNLISTED_Q)),
        Timed("$translate POST codeableConcept (HAPI), lane", lane_post(translate_lane, HAPI)),
        Timed("$validate-code POST, lane", lane_post(validate_lane, VALIDATE_BODY)),
        Timed(
            "$translate GET coded, operation (no lane)",
            get_path(tr, "ConceptMap", TRANSLATE_Q, store),
        ),
        Timed("$translate GET coded, memo hit", memo_path(f"/r4/{MEMO}", TRANSLATE_Q)),
        Timed(
            "$validate-code GET, operation (no lane)",
            get_path(vc, "CodeSystem", VALIDATE_Q, store),
        ),
        Timed("$lookup GET, computed", get_path(lk, "CodeSystem", LOOKUP_Q, store)),
    ]
    if opts.text_body.is_file():
        body = opts.text_body.read_bytes()
        timed += [
            Timed("$translate POST free text, memo hit", memo_path(f"/r4/{MEMO}", "", body)),
            Timed(
                "$translate POST free text, computed (distinct texts)",
                posts_path(tr, "ConceptMap", short_descriptions(1000), store),
                "<= 50",
                per_round=10,
            ),
        ]
    after = next(i for i, t in enumerate(timed) if t.name.startswith("$translate GET coded, op"))
    timed[after + 1 : after + 1] = stages(store)
    with tempfile.TemporaryDirectory() as tmp:
        for count in (int(c) for c in opts.maps.split(",")):
            maps, _ = build_store([write_maps(Path(tmp) / f"maps-{count}", count)])
            call = get_path(tr, "ConceptMap", probe_query(count), maps)
            timed.append(Timed(f"$translate compute, {count} generated maps loaded", call, "flat"))
    for t in timed:
        t.per_round = max(1, n // t.per_round)
        plain = "memo" in t.name or "stage" in t.name or "calibration" in t.name
        t.status = "ok" if plain else outcome(t.call)
    # Rounds interleave the rows, so a slow spell on a shared machine touches every row.
    for _ in range(opts.rounds):
        for t in timed:
            if t.status in ("ok", "result=false"):
                t.samples.append(median_us(t.call, 1, t.per_round))
    rows = [
        (
            t.name,
            f"{statistics.median(t.samples) if t.samples else math.nan:.1f}",
            t.target,
            t.status,
        )
        for t in timed
    ]
    if opts.text_body.is_file():
        rows.insert(len(rows) - len(opts.maps.split(",")), bulk_row(opts.bulk))
    width = max(len(r[0]) for r in rows)
    title = f"in-process, CPU µs (median of {opts.rounds} interleaved rounds)"
    print(f"{title:<{width}}  {'µs':>8}  {'target':>9}  {'verdict':<8} status")
    for name, value, target, status in rows:
        print(f"{name:<{width}}  {value:>8}  {target:>9}  {verdict(value, target):<8} {status}")


def verdict(value: str, target: str) -> str:
    """'met' / 'NOT met' for a `<= x` or `>= x` target, '' for rows without one."""
    try:
        number, bound = float(value.replace(",", "")), float(target[2:].replace(",", ""))
    except ValueError:
        return ""
    if math.isnan(number):  # the row could not be measured
        return "NOT met"
    ok = number <= bound if target.startswith("<=") else number >= bound
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    main()
