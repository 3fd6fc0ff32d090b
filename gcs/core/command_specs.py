"""The vehicle and follow commands, once, for every face that takes them from afar.

Each command names the role it needs, its rate-limit group (the API's), the pydantic model of its
arguments (so a bad argument is refused with the field named) and the ``GcsService`` call it makes.
The REST routes, the WebSocket handler and the fleet's MQTT command topics all look commands up
here, so no face can allow what another refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from gcs.core.models import CommandResult
from gcs.core.tokens import Role

if TYPE_CHECKING:
    from gcs.core.service import GcsService

MIN_TAKEOFF_M = 0.5
MAX_TAKEOFF_M = 500.0


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VehicleArgs(_Args):
    vehicle: int | None = Field(default=None, ge=1, le=255, description="system id; default: the active vehicle")


class DisarmArgs(VehicleArgs):
    force: bool = Field(default=False, description="override the autopilot's checks (its emergency motor stop)")
    confirm_in_flight: bool = Field(
        default=False, description="disarm although the vehicle is flying (it falls); without it: 409 in flight"
    )


class TakeoffArgs(VehicleArgs):
    altitude_m: float = Field(
        ..., ge=MIN_TAKEOFF_M, le=MAX_TAKEOFF_M, allow_inf_nan=False, description="height above home, metres"
    )


class ModeArgs(VehicleArgs):
    mode: str = Field(..., min_length=1, max_length=32, description="flight mode name, e.g. POSCTL, GUIDED, LOITER")


class GotoArgs(VehicleArgs):
    lat_deg: float = Field(..., ge=-90, le=90, allow_inf_nan=False, description="latitude, WGS84 degrees")
    lon_deg: float = Field(..., ge=-180, le=180, allow_inf_nan=False, description="longitude, WGS84 degrees")
    alt_rel_m: float | None = Field(
        default=None, allow_inf_nan=False,
        description="height above home, metres (within safety.min/max_altitude_m); default: the height it flies at",
    )


class NoArgs(_Args):
    pass


class StopOffboardArgs(_Args):
    reason: str = Field(default="operator stop", max_length=200, description="why, for the log")


Runner = Callable[["GcsService", Any], CommandResult]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    role: Role
    group: str  # rate-limit group (see ratelimit.GROUPS)
    args: type[BaseModel]
    run: Runner
    summary: str


def _spec(name: str, args: type[BaseModel], run: Runner, summary: str) -> CommandSpec:
    return CommandSpec(name, Role.OPERATOR, "vehicle", args, run, summary)


COMMANDS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        _spec("arm", VehicleArgs, lambda s, a: s.arm(a.vehicle), "Arm the motors."),
        _spec(
            "disarm",
            DisarmArgs,
            lambda s, a: s.disarm(a.vehicle, force=a.force, confirm_in_flight=a.confirm_in_flight),
            "Disarm (in flight only with confirm_in_flight; force: override the autopilot's checks).",
        ),
        _spec("takeoff", TakeoffArgs, lambda s, a: s.takeoff(a.altitude_m, a.vehicle), "Climb to altitude_m."),
        _spec("land", VehicleArgs, lambda s, a: s.land(a.vehicle), "Land where the vehicle is."),
        _spec("rtl", VehicleArgs, lambda s, a: s.rtl(a.vehicle), "Return to launch."),
        _spec("hold", VehicleArgs, lambda s, a: s.hold(a.vehicle), "Hold position and height (Hold/BRAKE)."),
        _spec("mode", ModeArgs, lambda s, a: s.set_mode(a.mode, a.vehicle), "Set a flight mode by name."),
        _spec(
            "start_offboard_mode",
            VehicleArgs,
            lambda s, a: s.start_offboard(a.vehicle),
            "Start the setpoint stream and enter OFFBOARD (PX4) or GUIDED (ArduPilot).",
        ),
        _spec(
            "stop_offboard_mode",
            StopOffboardArgs,
            lambda s, a: s.stop_offboard(a.reason),
            "Stop the setpoint stream and hold.",
        ),
        _spec(
            "goto",
            GotoArgs,
            lambda s, a: s.goto(a.lat_deg, a.lon_deg, a.alt_rel_m, a.vehicle),
            "Fly to lat_deg/lon_deg and hold there (the map's click-to-fly; flying only, inside the geofence).",
        ),
        _spec("abort", NoArgs, lambda s, a: s.abort(), "Stop all motion now and hold."),
    )
}


