"""Why MAVSDK's Mission plugin answers UNSUPPORTED on the ArduPilot flavour (mavsdk-grpc 4.0.5), and
what works: MissionRaw.

ArduPilot (the real ArduCopter SITL, and the simulator that copies it) keeps home as mission item 0 and
answers its items in the float frames: home MAV_FRAME_GLOBAL (0), waypoints MAV_FRAME_GLOBAL_RELATIVE_ALT
(3) inside MISSION_ITEM_INT. MAVSDK's Mission plugin converts a downloaded NAV_WAYPOINT/NAV_TAKEOFF only
when its frame is MAV_FRAME_GLOBAL_RELATIVE_ALT_INT (6) (``mission_impl.cpp``: "Waypoint frame not
supported unsupported"), so the very first item (home) ends the download with UNSUPPORTED; and its
upload does not leave item 0 to home, so ArduPilot overwrites the plan's first waypoint with home
(MAVSDK issues 1522 and 2023: the Mission plugin does not support ArduPilot; use MissionRaw). PX4 keeps
no home item and answers the frame it was sent (6 from MAVSDK): the plugin round-trips there.
MissionRaw with home at seq 0, as MAVSDK's own QGC-plan import writes for ArduPilot, uploads and
downloads the plan identical.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from mavsdk_grpc.mission import MissionError, MissionItem, MissionPlan
from mavsdk_grpc.mission_raw import MissionItem as RawItem

from gcs.core.mavlink_env import mavlink
from gcs.core.sim import SimVehicle
from tests.integration.third_party.clients import MavsdkServer
from tests.integration.third_party.test_third_party_mavsdk import connect

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
M = mavlink
NAN = float("nan")
WP = M.MAV_CMD_NAV_WAYPOINT
REL = M.MAV_FRAME_GLOBAL_RELATIVE_ALT
STEP_DEG = 2e-4  # about 22 m north per waypoint


def plan(lat: float, lon: float) -> MissionPlan:
    return MissionPlan([MissionItem(lat + STEP_DEG * k, lon, 10.0 + k, NAN, True, NAN, NAN,
                                    MissionItem.CameraAction.NONE, NAN, NAN, 1.0, NAN, NAN,
                                    MissionItem.VehicleAction.NONE) for k in (1, 2, 3)])


def waypoints(raw: list[RawItem]) -> list[tuple[int, int, float]]:
    return [(i.x, i.y, round(i.z, 2)) for i in raw if i.command == M.MAV_CMD_NAV_WAYPOINT]


def run(sim: SimVehicle, server: MavsdkServer, script: Callable[[Any], Any]) -> None:
    async def main() -> None:
        await script(await connect(server))

    try:
        asyncio.run(asyncio.wait_for(main(), 180))
    except BaseException:
        print(server.log()[-3000:])
        raise


def test_ardupilot_the_mission_plugin_is_unsupported_mission_raw_works(start_sim, start_mavsdk_server) -> None:
    sim = start_sim("ardupilot")
    server = start_mavsdk_server(sim)
    snap = sim.snapshot()
    wanted = [(round((snap.lat_deg + STEP_DEG * k) * 1e7), round(snap.lon_deg * 1e7), 10.0 + k) for k in (1, 2, 3)]

    async def script(drone: Any) -> None:
        await drone.mission.upload_mission(plan(snap.lat_deg, snap.lon_deg))  # "succeeds"...
        with pytest.raises(MissionError, match="UNSUPPORTED"):
            await drone.mission.download_mission()
        raw = await drone.mission_raw.download_mission()
        assert (raw[0].seq, raw[0].frame, raw[0].command) == (0, M.MAV_FRAME_GLOBAL, M.MAV_CMD_NAV_WAYPOINT)
        assert raw[0].x == round(snap.lat_deg * 1e7)  # ...but item 0 is home: the first waypoint is gone
        assert waypoints(raw[1:]) == wanted[1:]
        assert {i.frame for i in raw if i.command == WP and i.seq} == {REL}  # 3, not 6

        home = RawItem(0, M.MAV_FRAME_GLOBAL, WP, 1, 1, 0, 0, 0, 0, raw[0].x, raw[0].y, raw[0].z, 0)  # current=1
        items = [home] + [RawItem(n, REL, WP, 0, 1, 0, 0, 0, 0, x, y, z, 0) for n, (x, y, z) in enumerate(wanted, 1)]
        await drone.mission_raw.upload_mission(items)
        back = await drone.mission_raw.download_mission()
        assert waypoints(back[1:]) == wanted and len(back) == 4

    run(sim, server, script)
    assert "Waypoint frame not supported" in server.log()
    print("MAVSDK ardupilot: Mission.download_mission UNSUPPORTED at item 0 (home, MAV_FRAME_GLOBAL); "
          "Mission.upload lost its first waypoint to home; MissionRaw with home at 0 round-trips 3 of 3")


def test_px4_the_mission_plugin_round_trips(start_sim, start_mavsdk_server) -> None:
    sim = start_sim("px4")
    server = start_mavsdk_server(sim)
    snap = sim.snapshot()

    async def script(drone: Any) -> None:
        sent = plan(snap.lat_deg, snap.lon_deg)
        await drone.mission.upload_mission(sent)
        back = await drone.mission.download_mission()
        assert [(round(i.latitude_deg, 7), round(i.longitude_deg, 7), i.relative_altitude_m)
                for i in back.mission_items] == [(round(i.latitude_deg, 7), round(i.longitude_deg, 7),
                                                  i.relative_altitude_m) for i in sent.mission_items]
        raw = await drone.mission_raw.download_mission()
        assert {i.frame for i in raw if i.command == M.MAV_CMD_NAV_WAYPOINT} == {M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT}

    run(sim, server, script)
