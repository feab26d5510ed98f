"""Negation and conversion cues, read through whole descriptions."""

from __future__ import annotations

import pytest

from plugin.content.store import Store
from plugin.text import read_text
from plugin.text.context import HISTORICAL, NEGATED, NOT_PERFORMED, PLANNED, USED
from plugin.text.reading import SUPERSEDED


def statuses(text: str, store: Store) -> dict[str, str]:
    return {f.value.code: f.status for f in read_text(text, store).found}


@pytest.mark.parametrize(
    ("text", "negated", "kept"),
    [
        ("MWA of liver mets without ultrasound or CT guidance", {"ultrasound", "ct"}, {"liver"}),
        ("MWA of liver mets, not CT guided, ultrasound guided", {"ct"}, {"ultrasound"}),
        ("No residual tumour after MWA of liver", set(), {"microwave-ablation", "liver"}),
        ("MWA of liver mets without the use of ultrasound", {"ultrasound"}, set()),
        ("percutaneous, not laparoscopic, MWA of liver", {"laparoscopic"}, {"percutaneous"}),
        ("no MWA, liver resection", {"microwave-ablation"}, {"liver", "resection"}),
        ("percutaneous MWA without ultrasound", {"ultrasound"}, {"percutaneous"}),
    ],
)
def test_negation_scope(text: str, negated: set[str], kept: set[str], store: Store) -> None:
    s = statuses(text, store)
    assert {c for c in negated if s.get(c) == NEGATED} == negated
    assert all(s.get(c) == USED for c in kept), s


@pytest.mark.parametrize(
    "text",
    ["MWA of liver mets. Ultrasound not used.", "MWA of liver mets, ultrasound was not used"],
)
def test_not_used_is_not_performed(text: str, store: Store) -> None:
    assert statuses(text, store)["ultrasound"] == NOT_PERFORMED


def test_negation_phrase_in_the_vocabulary_is_a_value(store: Store) -> None:
    assert statuses("MWA of liver, no image guidance", store)["none"] == USED


@pytest.mark.parametrize(
    "text",
    [
        "Laparoscopic MWA of liver mets, converted to open",
        "Laparoscopic MWA of liver mets converted to laparotomy",
        "lap MWA liver, conversion to an open procedure",
    ],
)
def test_conversion_supersedes_the_first_approach(text: str, store: Store) -> None:
    s = statuses(text, store)
    assert s["laparoscopic"] == SUPERSEDED
    assert s["open"] == USED
    assert read_text(text, store).procedure is not None
    assert read_text(text, store).procedure.code == "mwa-liver-open"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "past"),
    [
        ("Percutaneous RFA of liver mets, previous MWA", "microwave-ablation"),
        ("history of laparotomy; percutaneous MWA of liver", "open"),
        ("prior RFA, now percutaneous MWA of liver mets", "radiofrequency-ablation"),
    ],
)
def test_past_events_are_not_coded(text: str, past: str, store: Store) -> None:
    assert statuses(text, store)[past] == HISTORICAL


MWA = "Percutaneous MWA of liver metastasis."


@pytest.mark.parametrize(
    ("later", "status"),
    [
        ("Procedure abandoned.", NOT_PERFORMED),
        ("The procedure was cancelled.", NOT_PERFORMED),
        ("It was abandoned due to poor window.", NOT_PERFORMED),
        ("Abandoned.", NOT_PERFORMED),
        ("Procedure aborted.", NOT_PERFORMED),
        ("Postponed.", NOT_PERFORMED),
        ("It was not attempted.", NOT_PERFORMED),
        ("MWA not performed as the lesion was not visible.", NOT_PERFORMED),
        ("Procedure not performed.", NEGATED),  # the checklist cue ends the sentence
        ("Patient positioned supine. Procedure abandoned.", NOT_PERFORMED),
        ("She declined.", NOT_PERFORMED),
        ("Date to be confirmed.", PLANNED),
        ("This was done in 2019.", HISTORICAL),
    ],
)
def test_a_later_sentence_refers_back(later: str, status: str, store: Store) -> None:
    s = statuses(f"{MWA} {later}", store)
    assert (s["percutaneous"], s["microwave-ablation"], s["liver"]) == (status,) * 3
    assert read_text(f"{MWA} {later}", store).procedure is None


@pytest.mark.parametrize(
    ("text", "status"),
    [
        (f"Procedure: {MWA}\nOutcome: abandoned.", NOT_PERFORMED),
        (f"Procedure: {MWA}\nComment: procedure abandoned as no window.", NOT_PERFORMED),
        (f"Procedure: {MWA}\n\nComments: procedure abandoned.", NOT_PERFORMED),
        (f"Procedure: {MWA}\nComplications: procedure abandoned.", NOT_PERFORMED),
        (f"Procedure: {MWA}\nResult: not performed.", NEGATED),
        (f"Procedure: {MWA}\nSummary: It was cancelled.", NOT_PERFORMED),
        (f"{MWA}\n\nProcedure abandoned.", NOT_PERFORMED),
        (f"Procedure: {MWA}\nComplications: none.\nOutcome: abandoned.", NOT_PERFORMED),
        (f"Procedure: {MWA}\nComplications: bleeding; procedure terminated.", NOT_PERFORMED),
        (f"Procedure: {MWA}\nFindings: Procedure abandoned as no window.", NOT_PERFORMED),
        (f"Procedure: {MWA}\nFindings: 2 cm deposit.\nOutcome: abandoned.", NOT_PERFORMED),
        (f"{MWA} After discussion with the patient the procedure was abandoned.", NOT_PERFORMED),
        (f"{MWA} On review, the procedure was not performed.", NOT_PERFORMED),
        (f"{MWA}\n\nUnfortunately, on review the procedure was abandoned.", NOT_PERFORMED),
        (f"Cancelled on the day of surgery - INR 2.8. {MWA}", NOT_PERFORMED),
        (f"Cancelled. {MWA}", NOT_PERFORMED),
        (f"Procedure abandoned. {MWA}", NOT_PERFORMED),
        (f"Patient consented. Procedure postponed. {MWA}", NOT_PERFORMED),
        (f"Procedure: Not performed - no bed.\n{MWA}", NOT_PERFORMED),
    ],
)
def test_a_reference_across_a_title_or_forward(text: str, status: str, store: Store) -> None:
    s = statuses(text, store)
    assert (s["percutaneous"], s["microwave-ablation"], s["liver"]) == (status,) * 3
    assert read_text(text, store).procedure is None


@pytest.mark.parametrize(
    "text",
    [
        f"{MWA} Biopsy abandoned.",  # the clause names its own procedure
        f"{MWA} Drain insertion not performed.",  # its subject is not a back reference
        f"{MWA} Laparoscopic MWA not possible.",  # another approach: another MWA
        f"{MWA} Procedure not abandoned.",  # 'not' is no subject word
        f"{MWA}\n\nBiopsy abandoned.",  # a new paragraph naming its own procedure
        f"Procedure: {MWA}\nPlan: cancelled.",  # a plan does not report on the procedure
        f"Procedure: {MWA}\nHistory: abandoned.",  # nor does a history
        f"Procedure: {MWA}\nOutcome: biopsy abandoned.",  # an outcome naming another procedure
        f"Procedure: {MWA}\nOutcome: successful ablation, no complications.",
        f"Procedure: {MWA}\nPlan: repeat MRI.\nOutcome: abandoned.",  # not through a plan
        f"Procedure: {MWA} Liver biopsy taken.\nOutcome: abandoned.",  # the nearest procedure
        f"{MWA} Liver biopsy taken. Procedure abandoned.",  # stops at the previous procedure
        f"{MWA} After the biopsy the procedure was abandoned.",  # its opening names a procedure
        f"{MWA} In 2019 the procedure was abandoned.",  # 'in' opens no back reference
        f"{MWA} In 2019 she had a right hepatectomy.",  # a history cue refers back at the end only
        f"Biopsy cancelled. {MWA}",  # a forward reference names no procedure of its own
        f"Plan: cancelled.\nProcedure: {MWA}",  # forward within its section only
        f"Postponed from last week. {MWA}",  # a past postponement: today's procedure stands
        f"Cancelled due to INR 2.8; today {MWA}",  # a terminating term ('today') stands between
    ],
)
def test_a_back_reference_stays_within_its_bounds(text: str, store: Store) -> None:
    s: dict[str, str] = {}
    for f in read_text(text, store).found:
        s.setdefault(f.value.code, f.status)  # the MWA's own mentions, not a restatement
    assert (s["percutaneous"], s["microwave-ablation"]) == (USED, USED), s


SITE = "2 cm metastasis in segment 6."


@pytest.mark.parametrize(
    ("text", "status"),
    [
        (f"{MWA} {SITE} Procedure abandoned.", NOT_PERFORMED),
        (f"{MWA}\n{SITE}\nProcedure abandoned.", NOT_PERFORMED),
        (f"{MWA} Lesion in segment 6, 2 cm. It was abandoned due to poor window.", NOT_PERFORMED),
        (f"{MWA} {SITE} Procedure completed, no complications.", USED),
        (f"{MWA} {SITE} Liver biopsy taken. Procedure abandoned.", USED),  # another act between
        (f"{MWA} {SITE} Right hepatectomy. Procedure abandoned.", USED),
        ("Percutaneous MWA of liver metastasis in segment 6. No complications.", USED),
        (f"Procedure cancelled. Segment 6 lesion, 2 cm. {MWA}", NOT_PERFORMED),  # forward
        (f"Cancelled. Liver biopsy. {MWA}", USED),  # the biopsy is the act it refers to
        ("Cancelled. Segment 6 lesion; today percutaneous MWA of liver metastasis.", USED),
    ],
)
def test_a_reference_walks_past_sites_to_the_act(text: str, status: str, store: Store) -> None:
    s = statuses(text, store)  # the approach and technique are named once, in the act
    assert (s["percutaneous"], s["microwave-ablation"]) == (status,) * 2, s
    assert (read_text(text, store).procedure is None) == (status != USED)


def test_an_approach_on_its_own_is_no_act(store: Store) -> None:
    text = "MWA of liver metastasis. Percutaneous approach. Procedure abandoned."
    s = statuses(text, store)
    assert (s["microwave-ablation"], s["liver"], s["percutaneous"]) == (NOT_PERFORMED,) * 3


def test_a_cue_that_referred_back_does_not_refer_forward(store: Store) -> None:
    reading = read_text(f"{MWA} Abandoned. Laparoscopic MWA of liver metastasis performed.", store)
    assert reading.procedure is not None
    assert reading.procedure.code == "mwa-liver-laparoscopic"
    assert [f.status for f in reading.found if f.value.code == "percutaneous"] == [NOT_PERFORMED]
