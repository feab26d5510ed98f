"""Shared helpers of the compiler tests: the sections (tests/compile/sections) compiled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plugin.compile.pack import Compiled, compile_text

SECTIONS = Path(__file__).parent / "sections"
SEED = SECTIONS / "ipg406-seed.txt"


def compiled(name: str, **kw: Any) -> Compiled:
    """Compile one section file of tests/compile/sections."""
    path = SECTIONS / name
    return compile_text(path.read_text(encoding="utf-8"), path.name, **kw)


def materialised(rules: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """variant id -> its slots (own and shared, in seq order) as (role, requirement,
    condition kind, codes), the way a coder reads a variant."""
    out = {}
    for v in rules["variants"]:
        shared = [s for s in rules["shared_slots"] if v["id"] in s["applies_to"]]
        slots = sorted([*v["slots"], *shared], key=lambda s: s["seq"])
        out[v["id"]] = [
            (
                s["role"],
                s["requirement"],
                (s.get("condition") or {}).get("kind"),
                tuple(c["code"] for c in s["candidates"]),
            )
            for s in slots
        ]
    return out


@pytest.fixture(scope="session")
def seed() -> Compiled:
    """The IPG406 coding section compiled (the IPG number is in its text)."""
    return compile_text(SEED.read_text(encoding="utf-8"), SEED.name, ipg=406)
