"""The application: FastAPI for docs and health, the FHIR bases as plain Starlette routes,
with the operation paths dispatched in front of the framework."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount

from plugin.config import FHIR_VERSIONS, REQUEST_BUDGET_S, SERVER_VERSION
from plugin.content.closure import ClosureTables
from plugin.content.core import with_core
from plugin.content.loader import build_store
from plugin.content.store import Store
from plugin.errors import FhirError
from plugin.ops.capabilities import describe
from plugin.ops.registry import OPERATIONS

from .dispatch import FhirApp, table
from .http import error_response
from .openapi import install_openapi
from .routes import fhir_routes

# The page is static: it calls this server's own $translate from the browser.
PAGE = (Path(__file__).parent / "static" / "index.html").read_text(encoding="utf-8")


def create_app(
    store: Store | None = None,
    content: Sequence[Path] = (),
    budget: float | None = REQUEST_BUDGET_S,
    lanes: bool = True,
    closures: ClosureTables | None = None,
) -> FhirApp:
    """The ASGI app: FHIR R4 at `/r4` and R5 at `/r5` over `store` (default: built-in content).

    Every operation runs under `budget` seconds of work (None: unbounded). With `lanes`, plain
    coded GETs are answered from tables compiled now from the content (`plugin.ops.lanes`);
    without, `app.compile_lanes()` may compile them later. `closures` keeps the $closure
    tables; by default the store's, else a private in-memory database of this app.
    """
    if store is None:
        store, _ = build_store(content)
    if closures is not None:
        store.closures = closures
    elif store.closures is None:
        store.closures = ClosureTables()
    app = FhirApp(
        title="nice-tx",
        version=SERVER_VERSION,
        description=describe(store),
    )
    app.state.store = store

    @app.get("/", include_in_schema=False)
    def page() -> HTMLResponse:
        """The coders' page: type a procedure description, see the codes and the reasons."""
        return HTMLResponse(PAGE)

    # HEAD too: load balancers probe with it.
    @app.get("/healthz", tags=["ops"])
    @app.head("/healthz", tags=["ops"], operation_id="healthz_head")
    def healthz() -> dict[str, object]:
        """Liveness for load balancers: the process is up and its content is loaded."""
        return {"status": "ok", "resources": len(store)}

    # One process, one engine: each base differs only in its wire form and CapabilityStatement.
    bases: dict[str, tuple[Store, bool]] = {}
    for base, fhir_version in FHIR_VERSIONS.items():
        # Each base also serves its own FHIR version's core terminology.
        base_store = with_core(store, fhir_version)
        r5 = fhir_version.startswith("5.")
        bases[base] = (base_store, r5)
        routes = fhir_routes(base_store, fhir_version, r5=r5, budget=budget)
        app.router.routes.append(Mount(f"/{base}", routes=routes))
    # The operation paths are answered before FastAPI's routing (plugin/api/dispatch.py).
    app.operations = table(OPERATIONS, bases)
    if lanes:
        app.compile_lanes()
    app.budget = budget

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        code = "not-found" if status == 404 else "not-supported"
        response = error_response(
            FhirError(code, str(getattr(exc, "detail", exc)), (request.url.path,), status=status)
        )
        # A 405 names the methods the resource allows (RFC 9110 15.5.6).
        response.headers.update(getattr(exc, "headers", None) or {})
        return response

    app.add_exception_handler(HTTPException, http_error)
    install_openapi(app, OPERATIONS)
    return app
