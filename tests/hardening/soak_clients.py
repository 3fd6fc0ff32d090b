"""Stream clients for the soak: WebSocket telemetry, SSE telemetry and WebSocket video, that connect,
read until they have real data, then drop (politely, or by cutting the TCP connection).

Plain asyncio: the SSE client speaks HTTP/1.1 on a raw stream, so 500 of them cost the test
process little and a cut is a real ``abort()`` of the socket, not a library's tidy close.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

CLIENT_TIMEOUT_S = 60.0  # generous: the machine is shared and 500 clients connect at once


@dataclass
class CycleResult:
    ok: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # 503/1013 with a reason: the cap said no
    errors: list[str] = field(default_factory=list)


async def _sse(base: str, token: str, cut: bool, connected: asyncio.Event, release: asyncio.Event) -> str:
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(
            f"GET /sse/telemetry?history=5 HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        status_line = await reader.readline()
        if b" 503 " in status_line or b" 429 " in status_line:
            return "refused"
        if b" 200 " not in status_line:
            raise AssertionError(f"SSE answered {status_line!r}")
        buffer = b""
        while b"event: telemetry" not in buffer:
            chunk = await reader.read(65536)
            if not chunk:
                raise AssertionError("SSE stream ended before any telemetry")
            buffer = buffer[-64:] + chunk
        connected.set()
        await release.wait()
        return "sse"
    finally:
        if cut:
            writer.transport.abort()
        else:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()


async def _ws(url: str, want: str, cut: bool, connected: asyncio.Event, release: asyncio.Event) -> str:
    try:
        ws = await ws_connect(url, open_timeout=CLIENT_TIMEOUT_S, close_timeout=2, max_queue=None)
    except InvalidStatus as exc:
        if exc.response.status_code in (503, 429):
            return "refused"
        raise
    try:
        while True:
            message = await ws.recv()
            if want == "video" and isinstance(message, bytes) and len(message) > 16:
                break
            if want == "telemetry" and isinstance(message, str) and json.loads(message)["type"] == "telemetry":
                break
        connected.set()
        await release.wait()
        return "ws_video" if want == "video" else "ws"
    finally:
        if cut:
            ws.transport.abort()
        else:
            with contextlib.suppress(Exception):
                await ws.close()


async def run_cycle(base: str, token: str, clients: int, cycle: int) -> CycleResult:
    """``clients`` at once: each connects and reads real data, then all drop together."""
    ws_base = "ws" + base.removeprefix("http")
    release = asyncio.Event()
    result = CycleResult()
    tasks = []
    for i in range(clients):
        connected = asyncio.Event()
        cut = (i + cycle) % 3 == 0  # a third vanish without a goodbye
        if i % 10 == 9:
            coro = _ws(f"{ws_base}/ws/video_feed?token={token}&fps=5", "video", cut, connected, release)
        elif i % 2:
            coro = _ws(f"{ws_base}/ws/telemetry?token={token}&rate=5&history=5", "telemetry", cut, connected, release)
        else:
            coro = _sse(base, token, cut, connected, release)
        tasks.append((asyncio.create_task(coro), connected))

    async def ready(task: asyncio.Task[str], connected: asyncio.Event) -> None:
        done = asyncio.create_task(connected.wait())
        await asyncio.wait({task, done}, timeout=CLIENT_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
        done.cancel()

    await asyncio.gather(*(ready(t, c) for t, c in tasks))
    release.set()  # every client that could is connected now: drop them all
    for task, _ in tasks:
        try:
            kind = await asyncio.wait_for(task, timeout=CLIENT_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none hidden
            result.errors.append(f"{type(exc).__name__}: {exc}"[:200])
            continue
        (result.refused if kind == "refused" else result.ok)[kind] += 1
    return result


@dataclass
class Observer:
    """One WebSocket client connected for the whole soak, on its own thread and event loop.

    ``longest_arrival_gap_s`` is what this client saw: it counts the API loop and this test
    process being busy with hundreds of connects, not only the core (the tlog tells that)."""

    telemetry: int = 0
    longest_arrival_gap_s: float = 0.0
    dropped: int = 0
    link_events: list[dict[str, object]] = field(default_factory=list)
    last_alt_m: float | None = None
    error: str | None = None

    async def run(self, url: str, stop: threading.Event) -> None:
        last_arrival = time.monotonic()
        try:
            async with ws_connect(url, open_timeout=30, max_queue=None) as ws:
                while not stop.is_set():
                    try:
                        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.5))
                    except TimeoutError:
                        self.longest_arrival_gap_s = max(self.longest_arrival_gap_s, time.monotonic() - last_arrival)
                        continue
                    if message["type"] == "telemetry":
                        now = time.monotonic()
                        self.longest_arrival_gap_s = max(self.longest_arrival_gap_s, now - last_arrival)
                        last_arrival = now
                        self.telemetry += 1
                        position = message["data"].get("global_position") or {}
                        self.last_alt_m = position.get("alt_rel_m", self.last_alt_m)
                    elif message["type"] == "dropped":
                        self.dropped += int(message["data"].get("dropped", 0))
                    elif message["type"] == "status" and message["data"].get("kind") == "link":
                        self.link_events.append(message["data"])
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = f"{type(exc).__name__}: {exc}"

    def start(self, url: str) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=lambda: asyncio.run(self.run(url, stop)), name="soak-observer", daemon=True)
        thread.start()
        return thread, stop
