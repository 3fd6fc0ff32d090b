"""Mission files (QGC .plan, Mission Planner/MAVProxy .waypoints) round-trip; corrupt files say why;
the orbit and survey generators put their points where they say."""

from __future__ import annotations

import json
import math

import pytest

from gcs.core.errors import MissionInvalid
from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.mission import (
    Home,
    Mission,
    MissionItem,
    MissionType,
    OrbitSpec,
    SurveySpec,
    orbit,
    read_any,
    read_plan,
    read_waypoints,
    survey,
    write_plan,
    write_waypoints,
)
from gcs.core.vehicle.mission.generators import distance_m
from tests.conftest import ROOT

M = mavlink
SITL_FILE = ROOT / "tests" / "data" / "missions" / "sitl_five_waypoints.waypoints"
# As MAVProxy's "wp save" writes it (%f everywhere, MISSION frame for DO items)
MAVPROXY = """QGC WPL 110
0\t1\t0\t16\t0.000000\t0.000000\t0.000000\t0.000000\t-35.363262\t149.165237\t584.090000\t1
1\t0\t3\t22\t0.000000\t0.000000\t0.000000\t0.000000\t0.000000\t0.000000\t20.000000\t1
2\t0\t3\t16\t0.000000\t0.000000\t0.000000\t0.000000\t-35.361354\t149.165218\t100.000000\t1
3\t0\t2\t178\t0.000000\t5.000000\t-1.000000\t0.000000\t0.000000\t0.000000\t0.000000\t1
4\t0\t3\t20\t0.000000\t0.000000\t0.000000\t0.000000\t0.000000\t0.000000\t0.000000\t1
"""


def test_the_sitl_file_reads_home_and_seven_items_and_writes_back_identically() -> None:
    mission = read_waypoints(SITL_FILE.read_text())
    assert mission.home == Home(-35.363261, 149.16523, 584.0)
    assert [i.command for i in mission.items] == [22] + [16] * 5 + [20]
    again = read_waypoints(write_waypoints(mission))
    assert again.home == mission.home and again.matches(mission) and again.items == mission.items


def test_mavproxy_lines_read_and_every_format_round_trips_exactly() -> None:
    mission = read_waypoints(MAVPROXY)
    assert mission.items[2] == MissionItem(178, 2, 0.0, 5.0, -1.0, 0.0, 0.0, 0.0, 0.0)
    assert mission.items[1].x == -35.361354 and mission.items[1].z == 100.0
    plan = write_plan({MissionType.MISSION: mission})
    back = read_plan(plan)[MissionType.MISSION]
    assert back.items == mission.items and back.home == mission.home
    assert json.loads(plan)["mission"]["plannedHomePosition"] == [-35.363262, 149.165237, 584.09]


def test_a_plan_with_fence_and_rally_round_trips() -> None:
    fence = Mission(MissionType.FENCE, (
        *[MissionItem(M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, 0, 3.0, x=47.0 + k * 1e-3, y=8.0,
                      autocontinue=False) for k in range(3)],
        MissionItem(M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION, 0, 15.0, x=47.1, y=8.1, autocontinue=False),
    ))
    rally = Mission(MissionType.RALLY, (MissionItem(M.MAV_CMD_NAV_RALLY_POINT, 3, x=47.2, y=8.2, z=30.0,
                                                    autocontinue=False),))
    lists = read_plan(write_plan({MissionType.FENCE: fence, MissionType.RALLY: rally}))
    assert lists[MissionType.FENCE].items == fence.items
    assert lists[MissionType.RALLY].items == rally.items
    assert lists[MissionType.MISSION].items == ()


def test_nan_params_are_json_null_in_a_plan_and_come_back_nan() -> None:
    item = MissionItem(M.MAV_CMD_NAV_WAYPOINT, 3, param4=math.nan, x=47.0, y=8.0, z=10.0)
    text = write_plan({MissionType.MISSION: Mission(items=(item,))})
    assert "NaN" not in text and json.loads(text)["mission"]["items"][0]["params"][3] is None
    back = read_plan(text)[MissionType.MISSION].items[0]
    assert math.isnan(back.param4) and back.matches(item)


@pytest.mark.parametrize(("content", "words"), [
    ("", "empty waypoints file"),
    ("hello\n", "not a waypoints file"),
    ("QGC WPL 100\n", "only 110"),
    ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\n", "line 2: expected 12"),
    ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\tabc\t8\t500\t1\n", "line 2: not a number"),
    ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t47\t8\t500\t1\n2\t0\t3\t16\t0\t0\t0\t0\t47\t8\t10\t1\n",
     "line 3: item number 2 out of order"),
    ("{\"fileType\": \"Plan\", \"mission\": {\"items\": [", "invalid JSON at line 1"),
    ("{\"fileType\": \"Parameters\"}", "no \"fileType\": \"Plan\""),
    ('{"fileType": "Plan", "mission": {"items": [{"type": "ComplexItem", "complexItemType": "survey"}]}}',
     "complex item 'survey' is not supported"),
    ('{"fileType": "Plan", "mission": {"items": [{"type": "SimpleItem", "command": 16, "params": [1]}]}}',
     "mission item 1: 'params' must be a list of 7"),
    ("{\"fileType\": \"Plan\", \"geoFence\": {\"polygons\": [{\"polygon\": [[1, 2]]}]}}", "at least 3"),
])
def test_corrupt_files_are_refused_with_the_line_and_the_reason(content: str, words: str) -> None:
    with pytest.raises(MissionInvalid, match=words):
        read_any(content, "x.plan" if content.startswith("{") else "x.waypoints")


def test_orbit_points_lie_on_the_circle_round_the_centre_facing_it() -> None:
    spec = OrbitSpec(47.397742, 8.545594, radius_m=30.0, alt_m=20.0, points=6, turns=2)
    mission = orbit(spec)
    names = [i.name for i in mission.items]
    assert names[:2] == ["NAV_TAKEOFF", "DO_SET_ROI_LOCATION"] and names[-2:] == ["DO_SET_ROI_NONE",
                                                                                   "NAV_RETURN_TO_LAUNCH"]
    wps = [i for i in mission.items if i.command == M.MAV_CMD_NAV_WAYPOINT]
    assert len(wps) == 13  # two turns of six, closed
    for wp in wps:
        assert distance_m(spec.lat_deg, spec.lon_deg, wp.x, wp.y) == pytest.approx(30.0, abs=0.05)
        assert wp.z == 20.0
    assert wps[0].x > spec.lat_deg and wps[1].y > spec.lon_deg  # starts north, then clockwise (east)


def test_survey_legs_cover_the_rectangle_spacing_apart() -> None:
    spec = SurveySpec(47.397742, 8.545594, length_m=100, width_m=60, heading_deg=90, spacing_m=20, alt_m=30)
    wps = [i for i in survey(spec).items if i.command == M.MAV_CMD_NAV_WAYPOINT]
    assert len(wps) == 8  # 4 legs
    for a, b in zip(wps[0::2], wps[1::2], strict=True):  # each leg runs east-west, 100 m long
        assert distance_m(a.x, a.y, b.x, b.y) == pytest.approx(100.0, abs=0.05)
        assert a.x == pytest.approx(b.x, abs=1e-7)
    assert distance_m(wps[1].x, wps[1].y, wps[2].x, wps[2].y) == pytest.approx(20.0, abs=0.05)
    assert wps[0].y < wps[1].y and wps[2].y > wps[3].y  # ends alternate (lawnmower)


@pytest.mark.parametrize("bad", [dict(radius_m=0.5), dict(points=2), dict(alt_m=900), dict(finish="fly away")])
def test_generators_refuse_what_cannot_be_flown(bad: dict[str, object]) -> None:
    with pytest.raises(MissionInvalid):
        orbit(OrbitSpec(47.0, 8.0, **bad))  # type: ignore[arg-type]


@pytest.mark.parametrize(("item", "words"), [
    (MissionItem(16, 10, x=1.7976931348623155e308), "latitude/longitude"),
    (MissionItem(16, 3, x=91.0, y=0.0), "latitude/longitude"),
    (MissionItem(16, 21, x=1.05e50), "int32"),
    (MissionItem(16, 3, param2=1.43e210), "float32"),
    (MissionItem(16, 3, z=math.inf), "float32"),
    (MissionItem(16, 10**12, x=47.0, y=8.0), "frame"),  # a .plan's frame is any JSON integer
    (MissionItem(70000, 3, x=47.0, y=8.0), "command"),
])
def test_items_no_mission_item_int_can_carry_say_why(item: MissionItem, words: str) -> None:
    problem = item.problem()
    assert problem is not None and words in problem


def test_nan_params_and_the_vehicles_own_position_are_fine() -> None:
    assert MissionItem(16, 3, param4=math.nan, z=10).problem() is None  # NaN yaw: "keep heading"
    assert MissionItem(16, 3, x=0.0, y=0.0, z=10).problem() is None
    assert MissionItem(178, 2, param2=5.0, x=math.nan).problem() is None


def test_file_numbers_that_break_int_are_refused_or_survive_export() -> None:
    """Regressions (500s): int(float("inf")) for a .waypoints autocontinue; int(NaN) for a fence's vertex count."""
    row = "1\t0\t3\t16\t0\t0\t0\t0\t47.1\t8.1\t10\t{}\n"
    text = "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t47.0\t8.0\t500\t1\n" + row.format("inf")
    with pytest.raises(MissionInvalid, match="line 3: not a number"):
        read_waypoints(text)
    fence = Mission(MissionType.FENCE, (MissionItem(5001, 0, math.nan, x=47.0, y=8.0, autocontinue=False),))
    plan = json.loads(write_plan({MissionType.FENCE: fence}))
    assert plan["geoFence"]["polygons"][0]["polygon"] == [[47.0, 8.0]]
