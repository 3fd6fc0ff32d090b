"""The vehicle and follow commands, once, for REST routes and WebSocket command messages alike.

Each command names the role it needs, its rate-limit group, the pydantic model of its arguments
(so a bad argument is refused with the field named) and the ``GcsService`` call it makes. The
REST routes (``routes/vehicle.py``, ``routes/commands.py``) and the WebSocket handler both look
commands up here, so the two faces cannot drift apart in what they allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from embedded_api.auth import Role
from gcs.core.models import CommandResult
from gcs.core.serialize import to_plain
from gcs.core.service import GcsService

MIN_TAKEOFF_M = 0.5
MAX_TAKEOFF_M = 500.0


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VehicleArgs(_Args):
    vehicle: int | None = Field(default=None, ge=1, le=255, description="system id; default: the active vehicle")


class DisarmArgs(VehicleArgs):
    force: bool = Field(default=False, description="disarm even in flight (the autopilot's emergency stop)")


class TakeoffArgs(VehicleArgs):
    altitude_m: float = Field(
        ..., ge=MIN_TAKEOFF_M, le=MAX_TAKEOFF_M, allow_inf_nan=False, description="height above home, metres"
    )


class ModeArgs(VehicleArgs):
    mode: str = Field(..., min_length=1, max_length=32, description="flight mode name, e.g. POSCTL, GUIDED, LOITER")


class NoArgs(_Args):
    pass


class StopOffboardArgs(_Args):
    reason: str = Field(default="operator stop", max_length=200, description="why, for the log")


class CommandReply(BaseModel):
    """What became of a command (the core's CommandResult)."""

    command: str = Field(description="MAVLink command or action, e.g. ARM, SET_MODE, OFFBOARD")
    success: bool
    result: str = Field(description="MAV_RESULT name (ACCEPTED, DENIED, ...), TIMEOUT or LOCAL_REFUSAL")
    message: str = ""


Runner = Callable[[GcsService, Any], CommandResult]


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
        _spec("disarm", DisarmArgs, lambda s, a: s.disarm(a.vehicle, force=a.force), "Disarm (force: in flight too)."),
        _spec("takeoff", TakeoffArgs, lambda s, a: s.takeoff(a.altitude_m, a.vehicle), "Climb to altitude_m."),
        _spec("land", VehicleArgs, lambda s, a: s.land(a.vehicle), "Land where the vehicle is."),
        _spec("rtl", VehicleArgs, lambda s, a: s.rtl(a.vehicle), "Return to launch."),
        _spec("hold", VehicleArgs, lambda s, a: s.hold(a.vehicle), "Hold position (loiter)."),
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
        _spec("abort", NoArgs, lambda s, a: s.abort(), "Stop all motion now and hold."),
    )
}


def run_command(service: GcsService, spec: CommandSpec, args: BaseModel) -> dict[str, Any]:
    """Make the service call (blocks until COMMAND_ACK); GcsError subclasses propagate to the face."""
    result: dict[str, Any] = to_plain(spec.run(service, args))
    return result
