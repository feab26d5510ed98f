"""`nice-tx serve`: load report, --strict, settings handed to workers, a real 2-worker run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from plugin.cli import main
from plugin.commands import serve as serve_module
from tests.served import serving


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


def test_two_workers_serve_requests() -> None:
    """A real `nice-tx serve --workers 2` process: health, a translation, a clean stop."""
    with serving("--workers", "2") as served:
        answers = [
            httpx.get(
                f"{served.base}/r4/ConceptMap/$translate",
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
    assert served.proc.stderr is not None
    assert b"loaded 18 from ipg406" in served.proc.stderr.read()


def test_module_documents_itself() -> None:
    assert serve_module.serve.help and "Examples" in serve_module.serve.help


def test_closure_tables_default_to_the_state_folder(
    tmp_path: Path, no_listen: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    result = CliRunner().invoke(main, ["serve", "--workers", "2"])
    assert result.exit_code == 0, result.output
    db = no_listen["env"]["NICE_TX_CLOSURE_DB"]
    assert db == str((tmp_path / "state" / "nice-tx" / "closure.sqlite3").resolve())
    assert (tmp_path / "state" / "nice-tx" / "closure.sqlite3").is_file()  # made before workers


def test_closure_tables_in_memory_only_with_one_worker(no_listen: dict[str, Any]) -> None:
    result = CliRunner().invoke(main, ["serve", "--closure-db", ":memory:", "--workers", "2"])
    assert result.exit_code == 2
    assert "each worker its own closure tables" in result.stderr
    result = CliRunner().invoke(main, ["serve", "--closure-db", ":memory:"])
    assert result.exit_code == 0, result.output
    assert no_listen["env"]["NICE_TX_CLOSURE_DB"] == ":memory:"


def test_unusable_closure_db(
    tmp_path: Path, no_listen: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    # A path the user gave must work: the server does not start without it.
    result = CliRunner().invoke(main, ["serve", "--closure-db", str(blocker / "closure.db")])
    assert result.exit_code == 2
    assert "--closure-db" in result.stderr
    # The default one gives way to a temporary file, with a warning.
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert "warning: closure tables cannot be kept in the default folder" in result.stderr
    assert "nice-tx-closure-" in no_listen["env"]["NICE_TX_CLOSURE_DB"]


def test_two_workers_share_closure_tables(tmp_path: Path) -> None:
    """A real `nice-tx serve --workers 2`: whichever worker answers, one table, one history."""
    opcs = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
    codes = ["J12", "J12.7", "J03", "J03.2", "J08", "J08.3", "Y53", "Y53.2"]
    db = tmp_path / "closure.sqlite3"
    with serving("--workers", "2", "--closure-db", str(db)) as served:
        url = f"{served.base}/r4/$closure"

        def call(*parameter: dict[str, Any]) -> dict[str, Any]:
            params: list[dict[str, Any]] = [{"name": "name", "valueString": "t"}, *parameter]
            body = {"resourceType": "Parameters", "parameter": params}
            r = httpx.post(url, json=body, timeout=10)
            assert r.status_code == 200, r.text
            answer: dict[str, Any] = r.json()
            return answer

        call()
        versions = [
            call({"name": "concept", "valueCoding": {"system": opcs, "code": c}})["version"]
            for c in codes
        ]
        replay = call({"name": "version", "valueString": "0"})
    assert versions == [str(i) for i in range(1, len(codes) + 1)]
    pairs = {(e["code"], t["code"]) for e in replay["group"][0]["element"] for t in e["target"]}
    assert pairs == {("J12.7", "J12"), ("J03.2", "J03"), ("J08.3", "J08"), ("Y53.2", "Y53")}
    assert db.exists()
