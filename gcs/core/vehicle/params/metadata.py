"""Offline parameter metadata: description, units, range and default of the parameters we know about.

Nothing is downloaded, at run time or at build time. Neither pymavlink nor MAVProxy ship any
(MAVProxy's ``param download`` fetches ArduPilot's apm.pdef.xml from the internet; QGC compiles its
own copies in), so Kestrel ships small JSON files (``metadata/``) written from the autopilots'
parameter documentation for the parameters a camera-drone pilot tunes and the simulator flies by:
speeds, climb and descent rates, RTL, landing, geofence, battery, failsafes, arming. A parameter
without an entry has no metadata: it is shown and set with its type's checks only.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from gcs.core.vehicle.params.model import ParamMeta

FOLDER = Path(__file__).with_name("metadata")
FILES = {"ardupilot": "ardupilot_copter.json", "px4": "px4.json"}


def _meta(entry: dict[str, Any]) -> ParamMeta:
    values = tuple(sorted((int(code), str(label)) for code, label in entry.get("values", {}).items()))
    return ParamMeta(
        description=str(entry.get("description", "")),
        units=str(entry.get("units", "")),
        min=entry.get("min"),
        max=entry.get("max"),
        default=entry.get("default"),
        increment=entry.get("increment"),
        values=values,
        reboot_required=bool(entry.get("reboot_required", False)),
    )


@cache
def metadata_for(autopilot: str) -> dict[str, ParamMeta]:
    """Name -> metadata for ``autopilot`` ("ardupilot" or "px4"); empty for any other."""
    name = FILES.get(autopilot)
    if name is None:
        return {}
    data = json.loads((FOLDER / name).read_text(encoding="utf-8"))
    return {key: _meta(entry) for key, entry in data["params"].items()}
