"""Where WebRTC may connect: the configured STUN/TURN servers, our host addresses, the peer's candidates.

LAN first: with ``api.webrtc_ice_servers`` empty nothing outside is contacted (no STUN, no TURN):
a browser on the LAN or on this machine reaches our host candidates directly. Servers are given
as URLs: ``stun:host:3478``, ``turn:user:password@host:3478`` (``turns:`` for TLS,
``?transport=tcp``), and the browser is told the same list so both ends gather the same way.

Host addresses: aioice (aiortc's ICE) gathers every interface *except* loopback and offers no
option, so a browser on this very machine (a kiosk screen, the tests) could not use 127.0.0.1.
``use_host_addresses`` replaces its address lookup (a module function; aioice has no hook):
every interface plus 127.0.0.1 by default, or exactly the addresses given (``webrtc_host_addresses``
of the API settings; the tests pass ``("127.0.0.1",)``). A server that listens on loopback only
also drops the peer's non-loopback candidates: it has no route to them, and checking them would
only send packets where nothing of ours is.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import aioice.ice

_ORIGINAL: Callable[[bool, bool], list[str]] = aioice.ice.get_host_addresses
_only: tuple[str, ...] = ()  # empty: every interface (aioice's list) plus loopback


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    if _only:
        return [a for a in _only if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]
    found = _ORIGINAL(use_ipv4, use_ipv6)
    return [*found, "127.0.0.1"] if use_ipv4 and "127.0.0.1" not in found else found


def use_host_addresses(addresses: Sequence[str]) -> None:
    """Gather ICE host candidates on exactly ``addresses`` (empty: every interface plus 127.0.0.1)."""
    global _only
    _only = tuple(addresses)
    aioice.ice.get_host_addresses = _host_addresses


def loopback_only() -> bool:
    return bool(_only) and all(_is_loopback(a) for a in _only)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def filter_candidates(sdp: str) -> str:
    """The offer with candidates we cannot (or must not) reach removed: on a loopback-only server,
    every candidate that is not a loopback address (LAN addresses, ``.local`` mDNS names)."""
    if not loopback_only():
        return sdp
    kept = []
    for line in sdp.split("\r\n"):
        if line.startswith("a=candidate:"):
            parts = line.split()
            if len(parts) < 5 or not _is_loopback(parts[4]):
                continue
        kept.append(line)
    return "\r\n".join(kept)


_URL = re.compile(r"^(?P<scheme>stun|stuns|turn|turns):(?:(?P<user>[^:@/]+):(?P<password>[^@/]+)@)?"
                  r"(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(?P<port>\d{1,5}))?(?P<query>\?transport=(udp|tcp))?$")


@dataclass(frozen=True)
class IceServer:
    """One STUN/TURN server, as RTCPeerConnection takes it (urls without the credentials)."""

    url: str
    username: str | None = None
    credential: str | None = None

    def browser(self) -> dict[str, Any]:
        out: dict[str, Any] = {"urls": self.url}
        if self.username is not None:
            out["username"], out["credential"] = self.username, self.credential
        return out


def parse_ice_servers(urls: Sequence[str]) -> tuple[IceServer, ...]:
    """``api.webrtc_ice_servers`` as servers; ValueError names a URL that is not stun:/turn:."""
    servers = []
    for raw in urls:
        m = _URL.match(raw.strip())
        if m is None:
            raise ValueError(f"not a STUN/TURN URL: {raw!r} (stun:host:3478, turn:user:password@host:3478)")
        url = f"{m['scheme']}:{m['host']}" + (f":{m['port']}" if m["port"] else "") + (m["query"] or "")
        user = unquote(m["user"]) if m["user"] else None
        servers.append(IceServer(url, user, unquote(m["password"]) if m["password"] else None))
    return tuple(servers)


def aiortc_ice_servers(servers: Sequence[IceServer]) -> list[Any]:
    from aiortc import RTCIceServer

    return [RTCIceServer(urls=s.url, username=s.username, credential=s.credential) for s in servers]
