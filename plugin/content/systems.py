"""Code system identity: URI aliases and the code forms that travel in real data.

OPCS-4 and ICD-10 codes look alike (OPCS C15 is an eye operation, ICD-10 C15 oesophageal cancer),
so a code is only ever compared together with its canonical system.
"""

from __future__ import annotations

OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
ICD10_UK = "http://hl7.org/fhir/sid/icd-10-uk"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SNOMED = "http://snomed.info/sct"

# URIs seen in NHS systems for the same code system, normalised on input.
ALIASES = {
    "https://fhir.nhs.uk/Id/opcs-4": OPCS4,
    "https://fhir.hl7.org.uk/Id/opcs-4": OPCS4,
    "http://fhir.hl7.org.uk/R4/CodeSystem/OPCS-4": OPCS4,
    "http://hl7.org/fhir/sid/ex-opcs4": OPCS4,
}

# Classifications whose codes are written "A12.3" but travel undotted ("A123") in NHS data sets.
_DOTTED = frozenset({OPCS4, ICD10_UK, ICD10})


def canonical_system(uri: str) -> str:
    """Return the canonical URI for a code system URI or one of its known aliases."""
    return ALIASES.get(uri, uri)


def normalise_code(system: str, code: str) -> str:
    """Return the code in its canonical form for `system` (already canonical).

    OPCS-4 and ICD-10 codes are a letter, two digits, then an optional fourth character after a
    dot: "J127" and "j12.7" both become "J12.7". Other systems' codes are left untouched.
    """
    if system not in _DOTTED:
        return code
    c = code.strip().upper()
    if len(c) == 4 and "." not in c and c[0].isalpha() and c[1:3].isdigit():
        return c[:3] + "." + c[3]
    return c
