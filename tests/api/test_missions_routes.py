"""/api/missions over a real uvicorn on the ArduPilot simulator: roles, upload from JSON and from
.waypoints/.plan files, download, export, clear, set current, start, generators, refusals; 409 in a replay."""

from __future__ import annotations

import json

import pytest

from gcs.core.vehicle.mission import read_plan, read_waypoints
from tests.api.test_replay_two_logs import CODELEVER
from tests.conftest import wait_until
from tests.mission_support import five_waypoints

pytestmark = pytest.mark.slow


def test_viewer_reads_operator_uploads_files_clears_starts_and_generates(make_live_api) -> None:
    api = make_live_api("ardupilot")
    service = api.service
    wait_until(lambda: service.vehicle_state().home is not None, 15, "home")
    home = service.vehicle_state().home
    text = five_waypoints(home.lat_deg, home.lon_deg, home.alt_msl_m)
    with api.client("viewer") as viewer, api.client("operator") as operator:
        assert viewer.post("/api/missions/upload-file", content=text).status_code == 403
        r = operator.post("/api/missions/upload-file", params={"name": "five.waypoints"}, content=text)
        assert r.status_code == 200, r.text
        assert r.json()["uploaded"][0]["count"] == 7 and r.json()["uploaded"][0]["seq_offset"] == 1

        body = viewer.get("/api/missions", params={"refresh": "true"}).json()
        assert [i["name"] for i in body["mission"]["items"]] == ["NAV_TAKEOFF"] + ["NAV_WAYPOINT"] * 5 + [
            "NAV_RETURN_TO_LAUNCH"]
        assert body["mission"]["items"][0]["seq"] == 1 and body["fence"]["count"] == 0
        wait_until(lambda: viewer.get("/api/missions").json()["progress"]["state"] == "NOT_STARTED", 3,
                   "MISSION_CURRENT: not started")

        exported = viewer.get("/api/missions/export", params={"format": "waypoints"})
        assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
        assert read_waypoints(exported.text).matches(read_waypoints(text))
        plan = viewer.get("/api/missions/export", params={"format": "plan"}).text
        assert read_plan(plan)["mission"].matches(read_waypoints(text))
        r = operator.post("/api/missions/upload-file", params={"name": "back.plan"}, content=plan)
        assert r.status_code == 200

        bad = operator.post("/api/missions/upload-file", content="QGC WPL 110\n0\t1\t0\t16\n")
        assert bad.status_code == 422 and "line 2" in bad.json()["detail"]
        corrupt = operator.post("/api/missions/upload-file", params={"name": "x.plan"}, content="{\"fileType\": ")
        assert corrupt.status_code == 422 and "invalid JSON" in corrupt.json()["detail"]
        refused = operator.post("/api/missions/upload", json={"items": [{"command": 60000, "z": 10}]})
        assert refused.status_code == 409 and "UNSUPPORTED" in refused.json()["detail"]
        # bodies schemathesis found (500 before): numbers no MISSION_ITEM_INT can carry are a 422
        for item, why in (({"command": 16, "frame": 10, "x": 1.7976931348623155e308}, "latitude/longitude"),
                          ({"command": 16, "frame": 21, "x": 1.05e50}, "int32"),
                          ({"command": 16, "param2": 1.43e210}, "float32")):
            r = operator.post("/api/missions/upload", json={"items": [item]})
            assert r.status_code == 422 and "item 1" in r.json()["detail"] and why in r.json()["detail"], r.text
        # a home no item 0 can carry: the body's bounds, and the core's check for a .plan file
        home_inf = '{"items": [{"command": 16, "z": 10}], "home": {"lat_deg": 1, "lon_deg": 2, "alt_msl_m": 1e400}}'
        r = operator.post("/api/missions/upload", content=home_inf, headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and "alt_msl_m" in json.dumps(r.json()["detail"]), r.text
        bad_home = json.loads(plan)
        bad_home["mission"]["plannedHomePosition"] = [home.lat_deg, home.lon_deg, 1e39]
        r = operator.post("/api/missions/upload-file", params={"name": "x.plan"}, content=json.dumps(bad_home))
        assert r.status_code == 422 and "home: z 1e+39 does not fit a float32" in r.json()["detail"], r.text
        # file numbers that broke int()/struct before: an autocontinue of inf, a .plan frame beyond uint8
        lines = text.splitlines()
        lines[2] = "\t".join([*lines[2].split("\t")[:11], "inf"])
        r = operator.post("/api/missions/upload-file", params={"name": "x.waypoints"}, content="\n".join(lines))
        assert r.status_code == 422 and "line 3: not a number" in r.json()["detail"], r.text
        bad_frame = json.loads(plan)
        bad_frame["mission"]["items"][0]["frame"] = 10**12
        r = operator.post("/api/missions/upload-file", params={"name": "x.plan"}, content=json.dumps(bad_frame))
        assert r.status_code == 422 and "frame 1000000000000" in r.json()["detail"], r.text

        rally = {"kind": "rally", "items": [{"command": 5100, "x": home.lat_deg + 1e-4, "y": home.lon_deg,
                                             "z": 20, "autocontinue": False}]}
        assert operator.post("/api/missions/upload", json=rally).status_code == 200
        assert viewer.get("/api/missions", params={"refresh": "true"}).json()["rally"]["count"] == 1
        assert viewer.post("/api/missions/clear", params={"kind": "rally"}).status_code == 403
        assert operator.post("/api/missions/clear", params={"kind": "rally"}).json() == {"cleared": "rally"}

        orbit = operator.post("/api/missions/generate/orbit", json={
            "lat_deg": home.lat_deg, "lon_deg": home.lon_deg, "radius_m": 15, "points": 6, "upload": True})
        assert orbit.status_code == 200 and orbit.json()["count"] == 11
        no_target = operator.post("/api/missions/generate/orbit", json={})
        assert no_target.status_code == 422 and "LOCKED" in no_target.json()["detail"]
        survey = operator.post("/api/missions/generate/survey", json={
            "lat_deg": home.lat_deg, "lon_deg": home.lon_deg, "width_m": 40, "spacing_m": 20})
        assert survey.json()["count"] == 2 + 6  # takeoff, 3 legs x 2 ends, RTL
        assert operator.post("/api/missions/generate/orbit", json={"lat_deg": 1, "lon_deg": 1,
                                                                  "radius_m": 0.5}).status_code == 422

        assert operator.post("/api/missions/current", json={"seq": 3}).status_code == 200
        wait_until(lambda: viewer.get("/api/missions").json()["progress"]["seq"] == 3, 3, "current item 3")
        assert operator.post("/api/vehicle/arm").status_code == 200
        assert viewer.post("/api/missions/start").status_code == 403
        started = operator.post("/api/missions/start")
        assert started.status_code == 200 and "AUTO" in started.json()["message"], started.text
        wait_until(lambda: service.vehicle_state().mode == "AUTO", 3, "AUTO")
        assert operator.post("/api/missions/clear").status_code == 409  # not while it is being flown

    schema = json.dumps(api.app.openapi())
    assert "UploadBody" in schema and "OrbitBody" in schema and "/api/missions/upload-file" in schema


def test_missions_of_a_replayed_vehicle_answer_409_read_only(make_live_api) -> None:
    if not CODELEVER.exists():
        pytest.skip("needs ../shared/data/tlogs")
    api = make_live_api(None)
    with api.client("operator") as c:
        assert c.post("/api/control", json={"cmd": "open", "value": str(CODELEVER)}).status_code == 200
        wait_until(lambda: c.get("/api/telemetry").status_code == 200, 10, "the log's vehicle")
        for path in ("/api/missions/clear", "/api/missions/start"):
            r = c.post(path)
            assert r.status_code == 409 and "read-only replay" in r.json()["detail"], (path, r.text)
        r = c.get("/api/missions", params={"refresh": "true"})
        assert r.status_code == 409 and "read-only replay" in r.json()["detail"]
        assert c.get("/api/missions").status_code == 200  # what is known can still be read
