"""HTTP plumbing shared by the routes: format negotiation, bounded bodies, FHIR responses."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive

from plugin.config import MAX_BODY_BYTES
from plugin.errors import (
    NOT_ACCEPTABLE,
    UNSUPPORTED_MEDIA,
    FhirError,
    Issue,
    operation_outcome,
)
from plugin.jsonio import dumps, loads
from plugin.types import Resource

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
_JSON_TYPES = frozenset(
    {
        "application/fhir+json",
        "application/json",
        "text/json",
        "json",
        "*/*",
        "application/*",
        "text/*",
        "*",
    }
)
_FORMATS = frozenset({"json", "application/json", "application/fhir+json", "text/json"})
_PLAIN_ACCEPT = frozenset({"application/fhir+json", "*/*"})


def _media(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def negotiate(request: Request) -> str:
    """The response media type of a Starlette request (see `negotiate_media`)."""
    return negotiate_media(request.query_params.get("_format"), request.headers.get("accept"))


def negotiate_media(fmt: str | None, accept: str | None) -> str:
    """The response media type; 406 when the client only accepts what is not served (XML).

    `_format` wins over Accept (FHIR http); `; fhirVersion=4.0` and charset are tolerated.
    """
    if fmt is not None:
        if _media(fmt) not in _FORMATS:
            raise FhirError(
                "not-supported",
                f"_format '{fmt}' is not served: this server speaks JSON only",
                ("_format",),
                status=NOT_ACCEPTABLE,
            )
        return "application/json" if _media(fmt) == "application/json" else FHIR_JSON
    if not accept or accept in _PLAIN_ACCEPT:
        # The Accept values clients send on nearly every request, answered without parsing.
        return FHIR_JSON
    ranges = [_media(r) for r in accept.split(",") if r.strip()]
    if not ranges or any(r in _JSON_TYPES for r in ranges):
        if ranges and ranges[0] == "application/json":
            return "application/json"
        return FHIR_JSON
    raise FhirError(
        "not-supported",
        f"Cannot answer in {accept}: this server speaks JSON only (application/fhir+json)",
        ("Accept",),
        status=NOT_ACCEPTABLE,
    )


def _too_long() -> FhirError:
    return FhirError(
        "too-long", f"The request body is larger than {MAX_BODY_BYTES} bytes", ("body",)
    )


def check_length(length: str | None) -> None:
    """413 when a declared Content-Length is past the size limit."""
    if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise _too_long()


async def read_body(receive: Receive) -> bytes:
    """The whole request body from an ASGI `receive`, bounded by MAX_BODY_BYTES (else 413)."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_long()
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def decode_json(body: bytes, ctype: str | None) -> Any:
    """A request body as JSON, or None when empty; 415 for a non-JSON Content-Type."""
    if not body.strip():
        return None
    if ctype and _media(ctype) not in _JSON_TYPES:
        raise FhirError(
            "not-supported",
            f"Content-Type '{ctype}' is not accepted: send application/fhir+json",
            ("Content-Type",),
            status=UNSUPPORTED_MEDIA,
        )
    try:
        return loads(body)
    except ValueError as exc:
        raise FhirError(
            "structure", f"The request body is not valid JSON: {exc}", ("body",)
        ) from None


async def read_json(request: Request) -> Any:
    """The request body as JSON, or None when empty. 413 past the size limit, 415 for XML."""
    check_length(request.headers.get("content-length"))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_long()
        chunks.append(chunk)
    return decode_json(b"".join(chunks), request.headers.get("content-type"))


def fhir_response(resource: Resource, status: int = 200, media: str = FHIR_JSON) -> Response:
    """A FHIR JSON response."""
    return Response(dumps(resource), status_code=status, media_type=media)


def error_answer(exc: BaseException) -> tuple[Resource, int]:
    """The one place a failure becomes an answer: an OperationOutcome and its HTTP status."""
    if isinstance(exc, FhirError):
        return exc.outcome(), exc.http_status
    # A bug, never the client's fault: say so without leaking internals, and log it.
    log.exception("internal error", exc_info=exc)
    outcome = operation_outcome(
        [Issue("error", "exception", "Internal server error; the incident was logged")]
    )
    return outcome, 500


def error_response(exc: BaseException) -> Response:
    """A failure as an HTTP response (see `error_answer`)."""
    outcome, status = error_answer(exc)
    return fhir_response(outcome, status)
