"""The simulated flight controller on a simulated clock: flight logic of both flavours, fast.

The UDP tests (test_sim_udp.py) prove the wire; these prove the behaviour, seconds of flight in
milliseconds, deterministically.
"""

from __future__ import annotations

import math

import pytest

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.autopilot import SimAutopilot
from gcs.core.sim.config import SimConfig

DT = 0.01
ACCEPTED = mavlink.MAV_RESULT_ACCEPTED
DENIED = mavlink.MAV_RESULT_DENIED
FAILED = mavlink.MAV_RESULT_FAILED
TEMP_REJECTED = mavlink.MAV_RESULT_TEMPORARILY_REJECTED
VEL_YAWRATE = 0b0000_0101_1100_0111  # ignore position, acceleration, yaw
POSITION_ONLY = 0b0000_1101_1111_1000  # ignore velocity, acceleration, yaw, yaw rate
HOME_MSL = 488.0


class Flight:
    """A SimAutopilot driven by a fake monotonic clock."""

    def __init__(self, flavour: str, **config: object) -> None:
        self.now = 1000.0
        self.ap = SimAutopilot(SimConfig(flavour=flavour, home_alt_msl_m=HOME_MSL, **config), self.now)
        self.texts: list[str] = []

    def run(self, seconds: float, stream: dict[str, float] | None = None) -> None:
        """Fly ``seconds``; with ``stream`` also send that velocity setpoint at 20 Hz."""
        for i in range(round(seconds / DT)):
            self.now += DT
            if stream is not None and i % 5 == 0:
                self.setpoint(**stream)
            self.ap.step(DT, self.now)
            self._collect()

    def until(self, predicate, limit_s: float, stream: dict[str, float] | None = None) -> float:
        start = self.now
        i = 0
        while not predicate():
            assert self.now - start < limit_s, "condition not reached in time"
            self.now += DT
            if stream is not None and i % 5 == 0:
                self.setpoint(**stream)
            self.ap.step(DT, self.now)
            self._collect()
            i += 1
        return self.now - start

    def _collect(self) -> None:
        self.texts.extend(text for _, text in self.ap.outbox)
        self.ap.outbox.clear()

    def setpoint(self, vx: float = 0.0, vy: float = 0.0, vz: float = 0.0, yaw_rate: float = 0.0,
                 frame: int = mavlink.MAV_FRAME_LOCAL_NED, mask: int = VEL_YAWRATE,
                 x: float = 0.0, y: float = 0.0, z: float = 0.0) -> None:
        msg = mavlink.MAVLink_set_position_target_local_ned_message(
            0, 1, 1, frame, mask, x, y, z, vx, vy, vz, 0, 0, 0, 0, yaw_rate)
        self.ap.now = self.now
        self.ap.setpoint_local(msg, self.now)
        self._collect()

    def do(self, result: int) -> int:
        self._collect()
        return result

    @property
    def alt(self) -> float:
        return self.ap.body.alt_m

    def airborne(self, alt: float = 10.0) -> None:
        """Armed and holding ``alt`` metres in the flavour's offboard mode."""
        ap = self.ap
        self.run(0.05)
        assert ap.arm(False) == ACCEPTED
        if ap.px4:
            assert ap.takeoff(HOME_MSL + alt) == ACCEPTED
            self.until(lambda: ap.mode == "LOITER", 15)
            self.run(1.0, stream={})
            assert ap.request_mode("OFFBOARD") == ACCEPTED
        else:
            assert ap.request_mode("GUIDED") == ACCEPTED
            assert ap.takeoff(alt) == ACCEPTED
            self.until(lambda: ap.landed_state == mavlink.MAV_LANDED_STATE_IN_AIR, 15)
        self.run(1.0, stream={})  # keep the offboard signal alive
        self._collect()


@pytest.mark.parametrize(("flavour", "refusal", "text"), [("px4", DENIED, "Arming denied"),
                                                          ("ardupilot", FAILED, "PreArm")])
def test_arming_waits_for_gps_fix(flavour: str, refusal: int, text: str) -> None:
    f = Flight(flavour, gps_fix_delay_s=2.0)
    f.run(0.5)
    assert f.ap.arm(False) == refusal
    f._collect()
    assert any(t.startswith(text) for t in f.texts)
    assert not f.ap.armed
    f.run(2.0)
    assert f.ap.gps_fix and f.ap.home is not None
    assert f.ap.arm(False) == ACCEPTED and f.ap.armed
    assert f.ap.arm(False) == ACCEPTED  # arming again is fine


def test_force_arm_skips_checks() -> None:
    f = Flight("px4", gps_fix_delay_s=100.0)
    assert f.ap.arm(force=True) == ACCEPTED


def test_px4_takeoff_param7_is_amsl_then_hold() -> None:
    f = Flight("px4")
    f.run(0.1)
    assert f.ap.takeoff(HOME_MSL + 10) == TEMP_REJECTED  # must be armed first
    assert f.ap.arm(False) == ACCEPTED
    assert f.ap.takeoff(HOME_MSL + 10) == ACCEPTED
    assert f.ap.mode == "TAKEOFF"
    assert f.ap.landed_state == mavlink.MAV_LANDED_STATE_TAKEOFF
    took = f.until(lambda: f.ap.mode == "LOITER", 15)
    assert took < 8
    f.run(3.0)
    assert 9.5 <= f.alt <= 10.5
    assert f.ap.landed_state == mavlink.MAV_LANDED_STATE_IN_AIR
    assert "Takeoff to 10.0 m" in f.texts


def test_px4_takeoff_with_relative_altitude_uses_minimum() -> None:
    f = Flight("px4")
    f.run(0.1)
    f.ap.arm(False)
    assert f.ap.takeoff(10.0) == ACCEPTED  # a GCS bug: relative height sent as AMSL
    f._collect()
    assert any("minimum takeoff altitude" in t for t in f.texts)
    f.until(lambda: f.ap.mode == "LOITER", 10)
    f.run(2.0)
    assert f.alt == pytest.approx(2.5, abs=0.3)


def test_ardupilot_takeoff_needs_guided_and_armed() -> None:
    f = Flight("ardupilot")
    f.run(0.1)
    assert f.ap.takeoff(10) == FAILED  # STABILIZE, disarmed
    assert f.ap.request_mode("GUIDED") == ACCEPTED
    assert f.ap.takeoff(10) == FAILED  # disarmed
    assert f.ap.arm(False) == ACCEPTED
    assert f.ap.takeoff(10) == ACCEPTED
    assert f.ap.takeoff(10) == ACCEPTED  # a retry while climbing is not an error
    f.run(8.0)
    assert 9.5 <= f.alt <= 10.5 and f.ap.mode == "GUIDED"
    assert f.ap.takeoff(20) == FAILED  # already flying


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_velocity_north_then_land_and_auto_disarm(flavour: str) -> None:
    f = Flight(flavour)
    f.airborne(10.0)
    north0 = f.ap.body.north_m
    f.run(3.0, stream={"vx": 4.0})
    assert f.ap.body.north_m - north0 > 5.0
    assert abs(f.ap.body.east_m) < 0.1 and 9.5 < f.alt < 10.5
    assert f.ap.land() == ACCEPTED
    assert f.ap.landed_state == mavlink.MAV_LANDED_STATE_LANDING
    f.run(2.0)
    assert f.ap.body.vd == pytest.approx(1.0, abs=0.05)  # ~1 m/s down below 10 m
    f.until(lambda: not f.ap.armed, 20)
    assert f.alt == 0.0 and "Landed" in f.texts
    assert f.ap.landed_state == mavlink.MAV_LANDED_STATE_ON_GROUND


@pytest.mark.parametrize(("flavour", "refusal"), [("px4", DENIED), ("ardupilot", FAILED)])
def test_disarm_in_flight_needs_force(flavour: str, refusal: int) -> None:
    f = Flight(flavour)
    f.airborne(10.0)
    assert f.ap.disarm(force=False) == refusal and f.ap.armed
    assert f.ap.disarm(force=True) == ACCEPTED and not f.ap.armed
    f.until(lambda: f.ap.landed, 5)  # it falls
    assert f.ap.body.vd == 0.0


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_rtl_climbs_returns_lands_disarms(flavour: str) -> None:
    f = Flight(flavour)
    f.airborne(8.0)
    f.run(6.0, stream={"vx": 6.0})
    assert f.ap.body.north_m > 25
    assert f.ap.return_to_launch() == ACCEPTED
    top = 0.0
    start = f.now
    while f.ap.armed:
        assert f.now - start < 60
        f.run(0.1)
        top = max(top, f.alt)
        if f.alt > 14.0:
            assert f.ap.body.groundspeed <= 5.0 + 1e-6  # RTL cruise speed
    assert top == pytest.approx(15.0, abs=0.4)
    assert math.hypot(f.ap.body.north_m, f.ap.body.east_m) < 0.5


def test_px4_offboard_needs_setpoints_and_falls_back_to_hold() -> None:
    f = Flight("px4")
    f.run(0.1)
    assert f.ap.request_mode("OFFBOARD") == TEMP_REJECTED
    f._collect()
    assert any("Offboard" in t and "not possible" in t for t in f.texts)
    f.setpoint()
    assert f.ap.request_mode("OFFBOARD") == ACCEPTED
    f.run(0.4, stream={})
    assert f.ap.mode == "OFFBOARD"
    f.run(0.6)  # setpoints stop; offboard_timeout_s is 0.5
    assert f.ap.mode == "LOITER"
    assert any("Offboard lost" in t for t in f.texts)


def test_px4_offboard_loss_in_flight_holds_position() -> None:
    f = Flight("px4")
    f.airborne(10.0)
    f.run(2.0, stream={"vx": 5.0})
    f.until(lambda: f.ap.mode == "LOITER", 1.0)
    f.run(5.0)
    held = (f.ap.body.north_m, f.alt)
    f.run(2.0)
    assert f.ap.body.groundspeed < 0.05
    assert f.ap.body.north_m == pytest.approx(held[0], abs=0.05) and f.alt == pytest.approx(held[1], abs=0.05)


def test_ardupilot_guided_velocity_times_out_after_3s() -> None:
    f = Flight("ardupilot")
    f.airborne(10.0)
    f.run(2.0, stream={"vx": 4.0})
    f.run(2.5)
    assert f.ap.body.vn == pytest.approx(4.0, abs=0.1)  # still obeying (less than 3 s old)
    f.run(2.0)
    assert abs(f.ap.body.vn) < 0.05 and f.ap.mode == "GUIDED"


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_setpoints_ignored_outside_offboard_or_guided(flavour: str) -> None:
    f = Flight(flavour)
    f.run(0.1)
    f.ap.arm(False)
    f.run(1.0, stream={"vx": 3.0, "vz": -1.0})
    f.run(5.2, stream={"vx": 3.0, "vz": -1.0})
    received = f.ap.setpoints
    assert len(received) > 100 and not any(s.accepted for s in received)
    assert received[-1].reason.startswith("not in ")
    assert f.ap.body.alt_m == 0.0 and f.ap.body.north_m == 0.0
    warnings = [t for t in f.texts if t.startswith("Setpoint ignored")]
    # ArduPilot: at most once every 5 s; PX4 is silent (the stream it wants before OFFBOARD starts)
    assert len(warnings) == (0 if flavour == "px4" else 2)


def test_body_frame_velocity_is_rotated_by_heading_and_yaw_rate_integrates() -> None:
    f = Flight("ardupilot")
    f.airborne(10.0)
    f.run(2.0, stream={"yaw_rate": math.radians(45), "frame": mavlink.MAV_FRAME_BODY_OFFSET_NED})
    assert math.degrees(f.ap.body.yaw_rad) == pytest.approx(90.0, abs=10.0)
    f.run(0.5, stream={"frame": mavlink.MAV_FRAME_BODY_OFFSET_NED})
    yaw = f.ap.body.yaw_rad
    east0, north0 = f.ap.body.east_m, f.ap.body.north_m
    f.run(3.0, stream={"vx": 3.0, "frame": mavlink.MAV_FRAME_BODY_NED})
    moved_e, moved_n = f.ap.body.east_m - east0, f.ap.body.north_m - north0
    assert math.atan2(moved_e, moved_n) == pytest.approx(yaw, abs=0.05)
    assert math.hypot(moved_e, moved_n) > 5.0


def test_position_setpoint_goes_there() -> None:
    f = Flight("px4")
    f.airborne(10.0)
    target = {"x": 20.0, "y": -10.0, "z": -15.0, "mask": POSITION_ONLY}
    f.run(12.0, stream=target)
    b = f.ap.body
    assert (b.north_m, b.east_m, b.down_m) == pytest.approx((20.0, -10.0, -15.0), abs=0.1)


def test_mode_refusals_per_flavour() -> None:
    ap = Flight("ardupilot", gps_fix_delay_s=10.0)
    assert ap.ap.request_mode("GUIDED") == FAILED
    ap._collect()
    assert "Mode change to GUIDED failed: requires position" in ap.texts
    assert ap.ap.request_mode("AUTO") == FAILED  # requires position (no GPS fix yet)
    assert ap.ap.request_mode("ALT_HOLD") == ACCEPTED  # no position needed
    assert ap.ap.request_mode("NOPE") == DENIED
    px4 = Flight("px4", gps_fix_delay_s=10.0)
    assert px4.ap.request_mode("LOITER") == TEMP_REJECTED
    assert px4.ap.request_mode("MISSION") == TEMP_REJECTED
    assert px4.ap.request_mode("STABILIZED") == ACCEPTED


def test_battery_drains_only_while_armed() -> None:
    f = Flight("px4")
    f.run(5.0)
    idle = f.ap.battery.consumed_mah
    f.airborne(5.0)
    before = f.ap.battery.consumed_mah
    f.run(10.0)
    used = f.ap.battery.consumed_mah - before
    assert used == pytest.approx(15.0 * 10 / 3.6, rel=0.1)  # 15 A hover
    assert idle < 1.0


def test_px4_reposition_by_command_int_flies_there_in_hold() -> None:
    from gcs.core.sim.handlers import MessageHandler
    from gcs.core.sim.telemetry import StreamScheduler

    f = Flight("px4")
    f.airborne(10.0)
    handler = MessageHandler(f.ap, StreamScheduler(f.now), 1, 1)
    lat, lon, _ = f.ap.ned_to_global(40.0, 30.0, 0.0)
    cmd = mavlink.MAVLink_command_int_message(
        1, 1, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, mavlink.MAV_CMD_DO_REPOSITION, 0, 0,
        -1, 0, 0, math.nan, round(lat * 1e7), round(lon * 1e7), 20.0)
    cmd._header = mavlink.MAVLink_header(cmd.id, srcSystem=255, srcComponent=190)
    replies = handler.handle(cmd, f.now)
    assert replies[0].get_type() == "COMMAND_ACK" and replies[0].result == ACCEPTED
    assert replies[0].command == mavlink.MAV_CMD_DO_REPOSITION and replies[0].target_system == 255
    assert f.ap.mode == "LOITER"
    f.run(20.0)
    b = f.ap.body
    assert (b.north_m, b.east_m, f.alt) == pytest.approx((40.0, 30.0, 20.0), abs=0.2)


def test_ardupilot_reposition_needs_guided_or_the_change_mode_flag() -> None:
    f = Flight("ardupilot")
    f.airborne(10.0)
    assert f.ap.request_mode("LOITER") == ACCEPTED
    f.run(1.0)
    alt = f.alt
    lat, lon, _ = f.ap.ned_to_global(-20.0, 0.0, 0.0)
    assert f.ap.reposition(lat, lon, math.nan, relative_alt=True, change_mode=False) == FAILED
    assert f.ap.reposition(lat, lon, math.nan, relative_alt=True, change_mode=True) == ACCEPTED
    assert f.ap.mode == "GUIDED"
    f.run(12.0)
    assert f.ap.body.north_m == pytest.approx(-20.0, abs=0.2) and f.alt == pytest.approx(alt, abs=0.05)


def test_global_int_setpoint_in_guided() -> None:
    f = Flight("ardupilot")
    f.airborne(10.0)
    lat, lon, _ = f.ap.ned_to_global(15.0, -15.0, 0.0)
    mask = 0b0000_1101_1111_1000  # position only
    msg = mavlink.MAVLink_set_position_target_global_int_message(
        0, 1, 1, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, mask, round(lat * 1e7), round(lon * 1e7), 12.0,
        0, 0, 0, 0, 0, 0, 0, 0)
    f.ap.setpoint_global(msg, f.now)
    assert f.ap.setpoints[-1].accepted and f.ap.setpoints[-1].x == round(lat * 1e7)
    f.run(12.0)
    b = f.ap.body
    assert (b.north_m, b.east_m, f.alt) == pytest.approx((15.0, -15.0, 12.0), abs=0.2)


def test_bad_setpoints_are_recorded_not_obeyed() -> None:
    f = Flight("px4")
    f.airborne(10.0)
    f.setpoint(vx=1.0, frame=mavlink.MAV_FRAME_GLOBAL)  # not a local frame
    assert f.ap.setpoints[-1].reason == "unsupported frame 0"
    f.setpoint(vx=math.nan)
    assert not f.ap.setpoints[-1].accepted
    f.setpoint(mask=0b0000_1111_1111_1111)  # everything ignored
    assert "type_mask" in f.ap.setpoints[-1].reason
