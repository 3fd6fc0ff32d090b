"""The built-in simulated multicopter: real MAVLink 2 over UDP, PX4 or ArduPilot flavour.

    sim = SimVehicle(SimConfig(flavour="px4", targets=(("127.0.0.1", 14550),)))
    sim.start()          # telemetry flows; a GCS may also dial udpout:127.0.0.1:<sim.port>
    ...
    sim.stop()

``python -m gcs.core.sim --help`` (or ``gcs-sim``) runs one from the command line.

The names are imported lazily: the virtual camera lives in this package too, and importing it
should not cost pymavlink's import (~0.4 s) when no simulated vehicle is wanted.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gcs.core.sim.config import ReceivedSetpoint, SimConfig, SimSnapshot
    from gcs.core.sim.vehicle import SimVehicle

_WHERE = {
    "ReceivedSetpoint": "gcs.core.sim.config",
    "SimConfig": "gcs.core.sim.config",
    "SimSnapshot": "gcs.core.sim.config",
    "SimVehicle": "gcs.core.sim.vehicle",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["ReceivedSetpoint", "SimConfig", "SimSnapshot", "SimVehicle"]
