"""The map over the API: GET /api/map, tiles through /api/map/tiles (a loopback tile server behind the
program's cache), POST /api/vehicle/goto (operator flies, viewer 403, refusals 409), and the ``map``
events on the telemetry WebSocket (live, not kept in the history ring)."""

from __future__ import annotations

import json
import math
import time

from gcs.core.map.geo import local, offset, tile_of
from tests.api.conftest import ws_connect
from tests.conftest import wait_until
from tests.map_tiles_support import TileServer


def test_map_state_and_the_grid_without_tiles(live_api) -> None:
    service = live_api.service
    wait_until(lambda: service.vehicle_state().gps.has_fix, 10, "GPS fix")
    with live_api.client("viewer") as c:
        wait_until(lambda: c.get("/api/map").json()["vehicles"][0]["has_position"], 10, "a position on the map")
        body = c.get("/api/map").json()
        assert body["active_id"] == 1 and body["tiles"]["kind"] == "grid"
        v = body["vehicles"][0]
        gp = service.vehicle_state().global_position
        assert abs(v["lat_deg"] - gp.lat_deg) < 1e-4 and abs(v["lon_deg"] - gp.lon_deg) < 1e-4
        assert set(body) >= {"trails", "home", "target", "setpoint", "geofence", "goto", "mission"}
        tile = c.get("/api/map/tiles/1/0/0")
        assert tile.status_code == 404 and "grid" in tile.json()["detail"]
    with live_api.client(None) as anonymous:
        assert anonymous.get("/api/map").status_code == 401


def test_tiles_come_from_the_configured_source_with_a_query_token(make_live_api) -> None:
    with TileServer() as server:
        api = make_live_api("px4", map__tile_url=server.template)
        z, (x, y) = 17, tile_of(47.397742, 8.545594, 17)
        token = api.token("viewer")
        with api.client(None) as c:
            first = c.get(f"/api/map/tiles/{z}/{x}/{y}", params={"token": token})
            assert first.status_code == 200 and first.headers["content-type"] == "image/png"
            assert "max-age" in first.headers["cache-control"]
            again = c.get(f"/api/map/tiles/{z}/{x}/{y}", params={"token": token})
            assert again.content == first.content and len(server.requests) == 1, "the second from the disk cache"
            assert c.get(f"/api/map/tiles/{z}/{x}/{y}").status_code == 401
            assert c.get("/api/map/tiles/20/0/0", params={"token": token}).status_code == 404
        with api.client("viewer") as c:
            assert c.get("/api/map").json()["tiles"] == {
                "kind": "xyz", "attribution": "", "max_zoom": 19, "url": "/api/map/tiles/{z}/{x}/{y}"}


def test_goto_operator_flies_viewer_may_not_and_refusals_say_why(live_api) -> None:
    service = live_api.service
    sim = service.simulators[0]
    wait_until(lambda: service.vehicle_state().gps.has_fix and service.vehicle_state().home is not None, 10, "fix")
    home = service.vehicle_state().home
    goal = offset(home.lat_deg, home.lon_deg, -25.0, 30.0)
    body = {"lat_deg": goal.lat_deg, "lon_deg": goal.lon_deg}
    with live_api.client("viewer") as viewer:
        assert viewer.post("/api/vehicle/goto", json=body).status_code == 403
    with live_api.client("operator") as op:
        refused = op.post("/api/vehicle/goto", json=body)
        assert refused.status_code == 409 and "not armed" in refused.json()["detail"]
        assert op.post("/api/vehicle/goto", json={"lat_deg": 91, "lon_deg": 0}).status_code == 422
        op.post("/api/vehicle/arm")
        op.post("/api/vehicle/takeoff", json={"altitude_m": 10})
        wait_until(lambda: service.vehicle_state().global_position.alt_rel_m > 9.0, 20, "climb")
        sent = op.post("/api/vehicle/goto", json=body)
        assert sent.status_code == 200, sent.text
        assert sent.json()["command"] == "GOTO"

    def off() -> float:
        s = sim.snapshot()
        n, e = local(goal.lat_deg, goal.lon_deg, s.lat_deg, s.lon_deg)
        return math.hypot(n, e)

    wait_until(lambda: off() < 1.5, 40, "the simulator at the point sent over REST")
    with live_api.client("viewer") as c:
        assert c.get("/api/map").json()["goto"]["lat_deg"] == goal.lat_deg


def test_map_events_on_the_websocket_are_live_only(live_api) -> None:
    token = live_api.token("viewer")
    with ws_connect(f"{live_api.ws_url}/ws/telemetry?token={token}&rate=10") as ws:
        history = json.loads(ws.recv(timeout=5))
        assert history["type"] == "history"
        deadline = time.monotonic() + 5
        maps = []
        while time.monotonic() < deadline and len(maps) < 3:
            event = json.loads(ws.recv(timeout=5))
            if event["type"] == "map":
                maps.append(event)
        assert len(maps) == 3 and maps[0]["data"]["trails"] == {} and maps[0]["data"]["vehicles"]
    with ws_connect(f"{live_api.ws_url}/ws/telemetry?token={token}") as ws:
        history = json.loads(ws.recv(timeout=5))
        assert not [e for e in history["data"]["events"] if e["type"] == "map"], "not kept in the ring"
