"""Connection strings as MAVProxy/pymavlink users write them, and clear refusals otherwise."""

from __future__ import annotations

import pytest

from gcs.core.errors import LinkError
from gcs.core.vehicle.connection import LinkKind, parse_connection_string


@pytest.mark.parametrize(
    ("url", "kind", "host", "port", "device", "baud", "pymavlink"),
    [
        ("udpin:0.0.0.0:14550", LinkKind.UDPIN, "0.0.0.0", 14550, "", 0, "udpin:0.0.0.0:14550"),
        ("udp:127.0.0.1:14550", LinkKind.UDPIN, "127.0.0.1", 14550, "", 0, "udpin:127.0.0.1:14550"),
        ("udpout:10.0.0.2:14555", LinkKind.UDPOUT, "10.0.0.2", 14555, "", 0, "udpout:10.0.0.2:14555"),
        ("tcp:127.0.0.1:5760", LinkKind.TCP, "127.0.0.1", 5760, "", 0, "tcp:127.0.0.1:5760"),
        ("tcpin:0.0.0.0:5761", LinkKind.TCPIN, "0.0.0.0", 5761, "", 0, "tcpin:0.0.0.0:5761"),
        ("udpin:127.0.0.1:0", LinkKind.UDPIN, "127.0.0.1", 0, "", 0, "udpin:127.0.0.1:0"),
        ("/dev/ttyUSB0,57600", LinkKind.SERIAL, "", 0, "/dev/ttyUSB0", 57600, "/dev/ttyUSB0"),
        ("/dev/ttyACM0", LinkKind.SERIAL, "", 0, "/dev/ttyACM0", 57600, "/dev/ttyACM0"),
        ("COM3,115200", LinkKind.SERIAL, "", 0, "COM3", 115200, "COM3"),
        ("serial:/dev/ttyS1:921600", LinkKind.SERIAL, "", 0, "/dev/ttyS1", 921600, "/dev/ttyS1"),
        ("replay:/tmp/a.tlog", LinkKind.REPLAY, "", 0, "/tmp/a.tlog", 0, "/tmp/a.tlog"),
    ],
)
def test_accepted_forms(url: str, kind: LinkKind, host: str, port: int, device: str, baud: int, pymavlink: str) -> None:
    spec = parse_connection_string(url)
    assert (spec.kind, spec.host, spec.port, spec.device, spec.baud) == (kind, host, port, device, baud)
    assert spec.pymavlink_device == pymavlink


def test_only_tcp_and_serial_reconnect() -> None:
    assert parse_connection_string("tcp:h:1").reconnects
    assert parse_connection_string("/dev/ttyUSB0,57600").reconnects
    assert not parse_connection_string("udpin:0.0.0.0:14550").reconnects


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("", "empty connection string"),
        ("udpin:14550", "expected host:port"),
        ("udpout:host:port", "not a number"),
        ("tcp:127.0.0.1:0", "outside 1-65535"),
        ("udpin:0.0.0.0:70000", "outside 0-65535"),
        ("http://example.com", "not a connection string"),
        ("/dev/ttyUSB0,fast", "baud rate"),
        ("replay:", "replay:/path"),
        ("replay:/tmp/a\0.tlog", "NUL character"),
        ("tcp:local\0host:5760", "NUL character"),
    ],
)
def test_refusals_say_what_is_wrong(url: str, fragment: str) -> None:
    with pytest.raises(LinkError, match=fragment):
        parse_connection_string(url)
