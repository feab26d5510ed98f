"""The terminology operations as a component another Python FHIR server mounts.

Two shapes, same routes (`fhir_routes`): a self-contained ASGI app for `app.mount(prefix, ...)`
(Starlette or FastAPI), and a FastAPI `APIRouter` for `app.include_router(..., prefix=...)`.
Neither needs anything from the host app: failures become OperationOutcomes inside the routes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import APIRouter
from starlette.applications import Starlette

from plugin.content.closure import ClosureTables
from plugin.content.core import with_core
from plugin.content.loader import build_store
from plugin.content.store import Store

from .routes import fhir_routes


def _store(store: Store | None, content: Sequence[Path]) -> Store:
    if store is None:
        store, _ = build_store(content)
    if store.closures is None:
        # $closure keeps its tables in memory for this component (its host may set the
        # store's `closures` to a shared `ClosureTables(file)` first).
        store.closures = ClosureTables()
    return store


def fhir_app(
    store: Store | None = None, *, content: Sequence[Path] = (), fhir_version: str = "4.0.1"
) -> Starlette:
    """An ASGI app serving one FHIR base (operations, read, search, metadata) at its root.

    Mount it under any prefix: `host.mount("/fhir", fhir_app())`; the CapabilityStatement then
    names `<host>/fhir` as the base (Starlette passes the mount path as `root_path`).
    """
    return Starlette(
        routes=fhir_routes(with_core(_store(store, content), fhir_version), fhir_version)
    )


def fhir_router(
    store: Store | None = None, *, content: Sequence[Path] = (), fhir_version: str = "4.0.1"
) -> APIRouter:
    """A FastAPI router with the same routes: `host.include_router(fhir_router(), prefix=...)`.

    The routes stay plain Starlette routes (no FastAPI validation on the request path), so they
    do not appear in the host's OpenAPI document.
    """
    routes = fhir_routes(with_core(_store(store, content), fhir_version), fhir_version)
    return APIRouter(routes=routes)
