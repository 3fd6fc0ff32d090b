"""The sim's one UDP socket: fixed targets like PX4 SITL's 14550, plus peers that talk to us.

A GCS that listens (``udpin:0.0.0.0:14550``) is reached through a configured target; a GCS
that dials us (``udpout:host:port``) is learned from its first valid datagram and answered until
it has been silent for ``PEER_EXPIRY_S``. Either way each datagram goes once to each address.
"""

from __future__ import annotations

import errno
import logging
import select
import socket
import threading

log = logging.getLogger(__name__)

PEER_EXPIRY_S = 10.0
MAX_DATAGRAM = 65535
MAX_READS_PER_POLL = 256  # bounded, so a flood cannot starve physics

Address = tuple[str, int]


def resolve(host: str, port: int) -> Address:
    """IPv4 address of ``host:port`` (names resolved once, not per packet)."""
    info = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_DGRAM)
    addr = info[0][4]
    return (str(addr[0]), int(addr[1]))


class UdpTransport:
    """Non-blocking UDP endpoint. ``write`` is pymavlink's file interface (``MAVLink.send``)."""

    def __init__(self, host: str, port: int, targets: tuple[tuple[str, int], ...] = ()) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            self._sock.bind((host, port))
        except OSError:
            self._sock.close()
            raise
        self._sock.setblocking(False)
        self._lock = threading.Lock()
        self._targets: list[Address] = []
        self._peers: dict[Address, float] = {}  # address -> monotonic time last heard
        self._closed = False
        self.datagrams_in = 0
        self.datagrams_out = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.send_errors = 0
        for h, p in targets:
            self.add_target(h, p)

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    @property
    def host(self) -> str:
        return str(self._sock.getsockname()[0])

    def add_target(self, host: str, port: int) -> None:
        addr = resolve(host, port)
        with self._lock:
            if addr not in self._targets:
                self._targets.append(addr)

    def targets(self) -> list[Address]:
        with self._lock:
            return list(self._targets)

    def peers(self) -> list[Address]:
        with self._lock:
            return list(self._peers)

    def learn(self, addr: Address, now: float) -> bool:
        """Remember a peer that sent us valid MAVLink at monotonic time ``now``; True if it is new."""
        with self._lock:
            new = addr not in self._peers and addr not in self._targets
            if new:
                log.info("sim: GCS at %s:%d", addr[0], addr[1])
            self._peers[addr] = now
            return new

    def expire(self, now: float) -> None:
        with self._lock:
            for addr in [a for a, t in self._peers.items() if now - t > PEER_EXPIRY_S]:
                del self._peers[addr]
                log.info("sim: GCS at %s:%d silent for %.0f s, forgotten", addr[0], addr[1], PEER_EXPIRY_S)

    def wait(self, timeout: float) -> bool:
        """Block until a datagram is readable or ``timeout`` seconds pass."""
        if self._closed:
            return False
        try:
            readable, _, _ = select.select([self._sock], [], [], max(0.0, timeout))
        except (OSError, ValueError):
            return False
        return bool(readable)

    def receive(self) -> list[tuple[bytes, Address]]:
        """Every datagram waiting now (at most MAX_READS_PER_POLL)."""
        out: list[tuple[bytes, Address]] = []
        for _ in range(MAX_READS_PER_POLL):
            try:
                data, addr = self._sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # ICMP errors surface here on some systems; keep reading
                if exc.errno in (errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH):
                    continue
                if self._closed:
                    break
                raise
            self.datagrams_in += 1
            self.bytes_in += len(data)
            out.append((data, (str(addr[0]), int(addr[1]))))
        return out

    def write(self, buf: bytes | bytearray) -> None:
        with self._lock:
            dests = list(self._targets)
            dests.extend(a for a in self._peers if a not in self._targets)
        for addr in dests:
            self.send_to(buf, addr)

    def send_to(self, buf: bytes | bytearray, addr: Address) -> None:
        if self._closed:
            return
        try:
            self._sock.sendto(buf, addr)
        except OSError:
            self.send_errors += 1  # nobody listening, network down: telemetry is best effort
            return
        self.datagrams_out += 1
        self.bytes_out += len(buf)

    def close(self) -> None:
        self._closed = True
        self._sock.close()
