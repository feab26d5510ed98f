"""`nice-tx validate FILE`: FHIR structure (fhir.resources R4B) and our content."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from plugin.cli import main
from plugin.content.builtin import content_dirs

OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
GOOD_DISPLAY = "Percutaneous microwave ablation of lesion of liver"


def _procedure(*codings: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "status": "completed",
        "subject": {"reference": "Patient/1"},
        "code": {"coding": list(codings)},
        **extra,
    }


def _run(tmp_path: Path, resource: Any) -> Any:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(resource))
    return CliRunner().invoke(main, ["validate", str(path)])


@pytest.mark.parametrize(
    ("resource", "exit_code", "says"),
    [
        (_procedure({"system": OPCS4, "code": "J12.7", "display": GOOD_DISPLAY}), 0, "0 error(s)"),
        (_procedure({"system": OPCS4, "code": "J127"}), 0, "0 error(s)"),
        (
            _procedure({"system": OPCS4, "code": "J12.7", "display": "Liver zap"}),
            1,
            "Wrong Display Name 'Liver zap'",
        ),
        # OPCS-4 here is a fragment: an unlisted code is a warning, not an error.
        (_procedure({"system": OPCS4, "code": "J12.99"}), 0, "Unknown Code 'J12.99'"),
        (_procedure({"system": "http://loinc.org", "code": "1-8"}), 0, "not checked"),
        (_procedure({"system": OPCS4, "code": "J12.7"}, bogus=1), 1, "Procedure.bogus"),
        ({"resourceType": "Procedure"}, 1, "Procedure.subject: Field required"),
        ({"resourceType": "Nonsense"}, 1, "not a FHIR R4 resource type"),
        ([1, 2], 1, "not a FHIR resource"),
    ],
)
def test_validate_resources(tmp_path: Path, resource: Any, exit_code: int, says: str) -> None:
    result = _run(tmp_path, resource)
    assert result.exit_code == exit_code, result.output
    assert says in result.output


@pytest.mark.parametrize("path", sorted(p for d in content_dirs() for p in d.glob("*.json")))
def test_our_own_content_validates(path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(path), "--quiet"])
    assert result.exit_code == 0, result.output


def test_concept_map_with_unknown_target_code(tmp_path: Path) -> None:
    cm = {
        "resourceType": "ConceptMap",
        "url": "http://example.org/fhir/ConceptMap/m",
        "status": "draft",
        "group": [
            {
                "source": "http://hl7.org/fhir/sid/icd-10-uk",
                "target": OPCS4,
                "element": [
                    {"code": "C78.7", "target": [{"code": "J12.99", "equivalence": "wider"}]}
                ],
            }
        ],
    }
    result = _run(tmp_path, cm)
    assert result.exit_code == 0  # OPCS-4 is held as a fragment: unknown code is a warning
    assert "warning: ConceptMap.group[0].element[0].target[0].code: unknown code J12.99" in (
        result.output
    )


def test_value_set_that_does_not_expand(tmp_path: Path) -> None:
    vs = {
        "resourceType": "ValueSet",
        "url": "http://example.org/fhir/ValueSet/v",
        "status": "draft",
        "compose": {"include": [{"valueSet": ["http://example.org/fhir/ValueSet/absent"]}]},
    }
    result = _run(tmp_path, vs)
    assert result.exit_code == 1
    assert "does not expand" in result.output


def test_not_json_cannot_run(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{nope")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 3


def test_missing_file_is_usage_error(tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["validate", str(tmp_path / "none.json")]).exit_code == 2
