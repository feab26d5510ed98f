"""The guidance compiler: a NICE coding section (page text) -> coding rules -> a content pack.

`read_page` classifies the lines of a page (`grammar`), `build_rules` turns them into rules in
the guidance-coding schema (v0.1), `pack` turns rules into FHIR CodeSystem, ValueSet and
ConceptMap resources that `nice-tx serve --content` loads like any other content.
"""

from __future__ import annotations

from plugin.compile.page import Page, read_page
from plugin.compile.rules import build_rules

__all__ = ["Page", "build_rules", "read_page"]
