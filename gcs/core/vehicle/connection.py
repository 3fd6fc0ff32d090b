"""MAVProxy-style connection strings, parsed and checked before anything is opened.

Accepted (as MAVProxy, pymavlink and QGC users write them):
    udpin:0.0.0.0:14550      listen for a vehicle (QGC's default port); reply to whoever spoke
    udp:0.0.0.0:14550        same as udpin (pymavlink's meaning)
    udpout:192.168.1.10:14550  send to a vehicle/router that listens
    tcp:127.0.0.1:5760       connect to a TCP server (SITL, a router); reconnects
    tcpin:0.0.0.0:5760       accept one TCP client
    /dev/ttyUSB0,57600       serial device with baud (also COM3,115200 and serial:/dev/ttyACM0:115200)
    replay:/path/flight.tlog a recorded tlog played through the live path
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from gcs.core.errors import LinkError


class LinkKind(enum.StrEnum):
    UDPIN = "udpin"
    UDPOUT = "udpout"
    TCP = "tcp"
    TCPIN = "tcpin"
    SERIAL = "serial"
    REPLAY = "replay"
    RELAY = "relay"  # a vehicle of another GCS, heard through the fleet broker (gcs relay)


RECONNECTING_KINDS = frozenset({LinkKind.TCP, LinkKind.SERIAL})
DEFAULT_BAUD = 57600


@dataclass(frozen=True)
class ConnectionSpec:
    """A parsed connection string; ``pymavlink_device`` is what mavutil wants to open."""

    url: str
    kind: LinkKind
    host: str = ""
    port: int = 0
    device: str = ""
    baud: int = 0

    @property
    def pymavlink_device(self) -> str:
        if self.kind in (LinkKind.SERIAL, LinkKind.REPLAY):
            return self.device
        return f"{self.kind.value}:{self.host}:{self.port}"

    @property
    def reconnects(self) -> bool:
        """TCP clients and serial ports are reopened after a loss; sockets that listen need not be."""
        return self.kind in RECONNECTING_KINDS


def _port(text: str, url: str, allow_any: bool) -> int:
    try:
        port = int(text)
    except ValueError:
        raise LinkError(f"{url!r}: port {text!r} is not a number") from None
    low = 0 if allow_any else 1
    if not low <= port < 65536:
        raise LinkError(f"{url!r}: port {port} is outside {low}-65535")
    return port


def _host_port(rest: str, url: str, listening: bool = False) -> tuple[str, int]:
    """``listening`` sockets may ask for port 0: any free port, read back from the link."""
    host, sep, port = rest.rpartition(":")
    if not sep or not host:
        raise LinkError(f"{url!r}: expected host:port after the scheme, e.g. udpin:0.0.0.0:14550")
    return host, _port(port, url, listening)


def _baud(text: str, url: str) -> int:
    try:
        baud = int(text)
    except ValueError:
        raise LinkError(f"{url!r}: baud rate {text!r} is not a number") from None
    if baud <= 0:
        raise LinkError(f"{url!r}: baud rate must be positive")
    return baud


def parse_connection_string(url: str) -> ConnectionSpec:
    """Parse one connection string; raise LinkError saying what is wrong and what is expected."""
    text = url.strip()
    if not text:
        raise LinkError("empty connection string: expected e.g. udpin:0.0.0.0:14550 or tcp:127.0.0.1:5760")
    if "\0" in text:  # no path or host has one (the OS calls would raise ValueError, not say why)
        raise LinkError(f"{text!r}: a connection string cannot contain a NUL character")
    scheme, sep, rest = text.partition(":")
    scheme_l = scheme.lower()
    if sep and scheme_l in ("udpin", "udp"):
        host, port = _host_port(rest, text, listening=True)
        return ConnectionSpec(text, LinkKind.UDPIN, host=host, port=port)
    if sep and scheme_l in ("udpout", "udpbcast"):
        host, port = _host_port(rest, text)
        return ConnectionSpec(text, LinkKind.UDPOUT, host=host, port=port)
    if sep and scheme_l == "tcp":
        host, port = _host_port(rest, text)
        return ConnectionSpec(text, LinkKind.TCP, host=host, port=port)
    if sep and scheme_l == "tcpin":
        host, port = _host_port(rest, text, listening=True)
        return ConnectionSpec(text, LinkKind.TCPIN, host=host, port=port)
    if sep and scheme_l == "replay":
        if not rest:
            raise LinkError(f"{text!r}: expected replay:/path/to/flight.tlog")
        return ConnectionSpec(text, LinkKind.REPLAY, device=rest)
    if sep and scheme_l == "serial":
        device, sep2, baud = rest.rpartition(":")
        if not sep2:
            return ConnectionSpec(text, LinkKind.SERIAL, device=rest, baud=DEFAULT_BAUD)
        return ConnectionSpec(text, LinkKind.SERIAL, device=device, baud=_baud(baud, text))
    if text.startswith(("/dev/", "COM", "com")) or "," in text:
        device, sep2, baud = text.partition(",")
        return ConnectionSpec(text, LinkKind.SERIAL, device=device, baud=_baud(baud, text) if sep2 else DEFAULT_BAUD)
    raise LinkError(
        f"{text!r} is not a connection string: use udpin:HOST:PORT, udpout:HOST:PORT, tcp:HOST:PORT, "
        "tcpin:HOST:PORT, /dev/ttyUSB0,57600 or replay:PATH"
    )
