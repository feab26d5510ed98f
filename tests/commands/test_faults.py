"""A real server under faults: a killed worker is replaced; a costly request cannot starve others.

These start `nice-tx serve` (granian) as a separate process; each is bounded by its own timeouts.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import threading
import time
from typing import Any

import httpx
import pytest

from plugin.config import BODY_TIMEOUT_S, HEADER_TIMEOUT_S
from tests import hostile
from tests.served import Served, serving, wait_healthy

PROC = "https://w3id.org/nice-tx/fhir/CodeSystem/mwa-liver-procedure"
TRANSLATE = {"system": PROC, "code": "mwa-liver-percutaneous"}
REPLACE_TIMEOUT_S = 30


def _new_worker(served: Served, old: set[int]) -> int:
    deadline = time.monotonic() + REPLACE_TIMEOUT_S
    while time.monotonic() < deadline:
        fresh = set(served.workers()) - old
        if fresh:
            return fresh.pop()
        time.sleep(0.05)
    raise AssertionError("no replacement worker was started")


def _translates(base: str) -> bool:
    r = httpx.get(f"{base}/r4/ConceptMap/$translate", params=TRANSLATE, timeout=5)
    return r.status_code == 200 and r.json()["parameter"][0]["valueBoolean"] is True


@pytest.mark.parametrize("workers", [1, 2])
def test_a_killed_worker_is_replaced_and_serves(workers: int) -> None:
    with serving("--workers", str(workers)) as served:
        first = served.workers()
        assert len(first) == workers
        # Kill every original worker in turn; the service must come back each time.
        for pid in first:
            os.kill(pid, signal.SIGKILL)
            _new_worker(served, set(first))
            wait_healthy(served.base, REPLACE_TIMEOUT_S, served.proc)
        survivors = set(served.workers())
        assert len(survivors) == workers
        assert not survivors & set(first)
        assert served.proc.poll() is None
        assert _translates(served.base)


def test_a_crash_loop_exits_non_zero_for_the_supervisor() -> None:
    """A worker that dies again right after its replacement is a crash loop: the server exits
    with status 1, so systemd (Restart=on-failure) or a container runtime restarts it whole."""
    with serving() as served:
        (pid,) = served.workers()
        os.kill(pid, signal.SIGKILL)
        fresh = _new_worker(served, {pid})
        wait_healthy(served.base, REPLACE_TIMEOUT_S, served.proc)
        os.kill(fresh, signal.SIGKILL)
        assert served.proc.wait(timeout=REPLACE_TIMEOUT_S) == 1


def test_costly_requests_end_in_time_while_health_answers() -> None:
    """Two requests that would take tens of seconds end with 422 within the budget (plus the
    upload), while health probes and cheap translations keep answering in under a second."""
    budget = 1.0
    bodies = [
        hostile.expand_with(
            hostile.flat_chain(10_000), [{"property": "concept", "op": "is-a", "value": "c0"}]
        ),
        hostile.expand_with(hostile.flat_system(1000), hostile.regex_filters(5000)),
    ]
    with serving("--budget", str(budget)) as served:
        results: list[tuple[int, str, float]] = []

        def heavy(body: bytes) -> None:
            start = time.monotonic()
            r = httpx.post(
                f"{served.base}/r4/ValueSet/$expand",
                content=body,
                headers={"Content-Type": "application/fhir+json"},
                timeout=60,
            )
            code = r.json()["issue"][0]["code"] if r.status_code >= 400 else ""
            results.append((r.status_code, code, time.monotonic() - start))

        threads = [threading.Thread(target=heavy, args=(b,)) for b in bodies]
        for t in threads:
            t.start()
        probes: list[float] = []
        with httpx.Client(base_url=served.base, timeout=5) as probe:
            while any(t.is_alive() for t in threads):
                start = time.monotonic()
                assert probe.get("/healthz").status_code == 200
                probes.append(time.monotonic() - start)
                start = time.monotonic()
                r = probe.get("/r4/ConceptMap/$translate", params=TRANSLATE)
                assert r.status_code == 200 and r.json()["parameter"][0]["valueBoolean"]
                probes.append(time.monotonic() - start)
                time.sleep(0.05)
        for t in threads:
            t.join()
    assert [(s, c) for s, c, _ in results] == [(422, "too-costly")] * 2
    # The budget counts work; parsing the 300 kB-1 MB bodies and queueing add a little.
    assert max(e for _, _, e in results) < budget + 10, results
    assert probes, "the costly requests ended before any probe"
    assert max(probes) < 1.0, probes


def test_budget_is_handed_to_workers(tmp_path: Any) -> None:
    with serving("--budget", "0.25", "--workers", "2") as served:
        body = hostile.expand_with(
            hostile.flat_chain(10_000), [{"property": "concept", "op": "is-a", "value": "c0"}]
        )
        r = httpx.post(
            f"{served.base}/r5/ValueSet/$expand",
            content=body,
            headers={"Content-Type": "application/fhir+json"},
            timeout=60,
        )
        assert r.status_code == 422
        assert "0.25 s" in r.json()["issue"][0]["details"]["text"]


def _closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closes `sock` (or answers on it); fails after `seconds`."""
    sock.settimeout(seconds)
    start = time.monotonic()
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        raise AssertionError(f"the connection was still open after {seconds} s") from None
    except OSError:
        pass
    return time.monotonic() - start


def test_slow_and_idle_clients_do_not_lock_others_out() -> None:
    """1,100 idle connections, a stalled request head and a stalled body: health still answers
    at once, the stalled head is closed after the header timeout, the stalled body gets 408."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1100 + 256
    if soft < wanted and (hard == resource.RLIM_INFINITY or hard >= wanted):
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    idle = min(1100, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 256)
    with serving() as served:
        port = int(served.base.rsplit(":", 1)[1])
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(idle)]
        try:
            start = time.monotonic()
            assert httpx.get(f"{served.base}/healthz", timeout=10).status_code == 200
            assert time.monotonic() - start < 1.0
            head = socket.create_connection(("127.0.0.1", port))
            head.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            assert _closed_within(head, HEADER_TIMEOUT_S + 10) >= HEADER_TIMEOUT_S - 1
            body = socket.create_connection(("127.0.0.1", port))
            body.sendall(
                b"POST /r4/ConceptMap/$translate HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/fhir+json\r\nContent-Length: 100\r\n\r\n{"
            )
            body.settimeout(BODY_TIMEOUT_S + 10)
            answer = body.recv(65536)
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
            assert b'"timeout"' in answer
        finally:
            for s in held:
                s.close()


@pytest.mark.parametrize("connections", [1, 4096])
def test_server_options_for_faults_and_slow_clients(connections: int) -> None:
    from granian.constants import HTTPModes

    from plugin.commands.serve import server_limits

    options = server_limits(connections)
    assert options["respawn_failed_workers"] is True
    assert options["backpressure"] == connections
    assert options["http"] == HTTPModes.http1
    assert options["http1_settings"].header_read_timeout == int(HEADER_TIMEOUT_S * 1000)
    assert options["backlog"] >= 1024
