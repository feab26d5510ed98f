"""Memoised operation answers: a repeated request is answered from pre-encoded bytes.

Content is loaded once and immutable at run time, so an operation's answer depends only on the
request: method, path, query string, body and the few headers the routes read. A bounded LRU maps
that normalised request straight to the encoded response, skipping routing, parsing, the
operation and JSON encoding. Requests carrying `tx-resource` (request-scoped content) bypass it,
and 5xx answers are never stored.

It is plain ASGI middleware so a hit costs one dict lookup and two `send` calls.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The request headers an operation's answer may depend on (format negotiation, display
# language, body type). A route that starts reading another header must add it here.
KEY_HEADERS = frozenset({b"accept", b"accept-language", b"content-type"})

# Bodies and answers larger than this are served but not stored: the cache is for the small,
# hot requests ($translate, $validate-code, $lookup), not for big expansions.
MAX_ENTRY_BYTES = 64 * 1024

DEFAULT_SIZE = 8192

# Memory bound per worker, whatever the mix of requests: entries are evicted (least recently
# used first) until the stored keys and answers fit. Keeps a worker well under its RSS budget.
MAX_TOTAL_BYTES = 32 * 1024 * 1024
_ENTRY_OVERHEAD = 512  # dicts, tuples and the key's small fields, roughly

# Requests carrying request-scoped content are not stored. The key holds the whole body, so such
# an answer would still only be reused for the very same content, but those bodies are large
# and rarely repeat: they would only push hot answers out.
_REQUEST_SCOPED = b"tx-resource"

# Operations whose answer depends on server state, not only on the request ($closure: the closure
# table as earlier calls left it). Never answered from, nor stored in, the cache.
_STATEFUL = "/$closure"

# Answers that depend on the moment, not only on the request: a request past its work budget
# (422 too-costly) may fit when the machine is quieter; a timed-out body (408) or throttling.
_MOMENTARY = frozenset({408, 422, 429})

Key = tuple[str, str, bytes, tuple[tuple[bytes, bytes], ...], bytes]


def _storable(status: int) -> bool:
    return status < 500 and status not in _MOMENTARY


Entry = tuple[Message, Message]


def _item_name(item: bytes) -> bytes:
    return item.partition(b"=")[0]


def _query_key(query: bytes) -> bytes:
    """The query string with its items ordered by name (values of one name keep their order)."""
    if b"&" not in query:
        return query
    items: list[bytes] = sorted(query.split(b"&"), key=_item_name)
    return b"&".join(items)


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class ResponseCache:
    """ASGI middleware memoising FHIR operation answers (`.../$op`) in a bounded LRU."""

    def __init__(self, app: ASGIApp, size: int = DEFAULT_SIZE) -> None:
        self.app = app
        self.size = size
        self._entries: OrderedDict[Key, tuple[Entry, int]] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer from the cache, or run the app and store what it answered."""
        if self.size <= 0 or scope["type"] != "http" or "/$" not in scope["path"]:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.endswith(_STATEFUL):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        query = scope["query_string"]
        if method not in ("GET", "POST") or _REQUEST_SCOPED in query:
            await self.app(scope, receive, send)
            return
        headers = tuple([h for h in scope["headers"] if h[0] in KEY_HEADERS])
        body = b""
        if method == "POST":
            length = _content_length(scope["headers"])
            if length is None or length > MAX_ENTRY_BYTES:
                await self.app(scope, receive, send)
                return
            body, more, pending = await _read_body(receive)
            if more or len(body) > MAX_ENTRY_BYTES or _REQUEST_SCOPED in body:
                await self.app(scope, _replay(pending, receive), send)
                return
            receive = _replay(pending, receive)
        # The query as sent is looked up first (clients repeat their own spelling); the
        # name-sorted form finds the same request written in another order.
        raw = key = (method, path, query, headers, body)
        entry = self._entries.get(raw)
        if entry is None and b"&" in query:
            key = (method, path, _query_key(query), headers, body)
            entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            await send(entry[0][0])
            await send(entry[0][1])
            return
        self.misses += 1
        await self.app(scope, receive, self._recorder((raw, key), send))

    def _recorder(self, keys: tuple[Key, Key], send: Send) -> Send:
        """A `send` that forwards the answer and stores it once it is complete and small."""
        start: Message = {}
        chunks: list[bytes] = []

        async def record(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body" and _storable(start.get("status", 500)):
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._store(keys, start, b"".join(chunks))

        return record

    def _store(self, keys: tuple[Key, Key], start: Message, body: bytes) -> None:
        if len(body) > MAX_ENTRY_BYTES:
            return
        head = {
            "type": "http.response.start",
            "status": start["status"],
            "headers": list(start.get("headers", [])),
        }
        entry = (head, {"type": "http.response.body", "body": body})
        for key in set(keys):
            cost = len(body) + len(key[2]) + len(key[4]) + _ENTRY_OVERHEAD
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._entries[key] = (entry, cost)
            self.bytes += cost
        while self._entries and (len(self._entries) > self.size or self.bytes > MAX_TOTAL_BYTES):
            _, (_, cost) = self._entries.popitem(last=False)
            self.bytes -= cost

    def __len__(self) -> int:
        return len(self._entries)


async def _read_body(receive: Receive) -> tuple[bytes, bool, list[Message]]:
    """Read up to MAX_ENTRY_BYTES of the body: (body, more to come, messages consumed)."""
    pending: list[Message] = []
    size = 0
    while True:
        message = await receive()
        pending.append(message)
        if message["type"] != "http.request":
            return b"", True, pending
        size += len(message.get("body", b""))
        more = bool(message.get("more_body", False))
        if size > MAX_ENTRY_BYTES or not more:
            return b"".join(m.get("body", b"") for m in pending), more, pending


def _replay(pending: list[Message], receive: Receive) -> Receive:
    """A `receive` that first gives back the messages already consumed, then the rest."""
    queue = list(pending)

    async def replayed() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return replayed
