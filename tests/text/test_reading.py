"""Facet resolution and procedure choice."""

from __future__ import annotations

import pytest

from plugin.content.store import Store
from plugin.text import read_text
from plugin.text.context import OTHER_ORGAN, USED
from plugin.text.reading import CONFLICT, NOT_CODED, SUPERSEDED


def test_primary_site_is_not_the_treated_site(store: Store) -> None:
    r = read_text("Percutaneous MWA of liver metastases from breast cancer", store)
    assert r.procedure is not None and r.procedure.code == "mwa-liver-percutaneous"
    assert {f.value.code: f.status for f in r.found}["breast"] == NOT_CODED


def test_conflicting_approaches_count_as_not_stated(store: Store) -> None:
    r = read_text("Open and laparoscopic MWA of liver mets", store)
    assert r.procedure is not None and r.procedure.code == "mwa-liver"
    assert {f.status for f in r.found if f.value.facet == "approach"} == {CONFLICT}


def test_an_approach_qualifying_another_procedure_is_set_aside(store: Store) -> None:
    r = read_text("Laparoscopic cholecystectomy and percutaneous MWA of liver mets", store)
    assert r.procedure is not None and r.procedure.code == "mwa-liver-percutaneous"


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("RFA of liver mets", ["microwave-ablation"]),
        ("MWA of lung tumour", ["liver"]),
        ("", ["liver", "microwave-ablation"]),
        ("Ablation of liver metastases", ["microwave-ablation"]),
    ],
)
def test_out_of_scope_says_what_is_missing(text: str, missing: list[str], store: Store) -> None:
    r = read_text(text, store)
    assert r.procedure is None and not r.codings
    assert sorted(str(getattr(v, "code", v)) for v in r.missing) == missing


def test_stated_values_supersede_not_stated_ones(store: Store) -> None:
    r = read_text(
        "Image-guided (ultrasound) thermal ablation with microwave of a liver lesion metastasis",
        store,
    )
    s = {f.value.code: f.status for f in r.found}
    assert s["unspecified"] == SUPERSEDED and s["ultrasound"] == USED
    assert s["ablation"] == SUPERSEDED and s["microwave-ablation"] == USED
    assert s["liver-lesion"] == SUPERSEDED and s["liver-metastasis"] == USED


def test_codings_and_dependencies(store: Store) -> None:
    r = read_text("percutaneous MWA of CRLM under US", store)
    assert [c.code for c in r.codings] == ["mwa-liver-percutaneous", "liver-metastasis"]
    assert [d.value for d in r.dependencies] == ["ultrasound"]
    assert r.unrecognised == []


def test_numbers_and_segments_are_not_reported(store: Store) -> None:
    r = read_text("MWA of liver mets x3, lobe VII, 2 cm", store)
    assert r.unrecognised == ["lobe"]


@pytest.mark.parametrize(
    ("text", "treated", "incidental"),
    [
        ("Percutaneous MWA of liver metastases from breast cancer", "liver", "breast"),
        ("Percutaneous MWA of metastasis in the liver, breast primary", "liver", "breast"),
    ],
)
def test_the_site_of_the_lesion_is_the_treated_site(
    text: str, treated: str, incidental: str, store: Store
) -> None:
    s = {f.value.code: f.status for f in read_text(text, store).found}
    assert s[treated] == USED and s[incidental] == NOT_CODED


@pytest.mark.parametrize(
    "text",
    [
        "MWA of kidney tumour, fatty liver",
        "Percutaneous MWA of a lung metastasis in a patient with liver metastases",
        "Thyroid MWA under ultrasound guidance; known liver metastases",
    ],
)
def test_an_act_on_another_organ_is_not_this_procedure(text: str, store: Store) -> None:
    r = read_text(text, store)
    s = {f.value.code: f.status for f in r.found}
    assert s["microwave-ablation"] == OTHER_ORGAN
    assert r.procedure is None and not r.codings and not r.dependencies


def test_coordinated_sites_both_name_the_lesion(store: Store) -> None:
    s = {f.value.code: f.status for f in read_text("MWA of liver and lung metastases", store).found}
    assert s["liver"] == USED
