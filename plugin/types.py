"""Small shared types: JSON shapes as they travel on the wire."""

from __future__ import annotations

from typing import Any, TypeAlias

JSON: TypeAlias = Any
"""Any decoded JSON value."""

Resource: TypeAlias = dict[str, Any]
"""A FHIR resource as decoded JSON (a dict with `resourceType`)."""
