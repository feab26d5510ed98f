"""HTTP benchmark: starts the servers itself on loopback, loads them, prints one table.

    python benchmarks/http_load.py [--duration 3] [--rounds 3] [--text-body FILE] [--no-wrk]

Every server runs on 127.0.0.1; load is `wrk -t1 -c16 --latency` when wrk is installed, else the
bundled Python generator (loadgen.py). Rows that are compared are interleaved round by round and
reported as medians, because the machine may be shared. Each load run is bounded by --duration;
every wait is bounded in time; only the processes started here are stopped.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from content import probe_query, write_maps
from loadgen import load

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROCEDURE = "https://w3id.org/nice-tx/fhir/CodeSystem/mwa-liver-procedure"
OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
TRANSLATE = f"/r4/ConceptMap/$translate?system={PROCEDURE}&code=mwa-liver-percutaneous"
VALIDATE = f"/r4/CodeSystem/$validate-code?url={OPCS4}&code=J12.7"
LOOKUP = f"/r4/CodeSystem/$lookup?system={OPCS4}&code=J12.7"
TRANSLATE_PATH = "/r4/ConceptMap/$translate"
CONNECTIONS = 16

HELLO = "granian: bare ASGI hello GET"
HELLO_POST = "granian: bare ASGI hello POST (reads body)"
CODED = "$translate GET coded"
CODED_OFF = "$translate GET coded, cache off"
VALIDATE_ROW = "$validate-code GET"
LOOKUP_ROW = "$lookup GET"
TEXT = "$translate POST free text"
TEXT_OFF = "$translate POST free text, cache off"
TWO = "$translate GET coded, --workers 2"
U_HELLO = "uvicorn+uvloop+httptools: bare hello GET"
U_CODED = "uvicorn+uvloop+httptools: $translate GET"
START_TIMEOUT = 20.0


@dataclass
class Server:
    """One server process started by this script."""

    name: str
    port: int
    proc: subprocess.Popen[bytes]
    cold_start: float = float("nan")

    def url(self, path: str) -> str:
        """The loopback URL of `path` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_pids(self) -> list[int]:
        """The worker processes (children of a supervising server, else the process itself)."""
        kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        pids = [int(p) for p in kids.read_text().split()] if kids.exists() else []
        return pids or [self.proc.pid]

    def rss_mb(self) -> list[float]:
        """Resident memory of each worker, in MB."""
        out = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            out.append(kb / 1024)
        return out

    def stop(self) -> None:
        """Stop this server (its own process; a server stops its workers)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def get_status(url: str, method: str = "GET", body: bytes = b"") -> int:
    """The status of one request, or 0 when the server does not answer."""
    parts = url.split("/", 3)
    host, port = parts[2].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=2)
    try:
        headers = {"Content-Type": "application/fhir+json"} if body else {}
        conn.request(method, "/" + parts[3], body=body or None, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        conn.close()


def start(name: str, cmd: Sequence[str], port: int, probe: str, env: dict[str, str]) -> Server:
    """Start `cmd`; return once `probe` answers, with the time that took (cold start)."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd),
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(name, port, proc)
    while time.perf_counter() - began < START_TIMEOUT:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}: {' '.join(cmd)}")
        if get_status(server.url(probe)):
            server.cold_start = time.perf_counter() - began
            return server
        time.sleep(0.005)
    server.stop()
    raise RuntimeError(f"{name} did not answer within {START_TIMEOUT} s")


@dataclass
class Sample:
    """One load run."""

    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    """A wrk duration ("512.00us", "1.20ms", "2.00s") in milliseconds; NaN if unreadable."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(found.group(1)) * _UNITS[found.group(2)] if found else float("nan")


def _wrk_field(pattern: str, out: str) -> str:
    found = re.search(pattern, out, re.MULTILINE)
    return found.group(1) if found else "nan"


def run_wrk(url: str, duration: float, method: str, body: bytes) -> Sample:
    """Load `url` with wrk (one thread, 16 connections) and parse its report."""
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(duration))}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        if method != "GET":
            body_text = body.decode().replace("\\", "\\\\").replace("]]", "] ]")
            lua.write(
                f'wrk.method = "{method}"\n'
                f"wrk.body = [[{body_text}]]\n"
                'wrk.headers["Content-Type"] = "application/fhir+json"\n'
            )
        lua.write('wrk.headers["Accept"] = "application/fhir+json"\n')
    try:
        out = subprocess.run(
            [*cmd, "-s", lua.name, url],
            capture_output=True,
            text=True,
            timeout=duration + 30,
            check=True,
        ).stdout
    finally:
        os.unlink(lua.name)
    rps = float(_wrk_field(r"Requests/sec:\s+([\d.]+)", out))
    # Anchored: "83.50%" in the thread stats must not be read as the 50th percentile.
    p50 = _ms(_wrk_field(r"^\s+50%\s+(\S+)$", out))
    p99 = _ms(_wrk_field(r"^\s+99%\s+(\S+)$", out))
    if math.isnan(p50) or math.isnan(p99) or "Socket errors" in out:
        print(f"wrk output for {url}:\n{out}", file=sys.stderr)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Sample(rps, p50, p99, int(bad.group(1)) if bad else 0)


def run_python(url: str, duration: float, method: str, body: bytes) -> Sample:
    """Load `url` with the bundled generator."""
    r = load(url, CONNECTIONS, duration, method, body)
    return Sample(r.rps, r.percentile(50), r.percentile(99), r.non_2xx + r.errors)


@dataclass
class Row:
    """A table row: the samples of one (server, request) over the rounds."""

    label: str
    server: Server
    path: str
    method: str = "GET"
    body: bytes = b""
    status: int = 0
    samples: list[Sample] = field(default_factory=list)

    def median(self, attr: str) -> float:
        """The median of one measure over the rounds."""
        return statistics.median(getattr(s, attr) for s in self.samples)


def measure(rows: list[Row], rounds: int, duration: float, use_wrk: bool) -> None:
    """Probe each row once, then load the rows in turn, `rounds` times (interleaved)."""
    for row in rows:
        row.status = get_status(row.server.url(row.path), row.method, row.body)
    runner = run_wrk if use_wrk else run_python
    for _ in range(rounds):
        for row in rows:
            row.samples.append(runner(row.server.url(row.path), duration, row.method, row.body))


def main() -> None:
    """Start the servers, run the load, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=3.0, help="seconds per load run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--text-body", type=Path, default=HERE / "text-translate.json")
    ap.add_argument("--maps", default="1,10,100,1000", help="generated ConceptMap counts")
    ap.add_argument("--no-wrk", action="store_true", help="use the bundled Python generator")
    ap.add_argument("--port", type=int, default=18700, help="first port to use")
    opts = ap.parse_args()
    use_wrk = shutil.which("wrk") is not None and not opts.no_wrk
    py = sys.executable
    ports = iter(range(opts.port, opts.port + 100))
    serve = [py, "-m", "plugin", "serve", "--log-level", "warning"]
    uvicorn = [py, "-m", "uvicorn", "--loop", "uvloop", "--http", "httptools"]
    uvicorn += ["--no-access-log", "--log-level", "warning"]
    granian = [py, "-m", "granian", "--interface", "asgi", "--no-ws", "--log-level", "warning"]
    text = opts.text_body.read_bytes() if opts.text_body.is_file() else b""
    servers: list[Server] = []

    def up(
        name: str, cmd: list[str], probe: str = "/", env: dict[str, str] | None = None
    ) -> Server:
        port = next(ports)
        port_args = ["--port", str(port)]
        servers.append(start(name, [*cmd, *port_args], port, probe, env or {}))
        return servers[-1]

    try:
        g_hello = up("granian hello", [*granian, "hello:app"], env={"PYTHONPATH": str(HERE)})
        g_app = up("nice-tx serve", serve, LOOKUP)
        g_cold = up("nice-tx serve --cache-size 0", [*serve, "--cache-size", "0"], LOOKUP)
        g_two = up("nice-tx serve --workers 2", [*serve, "--workers", "2"], LOOKUP)
        # The stack the server choice is measured against (pip install ".[bench]").
        has_uvicorn = importlib.util.find_spec("uvicorn") is not None
        if has_uvicorn:
            u_hello = up("uvicorn hello", [*uvicorn, "--app-dir", str(HERE), "hello:app"])
            u_app = up(
                "uvicorn nice-tx",
                [*uvicorn, "--factory", "plugin.api.settings:app_from_env"],
                LOOKUP,
            )
        rows = [
            Row(HELLO, g_hello, "/"),
            Row(CODED, g_app, TRANSLATE),
            Row(CODED_OFF, g_cold, TRANSLATE),
            Row(VALIDATE_ROW, g_app, VALIDATE),
            Row(LOOKUP_ROW, g_app, LOOKUP),
        ]
        if text:
            rows += [
                Row(HELLO_POST, g_hello, "/", "POST", text),
                Row(TEXT, g_app, TRANSLATE_PATH, "POST", text),
                Row(TEXT_OFF, g_cold, TRANSLATE_PATH, "POST", text),
            ]
        rows.append(Row(TWO, g_two, TRANSLATE))
        if has_uvicorn:
            rows += [Row(U_HELLO, u_hello, "/"), Row(U_CODED, u_app, TRANSLATE)]
        measure(rows, opts.rounds, opts.duration, use_wrk)
        cold = [g_app.cold_start, g_cold.cold_start]
        for _ in range(3):
            extra = up("cold start probe", serve, LOOKUP)
            cold.append(extra.cold_start)
            servers.remove(extra)
            extra.stop()
        rss = [*g_app.rss_mb(), *g_cold.rss_mb()]
        rss_two = g_two.rss_mb()

        scale_rows: list[Row] = []
        with tempfile.TemporaryDirectory() as tmp:
            for count in (int(c) for c in opts.maps.split(",")):
                folder = write_maps(Path(tmp) / f"maps-{count}", count)
                path = f"/r4/ConceptMap/$translate?{probe_query(count)}"
                s = up(
                    f"{count} maps", [*serve, "--cache-size", "0", "--content", str(folder)], path
                )
                scale_rows.append(Row(f"$translate GET, {count} maps loaded, cache off", s, path))
            measure(scale_rows, opts.rounds, opts.duration, use_wrk)
    finally:
        for s in servers:
            s.stop()

    report(rows, scale_rows, cold, rss, rss_two, use_wrk, opts)


def report(
    rows: list[Row],
    scale_rows: list[Row],
    cold: list[float],
    rss: list[float],
    rss_two: list[float],
    use_wrk: bool,
    opts: argparse.Namespace,
) -> None:
    """Print the table: medians over the rounds, and the ratios the targets are stated in."""
    by = {r.label: r for r in rows}
    tool = "wrk -t1 -c16 --latency" if use_wrk else "bundled Python generator, 16 connections"
    print(f"load: {tool}, {opts.duration:g} s per run, {opts.rounds} interleaved rounds;")
    print("req/s, p50, p99: medians over the rounds; ratio: median of the per-round ratios")
    head = (
        f"{'request':<44} {'status':>6} {'req/s':>7} {'p50 ms':>6} {'p99 ms':>6}"
        f"  {'ratio':<20} target"
    )
    print(head)
    print("-" * (len(head) + 12))
    # label -> (base row label, what the ratio is to, minimum ratio the issue asks for)
    bases: dict[str, tuple[str, str, float | None]] = {
        CODED: (HELLO, "x hello", 0.75),
        CODED_OFF: (HELLO, "x hello", None),
        VALIDATE_ROW: (CODED, "x translate", 0.8),
        LOOKUP_ROW: (CODED, "x translate", 0.8),
        HELLO_POST: (HELLO, "x hello GET", None),
        TEXT: (CODED, "x coded GET", 0.5),
        TEXT_OFF: (CODED, "x coded GET", None),
        TWO: (CODED, "x 1 worker", None),
        U_HELLO: (HELLO, "x granian hello", None),
        U_CODED: (U_HELLO, "x uvicorn hello", None),
    }
    for r in rows:
        base = bases.get(r.label)
        against = (by[base[0]], base[1], base[2]) if base and base[0] in by else None
        line(r, against, p99_max=2.0 if r.label == CODED else None)
    for r in scale_rows:
        line(r, (scale_rows[0], f"x {scale_rows[0].label.split(',')[1].strip()}", None), None)
    print(
        f"cold start (process start -> first answer), median of {len(cold)}: "
        f"{statistics.median(cold):.2f} s (min {min(cold):.2f}, max {max(cold):.2f})"
        f"  target <= 1 s: {'met' if statistics.median(cold) <= 1 else 'NOT met'}"
    )
    worst = max([*rss, *rss_two])
    print(
        f"RSS per worker after load: 1 worker {max(rss):.0f} MB; --workers 2: "
        f"{', '.join(f'{m:.0f}' for m in rss_two)} MB"
        f"  target <= 150 MB: {'met' if worst <= 150 else 'NOT met'}"
    )


def line(r: Row, base: tuple[Row, str, float | None] | None, p99_max: float | None) -> None:
    """One table line: medians, the ratio to its base row, and whether its target is met."""
    rps = r.median("rps")
    p99 = r.median("p99_ms")
    ratio, verdicts = "", []
    if base is not None:
        # Paired by round, so a slow spell on the shared machine hits both sides of a ratio.
        pairs = [s.rps / b.rps for s, b in zip(r.samples, base[0].samples, strict=True) if b.rps]
        value = statistics.median(pairs) if pairs else float("nan")
        ratio = f"{value:.2f}{base[1]}"
        if base[2] is not None:
            verdicts.append(f">= {base[2]:g}{base[1]} {'met' if value >= base[2] else 'NOT met'}")
    if p99_max is not None:
        verdicts.append(f"p99 <= {p99_max:g} ms {'met' if p99 <= p99_max else 'NOT met'}")
    bad = sum(s.non_2xx for s in r.samples)
    if bad or r.status != 200:
        verdicts.append(f"{bad} non-2xx answers")
    print(
        f"{r.label:<44} {r.status:>6} {rps:>7.0f} {r.median('p50_ms'):>6.2f} {p99:>6.2f}"
        f"  {ratio:<20} {'; '.join(verdicts)}"
    )


if __name__ == "__main__":
    main()
