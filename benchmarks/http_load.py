"""HTTP benchmark: starts the servers itself on loopback, loads them, prints one table.

    python benchmarks/http_load.py [--duration 2] [--rounds 5] [--no-peers] [--server-choice]

Every server runs on 127.0.0.1; load is `wrk -t1 -c16 --latency` when wrk is installed, else the
bundled Python generator (loadgen.py; the many-request workloads then are skipped). The Node
peers (benchmarks/peers.py) are installed with npm into a scratch folder and served by a minimal
`node:http` server each; without Node they are skipped, and the output says so. Rows that are
compared are interleaved round by round and reported as medians, because the machine may be
shared. Each load run is bounded by --duration; every wait is bounded in time; only the
processes started here are stopped.
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from content import probe_query, write_maps
from loadgen import load
from peers import PEERS
from peers import command as peer_command
from peers import install as install_peers
from workload import descriptions, lua_paths, lua_posts, varied

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
CODED = "$translate GET coded, cache on (one request)"
CODED_OFF = "$translate GET coded, cache off"
CODED_NO_LANES = "$translate GET coded, cache and lanes off"
VARIED_NO_LANES = "varied GETs, cache and lanes off"
PEER_ROW = "node {}: $translate GET"
FASTEST_PEER = "fastest Node peer"
VARIED = "varied GETs, cache off"
HELLO_VARIED = "granian: bare ASGI hello, varied GET paths"
BASELINE = "--baseline commit: $translate GET, cache off"
TEXT_DISTINCT = "$translate POST free text, cache off"
VALIDATE_ROW = "$validate-code GET, cache off"
LOOKUP_ROW = "$lookup GET, cache off"
TWO = "$translate GET coded, cache off, --workers 2"
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


def start(
    name: str,
    cmd: Sequence[str],
    port: int,
    probe: str,
    env: dict[str, str],
    cwd: Path = ROOT,
) -> Server:
    """Start `cmd`; return once `probe` answers, with the time that took (cold start)."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd),
        cwd=cwd,
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


def run_wrk(url: str, duration: float, method: str, body: bytes, script: str = "") -> Sample:
    """Load `url` with wrk (one thread, 16 connections) and parse its report.

    `script` (Lua) replaces the request wrk sends, e.g. to cycle through many requests.
    """
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(duration))}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        if script:
            lua.write(script)
        elif method != "GET":
            body_text = body.decode().replace("\\", "\\\\").replace("]]", "] ]")
            lua.write(
                f'wrk.method = "{method}"\n'
                f"wrk.body = [[{body_text}]]\n"
                'wrk.headers["Content-Type"] = "application/fhir+json"\n'
            )
        if not script:
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


def run_python(url: str, duration: float, method: str, body: bytes, script: str = "") -> Sample:
    """Load `url` with the bundled generator (one request, repeated; `script` is not run)."""
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
    script: str = ""  # wrk Lua script sending many distinct requests (see workload.py)
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
    # One unrecorded run each first: Node's JIT (and any server's first-use work) warms up.
    for row in rows:
        runner(row.server.url(row.path), 1.0, row.method, row.body, row.script)
    for _ in range(rounds):
        for row in rows:
            url = row.server.url(row.path)
            row.samples.append(runner(url, duration, row.method, row.body, row.script))


def main() -> None:
    """Start the servers, run the load, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=2.0, help="seconds per load run")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--varied", type=int, default=12_000, help="distinct GETs in the mix")
    ap.add_argument("--texts", type=int, default=10_000, help="distinct descriptions")
    ap.add_argument("--maps", default="1,1000", help="generated ConceptMap counts ('' = none)")
    ap.add_argument("--no-peers", action="store_true", help="skip the Node peers")
    ap.add_argument(
        "--server-choice", action="store_true", help="also uvicorn and --workers 2 rows"
    )
    ap.add_argument("--no-wrk", action="store_true", help="use the bundled Python generator")
    ap.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of an earlier commit: its server (cache off) is loaded beside this one",
    )
    ap.add_argument("--port", type=int, default=18700, help="first port to use")
    opts = ap.parse_args()
    use_wrk = shutil.which("wrk") is not None and not opts.no_wrk
    py = sys.executable
    ports = iter(range(opts.port, opts.port + 100))
    serve = [py, "-m", "plugin", "serve", "--log-level", "warning"]
    off = [*serve, "--cache-size", "0"]
    uvicorn = [py, "-m", "uvicorn", "--loop", "uvloop", "--http", "httptools"]
    uvicorn += ["--no-access-log", "--log-level", "warning"]
    granian = [py, "-m", "granian", "--interface", "asgi", "--no-ws", "--log-level", "warning"]
    servers: list[Server] = []
    notes: list[str] = []
    if not use_wrk:
        notes.append("wrk is not installed: the many-request workloads are skipped")

    def up(
        name: str, cmd: list[str], probe: str = "/", env: dict[str, str] | None = None
    ) -> Server:
        port = next(ports)
        port_args = ["--port", str(port)]
        servers.append(start(name, [*cmd, *port_args], port, probe, env or {}))
        return servers[-1]

    with tempfile.TemporaryDirectory() as tmp:
        try:
            g_hello = up("granian hello", [*granian, "hello:app"], env={"PYTHONPATH": str(HERE)})
            g_app = up("nice-tx serve", serve, LOOKUP)
            g_off = up("nice-tx serve --cache-size 0", off, LOOKUP)
            # Every request through its operation: what the lanes save.
            g_slow = up("nice-tx serve --cache-size 0 --no-lanes", [*off, "--no-lanes"], LOOKUP)
            rows = [
                Row(HELLO, g_hello, "/"),
                Row(CODED, g_app, TRANSLATE),
                Row(CODED_OFF, g_off, TRANSLATE),
                Row(CODED_NO_LANES, g_slow, TRANSLATE),
            ]
            if opts.baseline is not None:
                # `python -m plugin` imports the package of its working directory first.
                port = next(ports)
                cmd = [*off, "--port", str(port)]
                servers.append(start("baseline", cmd, port, LOOKUP, {}, cwd=opts.baseline))
                rows.append(Row(BASELINE, servers[-1], TRANSLATE))
            if opts.no_peers:
                notes.append("--no-peers given: Node peers skipped")
            else:
                skipped = start_peers(Path(tmp) / "peers", ports, servers, rows)
                notes += [skipped] if skipped else []
            if use_wrk:
                paths = lua_paths(varied(opts.varied))
                rows.append(Row(VARIED, g_off, "/", script=paths))
                rows.append(Row(VARIED_NO_LANES, g_slow, "/", script=paths))
                # The same script against the hello: what cycling through paths costs wrk.
                rows.append(Row(HELLO_VARIED, g_hello, "/", script=paths))
                bodies = descriptions(opts.texts)
                rows.append(
                    Row(
                        TEXT_DISTINCT,
                        g_off,
                        TRANSLATE_PATH,
                        "POST",
                        bodies[0],
                        script=lua_posts(TRANSLATE_PATH, bodies),
                    )
                )
            rows += [
                Row(VALIDATE_ROW, g_off, VALIDATE),
                Row(LOOKUP_ROW, g_off, LOOKUP),
                Row(HELLO_POST, g_hello, "/", "POST", b'{"resourceType":"Parameters"}'),
            ]
            if opts.server_choice:
                g_two = up("nice-tx serve --workers 2", [*off, "--workers", "2"], LOOKUP)
                rows.append(Row(TWO, g_two, TRANSLATE))
                if importlib.util.find_spec("uvicorn") is not None:
                    u_hello = up("uvicorn hello", [*uvicorn, "--app-dir", str(HERE), "hello:app"])
                    u_app = up(
                        "uvicorn nice-tx",
                        [*uvicorn, "--factory", "plugin.api.settings:app_from_env"],
                        LOOKUP,
                        env={"NICE_TX_CACHE_SIZE": "0"},
                    )
                    rows += [Row(U_HELLO, u_hello, "/"), Row(U_CODED, u_app, TRANSLATE)]
            measure(rows, opts.rounds, opts.duration, use_wrk)
            cold = [g_app.cold_start, g_off.cold_start]
            for _ in range(3):
                extra = up("cold start probe", serve, LOOKUP)
                cold.append(extra.cold_start)
                servers.remove(extra)
                extra.stop()
            rss = [*g_app.rss_mb(), *g_off.rss_mb()]

            scale_rows: list[Row] = []
            for count in (int(c) for c in opts.maps.split(",") if c.strip()):
                folder = write_maps(Path(tmp) / f"maps-{count}", count)
                path = f"/r4/ConceptMap/$translate?{probe_query(count)}"
                # The operation's own cost (lanes off): lanes compile at most MAX_COMPILED
                # answers, fewer than a thousand maps' codes, so they would mix the two paths.
                cmd = [*off, "--no-lanes", "--content", str(folder)]
                s = up(f"{count} maps", cmd, path)
                scale_rows.append(Row(f"$translate GET, {count} maps, lanes+cache off", s, path))
            measure(scale_rows, opts.rounds, opts.duration, use_wrk)
        finally:
            for server in servers:
                server.stop()

    report(rows, scale_rows, cold, rss, use_wrk, opts, notes)


def start_peers(
    folder: Path, ports: Iterator[int], servers: list[Server], rows: list[Row]
) -> str | None:
    """Install and start the Node peers, adding their servers and rows; the reason if skipped."""
    skipped = install_peers(folder)
    if skipped is not None:
        return skipped
    for name in PEERS:
        port = next(ports)
        cmd, env = peer_command(name, port, folder)
        servers.append(start(f"node {name}", cmd, port, TRANSLATE, env))
        rows.append(Row(PEER_ROW.format(name), servers[-1], TRANSLATE))
    return None


def fastest_peer(rows: list[Row]) -> Row | None:
    """A row whose sample of each round is the faster Node peer of that round."""
    peers = [r for r in rows if r.label.startswith("node ")]
    if not peers:
        return None
    best = Row(FASTEST_PEER, peers[0].server, peers[0].path)
    best.status = 200
    for samples in zip(*(p.samples for p in peers), strict=True):
        best.samples.append(max(samples, key=lambda x: x.rps))
    return best


def report(
    rows: list[Row],
    scale_rows: list[Row],
    cold: list[float],
    rss: list[float],
    use_wrk: bool,
    opts: argparse.Namespace,
    notes: list[str],
) -> None:
    """Print the table: medians over the rounds, and the ratios the targets are stated in."""
    peer = fastest_peer(rows)
    by = {r.label: r for r in rows}
    if peer is not None:
        by[FASTEST_PEER] = peer
    tool = "wrk -t1 -c16 --latency" if use_wrk else "bundled Python generator, 16 connections"
    print(f"load: {tool}, {opts.duration:g} s per run, {opts.rounds} interleaved rounds;")
    print("req/s, p50, p99: medians over the rounds; ratio: median of the per-round ratios")
    for note in notes:
        print(f"note: {note}")
    head = (
        f"{'request':<46} {'status':>6} {'req/s':>7} {'p50 ms':>6} {'p99 ms':>6}"
        f"  {'ratio':<24} target"
    )
    print(head)
    print("-" * (len(head) + 12))
    # label -> (base row label, what the ratio is to, minimum ratio the issue asks for)
    bases: dict[str, tuple[str, str, float | None]] = {
        CODED: (HELLO, "x hello", 0.85),
        CODED_OFF: (FASTEST_PEER, "x fastest Node peer", 1.0),
        CODED_NO_LANES: (CODED_OFF, "x lanes on", None),
        VARIED_NO_LANES: (VARIED, "x lanes on", None),
        VARIED: (CODED_OFF, "x coded GET off", 0.8),
        HELLO_VARIED: (HELLO, "x hello GET", None),
        BASELINE: (CODED_OFF, "x this commit", None),
        TEXT_DISTINCT: (CODED_OFF, "x coded GET off", 0.5),
        VALIDATE_ROW: (CODED_OFF, "x coded GET off", None),
        LOOKUP_ROW: (CODED_OFF, "x coded GET off", None),
        HELLO_POST: (HELLO, "x hello GET", None),
        TWO: (CODED_OFF, "x 1 worker", None),
        U_HELLO: (HELLO, "x granian hello", None),
        U_CODED: (U_HELLO, "x uvicorn hello", None),
    }
    for r in rows:
        base = bases.get(r.label)
        if r.label.startswith("node "):
            base = (CODED_OFF, "x nice-tx cache off", None)
        against = (by[base[0]], base[1], base[2]) if base and base[0] in by else None
        line(r, against, p99_max=None)
    if peer is not None:
        line(peer, None, None)
        off = by[CODED_OFF]
        pairs = [o.rps / p.rps for o, p in zip(off.samples, peer.samples, strict=True) if p.rps]
        goal = statistics.median(pairs) if pairs else float("nan")
        print(f"goal 1.5x the fastest Node peer: {'met' if goal >= 1.5 else 'NOT met'}")
    for r in scale_rows:
        line(r, (scale_rows[0], f"x {scale_rows[0].label.split(',')[1].strip()}", None), None)
    print(
        f"cold start (process start -> first answer), median of {len(cold)}: "
        f"{statistics.median(cold):.2f} s (min {min(cold):.2f}, max {max(cold):.2f})"
        f"  target <= 1 s: {'met' if statistics.median(cold) <= 1 else 'NOT met'}"
    )
    print(
        f"RSS per worker after load: {', '.join(f'{m:.0f}' for m in rss)} MB"
        f"  target <= 150 MB: {'met' if max(rss) <= 150 else 'NOT met'}"
    )
    one, five, fifteen = os.getloadavg()
    print(f"load average at the end: {one:.1f} {five:.1f} {fifteen:.1f} ({os.cpu_count()} cores)")


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
