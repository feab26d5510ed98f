"""`nice-tx serve`: load report, --strict, settings handed to workers, a real 2-worker run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from plugin.cli import main
from plugin.commands import serve as serve_module


@pytest.fixture
def no_listen(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Replace the granian server: record what `serve` would start instead of starting it."""
    from granian import server

    seen: dict[str, Any] = {}

    class FakeServer:
        def __init__(self, target: str, **kwargs: Any) -> None:
            env = {k: v for k, v in os.environ.items() if "NICE_TX" in k}
            seen.update(kwargs, app=target, env=env)

        def serve(self) -> None:
            seen["served"] = True

    monkeypatch.setattr(server, "Server", FakeServer)
    saved = dict(os.environ)
    for var in [k for k in os.environ if k.startswith("NICE_TX_")]:
        del os.environ[var]
    yield seen
    # `serve` hands its settings to workers through os.environ: put the test process's back.
    os.environ.clear()
    os.environ.update(saved)


def test_serve_reports_loaded_and_refused(tmp_path: Path, no_listen: dict[str, Any]) -> None:
    (tmp_path / "vs.json").write_text(
        '{"resourceType":"ValueSet","url":"http://example.org/fhir/ValueSet/v","version":"1"}'
    )
    (tmp_path / "sd.json").write_text('{"resourceType":"Patient"}')
    result = CliRunner().invoke(
        main,
        [
            "serve",
            "--content",
            str(tmp_path),
            "--workers",
            "3",
            "--cors-origin",
            "*",
            "--auth-token",
            "tok",
            "--port",
            "8123",
        ],
    )
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert (
        "loaded 18 from ipg406: 6 CodeSystem, 1 ConceptMap, 3 NamingSystem, "
        "3 StructureDefinition, 5 ValueSet" in err
    )
    assert f"loaded 1 from {tmp_path}: 1 ValueSet" in err
    assert "  loaded ValueSet http://example.org/fhir/ValueSet/v|1" in err
    assert f"refused {tmp_path / 'sd.json'}: resourceType 'Patient' is not" in err
    assert "3 worker(s), CORS on, bearer auth on" in err
    assert no_listen["app"] == "plugin.api.settings:app_from_env"
    assert (no_listen["factory"], no_listen["workers"], no_listen["port"]) == (True, 3, 8123)
    assert no_listen["env"]["NICE_TX_CONTENT"] == str(tmp_path.resolve())
    assert no_listen["env"]["NICE_TX_CORS_ORIGINS"] == "*"
    assert no_listen["env"]["NICE_TX_AUTH_TOKEN"] == "tok"


def test_serve_strict_refuses_to_start(tmp_path: Path, no_listen: dict[str, Any]) -> None:
    (tmp_path / "bad.json").write_text("{")
    result = CliRunner().invoke(main, ["serve", "--content", str(tmp_path), "--strict"])
    assert result.exit_code == 3
    assert "refused" in result.stderr
    assert "app" not in no_listen


def test_serve_reads_environment(tmp_path: Path, no_listen: dict[str, Any]) -> None:
    env = {"NICE_TX_PORT": "9001", "NICE_TX_WORKERS": "2", "NICE_TX_CORS_ORIGINS": "https://a.ex"}
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    assert (no_listen["port"], no_listen["workers"]) == (9001, 2)
    assert no_listen["env"]["NICE_TX_CORS_ORIGINS"] == "https://a.ex"


@pytest.mark.parametrize("workers", ["0", "x"])
def test_bad_workers_is_usage_error(workers: str, no_listen: dict[str, Any]) -> None:
    assert CliRunner().invoke(main, ["serve", "--workers", workers]).exit_code == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_workers_serve_requests(tmp_path: Path) -> None:
    """A real `nice-tx serve --workers 2` process: health, a translation, a clean stop."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NICE_TX_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plugin",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, "serve exited early"
            assert time.monotonic() < deadline, "serve did not become healthy"
            time.sleep(0.2)
        answers = [
            httpx.get(
                f"{base}/r4/ConceptMap/$translate",
                params={
                    "system": "http://fhir.hl7.org.uk/CodeSystem/OPCS-4",
                    "code": "J12.7",
                    "reverse": "true",
                },
                timeout=5,
            ).json()
            for _ in range(6)
        ]
        assert all(a == answers[0] for a in answers)
        assert answers[0]["parameter"][0] == {"name": "result", "valueBoolean": True}
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    assert proc.stderr is not None
    assert b"loaded 18 from ipg406" in proc.stderr.read()


def test_module_documents_itself() -> None:
    assert serve_module.serve.help and "Examples" in serve_module.serve.help
