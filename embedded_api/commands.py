"""The command table (``gcs.core.command_specs``) as the API uses it: the reply model and the call.

The REST routes (``routes/vehicle.py``, ``routes/commands.py``) and the WebSocket handler look
commands up in the core's table, as the fleet's MQTT command topics do, so no face can drift.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from gcs.core.command_specs import (
    COMMANDS,
    MAX_TAKEOFF_M,
    MIN_TAKEOFF_M,
    CommandSpec,
    DisarmArgs,
    GotoArgs,
    ModeArgs,
    NoArgs,
    StopOffboardArgs,
    TakeoffArgs,
    VehicleArgs,
)
from gcs.core.serialize import to_plain
from gcs.core.service import GcsService
from gcs.core.tokens import Principal

__all__ = ["COMMANDS", "MAX_TAKEOFF_M", "MIN_TAKEOFF_M", "CommandReply", "CommandSpec", "DisarmArgs", "GotoArgs",
           "ModeArgs", "NoArgs", "StopOffboardArgs", "TakeoffArgs", "VehicleArgs", "run_command"]  # fmt: skip


class CommandReply(BaseModel):
    """What became of a command (the core's CommandResult)."""

    command: str = Field(description="MAVLink command or action, e.g. ARM, SET_MODE, OFFBOARD")
    success: bool
    result: str = Field(description="MAV_RESULT name (ACCEPTED, DENIED, ...), TIMEOUT or LOCAL_REFUSAL")
    message: str = ""


def run_command(
    service: GcsService, spec: CommandSpec, args: BaseModel, caller: Principal | None = None
) -> dict[str, Any]:
    """Make the service call (blocks until COMMAND_ACK); GcsError subclasses propagate to the face.

    On a relay (``gcs relay --commands``) a command for a relayed vehicle goes instead, with the
    caller's own token, to the GCS that flies it, whose answer or refusal comes back the same way."""
    relay = service.fleet_relay
    if relay is not None and relay.commands and caller is not None:
        plain = args.model_dump()
        vehicle = plain.get("vehicle") if "vehicle" in plain else None
        target = vehicle if vehicle is not None else service.active_vehicle_id
        if target is not None and service.vehicle_origin(target) is not None:
            outcome = service.forward_command(spec.name, plain, caller.token, target)
            return dict(to_plain(outcome))
    result: dict[str, Any] = to_plain(spec.run(service, args))
    return result
