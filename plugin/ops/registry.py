"""The operation table: what the server serves, read by the router and the CapabilityStatement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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
    extras: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """A FHIR operation: its declared parameters and the function that answers it."""

    name: str
    definition: str
    resource_types: tuple[str, ...]
    params: tuple[Param, ...]
    run: Callable[[Context], Resource]
    doc: str
    instance: bool = True
