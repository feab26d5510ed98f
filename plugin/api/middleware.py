"""Deployment middleware: CORS (off unless configured) and optional bearer-token auth.

Both wrap the whole app from outside, so the FHIR routes stay unaware of them. CORS is the
outer layer: a browser's preflight (OPTIONS, no credentials) is answered before auth runs.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from plugin.errors import Issue, operation_outcome
from plugin.jsonio import dumps

# Paths a load balancer or orchestrator polls without credentials.
OPEN_PATHS = frozenset({"/healthz"})


class BearerAuth:
    """Require `Authorization: Bearer <token>` on every HTTP request except `OPEN_PATHS`.

    FHIR (and RFC 6750): a missing or wrong token is 401 with `WWW-Authenticate: Bearer` and an
    OperationOutcome (issue `login`); the token is compared in constant time.
    """

    def __init__(self, app: ASGIApp, token: str, open_paths: Iterable[str] = OPEN_PATHS) -> None:
        self.app = app
        self._token = token.encode()
        self._open = frozenset(open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._open:
            await self.app(scope, receive, send)
            return
        given = b""
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                if scheme.lower() == b"bearer":
                    given = credentials.strip()
        if given and hmac.compare_digest(given, self._token):
            await self.app(scope, receive, send)
            return
        text = "A valid bearer token is required" if not given else "The bearer token is not valid"
        body = dumps(operation_outcome([Issue("error", "login", text, ("Authorization",))]))
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/fhir+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="nice-tx"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def wrap(app: ASGIApp, *, cors_origins: Iterable[str] = (), token: str | None = None) -> ASGIApp:
    """`app` behind optional bearer auth, behind CORS when origins are given (`*` = any)."""
    wrapped: ASGIApp = app
    if token:
        wrapped = BearerAuth(wrapped, token)
    origins = [o for o in cors_origins if o]
    if origins:
        wrapped = CORSMiddleware(
            wrapped,
            allow_origins=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Accept", "Accept-Language"],
            expose_headers=["Location", "Content-Location", "ETag"],
            max_age=600,
        )
    return wrapped
