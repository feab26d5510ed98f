"""The context machinery is generic: it knows words of English and roles, not the guidance.

The modules that read assertion context, sections and the episode hold no word of the guidance's
domain in their code (docstrings and comments aside, which explain with examples); the facets and
values they act on come from the content: the `episode-anchor` facet property, `in-scope`,
`not-stated`, dependency elements and ConceptMap sources.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from plugin.content.store import Store
from plugin.text import matcher_for

TEXT = Path(__file__).resolve().parents[2] / "plugin" / "text"
GENERIC = ["context.py", "sections.py", "episode.py", "rules.py", "cues.py"]
DOMAIN_WORDS = [
    "liver",
    "hepat",
    "microwave",
    "mwa",
    "ablat",
    "metasta",
    "ultrasound",
    "lung",
    "opcs",
    "icd",
    "y53",
    "j12",
    "technique",
    "image-control",
    "percutaneous",
    "laparoscop",
]


def code_strings(path: Path) -> list[str]:
    """Names and string constants of a module, docstrings excluded."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                out.append(node.value)
        elif isinstance(node, ast.Name):
            out.append(node.id)
        elif isinstance(node, ast.Attribute):
            out.append(node.attr)
    return out


@pytest.mark.parametrize("name", GENERIC)
def test_no_domain_word_in_the_machinery(name: str) -> None:
    found = [(s, w) for s in code_strings(TEXT / name) for w in DOMAIN_WORDS if w in s.lower()]
    assert found == []


def test_the_anchor_and_roles_come_from_the_content(store: Store) -> None:
    vocab = matcher_for(store).vocab
    assert vocab.anchor_facets == {"technique"}  # the facet the content marks episode-anchor
    assert {f.key for f in vocab.facets.values() if f.element} == {"image-control"}
    assert vocab.lesion_facets == {"lesion"}
