"""Project-wide constants: the canonical base of our own resources and the service limits."""

from __future__ import annotations

# Our own namespace. It is the project's, not NICE's or NHS England's: every url of a resource we
# author starts with it, and nothing else in the code spells it out.
CANONICAL_BASE = "https://w3id.org/nice-tx/fhir"

SERVER_NAME = "nice-tx"
SERVER_VERSION = "0.1.0"

# FHIR versions served, by base path.
FHIR_VERSIONS = {"r4": "4.0.1", "r5": "5.0.0"}

# Largest request body accepted (bytes). A $translate or $validate-code body is a few kB; the
# tx-resource payloads of the HL7 test suite stay well under 2 MB.
MAX_BODY_BYTES = 4 * 1024 * 1024

# Largest expansion returned without paging: above this $expand answers `too-costly` (the same
# limit as the reference server tx.fhir.org; the HL7 test suite checks a 2,000-code value set).
MAX_EXPANSION = 1_000

# Longest time (seconds) one regex filter match may take; a longer one is refused as too-costly.
REGEX_TIMEOUT = 0.2

# Version of the HL7 terminology ecosystem test suite this build is checked against
# (fhir-tx-ecosystem-ig, see tests/txsuite/SOURCE.md).
TX_TEST_VERSION = "1.9.0"
