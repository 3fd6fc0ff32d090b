"""The built-in simulated multicopter: real MAVLink 2 over UDP, PX4 or ArduPilot flavour.

    sim = SimVehicle(SimConfig(flavour="px4", targets=(("127.0.0.1", 14550),)))
    sim.start()          # telemetry flows; a GCS may also dial udpout:127.0.0.1:<sim.port>
    ...
    sim.stop()

``python -m gcs.core.sim --help`` (or ``gcs-sim``) runs one from the command line.
"""

from __future__ import annotations

from gcs.core.sim.config import ReceivedSetpoint, SimConfig, SimSnapshot
from gcs.core.sim.vehicle import SimVehicle

__all__ = ["ReceivedSetpoint", "SimConfig", "SimSnapshot", "SimVehicle"]
