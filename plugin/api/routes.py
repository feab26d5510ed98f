"""The FHIR routes of one base (`/r4`): operations, read, search, metadata.

Plain Starlette routes rather than FastAPI endpoints: the answers are FHIR JSON built as plain
data, and FastAPI's per-request validation would cost more than the translation itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from plugin.config import FHIR_VERSIONS
from plugin.content.store import TERMINOLOGY_TYPES, Store
from plugin.content.supplements import with_supplements
from plugin.errors import METHOD_NOT_ALLOWED, FhirError, invalid, not_found
from plugin.ops import capabilities
from plugin.ops.operation import Context, Operation
from plugin.ops.params import Args, parse_parameters, parse_query
from plugin.ops.registry import OPERATIONS
from plugin.ops.search import PARAMS as SEARCH_PARAMS
from plugin.ops.search import read, search

from .http import error_response, fhir_response, negotiate, read_json

Endpoint = Callable[[Request], Awaitable[Response]]


def _guarded(handler: Callable[[Request, str], Awaitable[Response]]) -> Endpoint:
    """Negotiate the format, run the handler, turn every failure into an OperationOutcome."""

    async def endpoint(request: Request) -> Response:
        try:
            media = negotiate(request)
            return await handler(request, media)
        except Exception as exc:
            return error_response(exc)

    return endpoint


async def _args(request: Request, op: Operation) -> Args:
    if request.method == "POST":
        body = await read_json(request)
        if body is not None:
            return parse_parameters(op.params, body)
    return parse_query(op.params, request.query_params.multi_items())


def _operation_endpoint(op: Operation, rtype: str | None, store: Store, r5: bool) -> Endpoint:
    async def handle(request: Request, media: str) -> Response:
        args = await _args(request, op)
        view = store
        extra = args.all("tx-resource")
        if extra:
            try:
                view = store.overlay(extra)
            except ValueError as exc:
                raise invalid(f"A tx-resource cannot be used: {exc}", "tx-resource") from None
        if any(p.name == "useSupplement" for p in op.params):
            view = with_supplements(view, args.all("useSupplement"))
        instance = None
        rid = request.path_params.get("id")
        if rid is not None and rtype is not None:
            instance = view.by_id(rtype, rid)
            if instance is None:
                raise not_found(f"{rtype}/{rid} is not known to this server", "id")
        ctx = Context(args, view, rtype, instance, r5, request.headers.get("accept-language"))
        return fhir_response(op.run(ctx), media=media)

    return _guarded(handle)


def fhir_routes(store: Store, fhir_version: str = "4.0.1", r5: bool = False) -> list[BaseRoute]:
    """Every route of one FHIR base, relative to the base (mount it at `/r4`)."""
    routes: list[BaseRoute] = []
    for op in OPERATIONS:
        for rtype in op.resource_types:
            ep = _operation_endpoint(op, rtype, store, r5)
            routes.append(Route(f"/{rtype}/${op.name}", ep, methods=["GET", "POST"]))
            routes.append(Route(f"/{rtype}/{{id}}/${op.name}", ep, methods=["GET", "POST"]))

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
