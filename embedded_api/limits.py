"""Request bodies bounded before they are read: size per route, arrival time, JSON nesting.

Why an ASGI middleware of our own: uvicorn bounds the request head (``h11_max_incomplete_event_size``)
but not the body, and FastAPI reads a whole body and parses it in one call that holds the GIL
(measured before this: one 100 MB login body took 88 s, the link's reader starved and the vehicle
was declared LOST). Here every body is counted as ``receive()`` hands it over, chunked bodies
without a Content-Length included, so nothing past the limit is ever kept:

- a declared ``Content-Length`` over the route's limit: 413 at once, nothing read;
- a streamed body that passes the limit: 413 as soon as it does;
- a body still arriving after ``body_timeout_s`` (a trickle of 1 byte/s): 408;
- a JSON body nested deeper than ``json_max_depth``: 400, before any parser sees it.

Every refusal is one line of JSON that never repeats the body, and carries ``Connection: close``
so uvicorn drops the socket instead of reading (and discarding) the rest. JSON routes get their
body checked whole (it is at most ``json_max_bytes``) and then replayed to the app; the ingest
route streams (its decoder wants the bytes anyway) through the same counting ``receive``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from embedded_api.settings import ApiSettings
from embedded_api.stream.events import dumps

_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class BodyRefused(Exception):
    """The body broke a limit: answer ``status`` with ``detail`` (and close the connection)."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail


PARAM_FILE_PATHS = frozenset({"/api/params/diff", "/api/params/apply"})  # a parameter file's text


@dataclass(frozen=True)
class BodyPolicy:
    """The limits of one route: bytes, and whether the body is JSON to check whole."""

    max_bytes: int
    json: bool


def policy_for(path: str, settings: ApiSettings) -> BodyPolicy:
    """Per route: the sign-in is tiny, protobuf ingest is large, every other body is a JSON command."""
    if path == "/api/auth/login":
        return BodyPolicy(settings.login_max_bytes, json=True)
    if path == "/api/ingest":
        return BodyPolicy(settings.ingest_max_bytes, json=False)
    if path in PARAM_FILE_PATHS:
        return BodyPolicy(settings.param_file_max_bytes, json=False)
    return BodyPolicy(settings.json_max_bytes, json=True)


def json_depth(body: bytes) -> int:
    """How deep objects and arrays nest in ``body`` (brackets inside strings do not count).

    Vectorised with numpy, linear in the body and without a regex that could backtrack: a quote
    opens or closes a string unless an odd run of backslashes precedes it; a bracket counts when
    an even number of such quotes precede it. About 0.2 ms for 64 KB, so the check costs the core
    nothing even when every request is hostile.
    """
    data = np.frombuffer(body, dtype=np.uint8)
    if data.size == 0:
        return 0
    index = np.arange(data.size)
    backslash = data == 92
    last_other = np.maximum.accumulate(np.where(backslash, -1, index))  # last non-backslash at or before i
    run_before = np.empty(data.size, dtype=np.int64)
    run_before[0] = 0
    run_before[1:] = index[:-1] - last_other[:-1]  # backslashes right before i
    quote = (data == 34) & (run_before % 2 == 0)
    in_string = (np.cumsum(quote) - quote) % 2 == 1  # quotes strictly before i
    step = np.zeros(data.size, dtype=np.int8)
    step[(data == 91) | (data == 123)] = 1
    step[(data == 93) | (data == 125)] = -1
    step[in_string] = 0
    return int(max(0, step.cumsum(dtype=np.int32).max()))


class CountingReceive:
    """``receive`` that counts body bytes and enforces the size and the arrival deadline."""

    def __init__(self, receive: Receive, path: str, max_bytes: int, deadline: float, timeout_s: float) -> None:
        self._receive = receive
        self._path = path
        self._max = max_bytes
        self._deadline = deadline
        self._timeout_s = timeout_s
        self.received = 0
        self.done = False

    async def __call__(self) -> Message:
        if self.done:
            return await self._receive()  # after the body: only http.disconnect is left to wait for
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise self._too_slow()
        try:
            async with asyncio.timeout(remaining):
                message = await self._receive()
        except TimeoutError:
            raise self._too_slow() from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self._max:
                raise BodyRefused(
                    413, "BodyTooLarge", f"request body larger than {self._max} bytes for {self._path}: refused"
                )
            self.done = not message.get("more_body", False)
        return message

    def _too_slow(self) -> BodyRefused:
        return BodyRefused(
            408, "BodyTimeout", f"request body not complete within {self._timeout_s:g} s ({self.received} bytes came)"
        )


class BodyLimitMiddleware:
    """Applies ``policy_for`` to every HTTP request that has (or may have) a body."""

    def __init__(
        self, app: ASGIApp, settings: ApiSettings, on_refused: Callable[[str, int], None] | None = None
    ) -> None:
        self.app = app
        self.settings = settings
        self.on_refused = on_refused  # (path, status) of each refusal, for the route's own counters

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if declared is None and not chunked and scope.get("method", "GET") in _NO_BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        policy = policy_for(path, self.settings)
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            if declared is not None and declared.strip().isdigit() and int(declared) > policy.max_bytes:
                raise BodyRefused(
                    413, "BodyTooLarge",
                    f"request body of {int(declared)} bytes: at most {policy.max_bytes} for {path}",
                )  # fmt: skip
            timeout_s = self.settings.body_timeout_s
            counting = CountingReceive(receive, path, policy.max_bytes, time.monotonic() + timeout_s, timeout_s)
            if policy.json:
                body = await self._read_all(counting)
                depth = json_depth(body)
                if depth > self.settings.json_max_depth:
                    raise BodyRefused(
                        400, "TooDeep", f"JSON nested {depth} deep: at most {self.settings.json_max_depth}"
                    )
                await self.app(scope, _replay(body, counting), tracking_send)
            else:
                await self.app(scope, counting, tracking_send)
        except BodyRefused as exc:
            if self.on_refused is not None:
                self.on_refused(path, exc.status)
            if started:
                raise  # the app answered already: let uvicorn cut the connection
            await _refuse(send, exc)

    @staticmethod
    async def _read_all(receive: CountingReceive) -> bytes:
        chunks: list[bytes] = []
        while not receive.done:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunks.append(message.get("body", b""))
        return b"".join(chunks)


def _replay(body: bytes, rest: Receive) -> Receive:
    """The whole body once, then whatever the connection says next (a disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await rest()

    return receive


async def _refuse(send: Send, exc: BodyRefused) -> None:
    body = dumps({"detail": exc.detail, "error": exc.error}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": exc.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass
class SocketGate:
    """Open WebSockets now and refused so far (the API loop alone changes them: no lock)."""

    max_open: int
    open: int = 0
    refused: int = 0


class WebSocketLimitMiddleware:
    """At most ``max_websockets`` open WebSockets: one more is refused at its handshake with 503.

    uvicorn's ``limit_concurrency`` counts a WebSocket among its connections but checks the
    limit for HTTP requests only, so without this 10,000 sockets that never read would all be
    accepted (each with buffers and a stream client).
    """

    def __init__(self, app: ASGIApp, gate: SocketGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        gate = self.gate
        if gate.open >= gate.max_open:
            gate.refused += 1
            await _refuse_websocket(scope, send, f"too many WebSockets open (at most {gate.max_open}): retry later")
            return
        gate.open += 1
        try:
            await self.app(scope, receive, send)
        finally:
            gate.open -= 1


async def _refuse_websocket(scope: Scope, send: Send, detail: str) -> None:
    if "websocket.http.response" in scope.get("extensions", {}):
        body = dumps({"detail": detail, "error": "TooManyWebSockets"}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "websocket.http.response.start", "status": 503, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1013, "reason": detail[:120]})
