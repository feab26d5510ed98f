"""Docs that cannot drift: every console example is run and its output compared.

In `docs/plugin.md` and in the README's integration sections, each ```console block is a bash
script: lines starting with `$ ` are commands (a trailing `\\` continues one), the lines after
a command are its expected output (stdout and stderr). Blocks run in file order in one scratch
folder, so a file written by one block is there for the next; a ```python block whose first
line is `# name.py`, or a fenced block with `file=name` in its info string, is written there
first. The built-in service answers at the port the docs show (8000); a command ending in `&`
with `--port N` starts a server in the background on a free port, and is stopped at the end
of its block. Outputs are compared after normalising ports, process ids and timings; JSON
outputs are compared as JSON.

A block preceded by `<!-- not run: why -->` is not run; the reason is required.
`NICE_TX_UPDATE_DOCS=1 pytest tests/test_docs.py` writes the real outputs into the docs.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = {
    "docs/plugin.md": None,  # the whole file
    "README.md": ("HAPI FHIR and generic engines", "Files, Spark and Dask"),
}
FENCE = re.compile(r"^```(\S*)([^\n]*)\n(.*?)^```\n", re.S | re.M)
NOT_RUN = re.compile(r"<!-- not run: (.+?) -->\s*\Z", re.S)
DOC_PORT = 8000
MARK = "@@nice-tx-doc-command@@"


@dataclass
class Block:
    """One fenced block of a doc."""

    doc: str
    start: int  # offset of the block's body in the file
    end: int
    lang: str
    info: str
    body: str
    not_run: str | None


def _sections(text: str, names: tuple[str, ...] | None) -> list[tuple[int, int]]:
    if names is None:
        return [(0, len(text))]
    spans = []
    for name in names:
        m = re.search(rf"^## {re.escape(name)}\n", text, re.M)
        assert m, f"README has a '## {name}' section"
        nxt = re.search(r"^## ", text[m.end() :], re.M)
        spans.append((m.start(), m.end() + nxt.start() if nxt else len(text)))
    return spans


def blocks(doc: str) -> list[Block]:
    text = (ROOT / doc).read_text()
    out = []
    for lo, hi in _sections(text, DOCS[doc]):
        for m in FENCE.finditer(text, lo, hi):
            skip = NOT_RUN.search(text[max(lo, m.start() - 300) : m.start()])
            out.append(
                Block(
                    doc,
                    m.start(3),
                    m.end(3),
                    m.group(1),
                    m.group(2),
                    m.group(3),
                    skip.group(1) if skip else None,
                )
            )
    return out


def commands(body: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs of a console block."""
    pairs: list[tuple[str, str]] = []
    lines = body.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        line = lines[i]
        assert line.startswith("$ "), f"console blocks start with a command: {line!r}"
        cmd = [line[2:]]
        while cmd[-1].rstrip("\n").endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd.append(lines[i])
        i += 1
        output = []
        while i < len(lines) and not lines[i].startswith("$ "):
            output.append(lines[i])
            i += 1
        pairs.append(("".join(cmd), "".join(output)))
    return pairs


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def normalise(text: str, ports: dict[int, int]) -> str:
    for doc_port, real in ports.items():
        text = text.replace(f"127.0.0.1:{real}", f"127.0.0.1:{doc_port}")
        text = text.replace(f"--port {real}", f"--port {doc_port}")
    if text and not text.endswith("\n"):
        text += "\n"  # e.g. curl's JSON: the next command is shown on a line of its own
    # job-control notices of the block's own background servers
    text = re.sub(r"^\[\d+\][+-]? +(Done|Terminated|Killed|Exit \d+) .*\n", "", text, flags=re.M)
    text = re.sub(r"process \[\d+\]", "process [PID]", text)
    return re.sub(r"\d+(\.\d+)? ?(rows|it)/s", "N rows/s", text)


def same(expected: str, got: str) -> bool:
    if expected == got:
        return True
    try:
        return bool(json.loads(expected) == json.loads(got))
    except ValueError:
        return False


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The built-in service, as `nice-tx serve`, on a free port."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("serve") / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "plugin", "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(port, proc)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the service stopped"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def script(pairs: list[tuple[str, str]], ports: dict[int, int]) -> str:
    """One bash script for the block: each command after a marker, background servers
    awaited on their port and stopped at the end."""
    # job control: each background server is its own process group, stopped whole at the end
    # (TERM, then KILL after 10 s: a block never waits on a server that will not stop)
    stop = (
        "trap 'for p in $(jobs -p); do kill -TERM -- -$p 2>/dev/null; done; "
        'for i in $(seq 100); do [ -z "$(jobs -pr)" ] && break; sleep 0.1; done; '
        "for p in $(jobs -p); do kill -KILL -- -$p 2>/dev/null; done' EXIT"
    )
    lines = ["exec 2>&1", "set -m", stop]
    for shown, _ in pairs:
        cmd = shown
        for doc_port in sorted(ports, reverse=True):
            cmd = re.sub(rf"(127\.0\.0\.1:|--port ){doc_port}\b", rf"\g<1>{ports[doc_port]}", cmd)
        lines.append(f"__rc=$?; echo {MARK}; (exit $__rc)")  # `$?` still the last command's
        lines.append(cmd.rstrip("\n"))
        port = re.search(r"--port (\d+)", cmd)
        if cmd.rstrip().endswith("&") and port:
            lines.append(
                f"for i in $(seq 300); do (echo > /dev/tcp/127.0.0.1/{port.group(1)}) "
                "2>/dev/null && break; sleep 0.1; done"
            )
    return "\n".join(lines) + "\n"


def run_doc(doc: str, folder: Path, service: int) -> list[tuple[Block, int, str, str]]:
    """Run a doc's blocks; (block, command index, expected, got) for each console command."""
    results = []
    ports = {DOC_PORT: service}
    # A documented command runs as a reader would run it: no NICE_TX_* setting left in this
    # process's environment by another test (serve exports its settings for its workers).
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NICE_TX_")},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "80",
        "NO_COLOR": "1",
    }
    env.pop("NICE_TX_AUTH_TOKEN", None)
    if not (folder / "examples").exists():
        (folder / "examples").symlink_to(ROOT / "examples")
    for block in blocks(doc):
        if block.not_run:
            continue
        name = re.search(r"file=(\S+)", block.info)
        first = block.body.split("\n", 1)[0]
        if name or (block.lang == "python" and re.fullmatch(r"# [\w.-]+\.py", first)):
            (folder / (name.group(1) if name else first[2:])).write_text(block.body)
            continue
        if block.lang != "console":
            continue
        pairs = commands(block.body)
        for cmd, _ in pairs:
            if cmd.rstrip().endswith("&") and (m := re.search(r"--port (\d+)", cmd)):
                ports.setdefault(int(m.group(1)), _free_port())
        proc = subprocess.run(
            ["bash", "-c", script(pairs, ports)],
            check=False,
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        outputs = proc.stdout.split(MARK + "\n")[1:]
        assert len(outputs) == len(pairs), proc.stderr
        for k, ((_, expected), got) in enumerate(zip(pairs, outputs, strict=True)):
            results.append((block, k, expected, normalise(got, ports)))
    return results


def _update(doc: str, results: list[tuple[Block, int, str, str]]) -> None:
    text = (ROOT / doc).read_text()
    by_block: dict[int, list[str]] = {}
    for block, _, _, got in results:
        by_block.setdefault(block.start, []).append(got)
    for block in sorted({r[0].start: r[0] for r in results}.values(), key=lambda b: -b.start):
        pairs = commands(block.body)
        body = "".join(f"$ {cmd}{got}" for (cmd, _), got in zip(pairs, by_block[block.start]))
        text = text[: block.start] + body + text[block.end :]
    (ROOT / doc).write_text(text)


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_documented_commands_give_the_documented_output(
    doc: str, service: int, tmp_path: Path
) -> None:
    # stderr goes with stdout: the script runs under `exec 2>&1`
    results = run_doc(doc, tmp_path, service)
    assert results, f"{doc} has console examples"
    if os.environ.get("NICE_TX_UPDATE_DOCS"):
        _update(doc, results)
        return
    wrong = [
        f"{doc} block at offset {b.start}, command {k + 1}:\n--- shown\n{exp}--- got\n{got}"
        for b, k, exp, got in results
        if not same(exp, got)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_blocks_not_run_say_why(doc: str) -> None:
    for block in blocks(doc):
        if block.not_run is not None:
            assert len(block.not_run.strip()) > 10, block.body[:80]


def test_comparison_catches_drift() -> None:
    assert same('{"a": 1}\n', '{"a":1}')
    assert not same('{"a": 1}\n', '{"a": 2}\n')
    assert not same("exit 0\n", "exit 1\n")
    ports = {DOC_PORT: 43210}
    assert normalise("http://127.0.0.1:43210/r4 process [77] 12.5 rows/s", ports) == (
        "http://127.0.0.1:8000/r4 process [PID] N rows/s\n"
    )
