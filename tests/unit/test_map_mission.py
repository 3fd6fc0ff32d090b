"""The map's mission layer: waypoints numbered as planned, fence shapes and rally points (pure), and
the map tracker's version that tells the stream's light snapshot when the lists changed.
"""

from __future__ import annotations

from gcs.core.bus import MessageBus, Topics
from gcs.core.map.estimate import CameraMount
from gcs.core.map.mission_layer import mission_layer
from gcs.core.map.model import MapMission, MapTiles
from gcs.core.map.tracker import MapInputs, MapTracker
from gcs.core.mavlink_env import mavlink
from gcs.core.models import VehicleState
from gcs.core.vehicle.commander import CommanderStatus
from gcs.core.vehicle.mission import Mission, MissionChange, MissionItem, MissionType

M = mavlink
REL = M.MAV_FRAME_GLOBAL_RELATIVE_ALT
LAT, LON = 47.3977, 8.5456


def _wp(command: int, dn: float, de: float, z: float = 10.0, p1: float = 0.0, frame: int = REL) -> MissionItem:
    return MissionItem(command, frame, p1, x=LAT + dn if (dn or de) else 0.0, y=LON + de if (dn or de) else 0.0, z=z)


def test_waypoints_keep_the_pilots_numbers_and_the_vehicles_seq() -> None:
    items = (_wp(M.MAV_CMD_NAV_TAKEOFF, 0, 0), _wp(M.MAV_CMD_NAV_WAYPOINT, 1e-4, 0),
             _wp(M.MAV_CMD_DO_CHANGE_SPEED, 0, 0),
             _wp(M.MAV_CMD_NAV_WAYPOINT, 1e-4, 1e-4, 12.0), _wp(M.MAV_CMD_DO_SET_ROI, 2e-4, 2e-4, 0.0),
             _wp(M.MAV_CMD_NAV_LOITER_TIME, 0, 1e-4), _wp(M.MAV_CMD_NAV_RETURN_TO_LAUNCH, 0, 0))
    ardupilot = mission_layer(Mission(MissionType.MISSION, items, seq_offset=1), None, None, current_seq=4)
    assert [(w.number, w.seq, w.on_path) for w in ardupilot.items] == [(2, 2, True), (4, 4, True), (5, 5, False),
                                                                     (6, 6, True)]
    assert ardupilot.current_seq == 4 and ardupilot.items[1].alt_m == 12.0
    assert ardupilot.items[2].command == "DO_SET_ROI"
    px4 = mission_layer(Mission(MissionType.MISSION, items), None, None, current_seq=3)
    assert [(w.number, w.seq) for w in px4.items] == [(2, 1), (4, 3), (5, 4), (6, 5)], "PX4 counts from 0"
    assert mission_layer(None, None, None).empty


def test_fence_polygons_circles_return_point_and_rally() -> None:
    g = M.MAV_FRAME_GLOBAL
    incl, excl = M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
    square = [_wp(incl, dn, de, 0, 4.0, g) for dn, de in ((1e-3, 1e-3), (1e-3, -1e-3), (-1e-3, -1e-3), (-1e-3, 1e-3))]
    tri = [_wp(excl, dn, de, 0, 3.0, g) for dn, de in ((1e-4, 0), (0, 1e-4), (-1e-4, 0))]
    second_square = [_wp(incl, dn * 2, de * 2, 0, 4.0, g) for dn, de in ((1e-3, 1e-3), (1e-3, -1e-3), (-1e-3, -1e-3),
                                                                       (-1e-3, 1e-3))]
    fence = Mission(MissionType.FENCE, (
        *square, *second_square, *tri, _wp(M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION, 5e-4, 0, 0, 15.0, g),
        _wp(M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION, 0, 0, 0, 0.0, g),  # no place: not drawn
        _wp(M.MAV_CMD_NAV_FENCE_RETURN_POINT, -2e-4, 0, 20.0, 0.0, g),
    ))
    rally = Mission(MissionType.RALLY, (_wp(M.MAV_CMD_NAV_RALLY_POINT, 3e-4, 0, 25.0),
                                        _wp(M.MAV_CMD_NAV_RALLY_POINT, 0, -3e-4, 30.0)))
    layer = mission_layer(None, fence, rally)
    assert [(p.inclusion, len(p.points)) for p in layer.polygons] == [(True, 4), (True, 4), (False, 3)], \
        "back-to-back polygons of one kind split by their vertex count"
    assert layer.polygons[0].points[0] == (LAT + 1e-3, LON + 1e-3)
    assert [(c.inclusion, c.radius_m) for c in layer.circles] == [(False, 15.0)]
    assert layer.fence_return == (LAT - 2e-4, LON)
    assert [(r.number, r.alt_m) for r in layer.rally] == [(1, 25.0), (2, 30.0)]
    short = mission_layer(None, Mission(MissionType.FENCE, tuple(square[:3])), None)
    assert [len(p.points) for p in short.polygons] == [3], "a polygon cut short is drawn as far as it goes"


def test_the_stream_snapshot_leaves_the_lists_out_and_its_version_says_when_they_changed() -> None:
    bus = MessageBus()
    inputs = MapInputs(vehicles=lambda: [(VehicleState(system_id=1), False, None)], active_id=lambda: 1,
                       target=lambda: None, mount=lambda: CameraMount(640, 480, 90.0, 45.0),
                       commander=lambda: CommanderStatus(False, None, 20.0, 0.5, 0, False, None, None, ""),
                       geofence=lambda: (0.0, 0.0), tiles=lambda: MapTiles("grid", "", 19, ""))
    tracker = MapTracker(bus, inputs)
    try:
        layer = mission_layer(Mission(items=(_wp(M.MAV_CMD_NAV_WAYPOINT, 1e-4, 0),)), None, None, current_seq=0)
        tracker.mission_source = lambda sysid: layer if sysid == 1 else MapMission()
        full, light = tracker.snapshot(), tracker.snapshot(trails=False)
        assert len(full.mission.items) == 1 and full.mission.lists and full.mission.current_seq == 0
        assert light.mission.items == () and not light.mission.lists and light.mission.current_seq == 0
        before = light.mission.version
        bus.publish(Topics.MISSION_CHANGED, MissionChange(1, MissionType.MISSION, "uploaded"))
        assert tracker.snapshot(trails=False).mission.version == before + 1 == tracker.snapshot().mission.version
    finally:
        tracker.close()
