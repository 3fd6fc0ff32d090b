"""Flight-mode tables of the two autopilot flavours, built on pymavlink's own maps.

PX4 names modes by (main mode, sub mode) packed into HEARTBEAT.custom_mode as
``main << 16 | sub << 24`` (``mavutil.px4_map``, decoded by ``mavutil.interpret_px4_mode``);
ArduCopter numbers them (``mavutil.mode_mapping_acm``). Each mode gets a behaviour the sim knows
how to fly; modes the sim cannot fly (missions, flips, autotune...) are refused the way the
autopilot refuses a mode it cannot enter now.
"""

from __future__ import annotations

import abc
import enum
import math
from dataclasses import dataclass

from gcs.core.mavlink_env import mavlink, mavutil


class Behaviour(enum.Enum):
    HOLD = "hold"  # brake to a stop, hold position and height
    MANUAL = "manual"  # pilot modes; with sticks centred they hold like HOLD (see ModeInfo.pilot_throttle)
    TAKEOFF = "takeoff"  # PX4 takeoff mode: climb, then Hold
    LAND = "land"
    RTL = "rtl"
    EXTERNAL = "external"  # PX4 OFFBOARD / ArduPilot GUIDED: obey setpoints
    MISSION = "mission"  # PX4 MISSION / ArduPilot AUTO: fly the stored mission (mission_flight)
    UNSUPPORTED = "unsupported"  # known to the autopilot, not flown by the sim


@dataclass(frozen=True)
class ModeInfo:
    name: str
    behaviour: Behaviour
    needs_position: bool  # refused without a GPS fix
    armable: bool = True  # ArduPilot refuses to arm in some modes
    reason: str = ""  # why an UNSUPPORTED mode is refused
    pilot_throttle: bool = False  # the climb rate comes from the RC throttle stick (ArduCopter)


class ModeTable(abc.ABC):
    """What every flavour answers; the two subclasses fill it from pymavlink's maps."""

    autopilot: int
    boot_mode: str
    hold_mode: str
    land_mode: str
    rtl_mode: str
    external_mode: str
    takeoff_mode: str | None  # PX4 has a takeoff mode; ArduCopter takes off inside GUIDED
    modes: dict[str, ModeInfo]

    def info(self, name: str) -> ModeInfo | None:
        return self.modes.get(name)

    @abc.abstractmethod
    def decode_set_mode(self, param1: float, param2: float, param3: float) -> str | None:
        """Mode name asked for by MAV_CMD_DO_SET_MODE, or None when it names no mode."""

    @abc.abstractmethod
    def heartbeat(self, name: str, armed: bool) -> tuple[int, int]:
        """(base_mode, custom_mode) for HEARTBEAT in mode ``name``."""

    def custom_mode(self, name: str) -> int:
        return self.heartbeat(name, False)[1]


def _as_int(value: float) -> int | None:
    if not math.isfinite(value) or value < 0 or value != int(value):
        return None
    return int(value)


class Px4Modes(ModeTable):
    autopilot = mavlink.MAV_AUTOPILOT_PX4
    boot_mode = "POSCTL"  # PX4's default user intention; with no sticks it holds
    hold_mode = "LOITER"  # shown as "Hold" by QGC
    land_mode = "LAND"
    rtl_mode = "RTL"
    external_mode = "OFFBOARD"
    takeoff_mode = "TAKEOFF"

    _BEHAVIOUR: dict[str, Behaviour] = {
        "MANUAL": Behaviour.MANUAL,
        "STABILIZED": Behaviour.MANUAL,
        "ACRO": Behaviour.MANUAL,
        "RATTITUDE": Behaviour.MANUAL,
        "ALTCTL": Behaviour.MANUAL,
        "POSCTL": Behaviour.MANUAL,
        "LOITER": Behaviour.HOLD,
        "TAKEOFF": Behaviour.TAKEOFF,
        "LAND": Behaviour.LAND,
        "RTL": Behaviour.RTL,
        "OFFBOARD": Behaviour.EXTERNAL,
        "MISSION": Behaviour.MISSION,
    }
    _REASONS: dict[str, str] = {
        "MISSION": "no valid mission available",
        "FOLLOWME": "no follow target",
        "RTGS": "no ground station position",
    }

    def __init__(self) -> None:
        self._map: dict[str, tuple[int, int, int]] = dict(mavutil.px4_map)
        self.modes = {}
        for name in self._map:
            behaviour = self._BEHAVIOUR.get(name, Behaviour.UNSUPPORTED)
            needs_position = name not in ("MANUAL", "STABILIZED", "ACRO", "RATTITUDE", "ALTCTL", "LAND")
            self.modes[name] = ModeInfo(name, behaviour, needs_position, True, self._REASONS.get(name, ""))

    def decode_set_mode(self, param1: float, param2: float, param3: float) -> str | None:
        base, main, sub = _as_int(param1), _as_int(param2), _as_int(param3) if math.isfinite(param3) else 0
        if base is None:
            return None
        if base & mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
            if main is None or sub is None or main > 255 or sub > 255:
                return None
            name: str = mavutil.interpret_px4_mode(base, (main << 16) | (sub << 24))
            return name if name in self.modes else None
        # No custom mode: PX4 maps the standard base-mode flags
        if base & mavlink.MAV_MODE_FLAG_AUTO_ENABLED:
            return "MISSION"
        if base & mavlink.MAV_MODE_FLAG_MANUAL_INPUT_ENABLED:
            if base & mavlink.MAV_MODE_FLAG_GUIDED_ENABLED:
                return "POSCTL"
            if base & mavlink.MAV_MODE_FLAG_STABILIZE_ENABLED:
                return "STABILIZED"
            return "MANUAL"
        return None

    def heartbeat(self, name: str, armed: bool) -> tuple[int, int]:
        base, main, sub = self._map[name]
        if armed:
            base |= mavlink.MAV_MODE_FLAG_SAFETY_ARMED
        return base, (main << 16) | (sub << 24)


class ArduCopterModes(ModeTable):
    autopilot = mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA
    boot_mode = "STABILIZE"
    hold_mode = "LOITER"
    land_mode = "LAND"
    rtl_mode = "RTL"
    external_mode = "GUIDED"
    takeoff_mode = None

    _BEHAVIOUR: dict[str, Behaviour] = {
        "STABILIZE": Behaviour.MANUAL,
        "ACRO": Behaviour.MANUAL,
        "ALT_HOLD": Behaviour.MANUAL,
        "POSHOLD": Behaviour.MANUAL,
        "LOITER": Behaviour.HOLD,
        "BRAKE": Behaviour.HOLD,
        "GUIDED": Behaviour.EXTERNAL,
        "RTL": Behaviour.RTL,
        "SMART_RTL": Behaviour.RTL,
        "LAND": Behaviour.LAND,
        "AUTO": Behaviour.MISSION,
    }
    _NO_POSITION = frozenset({"STABILIZE", "ACRO", "ALT_HOLD", "LAND", "DRIFT", "SPORT", "FLIP", "THROW"})
    _NOT_ARMABLE = frozenset({"RTL", "SMART_RTL", "LAND", "AUTO", "CIRCLE", "BRAKE", "AUTO_RTL"})
    # Modes whose height follows the throttle stick; with it down (no RC) they descend. BRAKE
    # and GUIDED ignore the sticks, which is why the GCS holds an ArduCopter in BRAKE.
    _PILOT_THROTTLE = frozenset({"STABILIZE", "ACRO", "ALT_HOLD", "POSHOLD", "LOITER"})
    # ArduCopter's HEARTBEAT: MANUAL_INPUT | STABILIZE | GUIDED | CUSTOM_MODE (89), +128 when armed
    _BASE = (
        mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
        | mavlink.MAV_MODE_FLAG_STABILIZE_ENABLED
        | mavlink.MAV_MODE_FLAG_GUIDED_ENABLED
        | mavlink.MAV_MODE_FLAG_MANUAL_INPUT_ENABLED
    )

    def __init__(self) -> None:
        self._by_number: dict[int, str] = dict(mavutil.mode_mapping_acm)
        self._by_name: dict[str, int] = {v: k for k, v in self._by_number.items()}
        self.modes = {}
        for name in self._by_name:
            behaviour = self._BEHAVIOUR.get(name, Behaviour.UNSUPPORTED)
            reason = "requires a mission" if name == "AUTO" else "not available in the simulator"
            self.modes[name] = ModeInfo(
                name,
                behaviour,
                needs_position=name not in self._NO_POSITION,
                armable=name not in self._NOT_ARMABLE,
                reason="" if behaviour is not Behaviour.UNSUPPORTED else reason,
                pilot_throttle=name in self._PILOT_THROTTLE,
            )

    def decode_set_mode(self, param1: float, param2: float, param3: float) -> str | None:
        base, number = _as_int(param1), _as_int(param2)
        if base is None or number is None or not base & mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
            return None
        return self._by_number.get(number)

    def heartbeat(self, name: str, armed: bool) -> tuple[int, int]:
        base = self._BASE | (mavlink.MAV_MODE_FLAG_SAFETY_ARMED if armed else 0)
        return base, self._by_name[name]


def mode_table(flavour: str) -> ModeTable:
    return Px4Modes() if flavour == "px4" else ArduCopterModes()
