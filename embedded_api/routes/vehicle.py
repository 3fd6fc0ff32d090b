"""Vehicle commands (operator role): each waits for the vehicle's COMMAND_ACK.

Success answers 200 with the command's result; a refusal by the vehicle (or a local safety rule)
answers 409 with ``result`` = the MAV_RESULT name (DENIED, TEMPORARILY_REJECTED, ...) or
LOCAL_REFUSAL; no acknowledgement after every retry answers 504; an unknown vehicle 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from embedded_api.commands import (
    COMMANDS,
    MAX_TAKEOFF_M,
    MIN_TAKEOFF_M,
    CommandReply,
    DisarmArgs,
    ModeArgs,
    TakeoffArgs,
    VehicleArgs,
    run_command,
)
from embedded_api.deps import Operator, ServiceDep

router = APIRouter(prefix="/api/vehicle", tags=["vehicle"])

VehicleQuery = Annotated[int | None, Query(ge=1, le=255, description="system id; default: the active vehicle")]
REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such vehicle"},
    409: {"description": "refused by the vehicle or a safety rule; `result` holds the MAV_RESULT"},
    504: {"description": "no COMMAND_ACK after every retry"},
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DisarmBody(_Body):
    force: bool = Field(default=False, description="disarm even in flight (the autopilot's emergency stop)")


class TakeoffBody(_Body):
    altitude_m: float = Field(
        ..., ge=MIN_TAKEOFF_M, le=MAX_TAKEOFF_M, allow_inf_nan=False, description="height above home, metres"
    )


class ModeBody(_Body):
    mode: str = Field(..., min_length=1, max_length=32, description="flight mode name, e.g. POSCTL, GUIDED, LOITER")


@router.post("/arm", responses=REFUSALS)
def arm(service: ServiceDep, _: Operator, vehicle: VehicleQuery = None) -> CommandReply:
    """Arm the motors."""
    return CommandReply(**run_command(service, COMMANDS["arm"], VehicleArgs(vehicle=vehicle)))


@router.post("/disarm", responses=REFUSALS)
def disarm(
    service: ServiceDep, _: Operator, body: Annotated[DisarmBody | None, Body()] = None, vehicle: VehicleQuery = None
) -> CommandReply:
    """Disarm the motors (``force``: also in flight)."""
    args = DisarmArgs(vehicle=vehicle, force=body.force if body else False)
    return CommandReply(**run_command(service, COMMANDS["disarm"], args))


@router.post("/takeoff", responses=REFUSALS)
def takeoff(service: ServiceDep, _: Operator, body: TakeoffBody, vehicle: VehicleQuery = None) -> CommandReply:
    """Take off and climb to ``altitude_m`` above home (arm first)."""
    args = TakeoffArgs(vehicle=vehicle, altitude_m=body.altitude_m)
    return CommandReply(**run_command(service, COMMANDS["takeoff"], args))


@router.post("/land", responses=REFUSALS)
def land(service: ServiceDep, _: Operator, vehicle: VehicleQuery = None) -> CommandReply:
    """Land where the vehicle is."""
    return CommandReply(**run_command(service, COMMANDS["land"], VehicleArgs(vehicle=vehicle)))


@router.post("/rtl", responses=REFUSALS)
def rtl(service: ServiceDep, _: Operator, vehicle: VehicleQuery = None) -> CommandReply:
    """Return to launch."""
    return CommandReply(**run_command(service, COMMANDS["rtl"], VehicleArgs(vehicle=vehicle)))


@router.post("/hold", responses=REFUSALS)
def hold(service: ServiceDep, _: Operator, vehicle: VehicleQuery = None) -> CommandReply:
    """Hold position (the autopilot's loiter/hold mode)."""
    return CommandReply(**run_command(service, COMMANDS["hold"], VehicleArgs(vehicle=vehicle)))


@router.post("/mode", responses={**REFUSALS, 422: {"description": "a mode this autopilot does not have"}})
def mode(service: ServiceDep, _: Operator, body: ModeBody, vehicle: VehicleQuery = None) -> CommandReply:
    """Set a flight mode by name (the autopilot's own names)."""
    args = ModeArgs(vehicle=vehicle, mode=body.mode)
    return CommandReply(**run_command(service, COMMANDS["mode"], args))
