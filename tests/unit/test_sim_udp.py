"""The simulator over real UDP on loopback, with plain pymavlink as the ground station.

No mocks: the GCS side is ``mavutil.mavlink_connection('udpout:...')`` (or ``udpin:``) with a
reader thread, so the socket is drained and nothing is dropped while a test waits.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gcs.core.mavlink_env import mavlink, mavutil
from gcs.core.sim import SimConfig, SimVehicle

ACCEPTED = mavlink.MAV_RESULT_ACCEPTED
VEL_YAWRATE = 0b0000_0101_1100_0111


class Gcs:
    """A pymavlink ground station with a background reader that keeps every message."""

    def __init__(self, device: str) -> None:
        self.conn: Any = mavutil.mavlink_connection(device, source_system=255, source_component=190)
        self.messages: list[tuple[float, Any]] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self.conn.recv_match(blocking=True, timeout=0.05)
            except OSError:
                return
            if msg is not None and msg.get_type() != "BAD_DATA":
                with self._cond:
                    self.messages.append((time.monotonic(), msg))
                    self._cond.notify_all()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1.0)
        self.conn.close()

    def mark(self) -> int:
        with self._cond:
            return len(self.messages)

    def wait(self, kind: str, pred: Callable[[Any], bool] = lambda m: True, timeout: float = 3.0,
             since: int = 0) -> Any:
        deadline = time.monotonic() + timeout
        index = since
        with self._cond:
            while True:
                for _, msg in self.messages[index:]:
                    if msg.get_type() == kind and pred(msg):
                        return msg
                index = len(self.messages)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {kind} within {timeout} s")
                self._cond.wait(left)

    def of(self, kind: str, since: int = 0) -> list[Any]:
        with self._cond:
            return [m for _, m in self.messages[since:] if m.get_type() == kind]

    def texts(self, since: int = 0) -> list[str]:
        return [m.text for m in self.of("STATUSTEXT", since)]

    def hello(self) -> Any:
        """Make the sim learn us (udpout) and return its first heartbeat."""
        self.conn.mav.heartbeat_send(mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)
        return self.wait("HEARTBEAT", timeout=3.0)

    def command(self, command: int, *params: float, confirmation: int = 0, timeout: float = 2.0) -> int:
        p = [*params, *[0.0] * (7 - len(params))]
        since = self.mark()
        self.conn.mav.command_long_send(1, 1, command, confirmation, *p)
        ack = self.wait("COMMAND_ACK", lambda m: m.command == command, timeout, since)
        assert ack.target_system == 255 and ack.target_component == 190
        result: int = ack.result
        return result

    def set_mode(self, name: str) -> int:
        hb = self.wait("HEARTBEAT")
        if hb.autopilot == mavlink.MAV_AUTOPILOT_PX4:
            base, main, sub = mavutil.px4_map[name]
            return self.command(mavlink.MAV_CMD_DO_SET_MODE, base, main, sub)
        number = {v: k for k, v in mavutil.mode_mapping_acm.items()}[name]
        return self.command(mavlink.MAV_CMD_DO_SET_MODE, mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, number)

    def velocity(self, vn: float = 0.0, ve: float = 0.0, vd: float = 0.0, yaw_rate: float = 0.0,
                 frame: int = mavlink.MAV_FRAME_LOCAL_NED) -> None:
        self.conn.mav.set_position_target_local_ned_send(
            0, 1, 1, frame, VEL_YAWRATE, 0, 0, 0, vn, ve, vd, 0, 0, 0, 0, yaw_rate)

    def stream(self, seconds: float, **velocity: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.velocity(**velocity)
            time.sleep(0.05)

    @contextlib.contextmanager
    def streaming(self, **velocity: float) -> Iterator[None]:
        """Send a velocity setpoint at 20 Hz in the background, like a commander thread."""
        stop = threading.Event()

        def run() -> None:
            while not stop.is_set():
                self.velocity(**velocity)
                stop.wait(0.05)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(1.0)


@pytest.fixture
def sims() -> Iterator[Callable[..., SimVehicle]]:
    made: list[SimVehicle] = []

    def make(**config: Any) -> SimVehicle:
        sim = SimVehicle(SimConfig(**config))
        sim.start()
        made.append(sim)
        return sim

    yield make
    for sim in made:
        sim.stop()


@pytest.fixture
def gcs_for() -> Iterator[Callable[[SimVehicle], Gcs]]:
    made: list[Gcs] = []

    def make(sim: SimVehicle) -> Gcs:
        g = Gcs(f"udpout:127.0.0.1:{sim.port}")
        made.append(g)
        g.hello()
        return g

    yield make
    for g in made:
        g.close()


def wait_for(pred: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# ---- identity and telemetry ----------------------------------------------------------------


@pytest.mark.parametrize(("flavour", "autopilot", "mode"), [
    ("px4", mavlink.MAV_AUTOPILOT_PX4, "POSCTL"),
    ("ardupilot", mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA, "STABILIZE"),
])
def test_heartbeat_decodes_as_the_flavour(sims, gcs_for, flavour: str, autopilot: int, mode: str) -> None:
    sim = sims(flavour=flavour, system_id=3)
    gcs = gcs_for(sim)
    hb = gcs.wait("HEARTBEAT")
    assert hb.get_srcSystem() == 3 and hb.get_srcComponent() == 1
    assert hb.type == mavlink.MAV_TYPE_QUADROTOR and hb.autopilot == autopilot
    assert hb.base_mode & mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
    assert not hb.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED
    assert hb.system_status == mavlink.MAV_STATE_STANDBY
    assert mavutil.mode_string_v10(hb) == mode
    assert hb.get_header().mlen if hasattr(hb.get_header(), "mlen") else True
    assert gcs.conn.WIRE_PROTOCOL_VERSION == "2.0"


def test_telemetry_rates_and_content(sims, gcs_for) -> None:
    sim = sims(flavour="px4")
    gcs = gcs_for(sim)
    time.sleep(0.3)
    since = gcs.mark()
    time.sleep(1.0)
    kinds = ("ATTITUDE", "GLOBAL_POSITION_INT", "LOCAL_POSITION_NED", "VFR_HUD", "SYS_STATUS", "GPS_RAW_INT",
             "EXTENDED_SYS_STATE")
    counts = {k: len(gcs.of(k, since)) for k in kinds}
    assert counts["ATTITUDE"] > 30
    assert 7 <= counts["GLOBAL_POSITION_INT"] <= 13 and 7 <= counts["LOCAL_POSITION_NED"] <= 13
    assert 7 <= counts["VFR_HUD"] <= 13
    assert 1 <= counts["SYS_STATUS"] <= 3 and 3 <= counts["GPS_RAW_INT"] <= 7
    assert 1 <= counts["EXTENDED_SYS_STATE"] <= 3
    status = gcs.of("SYS_STATUS")[-1]
    assert status.voltage_battery == pytest.approx(16800, abs=50) and status.battery_remaining == 100
    gps = gcs.of("GPS_RAW_INT")[-1]
    assert gps.fix_type == 3 and gps.satellites_visible >= 10
    pos = gcs.of("GLOBAL_POSITION_INT")[-1]
    assert pos.lat == round(47.397742e7) and pos.alt == 488000 and pos.relative_alt == 0
    home = gcs.wait("HOME_POSITION")
    assert home.altitude == 488000
    assert gcs.wait("BATTERY_STATUS").voltages[0] == pytest.approx(4200, abs=10)
    assert gcs.wait("EXTENDED_SYS_STATE").landed_state == mavlink.MAV_LANDED_STATE_ON_GROUND
    seqs = [m.get_seq() for m in gcs.of("ATTITUDE", since)]
    assert len(set(seqs)) == len(seqs)  # the sequence number moves on per message


def test_gps_before_fix_and_home_after(sims, gcs_for) -> None:
    sim = sims(flavour="px4", gps_fix_delay_s=1.5)
    gcs = gcs_for(sim)
    early = gcs.wait("GPS_RAW_INT")
    assert early.fix_type < 3 and early.lat == 0
    assert gcs.of("GLOBAL_POSITION_INT") == [] and gcs.of("HOME_POSITION") == []
    gcs.wait("GPS_RAW_INT", lambda m: m.fix_type == 3, timeout=3)
    assert gcs.wait("HOME_POSITION", timeout=3).latitude == round(47.397742e7)


def test_set_message_interval_changes_a_rate(sims, gcs_for) -> None:
    sim = sims(flavour="ardupilot")
    gcs = gcs_for(sim)
    cmd = mavlink.MAV_CMD_SET_MESSAGE_INTERVAL
    assert gcs.command(cmd, mavlink.MAVLINK_MSG_ID_ATTITUDE, 100_000) == ACCEPTED  # 10 Hz
    assert gcs.command(cmd, mavlink.MAVLINK_MSG_ID_VFR_HUD, -1) == ACCEPTED  # off
    assert gcs.command(cmd, 99_999, 100_000) == mavlink.MAV_RESULT_FAILED  # nothing we can send
    time.sleep(0.2)
    since = gcs.mark()
    time.sleep(1.0)
    assert 8 <= len(gcs.of("ATTITUDE", since)) <= 12
    assert gcs.of("VFR_HUD", since) == []
    assert gcs.command(cmd, mavlink.MAVLINK_MSG_ID_ATTITUDE, 0) == ACCEPTED  # back to default
    since = gcs.mark()
    assert gcs.command(mavlink.MAV_CMD_GET_MESSAGE_INTERVAL, mavlink.MAVLINK_MSG_ID_VFR_HUD) == ACCEPTED
    assert gcs.wait("MESSAGE_INTERVAL", since=since).interval_us == -1
    # the old way (ArduPilot): REQUEST_DATA_STREAM EXTRA2 (VFR_HUD) at 4 Hz
    gcs.conn.mav.request_data_stream_send(1, 1, mavlink.MAV_DATA_STREAM_EXTRA2, 4, 1)
    time.sleep(0.3)
    since = gcs.mark()
    time.sleep(1.0)
    assert 3 <= len(gcs.of("VFR_HUD", since)) <= 5
    assert len(gcs.of("ATTITUDE", since)) > 30


def test_request_message_and_capabilities(sims, gcs_for) -> None:
    sim = sims(flavour="px4", gps_fix_delay_s=30)
    gcs = gcs_for(sim)
    req = mavlink.MAV_CMD_REQUEST_MESSAGE
    assert gcs.command(req, mavlink.MAVLINK_MSG_ID_HOME_POSITION) == mavlink.MAV_RESULT_FAILED  # no home yet
    since = gcs.mark()
    assert gcs.command(req, mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION) == ACCEPTED
    version = gcs.wait("AUTOPILOT_VERSION", since=since)
    assert version.capabilities & mavlink.MAV_PROTOCOL_CAPABILITY_MAVLINK2
    assert version.flight_sw_version >> 24 == 1  # PX4 v1.x
    assert gcs.command(mavlink.MAV_CMD_DO_SET_SERVO, 1, 1500) == mavlink.MAV_RESULT_UNSUPPORTED


def test_parameters_and_empty_mission(sims, gcs_for) -> None:
    sim = sims(flavour="ardupilot")
    gcs = gcs_for(sim)
    since = gcs.mark()
    gcs.conn.mav.param_request_list_send(1, 1)
    first = gcs.wait("PARAM_VALUE", since=since)
    wait_for(lambda: len(gcs.of("PARAM_VALUE", since)) >= first.param_count, 2, "all parameters")
    names = {p.param_id for p in gcs.of("PARAM_VALUE", since)}
    assert {"MAV_SYSID", "RTL_ALT", "LAND_SPEED", "FENCE_RADIUS", "BATT_CAPACITY"} <= names
    since = gcs.mark()
    gcs.conn.mav.param_set_send(1, 1, b"LAND_SPEED", 80.0, mavlink.MAV_PARAM_TYPE_REAL32)
    assert gcs.wait("PARAM_VALUE", since=since).param_value == pytest.approx(80.0)
    since = gcs.mark()
    gcs.conn.mav.mission_request_list_send(1, 1)
    assert gcs.wait("MISSION_COUNT", since=since).count == 1  # ArduPilot's mission: home alone


# ---- commands ------------------------------------------------------------------------------


@pytest.mark.parametrize(("flavour", "refusal"), [("px4", mavlink.MAV_RESULT_DENIED),
                                                  ("ardupilot", mavlink.MAV_RESULT_FAILED)])
def test_arm_refused_before_gps_fix_then_accepted(sims, gcs_for, flavour: str, refusal: int) -> None:
    sim = sims(flavour=flavour, gps_fix_delay_s=1.0)
    gcs = gcs_for(sim)
    since = gcs.mark()
    arm = mavlink.MAV_CMD_COMPONENT_ARM_DISARM
    assert gcs.command(arm, 1) == refusal
    text = gcs.wait("STATUSTEXT", since=since)
    assert text.severity <= mavlink.MAV_SEVERITY_CRITICAL
    assert text.text.startswith("Arming denied" if flavour == "px4" else "PreArm")
    wait_for(lambda: sim.snapshot().gps_fix, 3, "GPS fix")
    assert gcs.command(arm, 1) == ACCEPTED
    hb = gcs.wait("HEARTBEAT", lambda m: m.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED, 2)
    assert hb.system_status == mavlink.MAV_STATE_ACTIVE
    assert "Armed" in gcs.texts()


def test_duplicate_commands_are_idempotent(sims, gcs_for) -> None:
    sim = sims(flavour="ardupilot")
    gcs = gcs_for(sim)
    arm = mavlink.MAV_CMD_COMPONENT_ARM_DISARM
    since = gcs.mark()
    assert gcs.set_mode("GUIDED") == ACCEPTED
    assert gcs.command(arm, 1) == ACCEPTED
    assert gcs.command(arm, 1, confirmation=1) == ACCEPTED  # the retry of a lost ACK
    assert gcs.command(mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 3) == ACCEPTED
    assert gcs.command(mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 3, confirmation=1) == ACCEPTED
    time.sleep(0.2)
    texts = gcs.texts(since)
    assert texts.count("Armed") == 1 and texts.count("Takeoff to 3.0 m") == 1
    assert sim.stats()["commands_handled"] == 3


def test_px4_offboard_refused_without_setpoints_and_lost_without_them(sims, gcs_for) -> None:
    sim = sims(flavour="px4")
    gcs = gcs_for(sim)
    since = gcs.mark()
    assert gcs.set_mode("OFFBOARD") == mavlink.MAV_RESULT_TEMPORARILY_REJECTED
    assert sim.snapshot().mode == "POSCTL"
    first = gcs.wait("STATUSTEXT", since=since)
    assert first.id != 0 and first.chunk_seq == 0  # longer than 50 bytes: MAVLink 2 chunks
    gcs.wait("STATUSTEXT", lambda m: m.id == first.id and m.chunk_seq == 1, 1, since)
    chunks = sorted((m.chunk_seq, m.text) for m in gcs.of("STATUSTEXT", since) if m.id == first.id)
    assert "".join(t for _, t in chunks) == "Switching to Offboard is currently not possible: no offboard signal"
    assert gcs.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) == ACCEPTED
    since = gcs.mark()
    with gcs.streaming():
        time.sleep(0.2)
        assert gcs.set_mode("OFFBOARD") == ACCEPTED
        hb = gcs.wait("HEARTBEAT", lambda m: mavutil.mode_string_v10(m) == "OFFBOARD", 2, since)
        assert hb.custom_mode == 6 << 16
        assert sim.snapshot().mode == "OFFBOARD"
    stopped = time.monotonic()
    wait_for(lambda: sim.snapshot().mode == "LOITER", 1.0, "offboard loss -> Hold")
    assert 0.4 < time.monotonic() - stopped < 0.8  # offboard_timeout_s = 0.5
    gcs.wait("HEARTBEAT", lambda m: mavutil.mode_string_v10(m) == "LOITER", 2, gcs.mark())
    assert any("Offboard lost" in t for t in gcs.texts(since))


def test_setpoints_ignored_outside_offboard_and_recorded(sims, gcs_for) -> None:
    sim = sims(flavour="ardupilot")
    gcs = gcs_for(sim)
    assert gcs.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) == ACCEPTED  # in STABILIZE
    since = gcs.mark()
    gcs.stream(0.5, vn=3.0, vd=-1.0)
    received = sim.received_setpoints()
    assert len(received) >= 8 and not any(s.accepted for s in received)
    assert received[-1].vx == 3.0 and received[-1].type_mask == VEL_YAWRATE and received[-1].frame == 1
    assert sim.snapshot().landed and sim.snapshot().north_m == 0.0
    warnings = [t for t in gcs.texts(since) if t.startswith("Setpoint ignored")]
    assert len(warnings) == 1


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_takeoff_fly_north_land_and_disarm(sims, gcs_for, flavour: str) -> None:
    sim = sims(flavour=flavour, max_climb_mps=5.0, land_speed_mps=3.0, disarm_after_land_s=0.5)
    gcs = gcs_for(sim)
    arm, takeoff = mavlink.MAV_CMD_COMPONENT_ARM_DISARM, mavlink.MAV_CMD_NAV_TAKEOFF
    if flavour == "ardupilot":
        assert gcs.command(arm, 1) == ACCEPTED
        assert gcs.command(takeoff, 0, 0, 0, 0, 0, 0, 10) == mavlink.MAV_RESULT_FAILED  # not GUIDED
        assert gcs.set_mode("GUIDED") == ACCEPTED
        assert gcs.command(takeoff, 0, 0, 0, 0, 0, 0, 10) == ACCEPTED  # metres above home
    else:
        home = gcs.wait("HOME_POSITION")
        assert gcs.command(arm, 1) == ACCEPTED
        amsl = home.altitude / 1000 + 10
        assert gcs.command(takeoff, 0, 0, 0, math.nan, math.nan, math.nan, amsl) == ACCEPTED
    gcs.wait("EXTENDED_SYS_STATE", lambda m: m.landed_state == mavlink.MAV_LANDED_STATE_TAKEOFF, 2)
    wait_for(lambda: sim.snapshot().alt_m > 9.5 and abs(sim.snapshot().vd) < 0.3, 10, "climb to 10 m")
    time.sleep(0.5)
    snap = sim.snapshot()
    assert 9.5 <= snap.alt_m <= 10.5
    pos = gcs.wait("GLOBAL_POSITION_INT", since=gcs.mark())
    assert pos.relative_alt == pytest.approx(10_000, abs=500)
    if flavour == "px4":
        assert snap.mode == "LOITER"
        gcs.stream(0.3)
        assert gcs.set_mode("OFFBOARD") == ACCEPTED
    north0 = sim.snapshot().north_m
    gcs.stream(3.0, vn=4.0)
    moved = sim.snapshot()
    assert moved.north_m - north0 > 5.0 and abs(moved.east_m) < 0.2 and 9.0 < moved.alt_m < 11.0
    since = gcs.mark()
    assert gcs.command(mavlink.MAV_CMD_NAV_LAND) == ACCEPTED
    gcs.wait("EXTENDED_SYS_STATE", lambda m: m.landed_state == mavlink.MAV_LANDED_STATE_LANDING, 2, since)
    wait_for(lambda: not sim.snapshot().armed, 12, "touchdown and auto-disarm")
    assert sim.snapshot().alt_m == 0.0 and sim.snapshot().mode == "LAND"
    gcs.wait("STATUSTEXT", lambda m: m.text == "Landed", 1, since)
    since = gcs.mark()  # ask for a heartbeat now rather than wait up to a second for one
    assert gcs.command(mavlink.MAV_CMD_REQUEST_MESSAGE, mavlink.MAVLINK_MSG_ID_HEARTBEAT) == ACCEPTED
    hb = gcs.wait("HEARTBEAT", since=since)
    assert not hb.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED
    assert hb.system_status == mavlink.MAV_STATE_STANDBY


# ---- transport and robustness ----------------------------------------------------------------


def test_garbage_datagrams_are_counted_and_ignored(sims, gcs_for) -> None:
    sim = sims(flavour="px4")
    gcs = gcs_for(sim)
    junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    junk.bind(("127.0.0.1", 0))
    junk_addr = junk.getsockname()
    frame = mavlink.MAVLink_heartbeat_message(6, 8, 0, 0, 0, 3).pack(mavlink.MAVLink(None, 9, 9))
    payloads = (b"", os.urandom(300), b"\xfd" * 40, frame[:7], frame[:-1] + b"\x00", os.urandom(2000))
    try:
        for payload in payloads:
            junk.sendto(payload, ("127.0.0.1", sim.port))
        time.sleep(0.2)
    finally:
        junk.close()
    assert sim.running
    assert sim.stats()["bad_datagrams"] >= 5 and sim.stats()["handler_errors"] == 0
    assert junk_addr not in sim.peers()  # garbage does not make a peer
    assert gcs.command(mavlink.MAV_CMD_NAV_LOITER_UNLIM) == ACCEPTED  # still answering
    assert sim.snapshot().mode == "LOITER"

def test_udpin_gcs_hears_the_sim_without_speaking_first(sims) -> None:
    gcs = Gcs("udpin:127.0.0.1:0")
    try:
        port = gcs.conn.port.getsockname()[1]
        sim = sims(flavour="ardupilot", targets=(("127.0.0.1", port),))
        hb = gcs.wait("HEARTBEAT", timeout=3)
        assert mavutil.mode_string_v10(hb) == "STABILIZE"
        # the listening GCS can command it too: the reply goes back to where telemetry goes
        assert gcs.command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) == ACCEPTED
        assert sim.snapshot().armed
    finally:
        gcs.close()


def test_add_target_and_stop_is_quick_and_idempotent(sims) -> None:
    sim = sims(flavour="px4")
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(2.0)
    try:
        sim.add_target("127.0.0.1", listener.getsockname()[1])
        data, _ = listener.recvfrom(2048)
        assert data[0] == 0xFD  # MAVLink 2
    finally:
        listener.close()
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 0.5
    assert not sim.running
    sim.stop()
