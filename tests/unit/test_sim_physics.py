"""Pure parts of the simulator: kinematics, battery, mode tables, parameters, transport peers."""

from __future__ import annotations

import math

import pytest

from gcs.core.errors import ConfigError
from gcs.core.mavlink_env import mavlink, mavutil
from gcs.core.sim.config import SimConfig
from gcs.core.sim.modes import ArduCopterModes, Behaviour, Px4Modes
from gcs.core.sim.params import INT32, ParamStore
from gcs.core.sim.physics import (
    BatteryModel,
    Demand,
    Limits,
    Multicopter,
    sqrt_controller,
    wrap_pi,
)
from gcs.core.sim.transport import PEER_EXPIRY_S, UdpTransport

DT = 0.01


def run(body: Multicopter, demand: Demand, seconds: float, motors: bool = True) -> None:
    for _ in range(round(seconds / DT)):
        body.step(DT, demand, motors)


def test_wrap_and_sqrt_controller() -> None:
    assert wrap_pi(math.pi + 0.1) == pytest.approx(-math.pi + 0.1)
    assert wrap_pi(-math.pi) == pytest.approx(math.pi)
    assert sqrt_controller(0.5, 1.0, 4.0) == pytest.approx(0.5)  # linear zone near the target
    far = sqrt_controller(100.0, 1.0, 4.0)
    assert far == pytest.approx(math.sqrt(2 * 4.0 * (100.0 - 2.0)))
    assert sqrt_controller(-100.0, 1.0, 4.0) == pytest.approx(-far)


def test_velocity_tracking_respects_accel_and_speed_limits() -> None:
    body = Multicopter(Limits(max_speed_mps=12.0, max_accel_mps2=4.0))
    body.down_m = -10.0
    body.step(DT, Demand(vn=10.0, down_m=-10.0), True)
    assert body.vn == pytest.approx(4.0 * DT)  # one tick of the acceleration limit
    run(body, Demand(vn=50.0, down_m=-10.0), 5.0)
    assert body.vn == pytest.approx(12.0)  # capped at max speed
    assert body.pitch_rad < 0  # nose down while flying forward (drag)
    assert abs(body.pitch_rad) <= math.radians(35.0) + 1e-9


def test_position_hold_stops_without_overshoot() -> None:
    body = Multicopter(Limits(max_accel_mps2=4.0, max_speed_mps=12.0))
    body.down_m = -5.0
    run(body, Demand(north_m=30.0, east_m=0.0, down_m=-5.0), 15.0)
    assert body.north_m == pytest.approx(30.0, abs=0.05)
    assert body.groundspeed < 0.05


def test_attitude_follows_acceleration_in_the_heading_frame() -> None:
    body = Multicopter(Limits())
    body.down_m = -10.0
    body.yaw_rad = math.pi / 2  # facing east
    run(body, Demand(vn=0.0, ve=0.0, down_m=-10.0, yaw_rad=math.pi / 2), 0.2)
    body.step(DT, Demand(vn=8.0, down_m=-10.0, yaw_rad=math.pi / 2), True)  # accelerate north = to the left
    run(body, Demand(vn=8.0, down_m=-10.0, yaw_rad=math.pi / 2), 0.3)
    assert body.roll_rad < -math.radians(5)  # left wing down
    assert abs(body.pitch_rad) < math.radians(3)


def test_climb_rate_limit_and_ground_contact() -> None:
    body = Multicopter(Limits(max_climb_mps=3.0, max_descent_mps=1.5))
    run(body, Demand(vd=-10.0), 3.0)
    assert -body.vd == pytest.approx(3.0)
    run(body, Demand(vd=5.0), 30.0)
    assert body.down_m == 0.0 and body.vd == 0.0 and body.on_ground
    body.down_m = -20.0
    run(body, Demand(), 5.0, motors=False)  # motors off: it falls and stops on the ground
    assert body.on_ground and body.vd == 0.0


def test_battery_drains_and_voltage_follows_charge() -> None:
    bat = BatteryModel(cells=4, capacity_mah=5000.0)
    full = bat.voltage_v
    assert full == pytest.approx(16.8)
    hover = BatteryModel.current_for(True, True, 0.0, 0.0, 12.0)
    assert hover == pytest.approx(15.0)
    for _ in range(600):
        bat.step(1.0, hover)  # ten minutes of hover
    assert bat.remaining_pct == pytest.approx(100 - 100 * 15 * 600 / 3.6 / 5000, abs=0.1)
    assert 14.0 < bat.voltage_v < full
    assert BatteryModel.current_for(False, False, 0, 0, 12) < 1.0


def test_px4_mode_table_matches_pymavlink() -> None:
    modes = Px4Modes()
    for name, (base, main, sub) in mavutil.px4_map.items():
        assert modes.decode_set_mode(base, main, sub) == name
        hb_base, custom = modes.heartbeat(name, armed=True)
        assert custom == (main << 16) | (sub << 24)
        assert hb_base & mavlink.MAV_MODE_FLAG_SAFETY_ARMED
        assert mavutil.interpret_px4_mode(hb_base, custom) == name
    assert modes.decode_set_mode(1, 99, 0) is None
    assert modes.info("OFFBOARD") is not None and modes.info("OFFBOARD").behaviour is Behaviour.EXTERNAL
    assert modes.info("MISSION").behaviour is Behaviour.MISSION  # the sim flies missions now (issue 21)


def test_ardupilot_mode_table_matches_pymavlink() -> None:
    modes = ArduCopterModes()
    for number, name in mavutil.mode_mapping_acm.items():
        assert modes.decode_set_mode(mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, number, 0) == name
        assert modes.heartbeat(name, armed=False) == (89, number)  # ArduCopter's disarmed base_mode
    assert modes.decode_set_mode(0, 4, 0) is None  # no custom-mode flag
    assert modes.decode_set_mode(1, 250, 0) is None
    assert not modes.info("LAND").armable and modes.info("GUIDED").needs_position


def test_params_drive_behaviour_and_encode_like_the_autopilot() -> None:
    px4 = ParamStore(SimConfig(flavour="px4", system_id=7))
    index = px4.index_of("MAV_SYS_ID")
    assert index is not None
    p = px4.by_index(index)
    assert p is not None and p.ptype == INT32
    assert px4.decode(px4.encode(p), INT32) == 7  # byte-wise int in the float field
    assert px4.set("MPC_LAND_SPEED", 0.5, mavlink.MAV_PARAM_TYPE_REAL32) is not None
    assert px4.si("land_speed", 9) == pytest.approx(0.5)
    ap = ParamStore(SimConfig(flavour="ardupilot"))
    assert ap.si("rtl_alt", 0) == pytest.approx(15.0)  # RTL_ALT is in centimetres
    assert ap.set("NO_SUCH_PARAM", 1.0, 9) is None
    before = ap.version
    ap.set("LAND_SPEED", 1e6, mavlink.MAV_PARAM_TYPE_REAL32)  # out of range: refused
    assert ap.version == before


def test_config_is_validated() -> None:
    assert SimConfig(flavour="ArduPilot").flavour == "ardupilot"
    with pytest.raises(ConfigError):
        SimConfig(flavour="inav")
    with pytest.raises(ConfigError):
        SimConfig(system_id=0)
    with pytest.raises(ConfigError):
        SimConfig(max_speed_mps=0)


def test_transport_learns_and_forgets_peers() -> None:
    t = UdpTransport("127.0.0.1", 0, (("127.0.0.1", 14999),))
    try:
        assert t.port > 0
        t.learn(("127.0.0.1", 40000), now=100.0)
        assert t.peers() == [("127.0.0.1", 40000)]
        t.expire(now=100.0 + PEER_EXPIRY_S - 0.1)
        assert t.peers() == [("127.0.0.1", 40000)]
        t.expire(now=100.0 + PEER_EXPIRY_S + 0.1)
        assert t.peers() == []
        assert t.targets() == [("127.0.0.1", 14999)]
    finally:
        t.close()
