"""Missions, geofences and rally points: the MAVLink mission protocol, files and generators."""

from gcs.core.vehicle.mission.files import read_any, read_plan, read_waypoints, write_plan, write_waypoints
from gcs.core.vehicle.mission.generators import OrbitSpec, SurveySpec, orbit, survey
from gcs.core.vehicle.mission.model import (
    Home,
    Mission,
    MissionChange,
    MissionItem,
    MissionProgress,
    MissionReached,
    MissionType,
    command_name,
)
from gcs.core.vehicle.mission.protocol import MissionManager, MissionSettings

__all__ = [
    "Home", "Mission", "MissionChange", "MissionItem", "MissionManager", "MissionProgress", "MissionReached",
    "MissionSettings", "MissionType", "OrbitSpec", "SurveySpec", "command_name", "orbit", "read_any", "read_plan",
    "read_waypoints", "survey", "write_plan", "write_waypoints",
]
