"""Autopilot flavours: what a mode number means and how to ask for a mode, per firmware family.

The tables are pymavlink's own (``mavutil.px4_map``/``interpret_px4_mode`` for PX4,
``mavutil.mode_mapping_bynumber``/``mode_mapping_byname`` for ArduPilot by MAV_TYPE), so our
names are the ones MAVProxy and mavlogdump print for the same tlog.

PX4 packs its mode into HEARTBEAT.custom_mode as main mode (bits 16-23) and sub mode (bits 24-31)
and is asked with MAV_CMD_DO_SET_MODE(CUSTOM_MODE_ENABLED, main, sub). ArduPilot uses one
custom_mode number per vehicle type (LOITER is 5 on Copter, 12 on Plane, 5 on Rover) and is asked
with (CUSTOM_MODE_ENABLED, number, 0). Offboard control is OFFBOARD on PX4, which refuses the
switch unless setpoints are already streaming, and GUIDED on ArduPilot, which takes them after.

Vehicle types differ beyond copters:

- ArduCopter (and ArduPlane VTOL types): MAV_CMD_NAV_TAKEOFF is accepted only in GUIDED, and
  its param7 is metres above home (PX4 wants metres AMSL).
- ArduPlane fixed wing: ignores a COMMAND_LONG takeoff; it takes off by switching to the
  TAKEOFF mode (height from TKOFF_ALT) or by an AUTO mission that starts with NAV_TAKEOFF
  (``takeoff_mode``). It has no LAND mode: landing is a mission landing sequence.
- ArduCopter holds in BRAKE, not LOITER: LOITER (like ALT_HOLD and POSHOLD) takes its climb
  rate from the throttle stick, and with no RC override the throttle input is 1000 (stick down),
  so a copter put in LOITER at 10 m by a GCS without a radio descends to the ground (seen on
  SITL: 9.7 -> 0 m at 2.5 m/s, PILOT_SPEED_UP). BRAKE stops and holds position and height
  whatever the sticks say; it stays in BRAKE until told otherwise. PX4's Hold (AUTO.LOITER)
  ignores the sticks already.
- ArduRover/boats: no takeoff or land; holding position is the HOLD mode, not LOITER.
- ArduSub: no takeoff or RTL; hold is POSHOLD and "land" means SURFACE.

Role helpers (``hold_mode`` ...) raise UnsupportedMode where a vehicle type has no such mode, so
a GUI button or API call fails with a message instead of sending a mode the vehicle rejects.
"""

from __future__ import annotations

from typing import Protocol

from gcs.core.errors import UnsupportedMode
from gcs.core.mavlink_env import mavlink, mavutil
from gcs.core.models import Autopilot

CUSTOM_MODE_FLAG = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED

COPTER_TYPES = frozenset({
    mavlink.MAV_TYPE_QUADROTOR, mavlink.MAV_TYPE_HEXAROTOR, mavlink.MAV_TYPE_OCTOROTOR,
    mavlink.MAV_TYPE_TRICOPTER, mavlink.MAV_TYPE_HELICOPTER, mavlink.MAV_TYPE_COAXIAL,
    mavlink.MAV_TYPE_DECAROTOR, mavlink.MAV_TYPE_DODECAROTOR, mavlink.MAV_TYPE_GENERIC_MULTIROTOR,
})
VTOL_TYPES = frozenset({
    mavlink.MAV_TYPE_VTOL_DUOROTOR, mavlink.MAV_TYPE_VTOL_QUADROTOR, mavlink.MAV_TYPE_VTOL_TILTROTOR,
    mavlink.MAV_TYPE_VTOL_GYRODYNE, mavlink.MAV_TYPE_VTOL_RESERVED2, mavlink.MAV_TYPE_VTOL_RESERVED3,
    mavlink.MAV_TYPE_VTOL_RESERVED4, mavlink.MAV_TYPE_VTOL_RESERVED5,
})
PLANE_TYPES = frozenset({mavlink.MAV_TYPE_FIXED_WING})
FLYING_TYPES = COPTER_TYPES | VTOL_TYPES | PLANE_TYPES
GROUND_TYPES = frozenset({
    mavlink.MAV_TYPE_GROUND_ROVER, mavlink.MAV_TYPE_SURFACE_BOAT, mavlink.MAV_TYPE_GROUND_QUADRUPED,
})

_ARDUPILOT_UNSETTABLE = frozenset({"INITIALISING"})  # reported while booting, never commanded


def _unsupported(name: str, autopilot: str, available: list[str]) -> UnsupportedMode:
    shown = ", ".join(available) if available else "none known for this vehicle type"
    return UnsupportedMode(f"{autopilot} has no mode {name!r}; available: {shown}")


class AutopilotFlavour(Protocol):
    """Everything about a firmware family that the link, commands and commander must not guess."""

    @property
    def autopilot(self) -> Autopilot: ...

    @property
    def needs_setpoints_before_offboard(self) -> bool:
        """True when the offboard mode is refused unless setpoints are already streaming."""
        ...

    def mode_name(self, base_mode: int, custom_mode: int, mav_type: int) -> str:
        """Mode name from HEARTBEAT fields; unknown numbers come back as ``Mode(n)``."""
        ...

    def mode_names(self, mav_type: int) -> list[str]:
        """Every mode a GCS may ask this vehicle type for."""
        ...

    def set_mode_params(self, name: str, mav_type: int) -> tuple[float, float, float]:
        """param1-3 of MAV_CMD_DO_SET_MODE for a mode name (case-insensitive)."""
        ...

    def offboard_mode(self, mav_type: int) -> str: ...

    def hold_mode(self, mav_type: int) -> str: ...

    def land_mode(self, mav_type: int) -> str: ...

    def rtl_mode(self, mav_type: int) -> str: ...

    def supports_takeoff(self, mav_type: int) -> bool:
        """Whether this vehicle type can take off at all (rovers, boats and subs cannot)."""
        ...

    def takeoff_needs_guided(self, mav_type: int) -> bool:
        """Whether MAV_CMD_NAV_TAKEOFF is refused unless the vehicle is in the offboard mode."""
        ...

    def takeoff_mode(self, mav_type: int) -> str | None:
        """A mode that takes off by itself, for types that ignore MAV_CMD_NAV_TAKEOFF; else None."""
        ...

    def takeoff_altitude_param(self, alt_rel_m: float, home_alt_msl_m: float) -> float:
        """MAV_CMD_NAV_TAKEOFF param7 for a target height above home."""
        ...


class Px4Flavour:
    """PX4: main/sub custom modes, OFFBOARD needs a setpoint stream first, takeoff param7 AMSL."""

    autopilot = Autopilot.PX4
    needs_setpoints_before_offboard = True

    def mode_name(self, base_mode: int, custom_mode: int, mav_type: int) -> str:
        name: str = mavutil.interpret_px4_mode(base_mode, custom_mode)
        return f"Mode({custom_mode})" if name == "UNKNOWN" else name

    def mode_names(self, mav_type: int) -> list[str]:
        return list(mavutil.px4_map)

    def set_mode_params(self, name: str, mav_type: int) -> tuple[float, float, float]:
        entry = mavutil.px4_map.get(name.upper())
        if entry is None:
            raise _unsupported(name, "PX4", self.mode_names(mav_type))
        _base, main_mode, sub_mode = entry
        return float(CUSTOM_MODE_FLAG), float(main_mode), float(sub_mode)

    def offboard_mode(self, mav_type: int) -> str:
        return "OFFBOARD"

    def hold_mode(self, mav_type: int) -> str:
        return "LOITER"  # AUTO.LOITER: QGC and PX4 call it "Hold"

    def land_mode(self, mav_type: int) -> str:
        return "LAND"

    def rtl_mode(self, mav_type: int) -> str:
        return "RTL"

    def supports_takeoff(self, mav_type: int) -> bool:
        return mav_type in FLYING_TYPES

    def takeoff_needs_guided(self, mav_type: int) -> bool:
        return False  # PX4 switches itself to AUTO.TAKEOFF on MAV_CMD_NAV_TAKEOFF

    def takeoff_mode(self, mav_type: int) -> str | None:
        return None

    def takeoff_altitude_param(self, alt_rel_m: float, home_alt_msl_m: float) -> float:
        return home_alt_msl_m + alt_rel_m  # PX4 reads param7 as AMSL


# Role -> ArduPilot mode name. Copter names are the default; a role whose name is missing from the
# vehicle type's table (Plane LAND, Sub RTL, Rover LAND) is unsupported for that type.
_AP_ROLE_DEFAULT = {"offboard": "GUIDED", "hold": "LOITER", "land": "LAND", "rtl": "RTL"}
_AP_ROLE_BY_TYPE: dict[int, dict[str, str]] = {
    **{t: {"hold": "BRAKE"} for t in COPTER_TYPES},  # LOITER obeys the throttle stick: see above
    **{t: {"hold": "HOLD"} for t in GROUND_TYPES},
    mavlink.MAV_TYPE_SUBMARINE: {"hold": "POSHOLD", "land": "SURFACE"},
    **{t: {"land": "QLAND"} for t in VTOL_TYPES},
}


class ArduPilotFlavour:
    """ArduPilot: one custom_mode number per vehicle type, GUIDED for offboard, param7 above home."""

    autopilot = Autopilot.ARDUPILOT
    needs_setpoints_before_offboard = False

    def _by_number(self, mav_type: int) -> dict[int, str]:
        table: dict[int, str] | None = mavutil.mode_mapping_bynumber(mav_type)
        return table or {}

    def mode_name(self, base_mode: int, custom_mode: int, mav_type: int) -> str:
        if not base_mode & CUSTOM_MODE_FLAG:
            return f"Mode(0x{base_mode:08x})"  # as mavutil.mode_string_v10 prints it
        return self._by_number(mav_type).get(custom_mode, f"Mode({custom_mode})")

    def mode_names(self, mav_type: int) -> list[str]:
        return [n for _num, n in sorted(self._by_number(mav_type).items()) if n not in _ARDUPILOT_UNSETTABLE]

    def set_mode_params(self, name: str, mav_type: int) -> tuple[float, float, float]:
        by_name: dict[str, int] = mavutil.mode_mapping_byname(mav_type) or {}
        upper = name.upper()
        if upper not in by_name or upper in _ARDUPILOT_UNSETTABLE:
            raise _unsupported(name, f"ArduPilot {_type_name(mav_type)}", self.mode_names(mav_type))
        return float(CUSTOM_MODE_FLAG), float(by_name[upper]), 0.0

    def _role(self, role: str, mav_type: int) -> str:
        name = _AP_ROLE_BY_TYPE.get(mav_type, {}).get(role, _AP_ROLE_DEFAULT[role])
        if name not in self.mode_names(mav_type):
            raise UnsupportedMode(f"ArduPilot {_type_name(mav_type)} has no {role} mode")
        return name

    def offboard_mode(self, mav_type: int) -> str:
        return self._role("offboard", mav_type)

    def hold_mode(self, mav_type: int) -> str:
        return self._role("hold", mav_type)

    def land_mode(self, mav_type: int) -> str:
        return self._role("land", mav_type)

    def rtl_mode(self, mav_type: int) -> str:
        return self._role("rtl", mav_type)

    def supports_takeoff(self, mav_type: int) -> bool:
        return mav_type in FLYING_TYPES

    def takeoff_needs_guided(self, mav_type: int) -> bool:
        return mav_type in COPTER_TYPES or mav_type in VTOL_TYPES

    def takeoff_mode(self, mav_type: int) -> str | None:
        return "TAKEOFF" if mav_type in PLANE_TYPES else None

    def takeoff_altitude_param(self, alt_rel_m: float, home_alt_msl_m: float) -> float:
        return alt_rel_m  # ArduPilot reads param7 as metres above home


# Standard MAVLink base modes (MAV_MODE_*_DISARMED without the armed bit): all a generic
# autopilot is guaranteed to understand.
_GENERIC_MODES: dict[str, int] = {
    "MANUAL": mavlink.MAV_MODE_MANUAL_DISARMED,
    "STABILIZE": mavlink.MAV_MODE_STABILIZE_DISARMED,
    "GUIDED": mavlink.MAV_MODE_GUIDED_DISARMED,
    "AUTO": mavlink.MAV_MODE_AUTO_DISARMED,
    "TEST": mavlink.MAV_MODE_TEST_DISARMED,
}
_GENERIC_BY_FLAGS = {flags: name for name, flags in _GENERIC_MODES.items()}
_BASE_MODE_IGNORED = mavlink.MAV_MODE_FLAG_SAFETY_ARMED | mavlink.MAV_MODE_FLAG_HIL_ENABLED


class GenericFlavour:
    """Any other autopilot: only the standard base-mode flags mean something; spec semantics."""

    autopilot = Autopilot.GENERIC
    needs_setpoints_before_offboard = False

    def mode_name(self, base_mode: int, custom_mode: int, mav_type: int) -> str:
        if base_mode & CUSTOM_MODE_FLAG:
            return f"Mode({custom_mode})"  # custom modes are private to an unknown firmware
        flags = base_mode & ~_BASE_MODE_IGNORED
        if flags == 0:
            return "PREFLIGHT"
        return _GENERIC_BY_FLAGS.get(flags, f"Mode(0x{base_mode:08x})")

    def mode_names(self, mav_type: int) -> list[str]:
        return list(_GENERIC_MODES)

    def set_mode_params(self, name: str, mav_type: int) -> tuple[float, float, float]:
        flags = _GENERIC_MODES.get(name.upper())
        if flags is None:
            raise _unsupported(name, "A generic autopilot", self.mode_names(mav_type))
        return float(flags), 0.0, 0.0  # arming stays a separate command

    def offboard_mode(self, mav_type: int) -> str:
        return "GUIDED"

    def hold_mode(self, mav_type: int) -> str:
        raise UnsupportedMode("a generic autopilot has no hold mode; use MAV_CMD_NAV_LOITER_UNLIM")

    def land_mode(self, mav_type: int) -> str:
        raise UnsupportedMode("a generic autopilot has no land mode; use MAV_CMD_NAV_LAND")

    def rtl_mode(self, mav_type: int) -> str:
        raise UnsupportedMode("a generic autopilot has no RTL mode; use MAV_CMD_NAV_RETURN_TO_LAUNCH")

    def supports_takeoff(self, mav_type: int) -> bool:
        return mav_type in FLYING_TYPES

    def takeoff_needs_guided(self, mav_type: int) -> bool:
        return False

    def takeoff_mode(self, mav_type: int) -> str | None:
        return None

    def takeoff_altitude_param(self, alt_rel_m: float, home_alt_msl_m: float) -> float:
        return home_alt_msl_m + alt_rel_m  # the MAVLink spec's global frame is AMSL


def _type_name(mav_type: int) -> str:
    entry = mavlink.enums["MAV_TYPE"].get(mav_type)
    return entry.name.removeprefix("MAV_TYPE_") if entry is not None else f"type {mav_type}"


PX4 = Px4Flavour()
ARDUPILOT = ArduPilotFlavour()
GENERIC = GenericFlavour()
_BY_AUTOPILOT: dict[Autopilot, AutopilotFlavour] = {Autopilot.PX4: PX4, Autopilot.ARDUPILOT: ARDUPILOT}


def flavour_for(autopilot: Autopilot) -> AutopilotFlavour:
    """The flavour singleton for an autopilot family; GENERIC and UNKNOWN get the generic one."""
    return _BY_AUTOPILOT.get(autopilot, GENERIC)


def autopilot_from_heartbeat(autopilot_field: int) -> Autopilot:
    """Family from HEARTBEAT.autopilot; INVALID (cameras, GCSs, companions) is UNKNOWN."""
    if autopilot_field == mavlink.MAV_AUTOPILOT_PX4:
        return Autopilot.PX4
    if autopilot_field == mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA:
        return Autopilot.ARDUPILOT
    if autopilot_field == mavlink.MAV_AUTOPILOT_INVALID:
        return Autopilot.UNKNOWN
    return Autopilot.GENERIC


__all__ = [
    "ARDUPILOT", "COPTER_TYPES", "FLYING_TYPES", "GENERIC", "GROUND_TYPES", "PLANE_TYPES", "PX4",
    "VTOL_TYPES", "ArduPilotFlavour", "AutopilotFlavour", "GenericFlavour", "Px4Flavour",
    "autopilot_from_heartbeat", "flavour_for",
]
