"""Entering and leaving offboard (PX4) / guided (ArduPilot) control around the commander.

PX4 only accepts OFFBOARD while setpoints are already streaming, so the stream starts first and
the mode switch follows ~0.6 s later; ArduPilot takes GUIDED first. Either way a refused mode
switch leaves nothing streaming. Leaving always ends in the flavour's hold mode.
"""

from __future__ import annotations

import logging
import time

from gcs.core.errors import CommandError, CommandRejected
from gcs.core.models import CommandResult
from gcs.core.vehicle.commander import Commander
from gcs.core.vehicle.vehicle import Vehicle

log = logging.getLogger(__name__)

PRESTREAM_S = 0.6  # PX4 wants a live setpoint stream (> 2 Hz) before it accepts OFFBOARD


def start_offboard(commander: Commander, vehicle: Vehicle) -> CommandResult:
    """Engage the setpoint stream and put the vehicle in its offboard mode, or leave it as it was."""
    state = vehicle.state
    flavour = vehicle.flavour
    if not state.armed:
        raise CommandRejected("offboard refused: the vehicle is not armed", "OFFBOARD", "LOCAL_REFUSAL")
    current = commander.engaged_vehicle
    if current is not None and current is not vehicle:
        raise CommandRejected(
            f"offboard already engaged on vehicle {current.system_id}; stop it first", "OFFBOARD", "LOCAL_REFUSAL"
        )
    mode = flavour.offboard_mode(state.mav_type)
    if flavour.needs_setpoints_before_offboard:
        commander.engage(vehicle)
        time.sleep(PRESTREAM_S)
        try:
            result = vehicle.set_mode(mode)
        except CommandError:
            commander.disengage(f"{mode} refused")
            raise
    else:
        result = vehicle.set_mode(mode)
        commander.engage(vehicle)
    commander.require_mode(mode)
    return CommandResult(result.command, True, result.result, f"{mode} engaged: streaming setpoints")


def stop_offboard(commander: Commander, vehicle: Vehicle, reason: str = "operator stop") -> CommandResult:
    """Stop the stream, then ask the vehicle to hold where it is."""
    commander.disengage(reason)
    result = vehicle.hold()
    return CommandResult(result.command, True, result.result, f"setpoints stopped ({reason}); holding")
