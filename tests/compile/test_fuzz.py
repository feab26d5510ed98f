"""The compiler never falls over: any text gives rules and resources, or a clean ValueError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.compile.pack import compile_text
from tests.compile.conftest import SECTIONS

# Lines as coding sections have them, with their typos, and some noise.
FRAGMENTS = [
    line
    for f in sorted(SECTIONS.glob("*.txt"))
    for line in f.read_text(encoding="utf-8").splitlines()
    if line.strip()
] + ["Or", "Stage 3", "Codes available are:", "J12.", "Y53.-†", "(", "C18.- or", ":", "Note:"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=25))
def test_any_lines_compile_or_fail_cleanly(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        c = compile_text(text, "ipg999.txt")
    except ValueError:
        return
    assert c.rules["id"].startswith("ipg")  # from the text when it names one, else the file
    assert all(r["resourceType"] in ("CodeSystem", "ValueSet", "ConceptMap") for r in c.resources)
