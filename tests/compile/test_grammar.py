"""The two grammars: line kinds of a page, and codes with connectives inside a line."""

from __future__ import annotations

import pytest

from plugin.compile.grammar import parse_line, parse_page
from plugin.compile.page import mend


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("OPCS4.6 Code(s)", "HEADING"),
        ("Coding recommendations", "HEADING"),
        ("J12.7 Percutaneous microwave ablation of lesion of liver", "CODE_LINE"),
        ("Y53.- Approach to organ under image control", "CODE_LINE"),
        ("Or", "OR_LINE"),
        ("Note: A code from category Y53.- may be added.", "NOTE"),
        ("Includes: Radiofrequency ablation of organ NOC", "INCLUDES"),
        ("In addition the ICD-10 code C78.7 is assigned.", "ICD"),
        ("Varicose veins of lower extremity (72866009)", "SNOMED_ROW"),
        ("Codes available are:", "TEXT"),
    ],
)
def test_line_kinds(line: str, kind: str) -> None:
    _, lines = parse_page(line)
    assert [ln.kind for ln in lines] == [kind]


@pytest.mark.parametrize("header", ["Open procedure:", "Stage 2", "Transluminal approach:"])
def test_blocks_group_their_lines(header: str) -> None:
    url, lines = parse_page(f"https://example.org/x\n{header}\nJ12.7 A title\nOr\n")
    assert url == "https://example.org/x"
    assert [(ln.kind, ln.block) for ln in lines] == [
        ("HEADER", header),
        ("CODE_LINE", header),
        ("OR_LINE", header),
    ]


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        # an "or" before a code joins two codes; inside a title it is a word
        (
            "Y75.2 Laparoscopic approach NEC or Y75.4 Hand assisted approach",
            [("Y75.2", None, None), ("Y75.4", "or", None)],
        ),
        ("F32.2 Severe or very severe episode", [("F32.2", None, None)]),
        (
            "W80.- Debridement plus Y76.7 Arthroscopic approach",
            [("W80.-", None, None), ("Y76.7", "plus", None)],
        ),
        ("codes from categories X70-X72 (depending on setting)", [("X70-X72", None, None)]),
        (
            "Q90.-\u2020 Down's syndrome and H19.8A Other",
            [("Q90.-", None, "\u2020"), ("H19.8A", "and", None)],
        ),
        ("C61.X Malignant neoplasm of prostate", [("C61.X", None, None)]),
        (
            "supplementary code (L76, L89, O20)",
            [("L76", None, None), ("L89", None, None), ("O20", None, None)],
        ),
        ("no code in this line", []),
    ],
)
def test_codes_and_connectives(text: str, refs: list[tuple[object, ...]]) -> None:
    assert [(r.code, r.conn, r.mark) for r in parse_line(text).refs] == refs


@pytest.mark.parametrize(
    ("typo", "mended"),
    [
        ("Z92. 1 Head NEC", "Z92.1 Head NEC"),
        ("category C15. - Malignant", "category C15.- Malignant"),
        ("the codeY53.4 Approach", "the code Y53.4 Approach"),
        ("NEC orY75.4 Hand", "NEC or Y75.4 Hand"),
    ],
)
def test_typos_in_code_lines_are_mended(typo: str, mended: str) -> None:
    text, found = mend(typo)
    assert text == mended and found
