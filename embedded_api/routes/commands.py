"""Follow/offboard commands under the names pilots' scripts already use (operator role).

``start_offboard_mode`` starts the fixed-rate setpoint stream and puts the vehicle in OFFBOARD
(PX4) or GUIDED (ArduPilot); ``stop_offboard_mode`` ends it and holds; ``abort`` stops all motion
at once and holds, whatever else is going on. Tracking commands join when the tracker is wired in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from embedded_api.commands import COMMANDS, CommandReply, NoArgs, StopOffboardArgs, VehicleArgs, run_command
from embedded_api.deps import Operator, ServiceDep
from embedded_api.routes.vehicle import REFUSALS

router = APIRouter(prefix="/commands", tags=["follow"])


@router.post("/start_offboard_mode", responses=REFUSALS)
def start_offboard_mode(
    service: ServiceDep,
    caller: Operator,
    vehicle: Annotated[int | None, Query(ge=1, le=255, description="system id; default: the active vehicle")] = None,
) -> CommandReply:
    """Start the setpoint stream and enter OFFBOARD (PX4) or GUIDED (ArduPilot)."""
    return CommandReply(**run_command(service, COMMANDS["start_offboard_mode"], VehicleArgs(vehicle=vehicle), caller))


@router.post("/stop_offboard_mode", responses=REFUSALS)
def stop_offboard_mode(
    service: ServiceDep, caller: Operator, body: Annotated[StopOffboardArgs | None, Body()] = None
) -> CommandReply:
    """Stop the setpoint stream and hold."""
    args = body or StopOffboardArgs()
    return CommandReply(**run_command(service, COMMANDS["stop_offboard_mode"], args, caller))


@router.post("/abort", responses=REFUSALS)
def abort(service: ServiceDep, caller: Operator) -> CommandReply:
    """Stop all motion now and hold."""
    return CommandReply(**run_command(service, COMMANDS["abort"], NoArgs(), caller))
