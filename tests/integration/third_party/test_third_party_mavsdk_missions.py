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
from gcs.core.vehicle.mission.generators import distance_m
from tests.integration.third_party.clients import MavsdkServer
from tests.integration.third_party.test_third_party_mavsdk import connect, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
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


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_mavsdk_uploads_and_flies_a_mission(flavour: str, start_sim, start_mavsdk_server) -> None:
    """What a MAVSDK script does: upload (PX4: the Mission plugin; ArduPilot: MissionRaw with home at 0 and
    a takeoff, as it needs), arm, start, and wait for the mission's RTL to land and disarm. The
    simulator's true track passes each waypoint within 3 m. On ArduPilot MAVSDK's start_mission is a
    mode change to AUTO, and ArduCopter in AUTO on the ground waits for throttle ("auto armed"; only
    MAV_CMD_MISSION_START, which MAVSDK does not send, starts it without), so the script takes off in
    GUIDED first, as MAVSDK users do."""
    sim = start_sim(flavour)
    server = start_mavsdk_server(sim)
    snap = sim.snapshot()
    wanted = [(snap.lat_deg + STEP_DEG * k, snap.lon_deg, 10.0 + k) for k in (1, 2)]
    closest = [1e9] * len(wanted)

    async def track() -> None:
        while True:
            s = sim.snapshot()
            for n, (lat, lon, _alt) in enumerate(wanted):
                closest[n] = min(closest[n], distance_m(lat, lon, s.lat_deg, s.lon_deg))
            await asyncio.sleep(0.02)

    async def script(drone: Any) -> None:
        await until(drone.telemetry.health(), lambda h: h.is_armable and h.is_home_position_ok, "health.is_armable")
        if flavour == "px4":
            sent = plan(snap.lat_deg, snap.lon_deg)
            sent.mission_items[:] = sent.mission_items[:2]
            await drone.mission.set_return_to_launch_after_mission(True)
            await drone.mission.upload_mission(sent)
        else:
            home = RawItem(0, M.MAV_FRAME_GLOBAL, WP, 1, 1, 0, 0, 0, 0, round(snap.lat_deg * 1e7),
                           round(snap.lon_deg * 1e7), snap.alt_msl_m, 0)
            takeoff = RawItem(1, REL, M.MAV_CMD_NAV_TAKEOFF, 0, 1, 0, 0, 0, 0, 0, 0, 10.0, 0)
            legs = [RawItem(n, REL, WP, 0, 1, 0, 0, 0, 0, round(lat * 1e7), round(lon * 1e7), alt, 0)
                    for n, (lat, lon, alt) in enumerate(wanted, 2)]
            rtl = RawItem(4, REL, M.MAV_CMD_NAV_RETURN_TO_LAUNCH, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)
            await drone.mission_raw.upload_mission([home, takeoff, *legs, rtl])
        tracker = asyncio.create_task(track())
        try:
            await drone.action.arm()
            if flavour == "px4":
                await drone.mission.start_mission()
            else:  # start_mission only switches to AUTO, where ArduCopter on the ground waits for throttle
                await drone.action.set_takeoff_altitude(10.0)
                await drone.action.takeoff()  # (or MAV_CMD_MISSION_START): a script takes off in GUIDED first
                await until(drone.telemetry.position(), lambda p: p.relative_altitude_m > 5.0, "5 m up")
                await drone.mission_raw.start_mission()
            await until(drone.telemetry.armed(), lambda armed: not armed, "disarmed after the mission's RTL",
                        limit_s=150.0)
        finally:
            tracker.cancel()

    run(sim, server, script)
    print(f"MAVSDK {flavour} mission: closest passes {', '.join(f'{c:.2f}' for c in closest)} m")
    assert max(closest) <= 3.0, closest
    assert sim.snapshot().landed
