"""Import pymavlink with the wire settings we need; every core module imports mavlink from here.

pymavlink picks its dialect and wire version from environment variables read at import time.
We want MAVLink 2 on output (the v2 parser still accepts v1 frames, so mixed links work) and the
ardupilotmega dialect (common + ArduPilot extensions, which PX4 vehicles also speak).
"""

from __future__ import annotations

import os

os.environ.setdefault("MAVLINK20", "1")
os.environ.setdefault("MAVLINK_DIALECT", "ardupilotmega")

from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mavlink

MAVLink = mavlink.MAVLink
MAVLinkMessage = mavlink.MAVLink_message

GCS_SYSTEM_ID = 255
GCS_COMPONENT_ID = mavlink.MAV_COMP_ID_MISSIONPLANNER


def enum_name(enum: str, value: int, strip: str = "") -> str:
    """Name of a MAVLink enum value with its prefix stripped (MAV_RESULT_DENIED -> DENIED)."""
    entry = mavlink.enums.get(enum, {}).get(value)
    if entry is None:
        return f"{enum}({value})"
    name: str = entry.name
    prefix = strip or enum + "_"
    return name[len(prefix):] if name.startswith(prefix) else name


__all__ = ["GCS_COMPONENT_ID", "GCS_SYSTEM_ID", "MAVLink", "MAVLinkMessage", "enum_name", "mavlink", "mavutil"]
