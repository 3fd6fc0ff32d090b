"""Hostile API clients on raw sockets, run in a process of their own (their work must not share the
server's GIL): huge bodies (declared and chunked), bodies and headers trickled a byte a second,
sockets that connect and say nothing, and WebSockets that never read.

    python -m tests.hardening.hostile_clients URL --seconds S [--big N] [--slow N] [--idle N]
        [--ws N --token T]      (prints one JSON line: what each attack got, by status)

Each attacker repeats its attack until ``seconds`` have passed (a refused attacker tries again),
so the load lasts the whole window. Used by tests/hardening/test_api_hostile.py and
bench/bench_api_attack.py.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

BIG_DECLARED = 100_000_000  # the body size that made the link LOST before bodies were bounded
CHUNK = b"0" * 65536


@dataclass
class AttackTally:
    """What one kind of attack got: answers by status (``closed`` when the server hung up silently)."""

    statuses: Counter[str] = field(default_factory=Counter)
    bytes_sent: int = 0
    longest_s: float = 0.0  # the longest one attempt lasted before the server ended it
    errors: list[str] = field(default_factory=list)

    def note(self, status: str, started: float, sent: int = 0) -> None:
        self.statuses[status] += 1
        self.bytes_sent += sent
        self.longest_s = max(self.longest_s, time.monotonic() - started)

    def as_dict(self) -> dict[str, Any]:
        return {"statuses": dict(self.statuses), "mbytes_sent": round(self.bytes_sent / 1e6, 1),
                "longest_s": round(self.longest_s, 2), "errors": self.errors[:5]}  # fmt: skip


async def _open(host: str, port: int, rcvbuf: int | None = None) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # a reader that backs up at once
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, port))
    return await asyncio.open_connection(sock=sock, limit=2**20)


async def _status(reader: asyncio.StreamReader, timeout_s: float) -> str:
    """The status code of the server's answer, or ``closed`` if it hung up without one."""
    try:
        line = await asyncio.wait_for(reader.readline(), timeout_s)
    except (TimeoutError, ConnectionError, OSError):
        return "closed"
    parts = line.split()
    return parts[1].decode() if len(parts) >= 2 and parts[0].startswith(b"HTTP/") else "closed"


def _close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.transport.abort()


async def big_body(host: str, port: int, path: str, chunked: bool, tally: AttackTally) -> None:
    """POST 100 MB (declared, or chunked with no length) as fast as the socket takes it."""
    started = time.monotonic()
    reader, writer = await _open(host, port)
    sent = 0
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {BIG_DECLARED}"
    try:
        writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{length}\r\n\r\n".encode())
        answer = asyncio.ensure_future(_status(reader, 120.0))
        frame = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n" if chunked else CHUNK
        while sent < BIG_DECLARED and not answer.done():
            writer.write(frame)
            sent += len(CHUNK)
            try:
                await asyncio.wait_for(writer.drain(), 5.0)
            except (ConnectionError, OSError, TimeoutError):
                break
        tally.note(await answer, started, sent)
    finally:
        _close(writer)


async def slow_body(host: str, port: int, path: str, tally: AttackTally) -> None:
    """A small body, one byte a second (slowloris on the body)."""
    started = time.monotonic()
    reader, writer = await _open(host, port)
    try:
        writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: 2000\r\n\r\n{".encode())  # fmt: skip
        answer = asyncio.ensure_future(_status(reader, 600.0))
        while not answer.done():
            with contextlib.suppress(ConnectionError, OSError):
                writer.write(b" ")
            await asyncio.wait([answer], timeout=1.0)
        tally.note(answer.result(), started, 0)
    finally:
        _close(writer)


async def slow_head(host: str, port: int, tally: AttackTally) -> None:
    """A request head that never ends: a header byte a second (slowloris on the headers)."""
    started = time.monotonic()
    reader, writer = await _open(host, port)
    try:
        writer.write(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        answer = asyncio.ensure_future(_status(reader, 600.0))
        while not answer.done():
            with contextlib.suppress(ConnectionError, OSError):
                writer.write(b"a")
            await asyncio.wait([answer], timeout=1.0)
        tally.note(answer.result(), started, 0)
    finally:
        _close(writer)


async def idle_socket(host: str, port: int, tally: AttackTally) -> None:
    """Connect and say nothing."""
    started = time.monotonic()
    reader, writer = await _open(host, port)
    try:
        tally.note(await _status(reader, 600.0), started, 0)
    finally:
        _close(writer)


async def non_reading_ws(host: str, port: int, token: str, tally: AttackTally, stop_at: float) -> None:
    """A telemetry WebSocket at 50 Hz that reads nothing after the handshake (tiny receive buffer)."""
    started = time.monotonic()
    reader, writer = await _open(host, port, rcvbuf=4096)
    key = base64.b64encode(os.urandom(16)).decode()
    try:
        writer.write(
            f"GET /ws/telemetry?token={token}&rate=50&history=100 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        status = await _status(reader, 30.0)
        if status != "101":
            tally.note(status, started)
            return
        # never read again: the server's writes back up; it must drop for us, not queue for us
        while time.monotonic() < stop_at and not reader.at_eof() and not writer.transport.is_closing():  # noqa: ASYNC110
            await asyncio.sleep(0.5)
        tally.note("101" if time.monotonic() >= stop_at else "closed", started)
    finally:
        _close(writer)


async def _repeat(attack: Any, stop_at: float, tally: AttackTally, *args: Any) -> None:
    while time.monotonic() < stop_at:
        try:
            await attack(*args, tally)
        except (ConnectionError, OSError, TimeoutError) as exc:
            tally.errors.append(f"{type(exc).__name__}: {exc}"[:160])
            await asyncio.sleep(0.2)


async def run(url: str, seconds: float, big: int, slow: int, idle: int, ws: int, token: str) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", int(parts.port or 80)
    stop_at = time.monotonic() + seconds
    tallies = {name: AttackTally() for name in ("big_declared", "big_chunked", "slow_body", "slow_head", "idle", "ws")}
    tasks = []
    for i in range(big):
        path = ("/api/auth/login", "/api/vehicle/arm", "/api/ingest")[i % 3]
        tasks.append(_repeat(big_body, stop_at, tallies["big_declared"], host, port, path, False))
        tasks.append(_repeat(big_body, stop_at, tallies["big_chunked"], host, port, path, True))
    for _ in range(slow):
        tasks.append(_repeat(slow_body, stop_at, tallies["slow_body"], host, port, "/api/auth/login"))
        tasks.append(_repeat(slow_head, stop_at, tallies["slow_head"], host, port))
    for _ in range(idle):
        tasks.append(_repeat(idle_socket, stop_at, tallies["idle"], host, port))

    async def one_ws(tally: AttackTally) -> None:
        await non_reading_ws(host, port, token, tally, stop_at)

    for i in range(ws):
        tasks.append(_repeat(lambda tally: one_ws(tally), stop_at, tallies["ws"]))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # do not overflow the listen backlog
    await asyncio.wait_for(asyncio.gather(*tasks), seconds + 60.0)
    return {name: tally.as_dict() for name, tally in tallies.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--big", type=int, default=0, help="attackers sending 100 MB bodies (x2: declared, chunked)")
    parser.add_argument("--slow", type=int, default=0, help="attackers trickling a body and a head (x2)")
    parser.add_argument("--idle", type=int, default=0, help="sockets that connect and say nothing")
    parser.add_argument("--ws", type=int, default=0, help="telemetry WebSockets that never read (needs --token)")
    parser.add_argument("--token", default="")
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.seconds, args.big, args.slow, args.idle, args.ws, args.token))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
