"""MAVLink forwarding like MAVProxy's ``--out``, so QGC or MAVProxy can run beside us.

Every frame heard on a vehicle link goes to every output, and every frame an output sends us goes
back to the vehicles. Outputs, as MAVProxy users write them:

    udpout:HOST:PORT   send there (QGC listening on 14550); its replies come back on the same socket
    udpin:HOST:PORT    listen; send to every peer heard in the last ``PEER_EXPIRY_S``
    tcpin:HOST:PORT    listen; any number of TCP clients

Frames travel raw, never re-packed, so the other GCS sees the vehicle's own sequence numbers (its
loss figures stay true) and a vehicle sees the other GCS's own system id. Writing to outputs
happens on the link thread and never blocks it: a failed UDP send or a TCP client whose buffer is
full loses frames (counted). Frames from an output are parsed on that output's thread, only to cut
whole frames and read their target system: they go to that vehicle's link, or to every live link
when they have no target (heartbeats) or the target is unknown. Our own outgoing frames are not
forwarded, as in MAVProxy.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gcs.core.errors import LinkError
from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.connection import ConnectionSpec, LinkKind, parse_connection_string
from gcs.core.vehicle.link import Link

log = logging.getLogger(__name__)

OUTPUT_KINDS = (LinkKind.UDPOUT, LinkKind.UDPIN, LinkKind.TCPIN)
PEER_EXPIRY_S = 10.0
TCP_BUFFER_LIMIT = 256 * 1024  # bytes queued for one slow TCP client before its frames are dropped
READ_SIZE = 65536
Address = tuple[str, int]


@dataclass(frozen=True)
class ForwardStatus:
    forward_id: str
    url: str
    kind: str
    local_port: int | None
    peers: int  # UDP peers heard recently or TCP clients connected (udpout: 1)
    frames_out: int
    frames_in: int
    dropped: int  # frames lost to a full client or a failed send, either way
    error: str | None


class ForwardOutput:
    """One output endpoint with its own reader thread; ``write`` may be called from any thread."""

    def __init__(self, spec: ConnectionSpec, forward_id: str, deliver: Callable[[Any], None]) -> None:
        if spec.kind not in OUTPUT_KINDS:
            raise LinkError(
                f"{spec.url!r}: forwarding outputs are udpout:HOST:PORT, udpin:HOST:PORT or tcpin:HOST:PORT"
            )
        self.spec = spec
        self.forward_id = forward_id
        self._deliver = deliver
        self._lock = threading.Lock()
        self._peers: dict[Address, float] = {}  # UDP: address -> monotonic time last heard
        self._clients: dict[socket.socket, bytearray] = {}  # TCP: client -> bytes not yet sent
        self._parsers: dict[object, Any] = {}
        self._dest: Address | None = None
        self.frames_out = self.frames_in = self.dropped = 0
        self.error: str | None = None
        kind = socket.SOCK_STREAM if spec.kind is LinkKind.TCPIN else socket.SOCK_DGRAM
        self._sock = socket.socket(socket.AF_INET, kind)
        try:
            if spec.kind is LinkKind.UDPOUT:
                self._dest = _resolve(spec.host, spec.port)
                self._sock.bind(("", 0))
            else:
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                self._sock.bind((spec.host, spec.port))
                if spec.kind is LinkKind.TCPIN:
                    self._sock.listen(4)
            self._sock.setblocking(False)
        except OSError as exc:
            self._sock.close()
            raise LinkError(f"cannot open forwarding output {spec.url}: {exc}") from exc
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._sock, selectors.EVENT_READ)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"forward-{forward_id}", daemon=True)
        self._thread.start()

    @property
    def local_port(self) -> int:
        return int(self._sock.getsockname()[1])

    # ---- to the output (link threads) ------------------------------------------------------

    def write(self, frame: bytes) -> None:
        kind = self.spec.kind
        if kind is LinkKind.TCPIN:
            self._write_tcp(frame)
            return
        if kind is LinkKind.UDPOUT:
            targets: list[Address] = [self._dest] if self._dest else []
        else:
            horizon = time.monotonic() - PEER_EXPIRY_S
            targets = [addr for addr, heard in list(self._peers.items()) if heard >= horizon]
        for addr in targets:
            try:
                self._sock.sendto(frame, addr)
                self.frames_out += 1
            except OSError as exc:  # refused, unreachable, buffer full: a datagram lost, nothing more
                self.dropped += 1
                log.debug("forward %s to %s: %s", self.spec.url, addr, exc)

    def _write_tcp(self, frame: bytes) -> None:
        with self._lock:
            for client, pending in list(self._clients.items()):
                if len(pending) + len(frame) > TCP_BUFFER_LIMIT:
                    self.dropped += 1
                    continue
                pending += frame
                self.frames_out += 1
                self._flush_client(client, pending)

    def _flush_client(self, client: socket.socket, pending: bytearray) -> None:
        try:
            sent = client.send(pending)
        except BlockingIOError:
            return
        except OSError as exc:
            log.info("forward %s: client gone (%s)", self.spec.url, exc)
            self._drop_client(client)
            return
        del pending[:sent]

    def _drop_client(self, client: socket.socket) -> None:
        self._clients.pop(client, None)
        self._parsers.pop(client, None)
        with contextlib.suppress(KeyError, ValueError):  # never registered, or already gone
            self._selector.unregister(client)
        client.close()

    # ---- from the output (its own thread) --------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                events = self._selector.select(0.2)
            except OSError:
                return  # closed under us
            for key, _mask in events:
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._sock and self.spec.kind is LinkKind.TCPIN:
                    self._accept()
                elif sock is self._sock:
                    self._read_udp()
                else:
                    self._read_tcp(sock)
            if self._clients:
                with self._lock:
                    for client, pending in list(self._clients.items()):
                        if pending:
                            self._flush_client(client, pending)

    def _accept(self) -> None:
        try:
            client, addr = self._sock.accept()
        except OSError as exc:
            log.debug("forward %s: accept failed: %s", self.spec.url, exc)
            return
        client.setblocking(False)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self._clients[client] = bytearray()
            self._selector.register(client, selectors.EVENT_READ)
        log.info("forward %s: client %s:%d connected", self.spec.url, addr[0], addr[1])

    def _read_udp(self) -> None:
        for _ in range(64):
            try:
                data, addr = self._sock.recvfrom(READ_SIZE)
            except (BlockingIOError, ConnectionRefusedError):
                return
            except OSError as exc:
                log.debug("forward %s: receive failed: %s", self.spec.url, exc)
                return
            if self.spec.kind is LinkKind.UDPIN:
                self._peers[addr] = time.monotonic()
            self._parse(addr, data)

    def _read_tcp(self, client: socket.socket) -> None:
        try:
            data = client.recv(READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            with self._lock:
                self._drop_client(client)
            log.info("forward %s: client disconnected", self.spec.url)
            return
        self._parse(client, data)

    def _parse(self, source: object, data: bytes) -> None:
        parser = self._parsers.get(source)
        if parser is None:
            parser = self._parsers[source] = mavlink.MAVLink(None)
            parser.robust_parsing = True
        for msg in parser.parse_buffer(data) or ():
            if msg.get_type() != "BAD_DATA":
                self.frames_in += 1
                self._deliver(msg)

    # ---- lifecycle -------------------------------------------------------------------------

    def status(self) -> ForwardStatus:
        if self.spec.kind is LinkKind.TCPIN:
            peers = len(self._clients)
        elif self.spec.kind is LinkKind.UDPOUT:
            peers = 1
        else:
            horizon = time.monotonic() - PEER_EXPIRY_S
            peers = sum(1 for heard in list(self._peers.values()) if heard >= horizon)
        return ForwardStatus(
            forward_id=self.forward_id, url=self.spec.url, kind=self.spec.kind.value, local_port=self.local_port,
            peers=peers, frames_out=self.frames_out, frames_in=self.frames_in, dropped=self.dropped, error=self.error,
        )

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        with self._lock:
            for client in list(self._clients):
                self._drop_client(client)
        self._selector.close()
        self._sock.close()


def _resolve(host: str, port: int) -> Address:
    try:
        info = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_DGRAM)
    except OSError as exc:
        raise LinkError(f"cannot resolve {host}: {exc}") from exc
    addr = info[0][4]
    return str(addr[0]), int(addr[1])


class Forwarding:
    """Every output, tapped into every attached link; ``route`` picks the links a frame goes back to."""

    def __init__(self, route: Callable[[int], list[Link]]) -> None:
        self._route = route
        self._outputs: dict[str, ForwardOutput] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._links: list[Link] = []
        self._intercepts: list[Callable[[Any], bool]] = []

    def add_intercept(self, intercept: Callable[[Any], bool]) -> None:
        """``intercept(msg)`` sees each message from an output first; True keeps it from the vehicles
        (a command for a component of ours, such as the camera, is not the autopilot's)."""
        self._intercepts.append(intercept)

    def broadcast(self, frame: bytes) -> None:
        """Write a frame of our own (the camera component's) to every output; never blocks."""
        for output in list(self._outputs.values()):
            output.write(frame)

    def attach(self, link: Link) -> None:
        link.add_tap(self._on_frame)
        self._links.append(link)

    def detach(self, link: Link) -> None:
        link.remove_tap(self._on_frame)
        if link in self._links:
            self._links.remove(link)

    def add(self, url: str) -> ForwardStatus:
        """Open an output now (LinkError if the address is wrong or busy)."""
        spec = parse_connection_string(url)
        output = ForwardOutput(spec, f"out{next(self._ids)}", self._deliver)
        with self._lock:
            self._outputs[output.forward_id] = output
        log.info("forwarding to %s (%s)", spec.url, output.forward_id)
        return output.status()

    def remove(self, forward_id: str) -> None:
        with self._lock:
            output = self._outputs.pop(forward_id, None)
            known = sorted(self._outputs)
        if output is None:
            raise LinkError(f"no forwarding output {forward_id!r}; open outputs: {known or 'none'}")
        output.close()

    def statuses(self) -> list[ForwardStatus]:
        with self._lock:
            outputs = list(self._outputs.values())
        return [o.status() for o in outputs]

    def close(self) -> None:
        for link in list(self._links):
            self.detach(link)
        with self._lock:
            outputs = list(self._outputs.values())
            self._outputs.clear()
        for output in outputs:
            output.close()

    def _on_frame(self, frame: bytes, outgoing: bool, _unix_time_s: float) -> None:
        if outgoing or not self._outputs:
            return
        for output in list(self._outputs.values()):
            output.write(frame)

    def _deliver(self, msg: Any) -> None:
        for intercept in self._intercepts:
            if intercept(msg):
                return
        target = int(getattr(msg, "target_system", 0) or 0)
        frame = bytes(msg.get_msgbuf())
        for link in self._route(target):
            try:
                link.send_raw(frame)
            except LinkError as exc:
                log.debug("forwarded frame not sent on %s: %s", link.spec.url, exc)
