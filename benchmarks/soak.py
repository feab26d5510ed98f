"""Soak and fault benchmark: a mixed workload at saturation, memory sampled, errors counted;
then the time a killed worker takes to be replaced and serve again.

    python benchmarks/soak.py [--duration 300] [--unique 0.3] [--workers 1] [--port 18750]
                              [--connections 32] [--kills 5] [--texts 100]

Needs `wrk` (its Lua hook builds the mix: 70% repeated requests the answer cache serves, 30%
unique ones it cannot: unknown codes, fresh free-text descriptions with a new word each, codes
to validate). Every server runs on 127.0.0.1 and is stopped at the end; every wait is bounded.
Last, `--texts` unique 3 MB descriptions are posted one by one and the worker's memory read.
Prints the figures docs/reliability.md quotes. Not run in CI.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import ROOT, Server, get_status, start

PROCEDURE = "https://w3id.org/nice-tx/fhir/CodeSystem/mwa-liver-procedure"
OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
VS = "https://w3id.org/nice-tx/fhir/ValueSet/ipg406-procedures"
CRASH_LOOP_S = 5.5

# The Lua hook: `unique` of the requests are new to the server, the rest repeat a fixed set.
LUA = r"""
local unique = __UNIQUE__
local fixed = {
  "GET /r4/ConceptMap/$translate?system=__PROC__&code=mwa-liver-percutaneous",
  "GET /r5/ConceptMap/$translate?sourceSystem=__PROC__&sourceCode=mwa-liver-open",
  "GET /r4/CodeSystem/$validate-code?url=__OPCS__&code=J12.7",
  "GET /r4/CodeSystem/$lookup?system=__OPCS__&code=J08.3",
  "GET /r4/ValueSet/$expand?url=__VS__",
  "POST percutaneous MWA of colorectal liver metastases under US guidance",
}
local n, id, statuses = 0, 0, {}
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local function text(t)
  local body = '{"resourceType":"Parameters","parameter":[{"name":"codeableConcept",'
    .. '"valueCodeableConcept":{"text":"' .. t .. '"}}]}'
  return wrk.format("POST", "/r4/ConceptMap/$translate",
    {["Content-Type"] = "application/fhir+json"}, body)
end

local function word(k)
  local s = ""
  repeat s = s .. string.char(97 + k % 26); k = math.floor(k / 26) until k == 0
  return "w" .. s .. "zzzzz"
end

function request()
  n = n + 1
  if math.random() < unique then
    local k = n * 64 + id
    local which = k % 3
    if which == 0 then
      return wrk.format("GET", "/r4/ConceptMap/$translate?system=__PROC__&code=x" .. k)
    elseif which == 1 then
      return text("open MWA of liver mets " .. word(k) .. " under CT guidance")
    else
      return wrk.format("GET", "/r4/CodeSystem/$validate-code?url=__OPCS__&code=Z" .. k)
    end
  end
  local f = fixed[math.random(#fixed)]
  if f:sub(1, 5) == "POST " then return text(f:sub(6)) end
  return wrk.format("GET", f:sub(5))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write(string.format("status %d %d\n", k, v)) end
end
"""
# wrk copies globals to the main state only through thread:get; keep `statuses` global there.
LUA = LUA.replace("local n, id, statuses = 0, 0, {}", "n, id, statuses = 0, 0, {}")


def lua(unique: float) -> str:
    """The wrk script for a mix with `unique` of its requests new to the server."""
    return (
        LUA.replace("__UNIQUE__", repr(unique))
        .replace("__PROC__", PROCEDURE)
        .replace("__OPCS__", OPCS4)
        .replace("__VS__", VS)
    )


def sample_rss(server: Server, every: float, stop: threading.Event, out: list[float]) -> None:
    """Total RSS (MB) of the workers every `every` seconds until `stop` is set."""
    while not stop.wait(every):
        try:
            out.append(sum(server.rss_mb()))
        except (OSError, AttributeError):
            out.append(float("nan"))


def soak(server: Server, args: argparse.Namespace) -> None:
    """Run the mixed workload and print throughput, latency, statuses, errors and RSS."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(lua(args.unique))
        script = fh.name
    rss: list[float] = [sum(server.rss_mb())]
    stop = threading.Event()
    sampler = threading.Thread(target=sample_rss, args=(server, args.every, stop, rss))
    sampler.start()
    cmd = [
        "wrk",
        "-t2",
        f"-c{args.connections}",
        f"-d{int(args.duration)}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        script,
        server.url("/"),
    ]
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=args.duration + 60, check=False
        ).stdout
    finally:
        stop.set()
        sampler.join(timeout=args.every + 5)
        os.unlink(script)
    statuses = {int(a): int(b) for a, b in re.findall(r"^status (\d+) (\d+)$", out, re.M)}
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)$", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)$", out, re.M)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    print(
        f"soak: {args.duration:g} s, {args.connections} connections, {args.workers} worker(s), "
        f"{args.unique:.0%} unique requests"
    )
    print(
        f"  requests {total.group(1) if total else '?'}, {rps.group(1) if rps else '?'} req/s, "
        f"p50 {p50.group(1) if p50 else '?'}, p99 {p99.group(1) if p99 else '?'}"
    )
    print(f"  statuses {dict(sorted(statuses.items()))}")
    print(
        f"  5xx {sum(v for k, v in statuses.items() if k >= 500)}, "
        f"socket errors: {socket_errors.group(1) if socket_errors else 'none'}"
    )
    clean = [r for r in rss if not math.isnan(r)]
    print(
        f"  RSS MB (workers): start {clean[0]:.0f}, max {max(clean):.0f}, "
        f"end {clean[-1]:.0f}; samples every {args.every:g} s: "
        + " ".join(f"{r:.0f}" for r in clean)
    )


def one_worker(port: int) -> Server:
    """A default (one-worker) `nice-tx serve` on `port`."""
    cmd = [sys.executable, "-m", "plugin", "serve", "--port", str(port), "--log-level", "error"]
    return start("nice-tx 1 worker", cmd, port, "/healthz", {})


def faults(args: argparse.Namespace) -> None:
    """Kill the only worker `kills` times; print the seconds until /healthz answers again."""
    server = one_worker(args.port + 1)
    took: list[float] = []
    try:
        for n in range(args.kills):
            if n:
                # granian takes a second death within 5.5 s of a respawn for a crash loop
                time.sleep(CRASH_LOOP_S + 0.5)
            (pid,) = server.worker_pids()[:1]
            os.kill(pid, signal.SIGKILL)
            began = time.perf_counter()
            while time.perf_counter() - began < 60:
                if server.worker_pids() != [pid] and get_status(server.url("/healthz")) == 200:
                    took.append(time.perf_counter() - began)
                    break
                time.sleep(0.01)
            else:
                print("  a killed worker was not replaced within 60 s")
                break
    finally:
        server.stop()
    if took:
        print(
            f"fault: worker killed (SIGKILL) {len(took)} times; serving again after "
            f"median {statistics.median(took):.2f} s, max {max(took):.2f} s "
            f"(granian respawn interval included)"
        )


def big_texts(args: argparse.Namespace) -> None:
    """POST `args.texts` unique 3 MB descriptions; print worker RSS before, after, and the
    largest answer (the recogniser reads a bounded prefix; its caches are bounded by bytes)."""
    port = args.port + 2
    server = one_worker(port)
    try:
        before = sum(server.rss_mb())
        peak, largest, statuses = before, 0, Counter[int]()
        for n in range(args.texts):
            word = "".join(chr(97 + int(d)) for d in f"{n:06d}")
            text = f"open microwave ablation of liver metastases {word} " * 60_000
            body = json.dumps(
                {
                    "resourceType": "Parameters",
                    "parameter": [
                        {"name": "codeableConcept", "valueCodeableConcept": {"text": text}}
                    ],
                }
            ).encode()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request(
                "POST",
                "/r4/ConceptMap/$translate",
                body=body,
                headers={"Content-Type": "application/fhir+json"},
            )
            response = conn.getresponse()
            largest = max(largest, len(response.read()))
            statuses[response.status] += 1
            conn.close()
            peak = max(peak, sum(server.rss_mb()))
        after = sum(server.rss_mb())
    finally:
        server.stop()
    print(
        f"big texts: {args.texts} unique descriptions of {len(body) / 1e6:.1f} MB: statuses "
        f"{dict(statuses)}, largest answer {largest:,} bytes, worker RSS {before:.0f} MB before, "
        f"{peak:.0f} MB peak, {after:.0f} MB after"
    )


def main() -> None:
    """Soak, faults, then big texts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300.0)
    parser.add_argument("--unique", type=float, default=0.3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=18750)
    parser.add_argument("--every", type=float, default=10.0, help="RSS sample interval (s)")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--texts", type=int, default=100, help="unique 3 MB descriptions")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("the soak needs wrk (apt-get install wrk)")
    cmd = [
        sys.executable,
        "-m",
        "plugin",
        "serve",
        "--port",
        str(args.port),
        "--workers",
        str(args.workers),
        "--log-level",
        "error",
    ]
    server = start("nice-tx", cmd, args.port, "/healthz", {})
    try:
        soak(server, args)
    finally:
        server.stop()
    faults(args)
    if args.texts:
        big_texts(args)
    print(f"(cwd {ROOT})")


if __name__ == "__main__":
    main()
