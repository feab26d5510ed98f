"""Messages a coder reads."""

from __future__ import annotations

import pytest

from plugin.coding import code_description
from plugin.text.explain import system_label


@pytest.mark.parametrize(
    ("system", "label"),
    [
        ("http://fhir.hl7.org.uk/CodeSystem/OPCS-4", "OPCS-4"),
        ("http://hl7.org/fhir/sid/icd-10-uk", "ICD-10-UK"),
    ],
)
def test_system_label(system: str, label: str) -> None:
    assert system_label(system) == label


def test_coded_message_names_codes_and_words() -> None:
    m = code_description("Percutaneous MWA of CRLM under US").message
    assert m.startswith("Coded as Percutaneous microwave ablation of lesion of liver")
    assert "OPCS-4 J12.7 + Y53.2" in m and "ICD-10-UK C78.7" in m
    assert "technique 'MWA' = Microwave ablation" in m


def test_ambiguous_message_says_what_to_state() -> None:
    m = code_description("MWA of liver mets").message
    assert "approach is not stated" in m
    assert "state the approach: laparoscopic, open, percutaneous" in m
    assert "Asserted: ICD-10-UK C78.7" in m


def test_out_of_scope_message_says_recognised_and_missing() -> None:
    m = code_description("Percutaneous radiofrequency ablation of hepatic metastasis").message
    assert m.startswith("No code")
    assert "it needs technique Microwave ablation" in m
    assert "Radiofrequency ablation (outside this guidance)" in m


def test_combined_operation_reports_the_rest() -> None:
    m = code_description("Open right hemicolectomy and MWA of liver metastasis").message
    assert "Not coded (outside this guidance): other procedure 'right hemicolectomy'" in m


def test_spelling_and_negation_are_reported() -> None:
    m = code_description("percutanous MWA of liver mets without ultrasound").message
    assert "(spelling corrected)" in m
    assert "Negated: image control method 'ultrasound'" in m


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Percutaneous MWA of ?liver metastasis", "Uncertain, not coded: lesion 'metastasis'"),
        ("Listed for percutaneous MWA of liver metastasis", "Planned, offered or considered"),
        ("Percutaneous MWA of liver metastasis declined", "Not performed, so not coded"),
        ("Previous laparoscopic MWA; percutaneous MWA of liver mets", "History, not this episode"),
        ("Percutaneous MWA of lung metastasis; known liver metastases", "Another organ"),
        ("Staging CT. Percutaneous MWA of liver metastasis", "Imaging not used for guidance"),
        ("Percutaneous MWA of HCC", "the primary is coded on its own"),
    ],
)
def test_statuses_are_said_honestly(text: str, says: str) -> None:
    assert says in code_description(text).message


def test_empty_description() -> None:
    r = code_description("")
    assert not r.result and r.message == "No code: the description is empty."
