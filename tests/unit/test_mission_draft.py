"""The draft shared by the Missions dock and the map: a waypoint clicked on the map goes before the
closing RTL/land, a drag keeps the altitude, and every view hears each edit."""

from __future__ import annotations

import pytest

from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.mission import Mission, MissionItem
from gcs.core.vehicle.mission.draft import MissionDraft

M = mavlink
REL = M.MAV_FRAME_GLOBAL_RELATIVE_ALT


def test_add_before_the_end_move_keeps_altitude_and_tells_every_view() -> None:
    heard: list[int] = []
    draft = MissionDraft()
    draft.subscribe(lambda d: heard.append(len(d.items)))
    draft.set(Mission(items=(MissionItem(M.MAV_CMD_NAV_TAKEOFF, REL, z=10.0),
                             MissionItem(M.MAV_CMD_NAV_RETURN_TO_LAUNCH, REL)), seq_offset=1), dirty=False)
    assert not draft.dirty
    at = draft.add_waypoint(47.4, 8.5, 22.0)
    assert at == 1 and draft.dirty and [i.command for i in draft.items] == [
        M.MAV_CMD_NAV_TAKEOFF, M.MAV_CMD_NAV_WAYPOINT, M.MAV_CMD_NAV_RETURN_TO_LAUNCH]
    draft.move(1, 47.401, 8.502)
    assert (draft.items[1].x, draft.items[1].y, draft.items[1].z) == (47.401, 8.502, 22.0)
    draft.move(0, 1.0, 1.0)  # the takeoff has no place: not moved, nobody told
    assert draft.items[0].x == 0.0 and draft.mission.seq_offset == 1
    assert heard == [2, 3, 3] and [n for n, _ in draft.placed()] == [1]


def test_a_fence_clicked_counts_its_vertices_and_rally_points_keep_their_height() -> None:
    from gcs.core.vehicle.mission import MissionType

    fence = MissionDraft(Mission(MissionType.FENCE))
    for k in range(3):
        fence.add_point(47.0 + k * 1e-4, 8.0, 30.0)
    fence.add_circle(47.0, 8.0, 40.0, inclusion=False)
    fence.add_point(47.0, 8.001, 30.0)  # joins the polygon, before the circle
    commands = [i.command for i in fence.items]
    assert commands == [M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION] * 4 + [M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION]
    assert [i.param1 for i in fence.items] == [4.0, 4.0, 4.0, 4.0, 40.0] and fence.items[0].z == 0.0
    fence.set_items(fence.items[1:])  # a vertex deleted in the table: the others say 3
    assert [i.param1 for i in fence.items[:3]] == [3.0, 3.0, 3.0]
    rally = MissionDraft(Mission(MissionType.RALLY))
    rally.add_point(47.0, 8.0, 25.0)
    assert [(i.command, i.z, i.autocontinue) for i in rally.items] == [(M.MAV_CMD_NAV_RALLY_POINT, 25.0, False)]


def test_two_polygons_one_keep_out_each_counts_its_own_vertices() -> None:
    from gcs.core.errors import MissionInvalid
    from gcs.core.vehicle.mission import MissionType
    from gcs.core.vehicle.mission.draft import polygons

    fence = MissionDraft(Mission(MissionType.FENCE))
    for k in range(4):
        fence.add_point(47.0 + k * 1e-4, 8.0, 0.0)
    fence.choose_polygon(inclusion=False)
    assert fence.starts_polygon
    for k in range(3):
        fence.add_point(47.0001 + k * 1e-5, 8.00005, 0.0)
    assert [(p.start, p.count, p.inclusion) for p in polygons(fence.items)] == [(0, 4, True), (4, 3, False)]
    assert [i.param1 for i in fence.items] == [4.0] * 4 + [3.0] * 3
    assert fence.items[4].command == M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
    fence.choose_polygon(inclusion=True)  # back to stay-inside: more vertices on the first polygon
    fence.add_point(47.0, 8.0002, 0.0)
    assert [i.param1 for i in fence.items] == [5.0] * 5 + [3.0] * 3
    fence.set_items(fence.items[:5] + fence.items[6:])  # a keep-out vertex deleted in the table
    assert [i.param1 for i in fence.items] == [5.0] * 5 + [2.0] * 2
    fence.choose_polygon(inclusion=False, new=True)  # a second keep-out would touch the first: refused
    with pytest.raises(MissionInvalid, match="would join it"):
        fence.add_point(47.0, 8.0, 0.0)
    fence.add_circle(47.0, 8.0, 30.0, inclusion=False)
    fence.add_point(47.1, 8.1, 0.0)  # after the circle: a polygon of its own
    assert [(p.count, p.inclusion) for p in polygons(fence.items)] == [(5, True), (2, False), (1, False)]
    assert not fence.starts_polygon


def test_a_circle_radius_is_edited_and_a_bad_one_refused() -> None:
    from gcs.core.errors import MissionInvalid
    from gcs.core.vehicle.mission import MissionType

    fence = MissionDraft(Mission(MissionType.FENCE, seq_offset=1))
    fence.add_point(47.0, 8.0, 0.0)
    at = fence.add_circle(47.0, 8.0, 50.0)
    fence.set_radius(at, 75.5)
    assert fence.items[at].param1 == 75.5 and fence.items[0].param1 == 1.0
    for bad in (0.0, -3.0, float("nan"), float("inf")):
        with pytest.raises(MissionInvalid, match="not a radius"):
            fence.set_radius(at, bad)
    with pytest.raises(MissionInvalid, match="item 1 is not a fence circle"):
        fence.set_radius(0, 10.0)
    assert fence.items[at].param1 == 75.5
