"""The operation table: every FHIR operation the server serves, in one place.

The router (`plugin.api.routes`) mounts a route per operation and resource type from this table,
and the CapabilityStatement (`plugin.ops.capabilities`) declares the same operations, so adding an
operation here serves and declares it; nothing else lists operations.
"""

from __future__ import annotations

from plugin.ops import batch, closure, expand, lookup, subsumes, translate, validate_code
from plugin.ops.operation import Operation

OPERATIONS: tuple[Operation, ...] = (
    translate.OPERATION,
    expand.OPERATION,
    validate_code.CODESYSTEM,
    validate_code.VALUESET,
    lookup.OPERATION,
    subsumes.OPERATION,
    batch.OPERATION,
    closure.OPERATION,
)
