"""Rules from coding sections: each construct of the NICE layouts, on sections we wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from plugin.compile.pack import Compiled
from tests.compile.conftest import SECTIONS, compiled, materialised

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "plugin/compile/guidance-coding.schema.json").read_text()
)

# file -> variant id -> [(role, requirement, condition kind, candidate codes)]
EXPECTED: dict[str, dict[str, list[tuple[Any, ...]]]] = {
    # "One of the following", "Plus ... from:", "Or one of the following ...", a range note
    "ipg901.txt": {
        "laparoscopic": [
            ("main", "required", None, ("J02.3", "J02.4")),
            ("approach", "required", None, ("Y75.2", "Y75.4")),
            ("supplementary", "conditional", "if-performed", ("T85-T87",)),
        ],
        "open": [
            ("main", "required", None, ("J02.3", "J02.4")),
            ("approach", "required", None, ("Y50.2",)),
            ("supplementary", "conditional", "if-performed", ("T85-T87",)),
        ],
    },
    # standalone "Or" between two main codes; Y53.- on a code line with the note's default
    "ipg902.txt": {
        "main": [
            ("main", "required", None, ("J12.4", "J12.7")),
            ("image-control", "required", None, ("Y53",)),
        ]
    },
    # stages, parenthetical conditions, qualifiers, site and laterality, a space inside a code
    "ipg903.txt": {
        "stage-1": [
            ("main", "required", None, ("A70.4",)),
            ("qualifier", "required", None, ("Y70.5",)),
            ("image-control", "conditional", "image-control", ("Y53.4",)),
            ("site", "required", None, ("Z92.1",)),
        ],
        "stage-2": [
            ("main", "required", None, ("A70.1",)),
            ("method", "conditional", "if-applicable", ("Y11.4",)),
            ("laterality", "conditional", "if-applicable", ("Z94",)),
            ("site", "required", None, ("Z92.1",)),
        ],
    },
    # "Codes available are:" options, "plus" inside a line (glued "plusY50.2"), a note's
    # companion code glued to a word ("codeY53.4")
    "ipg904.txt": {
        "j02-3": [
            ("main", "required", None, ("J02.3",)),
            ("image-control", "conditional", "image-control", ("Y53.4",)),
        ],
        "j02": [
            ("main", "required", None, ("J02",)),
            ("approach", "required", None, ("Y75.2",)),
            ("image-control", "conditional", "image-control", ("Y53.4",)),
        ],
        "j02-4": [
            ("main", "required", None, ("J02.4",)),
            ("approach", "required", None, ("Y50.2",)),
            ("image-control", "conditional", "image-control", ("Y53.4",)),
        ],
    },
    # SNOMED CT table layout
    "ipg905.txt": {"main": [("main", "required", None, ("L88.2",))]},
    # blocks separated by blank lines only, cut inside the last code line
    "ipg906.txt": {
        "main": [
            ("main", "required", None, ("J02.3",)),
            ("approach", "required", None, ("Y75.2",)),
        ],
        "j02-4": [
            ("main", "required", None, ("J02.4",)),
            ("approach", "required", None, ("Y75.2",)),
        ],
    },
    # a category as the main code, Includes:, "(if used)" on Y53.-, a default "not specified"
    "ipg907.txt": {
        "main": [
            ("main", "required", None, ("J02",)),
            ("method", "required", None, ("Y11.4",)),
            ("image-control", "conditional", "image-control", ("Y53",)),
        ]
    },
    # 2015 layout: preamble, a subsidiary-code note, a duplicated ICD-10 line
    "ipg908.txt": {
        "main": [
            ("main", "required", None, ("X65.2",)),
            ("method", "required", None, ("Y35.4",)),
            ("site", "required", None, ("Z29.1",)),
        ]
    },
    "ipg909.txt": {},
    # a list decided by site, a category added by a sentence, "in second place" with a default
    "ipg910.txt": {
        "main": [
            ("main", "required", None, ("V36.1", "V36.3")),
            ("supplementary", "required", None, ("V55",)),
        ]
    },
}


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def section(request: pytest.FixtureRequest) -> tuple[str, Compiled]:
    return request.param, compiled(request.param)


def test_variants_and_slots(section: tuple[str, Compiled]) -> None:
    name, c = section
    assert materialised(c.rules) == EXPECTED[name]


def test_rules_follow_the_schema(section: tuple[str, Compiled]) -> None:
    jsonschema.validate(section[1].rules, SCHEMA)


def test_every_as_stated_is_on_the_page_or_a_mended_line(section: tuple[str, Compiled]) -> None:
    name, c = section
    page = (SECTIONS / name).read_text(encoding="utf-8")

    def walk(o: Any) -> Any:
        if isinstance(o, dict):
            yield o
            for v in o.values():
                yield from walk(v)
        elif isinstance(o, list):
            for v in o:
                yield from walk(v)

    stated = [d["as_stated"] for d in walk(c.rules) if isinstance(d.get("as_stated"), str)]
    mended = page.replace("Z92. 1", "Z92.1").replace("codeY", "code Y").replace("plusY", "plus Y")
    assert all(s in page or s in mended for s in stated), [
        s for s in stated if s not in page and s not in mended
    ]


def test_defaults_sequencing_and_typos() -> None:
    y53 = compiled("ipg902.txt").rules["variants"][0]["slots"][1]
    assert y53["default"]["code_ref"]["code"] == "Y53.9"
    assert y53["determined_by"]["kind"] == "image-control-method"
    assert y53["sequencing"]["rule"] == "secondary-code"
    site = compiled("ipg903.txt").rules["variants"][0]["slots"][3]["candidates"][0]
    assert site["typo"] == "space inside a code"
    organ = compiled("ipg903.txt").rules["variants"][1]["slots"][1]["candidates"][0]
    assert organ["title"] == "Radiofrequency controlled thermal destruction of organNOC"
    y11 = compiled("ipg907.txt").rules["variants"][0]["slots"][1]["candidates"][0]
    assert y11["includes"] == ["Radiofrequency ablation of organ NOC"]
    subsidiary = compiled("ipg908.txt").rules["variants"][0]["slots"][1]
    assert subsidiary["sequencing"]["rule"] == "supplementary-to-main"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # an inline "or" between a code and a category; the X filler; "may be recorded"
        ("ipg902.txt", [("required", None, ("C18", "C78.7"), ("category", "code"))]),
        ("ipg907.txt", [("required", None, ("C22.9", "C78.7"), ("code", "code"))]),
        ("ipg901.txt", [("conditional", "indication", ("C22.0",), ("code",))]),
        ("ipg908.txt", [("optional", None, ("C20.X",), ("code",))]),
    ],
)
def test_diagnosis_sentences(name: str, expected: list[tuple[Any, ...]]) -> None:
    dx = compiled(name).rules["diagnoses"]
    got = [
        (
            d["requirement"],
            (d.get("condition") or {}).get("kind"),
            tuple(c["code"] for c in d["candidates"]),
            tuple(c["form"] for c in d["candidates"]),
        )
        for d in dx
    ]
    assert got == expected


def test_second_place_and_its_default() -> None:
    main, levels = compiled("ipg910.txt").rules["variants"][0]["slots"]
    assert main["determined_by"]["kind"] == "site"
    assert levels["determined_by"]["kind"] == "levels-of-spine"
    assert levels["sequencing"]["rule"] == "second-place"
    assert levels["default"]["code_ref"]["code"] == "V55.9"


def test_x_filler_is_marked() -> None:
    (c20,) = compiled("ipg908.txt").rules["diagnoses"][0]["candidates"]
    assert c20["x_filler"] is True


def test_a_title_saying_unspecified_is_not_a_default() -> None:
    # "C22.9 Malignant neoplasm of liver, unspecified or C78.7 ..." names two candidates.
    (dx,) = compiled("ipg907.txt").rules["diagnoses"]
    assert dx["default"] is None


def test_truncated_page_is_reported() -> None:
    c = compiled("ipg906.txt")
    assert c.rules["source"]["completeness"] == "truncated-in-codes"
    assert c.rules["variants"][-1]["truncated"] is True
    assert any("cut short" in w for w in c.warnings)
    assert any(a["path"] == "/variants/1" for a in c.rules["ambiguities"])


def test_no_single_code_page() -> None:
    rules = compiled("ipg909.txt").rules
    assert rules["status"] == "no-single-code"
    assert rules["notes"][0]["kind"] == "limitation"


def test_snomed_table_rows() -> None:
    rows = compiled("ipg905.txt").rules["snomed_ct"]
    assert [(r["role"], r["concept_id"]) for r in rows] == [
        ("procedure", "448606008"),
        ("diagnosis", "72866009"),
    ]
    assert compiled("ipg905.txt").rules["source"]["layout"] == "snomed-ct-table"


def test_seed_rules(seed: Compiled) -> None:
    rules = seed.rules
    assert rules["title"] == "Microwave ablation for the treatment of liver metastases"
    assert rules["source"]["stated_opcs_version"] == "4.6"
    assert rules["source"]["completeness"] == "complete"
    assert materialised(rules) == {
        approach: [
            *[("main" if i == 0 else "method", "required", None, (c,)) for i, c in enumerate(cs)],
            ("image-control", "conditional", "image-control", ("Y53",)),
        ]
        for approach, cs in {
            "open": ("J03.2", "Y13.7"),
            "percutaneous": ("J12.7",),
            "laparoscopic": ("J08.3",),
        }.items()
    }
    boiler = [n for n in rules["notes"] if n["kind"] == "boilerplate"]
    assert boiler and all(n["ignore"] for n in boiler)
    # "these procedures" could exclude the open block: recorded, with the reading chosen
    assert rules["ambiguities"][0]["path"] == "/shared_slots/0/applies_to"


def test_plus_the_following_code_opens_a_companion_slot() -> None:
    from plugin.compile.pack import compile_text

    text = (
        "Coding recommendations\n"
        "One of the following OPCS-4 codes is selected as appropriate:\n"
        "J02.3 Resection of segment of liver\n"
        "J02.4 Wedge excision of liver\n"
        "Plus the following code:\n"
        "Y11.4 Radiofrequency controlled thermal destruction of organ NOC\n"
    )
    rules = compile_text(text, "ipg911.txt").rules
    assert materialised(rules) == {
        "main": [
            ("main", "required", None, ("J02.3", "J02.4")),
            ("method", "required", None, ("Y11.4",)),
        ]
    }


def test_secondary_code_when_associated_with() -> None:
    from plugin.compile.pack import compile_text

    # code and title as stated on NICE IPG328 (https://www.nice.org.uk/guidance/ipg328)
    text = (
        "Coding recommendations\n"
        "E20.4 Suction diathermy adenoidectomy\n"
        "Note: It goes as a secondary code when associated with excision of tonsil (F34)\n"
    )
    (main,) = compile_text(text, "ipg912.txt").rules["variants"][0]["slots"]
    assert main["sequencing"]["rule"] == "secondary-when-with"
    assert main["sequencing"]["ref"] == "F34"


def test_block_header_without_colon_and_two_diagnoses_joined_by_and() -> None:
    from plugin.compile.pack import compile_text

    text = (
        "OPCS4.6 Code(s)\n"
        "Open procedure\n"
        "J03.2 Destruction of lesion of liver NEC\n"
        "Y13.7 Microwave destruction of lesion of organ NOC\n"
        "Percutaneous procedure\n"
        "J12.7 Percutaneous microwave ablation of lesion of liver\n"
        "In addition the ICD-10 codes C78.7 Secondary malignant neoplasm of liver and "
        "intrahepatic bile duct and C22.0 Liver cell carcinoma are assigned.\n"
    )
    rules = compile_text(text, "ipg913.txt").rules
    assert [(v["id"], v["selector"]["kind"]) for v in rules["variants"]] == [
        ("open", "approach"),
        ("percutaneous", "approach"),
    ]
    assert [[c["code"] for c in d["candidates"]] for d in rules["diagnoses"]] == [
        ["C78.7"],
        ["C22.0"],
    ]
