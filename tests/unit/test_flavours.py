"""Autopilot flavours: mode names <-> numbers as PX4/ArduPilot put them on the wire, and takeoff rules."""

from __future__ import annotations

import pytest

from gcs.core.errors import UnsupportedMode
from gcs.core.mavlink_env import mavlink, mavutil
from gcs.core.models import Autopilot
from gcs.core.vehicle.flavours import (
    ARDUPILOT,
    GENERIC,
    PX4,
    ArduPilotFlavour,
    GenericFlavour,
    Px4Flavour,
    autopilot_from_heartbeat,
    flavour_for,
)

QUAD = mavlink.MAV_TYPE_QUADROTOR
PLANE = mavlink.MAV_TYPE_FIXED_WING
VTOL = mavlink.MAV_TYPE_VTOL_QUADROTOR
ROVER = mavlink.MAV_TYPE_GROUND_ROVER
BOAT = mavlink.MAV_TYPE_SURFACE_BOAT
SUB = mavlink.MAV_TYPE_SUBMARINE
CUSTOM = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
ARMED = mavlink.MAV_MODE_FLAG_SAFETY_ARMED

_mav = mavlink.MAVLink(None, srcSystem=1, srcComponent=1)


def _heartbeat(autopilot: int, mav_type: int, base_mode: int, custom_mode: int) -> object:
    return _mav.heartbeat_encode(mav_type, autopilot, base_mode, custom_mode, mavlink.MAV_STATE_ACTIVE)


# ---- PX4 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(mavutil.px4_map))
def test_px4_every_mode_round_trips_through_custom_mode(name: str) -> None:
    param1, main, sub = PX4.set_mode_params(name, QUAD)
    assert param1 == CUSTOM
    assert main == int(main) and sub == int(sub)
    custom_mode = (int(main) << 16) | (int(sub) << 24)  # how PX4 packs HEARTBEAT.custom_mode
    base_mode = CUSTOM | ARMED
    assert PX4.mode_name(base_mode, custom_mode, QUAD) == name
    hb = _heartbeat(mavlink.MAV_AUTOPILOT_PX4, QUAD, base_mode, custom_mode)
    assert mavutil.mode_string_v10(hb) == name


@pytest.mark.parametrize(
    ("name", "main", "sub"),
    [("OFFBOARD", 6, 0), ("LOITER", 4, 3), ("TAKEOFF", 4, 2), ("LAND", 4, 6), ("RTL", 4, 5),
     ("MISSION", 4, 4), ("POSCTL", 3, 0), ("ALTCTL", 2, 0), ("MANUAL", 1, 0)],
)
def test_px4_numbers_match_px4_custom_mode_h(name: str, main: int, sub: int) -> None:
    assert PX4.set_mode_params(name.lower(), QUAD) == (float(CUSTOM), float(main), float(sub))


def test_px4_unknown_numbers_are_shown_not_hidden() -> None:
    custom = (4 << 16) | (99 << 24)
    assert PX4.mode_name(CUSTOM, custom, QUAD) == f"Mode({custom})"
    assert PX4.mode_name(CUSTOM, 42 << 16, QUAD) == f"Mode({42 << 16})"


def test_px4_refuses_ardupilot_names_and_lists_its_own() -> None:
    with pytest.raises(UnsupportedMode) as info:
        PX4.set_mode_params("GUIDED", QUAD)
    message = str(info.value)
    assert "'GUIDED'" in message and "PX4" in message
    assert "OFFBOARD" in message and "POSCTL" in message


def test_px4_roles_and_offboard_rule() -> None:
    assert (PX4.offboard_mode(QUAD), PX4.hold_mode(QUAD), PX4.land_mode(QUAD), PX4.rtl_mode(QUAD)) == (
        "OFFBOARD", "LOITER", "LAND", "RTL")
    assert PX4.needs_setpoints_before_offboard is True
    for role in (PX4.offboard_mode(QUAD), PX4.hold_mode(QUAD), PX4.land_mode(QUAD), PX4.rtl_mode(QUAD)):
        assert role in PX4.mode_names(QUAD)


# ---- ArduPilot -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mav_type", [QUAD, mavlink.MAV_TYPE_HEXAROTOR, PLANE, VTOL, ROVER, BOAT, SUB])
def test_ardupilot_every_mode_round_trips_per_vehicle_type(mav_type: int) -> None:
    names = ARDUPILOT.mode_names(mav_type)
    assert len(names) >= 9
    assert "INITIALISING" not in names
    for name in names:
        param1, number, param3 = ARDUPILOT.set_mode_params(name, mav_type)
        assert (param1, param3) == (float(CUSTOM), 0.0)
        assert ARDUPILOT.mode_name(CUSTOM | ARMED, int(number), mav_type) == name
        hb = _heartbeat(mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA, mav_type, CUSTOM | ARMED, int(number))
        assert mavutil.mode_string_v10(hb) == name


@pytest.mark.parametrize(
    ("mav_type", "name", "number"),
    [(QUAD, "STABILIZE", 0), (QUAD, "GUIDED", 4), (QUAD, "LOITER", 5), (QUAD, "RTL", 6), (QUAD, "LAND", 9),
     (QUAD, "POSHOLD", 16), (QUAD, "BRAKE", 17), (PLANE, "LOITER", 12), (PLANE, "GUIDED", 15),
     (PLANE, "TAKEOFF", 13), (ROVER, "HOLD", 4), (ROVER, "GUIDED", 15), (SUB, "SURFACE", 9),
     (SUB, "MANUAL", 19)],
)
def test_ardupilot_numbers_depend_on_vehicle_type(mav_type: int, name: str, number: int) -> None:
    assert ARDUPILOT.set_mode_params(name, mav_type) == (float(CUSTOM), float(number), 0.0)
    assert ARDUPILOT.set_mode_params(name.lower(), mav_type)[1] == float(number)
    assert ARDUPILOT.set_mode_params(name.title(), mav_type)[1] == float(number)


def test_ardupilot_unknown_mode_names_the_mode_the_vehicle_and_the_choices() -> None:
    with pytest.raises(UnsupportedMode) as info:
        ARDUPILOT.set_mode_params("offboard", QUAD)
    message = str(info.value)
    assert "'offboard'" in message and "QUADROTOR" in message
    assert "GUIDED" in message and "LOITER" in message
    with pytest.raises(UnsupportedMode, match="LAND"):
        ARDUPILOT.set_mode_params("LAND", ROVER)
    with pytest.raises(UnsupportedMode, match="INITIALISING"):
        ARDUPILOT.set_mode_params("INITIALISING", PLANE)
    with pytest.raises(UnsupportedMode, match="none known"):
        ARDUPILOT.set_mode_params("GUIDED", mavlink.MAV_TYPE_GENERIC)


def test_ardupilot_unknown_numbers_and_missing_custom_flag_read_like_mavutil() -> None:
    assert ARDUPILOT.mode_name(CUSTOM, 99, QUAD) == "Mode(99)"
    assert ARDUPILOT.mode_name(CUSTOM, 5, mavlink.MAV_TYPE_GENERIC) == "Mode(5)"
    assert ARDUPILOT.mode_name(0, 5, QUAD) == "Mode(0x00000000)"
    for base, custom in ((CUSTOM, 99), (0, 5), (ARMED, 4)):
        hb = _heartbeat(mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA, QUAD, base, custom)
        assert ARDUPILOT.mode_name(base, custom, QUAD) == mavutil.mode_string_v10(hb)


@pytest.mark.parametrize(
    ("mav_type", "offboard", "hold", "land", "rtl"),
    [(QUAD, "GUIDED", "BRAKE", "LAND", "RTL"), (PLANE, "GUIDED", "LOITER", None, "RTL"),
     (VTOL, "GUIDED", "LOITER", "QLAND", "RTL"), (ROVER, "GUIDED", "HOLD", None, "RTL"),
     (BOAT, "GUIDED", "HOLD", None, "RTL"), (SUB, "GUIDED", "POSHOLD", "SURFACE", None)],
)
def test_ardupilot_roles_per_vehicle_type(mav_type: int, offboard: str, hold: str, land: str | None,
                                          rtl: str | None) -> None:
    assert ARDUPILOT.offboard_mode(mav_type) == offboard
    assert ARDUPILOT.hold_mode(mav_type) == hold
    for getter, expected in ((ARDUPILOT.land_mode, land), (ARDUPILOT.rtl_mode, rtl)):
        if expected is None:
            with pytest.raises(UnsupportedMode, match="has no"):
                getter(mav_type)
        else:
            assert getter(mav_type) == expected
            ARDUPILOT.set_mode_params(expected, mav_type)  # and it is settable
    assert ARDUPILOT.needs_setpoints_before_offboard is False


# ---- takeoff -------------------------------------------------------------------------------------


def test_takeoff_altitude_param7_is_amsl_on_px4_and_above_home_on_ardupilot() -> None:
    home_msl = 488.25
    assert PX4.takeoff_altitude_param(10.0, home_msl) == pytest.approx(498.25)
    assert ARDUPILOT.takeoff_altitude_param(10.0, home_msl) == 10.0
    assert GENERIC.takeoff_altitude_param(10.0, home_msl) == pytest.approx(498.25)
    assert PX4.takeoff_altitude_param(2.5, -3.0) == pytest.approx(-0.5)  # a field below sea level


def test_takeoff_support_guided_rule_and_takeoff_mode() -> None:
    assert ARDUPILOT.takeoff_needs_guided(QUAD) and ARDUPILOT.takeoff_needs_guided(VTOL)
    assert not ARDUPILOT.takeoff_needs_guided(PLANE)
    assert not PX4.takeoff_needs_guided(QUAD)
    for flavour in (PX4, ARDUPILOT, GENERIC):
        assert flavour.supports_takeoff(QUAD) and flavour.supports_takeoff(PLANE)
        assert not flavour.supports_takeoff(ROVER)
        assert not flavour.supports_takeoff(BOAT)
        assert not flavour.supports_takeoff(SUB)
    assert ARDUPILOT.takeoff_mode(PLANE) == "TAKEOFF"
    assert ARDUPILOT.takeoff_mode(QUAD) is None and PX4.takeoff_mode(PLANE) is None


# ---- generic and selection -----------------------------------------------------------------------


def test_generic_flavour_uses_standard_base_modes() -> None:
    assert GENERIC.mode_name(mavlink.MAV_MODE_GUIDED_ARMED, 0, QUAD) == "GUIDED"
    assert GENERIC.mode_name(mavlink.MAV_MODE_AUTO_DISARMED, 0, QUAD) == "AUTO"
    assert GENERIC.mode_name(0, 0, QUAD) == "PREFLIGHT"
    assert GENERIC.mode_name(CUSTOM, 7, QUAD) == "Mode(7)"
    assert GENERIC.set_mode_params("guided", QUAD) == (float(mavlink.MAV_MODE_GUIDED_DISARMED), 0.0, 0.0)
    assert GENERIC.offboard_mode(QUAD) == "GUIDED"
    with pytest.raises(UnsupportedMode, match="LOITER_UNLIM"):
        GENERIC.hold_mode(QUAD)
    with pytest.raises(UnsupportedMode, match="'OFFBOARD'"):
        GENERIC.set_mode_params("OFFBOARD", QUAD)


def test_autopilot_from_heartbeat_and_flavour_for() -> None:
    assert autopilot_from_heartbeat(mavlink.MAV_AUTOPILOT_PX4) is Autopilot.PX4
    assert autopilot_from_heartbeat(mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA) is Autopilot.ARDUPILOT
    assert autopilot_from_heartbeat(mavlink.MAV_AUTOPILOT_INVALID) is Autopilot.UNKNOWN
    assert autopilot_from_heartbeat(mavlink.MAV_AUTOPILOT_GENERIC) is Autopilot.GENERIC
    assert isinstance(flavour_for(Autopilot.PX4), Px4Flavour)
    assert isinstance(flavour_for(Autopilot.ARDUPILOT), ArduPilotFlavour)
    assert isinstance(flavour_for(Autopilot.GENERIC), GenericFlavour)
    assert isinstance(flavour_for(Autopilot.UNKNOWN), GenericFlavour)
    assert flavour_for(Autopilot.PX4).autopilot is Autopilot.PX4
