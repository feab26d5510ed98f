"""The packaged ConceptMap read by an engine that ignores `dependsOn` and `product`.

`@synanetics/fhir-translate` (npm) is such an engine: it returns every target of a source code
as a match, whatever its `dependsOn`, and drops products. Loaded with the ConceptMaps of
`nice-tx package`, it must still give the unconditional answer: for each source code, the main
code(s) our engine asserts without any dependency, with their equivalence, and otherwise only
codes of that unconditional coded sequence (never a conditional Y53 code taken as an
alternative).

The test installs the library with npm into a scratch folder; it is skipped only when npm
itself is absent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import plugin
from plugin.cli import main

LIBRARY = "@synanetics/fhir-translate@1.2.0"

RUN = """
const { conceptMapTranslate } = require('@synanetics/fhir-translate');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.cases.map(([system, code]) => conceptMapTranslate({
  parameters: { resourceType: 'Parameters', parameter: [
    { name: 'coding', valueCoding: { system, code } } ] },
  fhirVersion: 'r4',
  conceptMaps: input.maps,
}));
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot install @synanetics/fhir-translate")
    if shutil.which("node") is None:
        pytest.skip("node is not installed: cannot run @synanetics/fhir-translate")
    folder = tmp_path_factory.mktemp("npm")
    # --ignore-scripts: its install script only enforces pnpm for its own development
    subprocess.run(
        [
            npm,
            "install",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(folder),
            LIBRARY,
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return folder


@pytest.fixture(scope="module")
def packaged_maps(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("dist")
    result = CliRunner().invoke(main, ["package", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (tgz,) = out.glob("*.tgz")
    maps = []
    with tarfile.open(tgz) as tar:
        for member in tar.getmembers():
            if member.name.startswith("package/ConceptMap-"):
                handle = tar.extractfile(member)
                assert handle is not None
                maps.append(json.loads(handle.read()))
    assert maps
    return maps


def _sources(maps: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(g["source"], e["code"]) for m in maps for g in m["group"] for e in g["element"]]


def _ours(system: str, code: str) -> tuple[list[tuple[str, str, str]], set[str]]:
    """Our engine without dependencies: its matches, and every code of its coded sequence."""
    answer = plugin.translate(system, code)
    matches = [(m.equivalence, m.target.system, m.target.code) for m in answer.matches if m.target]
    return matches, {c.code for m in answer.matches for c in m.codes}


def test_engine_ignoring_depends_on_gets_the_unconditional_answer(
    engine: Path, packaged_maps: list[dict[str, Any]]
) -> None:
    cases = _sources(packaged_maps)
    run = subprocess.run(
        ["node", "-e", RUN],
        input=json.dumps({"cases": cases, "maps": packaged_maps}),
        capture_output=True,
        text=True,
        cwd=engine,
        check=True,
        timeout=60,
    )
    answers = json.loads(run.stdout)
    wrong = []
    for (system, code), answer in zip(cases, answers, strict=True):
        got = []
        for p in answer["parameter"]:
            if p["name"] == "match":
                parts = {q["name"]: q for q in p["part"]}
                c = parts["concept"]["valueCoding"]
                got.append((parts["equivalence"]["valueCode"], c["system"], c["code"]))
        main_matches, sequence = _ours(system, code)
        if not main_matches:
            continue  # a source our engine answers only under a condition
        # every main match ours asserts is there, once; anything else is a code of the
        # unconditional sequence (a companion), never a conditional one or a repeat
        extra = [g for g in got if g not in main_matches]
        if (
            any(got.count(m) != 1 for m in main_matches)
            or any(g[2] not in sequence for g in extra)
            or len(set(got)) != len(got)
        ):
            wrong.append((code, got, main_matches))
    assert not wrong, wrong
