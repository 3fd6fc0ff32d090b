"""Vehicle state on the broker: protobuf (default) and JSON both come back as the same state."""

from __future__ import annotations

import math

import pytest

from gcs.core.fleet.payloads import PayloadError, decode_state, encode_state
from gcs.core.models import (
    Attitude,
    Autopilot,
    Battery,
    GlobalPosition,
    Gps,
    HomePosition,
    Hud,
    LinkState,
    LinkStatus,
    StatusText,
    VehicleState,
    VelocityNed,
)
from gcs.core.proto import kestrel_pb2 as pb

STATE = VehicleState(
    system_id=7, autopilot=Autopilot.ARDUPILOT, vehicle_type="QUADROTOR", mav_type=2, mode="GUIDED", armed=True,
    system_status="ACTIVE", attitude=Attitude(0.1, -0.2, 3.0, math.nan),
    global_position=GlobalPosition(47.39, 8.54, 520.5, 12.25), velocity=VelocityNed(1.5, -0.5, 0.25),
    hud=Hud(airspeed_mps=2.0, groundspeed_mps=1.6, heading_deg=271.0, throttle_pct=48.0, alt_m=520.5, climb_mps=0.3),
    battery=Battery(voltage_v=15.9, remaining_pct=76.0), gps=Gps(3, 14, 0.8), landed_state="IN_AIR",
    home=HomePosition(47.389, 8.539, 508.0), statustexts=(StatusText(10.0, 6, "EKF3 IMU0 is using GPS"),),
    link=LinkStatus(LinkState.OK, messages_per_s=120.0), last_update_s=1234.5,
)  # fmt: skip


def test_protobuf_carries_the_flattened_state() -> None:
    payload = encode_state(STATE, "protobuf", source="alpha", published_s=1.7e9)
    assert payload[:1] != b"{" and len(payload) < 300
    got = decode_state(payload)
    assert (got.source, got.published_s) == ("alpha", 1.7e9)
    s = got.state
    assert (s.system_id, s.autopilot, s.mav_type, s.mode, s.armed) == (7, Autopilot.ARDUPILOT, 2, "GUIDED", True)
    assert s.global_position == STATE.global_position and s.velocity == STATE.velocity
    assert s.battery == Battery(voltage_v=15.9, remaining_pct=76.0)
    assert (s.gps.fix_type, s.gps.satellites, s.landed_state, s.link.state) == (3, 14, "IN_AIR", LinkState.OK)
    assert s.hud.heading_deg == 271.0 and s.attitude.yaw_rad == 3.0
    assert s.home is None and s.statustexts == ()  # not in the protobuf form


def test_json_carries_every_field() -> None:
    payload = encode_state(STATE, "json", source="alpha", published_s=1.7e9)
    got = decode_state(payload)
    assert got.published_s == 1.7e9
    s = got.state
    assert math.isnan(s.attitude.rollspeed_radps)  # NaN -> null -> NaN
    assert s.home == STATE.home and s.statustexts == STATE.statustexts and s.link == STATE.link
    assert s.gps == STATE.gps and s.autopilot is Autopilot.ARDUPILOT


def test_a_message_of_neither_kind_is_refused_with_the_reason() -> None:
    with pytest.raises(PayloadError, match="parse"):
        decode_state(b"{not json")
    with pytest.raises(PayloadError, match="without a vehicle"):
        decode_state(pb.TelemetryRecord(time_s=1.0).SerializeToString())
    with pytest.raises(PayloadError):
        decode_state(b"\xff\xff\xff")
