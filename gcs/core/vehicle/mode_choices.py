"""The flight modes a pilot may pick for a vehicle, what each does, and which need confirming.

Both faces list the flavour's own modes (``AutopilotFlavour.mode_names``: PX4's or ArduPilot's
table for the vehicle type) with the mode in force, and both confirm the same ones with the
same gesture as arm and takeoff (hold 1 s, or the shortcut / Enter twice). Every mode is one of:

- ``holds``: the flavour's hold mode (PX4 Hold, ArduCopter BRAKE): stops and stays; never confirmed;
- ``moves``: the vehicle flies by itself (mission, RTL, land, takeoff, guided/offboard, circle...);
- ``sticks``: it obeys the RC sticks; with no pilot on them (as with this GCS alone) an ArduCopter
  in ALT_HOLD/LOITER descends at the throttle's low end and a PX4 position mode fails safe.

Confirmation is asked while armed for ``moves`` and, in flight, for ``sticks``: on the ground and
disarmed, picking a mode moves nothing. Whether a mode can be set at all is the availability rule
``mode`` (no vehicle, a read-only replay, link lost), which the core also enforces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gcs.core.availability import in_flight
from gcs.core.errors import UnsupportedMode
from gcs.core.models import VehicleState
from gcs.core.vehicle.flavours import AutopilotFlavour

ModeKind = Literal["holds", "moves", "sticks"]

_STICKS = frozenset({
    "MANUAL", "STABILIZED", "STABILIZE", "ACRO", "RATTITUDE", "ALTCTL", "POSCTL", "ALT_HOLD", "POSHOLD",
    "SPORT", "DRIFT", "FLOWHOLD", "OF_LOITER", "POSITION", "RATE_ACRO", "QSTABILIZE", "QHOVER", "QLOITER",
    "QACRO", "TRAINING", "FBWA", "FBWB", "CRUISE",
})  # fmt: skip
_WHAT = {
    "MISSION": "flies the uploaded mission", "AUTO": "flies the uploaded mission",
    "RTL": "returns to launch and lands", "SMART_RTL": "returns along its path and lands",
    "AUTO_RTL": "returns to launch and lands", "QRTL": "returns to launch and lands", "RTGS": "returns to the GCS",
    "LAND": "lands where it is", "QLAND": "lands where it is", "AUTOLAND": "lands", "TAKEOFF": "climbs and takes off",
    "OFFBOARD": "flies this GCS's setpoints (Follow and Offboard start it)",
    "GUIDED": "flies this GCS's setpoints and go-to points (Follow and Offboard start it)",
    "GUIDED_NOGPS": "flies this GCS's attitude targets", "FOLLOWME": "follows a ground station's position",
    "FOLLOW": "follows another vehicle", "CIRCLE": "circles a point", "LOITER": "holds position (sticks nudge it)",
    "BRAKE": "stops and holds position and height", "FLIP": "flips", "THROW": "starts its motors when thrown",
    "AUTOTUNE": "tunes itself with test manoeuvres", "ZIGZAG": "flies zig-zag lines",
}


@dataclass(frozen=True)
class ModeChoice:
    """One mode in the selector."""

    name: str
    kind: ModeKind
    description: str
    confirm: bool  # the pilot must confirm it now (hold / press twice)


@dataclass(frozen=True)
class FlightModes:
    """The selector's content for one vehicle: its modes, the mode in force, and why none can be set."""

    system_id: int | None
    current: str
    modes: tuple[ModeChoice, ...]
    unavailable: str | None = None  # the availability rule's reason (replay, no vehicle, link lost)

    def choice(self, name: str) -> ModeChoice | None:
        upper = name.upper()
        return next((m for m in self.modes if m.name == upper), None)

    @property
    def confirm(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.modes if m.confirm)

    def plain(self) -> dict[str, object]:
        """GET /api/vehicle/modes."""
        return {
            "vehicle": self.system_id,
            "current": self.current,
            "unavailable": self.unavailable,
            "modes": [{"name": m.name, "kind": m.kind, "description": m.description, "confirm": m.confirm}
                      for m in self.modes],
        }


def mode_kind(name: str, hold_mode: str | None) -> ModeKind:
    upper = name.upper()
    if upper == hold_mode or upper == "BRAKE":
        return "holds"
    return "sticks" if upper in _STICKS else "moves"


def describe(name: str, kind: ModeKind) -> str:
    what = _WHAT.get(name.upper())
    if kind == "sticks":
        return (what or "follows the RC sticks") + "; with nobody on the sticks it descends or fails safe"
    if kind == "holds":
        return "stops and holds position and height"  # PX4's LOITER is its Hold: not ArduPilot's stick LOITER
    return what or "flies by itself"


def flight_modes(flavour: AutopilotFlavour, state: VehicleState, unavailable: str | None) -> FlightModes:
    """Every mode ``flavour`` offers for ``state``'s vehicle type, with what each does and needs."""
    try:
        hold: str | None = flavour.hold_mode(state.mav_type)
    except UnsupportedMode:
        hold = None
    armed, flying = state.armed, in_flight(state)
    choices = []
    for name in flavour.mode_names(state.mav_type):
        kind = mode_kind(name, hold)
        confirm = armed and (kind == "moves" or (kind == "sticks" and flying))
        choices.append(ModeChoice(name, kind, describe(name, kind), confirm))
    return FlightModes(state.system_id, state.mode, tuple(choices), unavailable)


__all__ = ["FlightModes", "ModeChoice", "ModeKind", "describe", "flight_modes", "mode_kind"]
