"""The link's MAVLink manners, checked from the vehicle's side with a plain pymavlink peer.

Real sockets and a real pseudo-terminal (for serial); the "vehicle" here is pymavlink itself,
so what is asserted is what a real autopilot would receive.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gcs.core.errors import CommandTimeout
from gcs.core.mavlink_env import mavlink, mavutil
from gcs.core.models import Autopilot, LinkState
from gcs.core.service import GcsService
from tests.conftest import wait_until

pytestmark = pytest.mark.slow


class FakeAutopilot:
    """A pymavlink endpoint that sends PX4 heartbeats and records what the GCS sends it."""

    def __init__(self, wire_v1: bool = False) -> None:
        self.conn = mavutil.mavlink_connection("udpin:127.0.0.1:0", source_system=1, source_component=1)
        self.port = self.conn.port.getsockname()[1]
        self.received: list[object] = []
        self.ack_with: int | None = mavlink.MAV_RESULT_ACCEPTED
        self.in_progress_first = False
        self.wire_v1 = wire_v1
        self.m = mavlink  # which generated module builds our messages: it decides the wire version
        if wire_v1:
            from pymavlink.dialects.v10 import ardupilotmega as v1

            self.m = v1
            self.v1 = v1.MAVLink(None, srcSystem=1, srcComponent=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _send(self, msg: object) -> None:
        if self.wire_v1:
            self.conn.write(msg.pack(self.v1))  # type: ignore[attr-defined]
        else:
            self.conn.mav.send(msg)

    def _run(self) -> None:
        next_hb = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_hb and self.conn.clients:
                next_hb = now + 0.2
                self._send(
                    self.m.MAVLink_heartbeat_message(
                        mavlink.MAV_TYPE_QUADROTOR, mavlink.MAV_AUTOPILOT_PX4, 0, 0, mavlink.MAV_STATE_STANDBY, 3
                    )
                )
                self._send(self.m.MAVLink_attitude_message(int(now * 1000) & 0xFFFFFFFF, 0.1, -0.2, 1.0, 0, 0, 0))
            msg = self.conn.recv_match(blocking=True, timeout=0.05)
            if msg is None or msg.get_type() == "BAD_DATA":
                continue
            self.received.append((time.monotonic(), msg))
            if msg.get_type() == "COMMAND_LONG" and self.ack_with is not None:
                if self.in_progress_first:
                    self._send(self.m.MAVLink_command_ack_message(msg.command, mavlink.MAV_RESULT_IN_PROGRESS))
                    time.sleep(0.5)
                self._send(self.m.MAVLink_command_ack_message(msg.command, self.ack_with))

    def of_type(self, mtype: str) -> list[object]:
        return [m for _, m in list(self.received) if m.get_type() == mtype]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.conn.close()


@pytest.fixture
def autopilot() -> Iterator[FakeAutopilot]:
    peer = FakeAutopilot()
    yield peer
    peer.close()


def test_udpout_heartbeat_and_stream_requests(make_service, autopilot: FakeAutopilot) -> None:
    service: GcsService = make_service(None)
    service.connect(f"udpout:127.0.0.1:{autopilot.port}")
    state = service.wait_for_vehicle(5.0)
    assert state.autopilot is Autopilot.PX4
    wait_until(lambda: abs(service.vehicle_state().attitude.pitch_rad + 0.2) < 1e-6, 2, "attitude reduced")
    time.sleep(2.2)
    beats = [m for m in autopilot.of_type("HEARTBEAT") if m.get_srcSystem() == 255]
    assert 2 <= len(beats) <= 4, f"{len(beats)} GCS heartbeats in ~2.5 s (want 1 Hz)"
    assert all(b.type == mavlink.MAV_TYPE_GCS for b in beats)
    intervals = {
        int(m.param1): m.param2
        for m in autopilot.of_type("COMMAND_LONG")
        if m.command == mavlink.MAV_CMD_SET_MESSAGE_INTERVAL
    }
    assert intervals[mavlink.MAVLINK_MSG_ID_ATTITUDE] == pytest.approx(1e6 / 50)
    assert intervals[mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT] == pytest.approx(1e6 / 10)
    assert mavlink.MAVLINK_MSG_ID_SYS_STATUS in intervals
    link = service.links()[0]
    assert link.received > 10 and link.lost == 0 and link.bad_frames == 0


def test_mavlink1_vehicle_on_the_same_parser(make_service) -> None:
    """An old MAVLink 1 autopilot is understood by the same link that speaks MAVLink 2 out."""
    peer = FakeAutopilot(wire_v1=True)
    try:
        service: GcsService = make_service(None)
        service.connect(f"udpout:127.0.0.1:{peer.port}")
        link = service.link(service.links()[0].link_id)
        magic: list[int] = []
        link.add_tap(lambda frame, outgoing, _t: magic.append(frame[0]) if not outgoing else None)
        state = service.wait_for_vehicle(5.0)
        assert state.autopilot is Autopilot.PX4
        wait_until(lambda: abs(service.vehicle_state().attitude.roll_rad - 0.1) < 1e-6, 2, "v1 attitude reduced")
        wait_until(lambda: len(magic) > 3, 2, "frames seen")
        assert set(magic) == {0xFE}, "the peer should have sent MAVLink 1 frames only"
        out = [m for m in peer.of_type("HEARTBEAT") if m.get_srcSystem() == 255]
        assert out, "GCS heartbeats reached the MAVLink 1 peer"
    finally:
        peer.close()


def test_command_retries_then_times_out_clearly(make_service, autopilot: FakeAutopilot) -> None:
    service: GcsService = make_service(None, link__command_timeout_s=0.2, link__command_retries=2)
    service.connect(f"udpout:127.0.0.1:{autopilot.port}")
    service.wait_for_vehicle(5.0)
    autopilot.ack_with = None
    started = time.monotonic()
    with pytest.raises(CommandTimeout, match=r"COMPONENT_ARM_DISARM: no answer from vehicle 1 after 3 tries"):
        service.arm()
    assert 0.55 < time.monotonic() - started < 2.0
    arms = [m for m in autopilot.of_type("COMMAND_LONG") if m.command == mavlink.MAV_CMD_COMPONENT_ARM_DISARM]
    assert [m.confirmation for m in arms] == [0, 1, 2]


def test_in_progress_ack_extends_the_wait(make_service, autopilot: FakeAutopilot) -> None:
    service: GcsService = make_service(None, link__command_timeout_s=0.3, link__command_retries=0)
    service.connect(f"udpout:127.0.0.1:{autopilot.port}")
    service.wait_for_vehicle(5.0)
    autopilot.in_progress_first = True
    result = service.rtl()
    assert result.success and result.result == "ACCEPTED"


def test_serial_link_over_a_pseudo_terminal_reopens_when_the_device_returns(make_service, tmp_path: Path) -> None:
    """A USB radio unplugged and plugged back: the same device path comes back, the link too."""
    service: GcsService = make_service(None, link__watchdog_timeout_s=1.0, link__reconnect_interval_s=0.2)
    device = tmp_path / "ttyKESTREL"
    vehicle = mavlink.MAVLink(None, srcSystem=3, srcComponent=1)
    stop = threading.Event()

    def plug() -> int:
        master, slave = os.openpty()
        if device.exists() or device.is_symlink():
            device.unlink()
        device.symlink_to(os.ttyname(slave))
        os.close(slave)
        return master

    master = plug()

    def radio(fd: int) -> None:
        while not stop.is_set():
            hb = mavlink.MAVLink_heartbeat_message(
                mavlink.MAV_TYPE_QUADROTOR,
                mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA,
                mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
                5,
                3,
                3,
            )
            try:
                os.write(fd, hb.pack(vehicle))
            except OSError:
                return
            time.sleep(0.2)

    writer = threading.Thread(target=radio, args=(master,), daemon=True)
    writer.start()
    try:
        service.connect(f"{device},57600")
        state = service.wait_for_vehicle(5.0, system_id=3)
        assert state.autopilot is Autopilot.ARDUPILOT
        wait_until(lambda: service.vehicle_state(3).mode == "LOITER", 2, "mode from serial heartbeat")

        stop.set()
        writer.join(2)
        os.close(master)  # unplugged
        device.unlink()
        wait_until(lambda: service.vehicle_state(3).link.state is LinkState.LOST, 4, "serial link lost")
        stop.clear()
        master = plug()  # plugged back at the same path
        writer = threading.Thread(target=radio, args=(master,), daemon=True)
        writer.start()
        wait_until(lambda: service.vehicle_state(3).link.state is LinkState.OK, 6, "serial link back")
        assert service.links()[0].reconnects >= 1
    finally:
        stop.set()
        writer.join(2)
        with contextlib.suppress(OSError):  # already closed when the test failed mid-way
            os.close(master)
