"""MAVProxy-style ``--out`` forwarding: pymavlink as a second GCS beside ours, over real loopback sockets."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gcs.core.errors import LinkError
from gcs.core.mavlink_env import mavlink, mavutil
from gcs.core.service import GcsService
from tests.conftest import wait_until

pytestmark = pytest.mark.slow
OTHER_GCS = 254


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def other_gcs() -> Iterator[list[Any]]:
    """pymavlink connections opened by a test, closed after it."""
    made: list[Any] = []
    yield made
    for conn in made:
        conn.close()


def vehicle_heartbeat(conn: Any, timeout_s: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        msg = conn.recv_match(type="HEARTBEAT", blocking=True, timeout=0.2)
        if msg is not None and msg.get_srcSystem() == 1:
            return msg
    raise AssertionError("no vehicle heartbeat reached the second GCS")


def test_second_gcs_on_a_configured_udpout_sees_heartbeats_and_arms_the_simulator(
    make_service: Callable[..., GcsService], other_gcs: list[Any]
) -> None:
    port = free_port()
    conn = mavutil.mavlink_connection(f"udpin:127.0.0.1:{port}", source_system=OTHER_GCS)
    other_gcs.append(conn)
    service: GcsService = make_service("px4", link__outputs=[f"udpout:127.0.0.1:{port}"])
    assert [f.url for f in service.forwards()] == [f"udpout:127.0.0.1:{port}"]
    hb = vehicle_heartbeat(conn)
    assert hb.autopilot == mavlink.MAV_AUTOPILOT_PX4 and not hb.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED
    wait_until(lambda: service.vehicle_state().gps.has_fix, 5, "GPS fix")

    conn.mav.command_long_send(1, 1, mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 0, 1, 0, 0, 0, 0, 0, 0)
    ack = conn.recv_match(type="COMMAND_ACK", blocking=True, timeout=5)
    assert ack is not None and ack.command == mavlink.MAV_CMD_COMPONENT_ARM_DISARM
    assert ack.result == mavlink.MAV_RESULT_ACCEPTED and ack.target_system == OTHER_GCS
    wait_until(lambda: service.simulators[0].snapshot().armed, 3, "the simulator armed")
    wait_until(lambda: service.vehicle_state().armed, 3, "our GCS sees it armed too")
    status = service.forwards()[0]
    assert status.frames_out > 10 and status.frames_in >= 1 and status.dropped == 0


def test_tcpin_and_udpin_outputs_at_run_time(make_service: Callable[..., GcsService], other_gcs: list[Any]) -> None:
    service: GcsService = make_service("px4")
    tcp = service.add_forward(f"tcpin:127.0.0.1:{free_port(socket.SOCK_STREAM)}")
    udp = service.add_forward("udpin:127.0.0.1:0")
    assert udp.local_port and udp.peers == 0
    over_tcp = mavutil.mavlink_connection(f"tcp:127.0.0.1:{tcp.local_port}", source_system=OTHER_GCS)
    over_udp = mavutil.mavlink_connection(f"udpout:127.0.0.1:{udp.local_port}", source_system=OTHER_GCS - 1)
    other_gcs.extend([over_tcp, over_udp])
    vehicle_heartbeat(over_tcp)
    over_udp.mav.heartbeat_send(mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)  # udpin learns peers
    vehicle_heartbeat(over_udp)
    peers = {s.forward_id: s.peers for s in service.forwards()}
    assert peers == {tcp.forward_id: 1, udp.forward_id: 1}

    service.remove_forward(tcp.forward_id)
    assert [s.forward_id for s in service.forwards()] == [udp.forward_id]
    with pytest.raises(LinkError, match="no forwarding output"):
        service.remove_forward(tcp.forward_id)
    with pytest.raises(LinkError, match="forwarding outputs are udpout"):
        service.add_forward("tcp:127.0.0.1:5760")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        with pytest.raises(LinkError, match=r"cannot open forwarding output tcpin:127\.0\.0\.1:"):
            service.add_forward(f"tcpin:127.0.0.1:{taken.getsockname()[1]}")
