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
    GotoArgs,
    ModeArgs,
    TakeoffArgs,
    VehicleArgs,
    run_command,
)
from embedded_api.deps import Operator, ServiceDep, Viewer

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
    force: bool = Field(default=False, description="override the autopilot's checks (its emergency motor stop)")
    confirm_in_flight: bool = Field(
        default=False, description="disarm although the vehicle is flying (it falls); without it: 409 in flight"
    )


class TakeoffBody(_Body):
    altitude_m: float = Field(
        ..., ge=MIN_TAKEOFF_M, le=MAX_TAKEOFF_M, allow_inf_nan=False, description="height above home, metres"
    )


class GotoBody(_Body):
    lat_deg: float = Field(..., ge=-90, le=90, allow_inf_nan=False, description="latitude, WGS84 degrees")
    lon_deg: float = Field(..., ge=-180, le=180, allow_inf_nan=False, description="longitude, WGS84 degrees")
    alt_rel_m: float | None = Field(
        default=None, allow_inf_nan=False, description="height above home, metres; default: the height it flies at"
    )


class ModeBody(_Body):
    mode: str = Field(..., min_length=1, max_length=32, description="flight mode name, e.g. POSCTL, GUIDED, LOITER")


@router.get("/modes", responses={404: {"description": "no such vehicle"}})
def modes(service: ServiceDep, _: Viewer, vehicle: VehicleQuery = None) -> dict[str, Any]:
    """The vehicle's flight modes: name, kind (holds/moves/sticks), what it does, whether to confirm it now."""
    return service.flight_modes(vehicle).plain()


@router.post("/arm", responses=REFUSALS)
def arm(service: ServiceDep, caller: Operator, vehicle: VehicleQuery = None) -> CommandReply:
    """Arm the motors."""
    return CommandReply(**run_command(service, COMMANDS["arm"], VehicleArgs(vehicle=vehicle), caller))


@router.post("/disarm", responses=REFUSALS)
def disarm(
    service: ServiceDep,
    caller: Operator,
    body: Annotated[DisarmBody | None, Body()] = None,
    vehicle: VehicleQuery = None,
) -> CommandReply:
    """Disarm the motors; in flight only with ``confirm_in_flight`` (else 409), ``force`` to override checks."""
    body = body or DisarmBody()
    args = DisarmArgs(vehicle=vehicle, force=body.force, confirm_in_flight=body.confirm_in_flight)
    return CommandReply(**run_command(service, COMMANDS["disarm"], args, caller))


@router.post("/takeoff", responses=REFUSALS)
def takeoff(service: ServiceDep, caller: Operator, body: TakeoffBody, vehicle: VehicleQuery = None) -> CommandReply:
    """Take off and climb to ``altitude_m`` above home (arm first)."""
    args = TakeoffArgs(vehicle=vehicle, altitude_m=body.altitude_m)
    return CommandReply(**run_command(service, COMMANDS["takeoff"], args, caller))


@router.post("/land", responses=REFUSALS)
def land(service: ServiceDep, caller: Operator, vehicle: VehicleQuery = None) -> CommandReply:
    """Land where the vehicle is."""
    return CommandReply(**run_command(service, COMMANDS["land"], VehicleArgs(vehicle=vehicle), caller))


@router.post("/rtl", responses=REFUSALS)
def rtl(service: ServiceDep, caller: Operator, vehicle: VehicleQuery = None) -> CommandReply:
    """Return to launch."""
    return CommandReply(**run_command(service, COMMANDS["rtl"], VehicleArgs(vehicle=vehicle), caller))


@router.post("/hold", responses=REFUSALS)
def hold(service: ServiceDep, caller: Operator, vehicle: VehicleQuery = None) -> CommandReply:
    """Hold position (the autopilot's loiter/hold mode)."""
    return CommandReply(**run_command(service, COMMANDS["hold"], VehicleArgs(vehicle=vehicle), caller))


@router.post("/mode", responses={**REFUSALS, 422: {"description": "a mode this autopilot does not have"}})
def mode(service: ServiceDep, caller: Operator, body: ModeBody, vehicle: VehicleQuery = None) -> CommandReply:
    """Set a flight mode by name (the autopilot's own names)."""
    args = ModeArgs(vehicle=vehicle, mode=body.mode)
    return CommandReply(**run_command(service, COMMANDS["mode"], args, caller))


@router.post("/goto", responses=REFUSALS)
def goto(service: ServiceDep, caller: Operator, body: GotoBody, vehicle: VehicleQuery = None) -> CommandReply:
    """Fly to a point and hold there (the map's click-to-fly): 409 on the ground, for a replay, outside the geofence."""
    args = GotoArgs(vehicle=vehicle, lat_deg=body.lat_deg, lon_deg=body.lon_deg, alt_rel_m=body.alt_rel_m)
    return CommandReply(**run_command(service, COMMANDS["goto"], args, caller))
