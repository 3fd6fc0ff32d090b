"""uvicorn's h11 protocol plus the one bound it lacks: a deadline for the request head.

uvicorn already bounds the head's size (``h11_max_incomplete_event_size``: 400 and closed), an
idle keep-alive connection (``timeout_keep_alive``), the number of connections
(``limit_concurrency``: 503) and WebSocket messages and liveness (``ws_max_size``,
``ws_ping_interval``/``ws_ping_timeout``); server.py sets those. What it does not bound is time
before a request's headers are complete: a socket that connects and says nothing, or trickles a
header a byte a second (slowloris), would be kept for ever. This subclass gives each request head
``head_timeout_s`` from the moment the connection opens, or the previous response ends, and
then answers 408 and closes. h11 rather than httptools because h11 enforces the head's size.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from embedded_api.stream.events import dumps


def _timeout_reply(timeout_s: float) -> bytes:
    body = dumps(
        {"detail": f"request headers not complete within {timeout_s:g} s: closed", "error": "HeadTimeout"}
    ).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class GuardedH11Protocol(H11Protocol):
    """H11Protocol whose every request head must arrive within ``head_timeout_s`` (408, closed)."""

    head_timeout_s: float = 10.0  # set per server by ``guarded_protocol``
    timed_out = 0  # connections closed for a late head, over all servers (for tests and stats)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._waiting_after: object = None  # the cycle that was current when the wait began

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(None)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._check_head()

    def on_response_complete(self) -> None:
        before = self.cycle
        super().on_response_complete()  # may start a pipelined request at once
        if not self.transport.is_closing():
            self._arm(before)
            self._check_head()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._disarm()  # the head is complete; the socket belongs to the WebSocket protocol now
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, current_cycle: object) -> None:
        self._disarm()
        self._waiting_after = current_cycle
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _check_head(self) -> None:
        if self._head_timer is not None and self.cycle is not self._waiting_after:
            self._disarm()  # a new request's head arrived (h11 made its cycle)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.cycle is not self._waiting_after:
            return
        GuardedH11Protocol.timed_out += 1
        self.transport.write(_timeout_reply(self.head_timeout_s))
        self.transport.close()


def guarded_protocol(head_timeout_s: float) -> type[GuardedH11Protocol]:
    """A protocol class with this server's deadline (uvicorn instantiates the class it is given)."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"head_timeout_s": head_timeout_s})
