"""The FHIR routes of one base (`/r4`): operations, read, search, metadata.

Plain Starlette routes rather than FastAPI endpoints: the answers are FHIR JSON built as plain
data, and FastAPI's per-request validation would cost more than the translation itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from plugin.config import FHIR_VERSIONS, REQUEST_BUDGET_S
from plugin.content.store import TERMINOLOGY_TYPES, Store
from plugin.errors import METHOD_NOT_ALLOWED, FhirError, invalid, not_found
from plugin.ops import capabilities
from plugin.ops.operation import Operation
from plugin.ops.params import Args, parse_parameters, parse_query
from plugin.ops.registry import OPERATIONS
from plugin.ops.search import PARAMS as SEARCH_PARAMS
from plugin.ops.search import read, search
from plugin.types import Resource

from .dispatch import run_operation
from .http import error_response, fhir_response, negotiate, read_json
from .limits import is_heavy, run_bounded

Endpoint = Callable[[Request], Awaitable[Response]]


def _guarded(handler: Callable[[Request, str], Awaitable[Response]]) -> Endpoint:
    """Negotiate the format, run the handler, turn every failure into an OperationOutcome."""

    async def endpoint(request: Request) -> Response:
        try:
            media = negotiate(request)
            return await handler(request, media)
        except Exception as exc:
            response = error_response(exc)
            if response.status_code == METHOD_NOT_ALLOWED:
                # RFC 9110 15.5.6: a 405 names the methods the resource allows.
                ops = "/$" in request.url.path
                response.headers["Allow"] = "GET, HEAD, POST" if ops else "GET, HEAD"
            return response

    return endpoint


async def _body(request: Request) -> Any:
    return await read_json(request) if request.method == "POST" else None


def _args(request: Request, op: Operation, body: Any) -> Args:
    if body is not None:
        return parse_parameters(op.params, body)
    return parse_query(op.params, request.query_params.multi_items())


def _operation_endpoint(
    op: Operation, rtype: str, store: Store, r5: bool, budget: float | None
) -> Endpoint:
    def answer(request: Request, body: Any) -> Resource:
        # Parsing, request-scoped content and the operation all count against the budget.
        args = _args(request, op, body)
        rid = request.path_params.get("id")
        language = request.headers.get("accept-language")
        return run_operation((op, rtype, store, r5), args, rid, language)

    async def handle(request: Request, media: str) -> Response:
        if op.affects_state and request.method == "GET":
            refused = error_response(
                FhirError(
                    "not-supported",
                    f"${op.name} changes the server's state, so FHIR has it invoked with POST only",
                    (request.url.path,),
                    status=METHOD_NOT_ALLOWED,
                )
            )
            refused.headers["Allow"] = "POST"
            return refused
        body = await _body(request)
        heavy = is_heavy(op.name, request.method, request.headers)
        answer_bytes = await run_bounded(partial(answer, request, body), budget, heavy)
        return Response(answer_bytes, media_type=media)

    return _guarded(handle)


def fhir_routes(
    store: Store,
    fhir_version: str = "4.0.1",
    r5: bool = False,
    budget: float | None = REQUEST_BUDGET_S,
) -> list[BaseRoute]:
    """Every route of one FHIR base, relative to the base (mount it at `/r4`).

    Each operation runs under `budget` seconds of work (None: unbounded); see `limits`.
    """
    routes: list[BaseRoute] = []
    for op in OPERATIONS:
        for rtype in op.resource_types:
            ep = _operation_endpoint(op, rtype, store, r5, budget)
            routes.append(Route(f"/{rtype}/${op.name}", ep, methods=["GET", "POST"]))
            routes.append(Route(f"/{rtype}/{{id}}/${op.name}", ep, methods=["GET", "POST"]))
        if op.system:
            ep = _operation_endpoint(op, op.resource_types[0], store, r5, budget)
            routes.append(Route(f"/${op.name}", ep, methods=["GET", "POST"]))

    async def metadata(request: Request, media: str) -> Response:
        base = str(request.base_url).rstrip("/") + request.scope.get("root_path", "")
        mode = request.query_params.get("mode", "full")
        if mode == "terminology":
            return fhir_response(
                capabilities.terminology_capabilities(store, fhir_version, base), media=media
            )
        if mode not in ("full", "normal"):
            raise invalid(f"mode must be full, normal or terminology, not '{mode}'", "mode")
        return fhir_response(
            capabilities.capability_statement(
                OPERATIONS, fhir_version, base, capabilities.describe(store)
            ),
            media=media,
        )

    async def versions(request: Request, media: str) -> Response:
        served = [".".join(v.split(".")[:2]) for v in FHIR_VERSIONS.values()]
        short = ".".join(fhir_version.split(".")[:2])
        return fhir_response(capabilities.versions(served, short), media=media)

    async def type_level(request: Request, media: str) -> Response:
        rtype = request.path_params["type"]
        if request.method != "GET":
            raise FhirError(
                "not-supported",
                f"{request.method} on {rtype} is not supported: this server's content is read-only",
                (rtype,),
                status=METHOD_NOT_ALLOWED,
            )
        args = parse_query(SEARCH_PARAMS, request.query_params.multi_items())
        return fhir_response(search(store, rtype, args, str(request.url)), media=media)

    async def instance_level(request: Request, media: str) -> Response:
        rtype, rid = request.path_params["type"], request.path_params["id"]
        if request.method != "GET":
            raise FhirError(
                "not-supported",
                f"{request.method} on {rtype}/{rid} is not "
                "supported: this server's content is read-only",
                (rtype,),
                status=METHOD_NOT_ALLOWED,
            )
        return fhir_response(read(store, rtype, rid), media=media)

    async def unknown(request: Request, media: str) -> Response:
        raise not_found(f"No FHIR interaction is served at {request.url.path}", request.url.path)

    every = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    routes += [
        Route("/metadata", _guarded(metadata), methods=["GET"]),
        Route("/$versions", _guarded(versions), methods=["GET", "POST"]),
        Route("/{type}", _guarded(type_level), methods=every),
        Route("/{type}/{id}", _guarded(instance_level), methods=every),
        Route("/{path:path}", _guarded(unknown), methods=every),
    ]
    return routes


def resource_types() -> Sequence[str]:
    """The resource types served."""
    return TERMINOLOGY_TYPES
