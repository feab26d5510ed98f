"""The FHIR operation paths, dispatched before the framework.

`GET|POST /r4/ConceptMap/$translate` (and every other `[base]/[type]/$op` or
`[base]/[type]/[id]/$op`) is found by one dict lookup on the path's segments, parsed straight from
the ASGI scope into the operation's declared arguments, and answered with two `send` calls.
FastAPI's own per-request work (routing, middleware, telemetry checks) cost several times the
translation itself. Every other request (metadata, read, search, docs, health, unknown paths)
goes on to FastAPI, whose Starlette routes serve the same operations too (for `fhir_app()` and
`fhir_router()` hosts). Both paths run `run_operation`, so they answer alike;
`tests/api/test_dispatch.py` compares them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from plugin.content.store import Store
from plugin.content.supplements import with_supplements
from plugin.errors import invalid, not_found
from plugin.jsonio import dumps
from plugin.ops.lanes import Lane, lanes
from plugin.ops.operation import Context, Operation
from plugin.ops.params import Args, parse_parameters, parse_query_string
from plugin.types import Resource

from .http import check_length, decode_json, error_answer, negotiate_media, read_body
from .limits import is_heavy_request, run_bounded

# (base, resource type, "$name") -> (operation, resource type, the base's store, R5 wire form)
Route = tuple[Operation, str, Store, bool]
Table = dict[tuple[str, str, str], Route]


def run_operation(
    route: Route, args: Args, rid: str | None = None, accept_language: str | None = None
) -> Resource:
    """Run a route's operation for one request: request-scoped content, supplements, the
    instance, the answer.

    FHIR: `tx-resource` resources are used for this request only; an instance-level call
    (`[type]/[id]/$op`) names a resource that must exist (404 otherwise).
    """
    op, rtype, store, r5 = route
    view = store
    extra = args.all("tx-resource")
    if extra:
        try:
            view = store.overlay(extra)
        except ValueError as exc:
            raise invalid(f"A tx-resource cannot be used: {exc}", "tx-resource") from None
    if args.has("useSupplement"):
        # Only operations that declare useSupplement can have it.
        view = with_supplements(view, args.all("useSupplement"))
    instance = None
    if rid is not None:
        instance = view.by_id(rtype, rid)
        if instance is None:
            raise not_found(f"{rtype}/{rid} is not known to this server", "id")
    return op.run(Context(args, view, rtype, instance, r5, accept_language))


def table(operations: Iterable[Operation], bases: Mapping[str, tuple[Store, bool]]) -> Table:
    """Every operation path of every base (`{"r4": (store, False), ...}`), keyed by segments."""
    return {
        (base, rtype, "$" + op.name): (op, rtype, store, r5)
        for base, (store, r5) in bases.items()
        for op in operations
        for rtype in op.resource_types
    }


def _format(query: str) -> str | None:
    """The `_format` parameter of a raw query string, if any (rare: found by substring first)."""
    if "_format" not in query:
        return None
    return next((v for k, v in parse_qsl(query, keep_blank_values=True) if k == "_format"), None)


class FhirApp(FastAPI):
    """FastAPI, with the FHIR operation paths answered before its own routing and middleware.

    `operations` is the dispatch table (see `table`); without one this is plain FastAPI.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.operations: Table = {}
        # Plain coded GETs answered from tables compiled at load (plugin/ops/lanes.py).
        self.lanes: dict[tuple[str, str, str], Lane] = {}
        # Seconds of work each operation request may take (None: unbounded); see `limits`.
        self.budget: float | None = None

    def compile_lanes(self) -> None:
        """Compile the lanes of every base of the dispatch table (`plugin.ops.lanes`).

        Safe to run in a thread while the app serves: until the one assignment at the end,
        every request runs its operation.
        """
        bases = {base: (store, r5) for (base, _, _), (_, _, store, r5) in self.operations.items()}
        self.lanes = lanes(bases)

    def stores(self) -> list[Store]:
        """The store each FHIR base serves (a base's view of the content), once each."""
        return list({id(r[2]): r[2] for r in self.operations.values()}.values())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve (base, type, $op) and (base, type, id, $op); anything else goes to FastAPI."""
        if scope["type"] == "http" and scope["method"] in ("GET", "POST") and self.operations:
            seg = scope["path"].split("/")
            found, rid, lane = None, None, None
            if len(seg) == 4:
                key = (seg[1], seg[2], seg[3])
                found = self.operations.get(key)
                lane = self.lanes.get(key)
            elif len(seg) == 5 and seg[3]:
                found, rid = self.operations.get((seg[1], seg[2], seg[4])), seg[3]
            # A GET of an operation that changes state goes on: the framework's 405 answers it.
            if found is not None and not (found[0].affects_state and scope["method"] == "GET"):
                await _serve((found, rid, lane), self.budget, scope, receive, send)
                return
        await super().__call__(scope, receive, send)


async def _serve(
    target: tuple[Route, str | None, Lane | None],
    budget: float | None,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Answer one operation request: headers, body or query -> arguments -> operation -> JSON,
    under the request budget (in the worker thread when the request may be costly).

    A lane, when the path has one, answers first; what it declines the operation answers.
    """
    found, rid, lane = target
    op = found[0]
    accept = language = ctype = length = None
    for name, value in scope["headers"]:
        # The first of a repeated header counts, as Starlette's `headers.get` reads it.
        if name == b"accept" and accept is None:
            accept = value.decode("latin-1")
        elif name == b"accept-language" and language is None:
            language = value.decode("latin-1")
        elif name == b"content-type" and ctype is None:
            ctype = value.decode("latin-1")
        elif name == b"content-length" and length is None:
            length = value.decode("latin-1")
    query = scope["query_string"].decode("latin-1")
    media = "application/fhir+json"
    try:
        media = negotiate_media(_format(query), accept)
        # Lanes answer without the request's language (displays would depend on it).
        lane = lane if language is None else None
        get = scope["method"] == "GET"
        content = _lane(lane.__call__, query) if lane is not None and get else None
        if content is not None:
            await _answer(send, 200, media, content)
            return
        body = None
        if not get:
            check_length(length)
            body = decode_json(await read_body(receive), ctype)
            # A POST's parameters are its body's; a query beside it is left to the operation.
            if lane is not None and not query:
                content = _lane(lane.post, body)
                if content is not None:
                    await _answer(send, 200, media, content)
                    return

        def work() -> Resource:
            # Parsing, request-scoped content and the operation all count against the budget.
            if body is not None:
                args = parse_parameters(op.params, body)
            else:
                args = parse_query_string(op.params, query)
            return run_operation(found, args, rid, language)

        heavy = is_heavy_request(op.name, scope["method"], length)
        content = await run_bounded(work, budget, heavy)
        status = 200
    except Exception as exc:
        answer, status = error_answer(exc)
        media = "application/fhir+json"
        content = dumps(answer)
    await _answer(send, status, media, content)


def _lane(answer: Callable[[Any], bytes | None], request: Any) -> bytes | None:
    """A lane's answer to a query string or a body; a lane that fails declines (the operation
    then answers)."""
    try:
        return answer(request)
    except Exception:  # the operation answers what a lane cannot
        return None


_MEDIA = {m: m.encode() for m in ("application/fhir+json", "application/json")}


async def _answer(send: Send, status: int, media: str, content: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-length", b"%d" % len(content)),
                (b"content-type", _MEDIA.get(media) or media.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
