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

# --- Reliability limits (docs/reliability.md states each one and what happens past it) ---------

# Work one request may do (seconds of wall-clock time, `--budget`); past it the request ends with
# a 422 `too-costly` OperationOutcome. Ordinary requests take well under a millisecond.
REQUEST_BUDGET_S = 3.0

# Time a client has to send a request body once the request has started; past it, 408.
BODY_TIMEOUT_S = 10.0

# Time a client has to send the request line and headers (granian's header read timeout); an
# idle keep-alive connection is closed after it too.
HEADER_TIMEOUT_S = 5.0

# Largest answer (bytes of JSON) returned; a larger one is refused as too-costly.
MAX_ANSWER_BYTES = 8 * 1024 * 1024

# Deepest hierarchy walked in client data or returned nested: concept nesting in a CodeSystem,
# contains nesting in an expansion. Deeper input is refused with a 4xx, never walked by recursion.
MAX_DEPTH = 100

# Longest procedure description the free-text recogniser reads (characters); the rest is not
# read and the answer says so. A clinical procedure note is a few hundred characters.
MAX_DESCRIPTION_CHARS = 10_000

# --- Closure tables (ConceptMap/$closure; docs/conformance.md) ----------------------------------

# Closure tables one server keeps (per database, both FHIR bases together), and concepts per
# table. A closure table holds the codes a client's data uses: thousands, not millions.
MAX_CLOSURE_TABLES = 1_000
MAX_CLOSURE_CONCEPTS = 10_000

# How long a $closure call waits for another worker's update of the closure tables (seconds)
# before it is answered 429 (retry); well inside the request budget.
CLOSURE_BUSY_S = 2.0
