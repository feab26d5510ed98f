"""What an operation is (its name, parameters and runner) and what it sees of a request.

The table of served operations is `plugin.ops.registry.OPERATIONS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from plugin.content.store import Entry, Store
from plugin.ops.params import Args, Param
from plugin.types import Resource


@dataclass
class Context:
    """Everything an operation sees of a request."""

    args: Args
    store: Store
    resource_type: str | None = None
    instance: Entry | None = None
    r5: bool = False
    accept_language: str | None = None


@dataclass(frozen=True)
class Operation:
    """A FHIR operation: its declared parameters and the function that answers it."""

    name: str
    definition: str
    resource_types: tuple[str, ...]
    params: tuple[Param, ...]
    run: Callable[[Context], Resource]
    instance: bool = True
    # Also served at system level, `[base]/$name` (FHIR OperationDefinition.system).
    system: bool = False
    # The resource type of the answer (for the OpenAPI document).
    returns: str = "Parameters"
    # FHIR (operations, "affectsState"): an operation that changes state is invoked with POST
    # only; a GET of it is 405.
    affects_state: bool = False
