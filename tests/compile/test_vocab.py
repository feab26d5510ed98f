"""The free-text vocabulary derived from a guidance's title and code titles."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.compile.known import known
from plugin.compile.vocab import procedure_facets
from tests.compile.conftest import compiled


def _rules(
    title: str | None, main: str, sites: tuple[str, ...] = (), kind: str = "single"
) -> dict[str, Any]:
    slots = [{"role": "main", "candidates": [{"form": "code", "code": "X00.0", "title": main}]}]
    slots += [
        {"role": "site", "candidates": [{"form": "code", "code": "Z00.0", "title": s}]}
        for s in sites
    ]
    variant = {
        "id": "main",
        "label": None,
        "selector": {"kind": kind, "value": kind},
        "slots": slots,
    }
    return {"id": "ipg900", "title": title, "variants": [variant]}


@pytest.mark.parametrize(
    ("title", "main", "sites", "expected"),
    [
        # technique from the title, site from the main code's "of lesion of liver"
        (
            "Radiofrequency ablation for the treatment of colorectal liver metastases",
            "Percutaneous radiofrequency ablation of lesion of liver",
            (),
            {"technique": "radiofrequency-ablation", "site": "liver"},
        ),
        # a site code's title named inside the technique phrase is taken out of it
        (
            "Uterine artery embolisation for fibroids",
            "Percutaneous transluminal embolisation of artery",
            ("Uterine artery",),
            {"technique": "embolisation", "site": "uterine-artery"},
        ),
        # classification suffixes are not words of a site
        (
            None,
            "Destruction of lesion of liver NEC",
            (),
            {"technique": "destruction", "site": "liver"},
        ),
        # a technique with no site would claim every organ: no vocabulary
        ("Radiofrequency ablation for reflux", "Other specified operations", (), None),
    ],
)
def test_facets_from_titles(
    title: str | None, main: str, sites: tuple[str, ...], expected: dict[str, str] | None
) -> None:
    facets = procedure_facets(_rules(title, main, sites))
    assert facets.get("ipg900") == expected


def test_approach_blocks_refine_the_procedure(seed: Any) -> None:
    facets = procedure_facets(seed.rules)
    assert facets["ipg406"] == {"technique": "microwave-ablation", "site": "liver"}
    assert facets["ipg406-percutaneous"] == {
        "technique": "microwave-ablation",
        "site": "liver",
        "approach": "percutaneous",
    }


def test_designations_include_plural_forms() -> None:
    c = compiled("ipg905.txt", title="Radiofrequency ablation of varicose veins")
    facet = next(r for r in c.resources if r["id"] == "ipg905-facet")
    site = next(f for f in facet["concept"] if f["code"] == "site")["concept"][0]
    assert {d["value"] for d in site["designation"]} == {"varicose veins", "varicose vein"}


def test_classification_uris_and_methods_come_from_content() -> None:
    k = known()
    assert set(k.systems) == {"OPCS-4", "ICD-10", "SNOMED CT"}
    assert {m.code: m.y53 for m in k.methods}["mri"] == "Y53.7"
    assert [m.code for m in k.methods if m.not_stated] == ["unspecified"]
