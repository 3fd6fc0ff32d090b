"""/api/params over a real uvicorn, on a service flying the PX4 simulator: roles, download progress,
search, set with 422/409/confirm, the vehicle's refusal, export in both formats, diff and apply."""

from __future__ import annotations

import time

import pytest

from gcs.core.vehicle.params import parse

pytestmark = pytest.mark.slow


def _downloaded(client) -> dict:
    deadline = time.monotonic() + 30
    while True:
        body = client.get("/api/params").json()
        if body["progress"]["state"] == "complete" or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_viewer_reads_operator_sets_with_validation_and_confirmation(live_api) -> None:
    with live_api.client("viewer") as viewer, live_api.client("operator") as operator:
        first = viewer.get("/api/params").json()  # the first read starts the download
        assert first["progress"]["state"] in ("downloading", "complete")
        body = _downloaded(viewer)
        assert body["progress"]["received"] == body["progress"]["total"] == body["count"] > 700
        assert body["progress"]["fraction"] == 1.0 and body["metadata_source"] == "px4"

        found = viewer.get("/api/params", params={"q": "mpc_xy_vel"}).json()
        names = [p["name"] for p in found["params"]]
        assert "MPC_XY_VEL_MAX" in names and all("MPC_XY_VEL" in n for n in names)
        speed = next(p for p in found["params"] if p["name"] == "MPC_XY_VEL_MAX")
        assert speed["type"] == "REAL32" and speed["meta"]["units"] == "m/s" and speed["meta"]["max"] == 20
        by_description = viewer.get("/api/params", params={"q": "geofence"}).json()["params"]
        assert {"GF_ACTION", "GF_MAX_HOR_DIST"} <= {p["name"] for p in by_description}
        cells = viewer.get("/api/params/BAT1_N_CELLS").json()
        assert cells["value"] == 4 and cells["type"] == "INT32"  # PX4's byte-wise integer, decoded

        assert viewer.post("/api/params/set", json={"name": "MPC_XY_VEL_MAX", "value": 8}).status_code == 403
        r = operator.post("/api/params/set", json={"name": "MPC_XY_VEL_MAX", "value": 8})
        assert r.status_code == 200 and r.json()["value"] == 8.0
        assert viewer.get("/api/params/MPC_XY_VEL_MAX").json()["value"] == 8.0

        r = operator.post("/api/params/set", json={"name": "MPC_XY_VEL_MAX", "value": 25})
        assert r.status_code == 409 and "documented range" in r.json()["detail"]
        assert viewer.get("/api/params/MPC_XY_VEL_MAX").json()["value"] == 8.0  # nothing was sent
        r = operator.post("/api/params/set", json={"name": "MPC_XY_VEL_MAX", "value": 25, "confirm": True})
        assert r.status_code == 200 and r.json()["value"] == 25.0
        r = operator.post("/api/params/set", json={"name": "MPC_XY_VEL_MAX", "value": 45, "confirm": True})
        assert r.status_code == 409 and "kept 25" in r.json()["detail"] and "out of range" in r.json()["detail"]

        assert operator.post("/api/params/set", json={"name": "BAT1_N_CELLS", "value": 2.5}).status_code == 422
        assert operator.post("/api/params/set", json={"name": "MPC_XY_VEL_MAX", "value": "fast"}).status_code == 422
        assert operator.post("/api/params/set", json={"name": "BAD NAME", "value": 1}).status_code == 422
        assert operator.post("/api/params/set", json={"name": "NO_SUCH_PARAM", "value": 1}).status_code == 404
        assert viewer.get("/api/params/NO_SUCH_PARAM").status_code == 404


def test_a_number_no_parameter_can_hold_is_422_saying_why(live_api) -> None:
    """Regression (a 500): a JSON integer beyond float range for a REAL32 raised OverflowError in float()."""
    huge = "1" + "0" * 400
    with live_api.client("operator") as operator:
        _downloaded(operator)
        before = operator.get("/api/params/MPC_XY_VEL_MAX").json()["value"]
        for name, value, why in (("MPC_XY_VEL_MAX", huge, "does not fit a 32-bit float"),
                                 ("MPC_XY_VEL_MAX", f"-{huge}", "does not fit a 32-bit float"),
                                 ("MPC_XY_VEL_MAX", "1e400", "not a finite number"),
                                 ("BAT1_N_CELLS", huge, "outside")):
            r = operator.post("/api/params/set", content=f'{{"name": "{name}", "value": {value}}}',
                              headers={"Content-Type": "application/json"})
            assert r.status_code == 422 and why in r.json()["detail"], (name, value[:8], r.text[:200])
        assert operator.get("/api/params/MPC_XY_VEL_MAX").json()["value"] == before  # nothing was sent


def test_export_both_formats_diff_and_apply_a_file(live_api) -> None:
    with live_api.client("viewer") as viewer, live_api.client("operator") as operator:
        total = _downloaded(viewer)["count"]
        qgc = viewer.get("/api/params/export", params={"format": "qgc"})
        assert qgc.status_code == 200 and ".params" in qgc.headers["content-disposition"]
        assert qgc.text.startswith("# Onboard parameters for Vehicle 1")
        parm = viewer.get("/api/params/export", params={"format": "mavproxy"})
        assert ".parm" in parm.headers["content-disposition"]
        assert len(parse(qgc.text)) == len(parse(parm.text)) == total
        for text in (qgc.text, parm.text):
            delta = operator.post("/api/params/diff", content=text, headers={"Content-Type": "text/plain"}).json()
            assert delta["changed"] == [] and delta["unchanged"] == total

        edited = "RTL_RETURN_ALT,42\nMIS_TAKEOFF_ALT 4.5\nBAT1_N_CELLS\t3\nNOT_HERE 1\n"
        assert viewer.post("/api/params/diff", content=edited).status_code == 403
        delta = operator.post("/api/params/diff", content=edited).json()
        assert [c["name"] for c in delta["changed"]] == ["BAT1_N_CELLS", "MIS_TAKEOFF_ALT", "RTL_RETURN_ALT"]
        assert delta["unknown"] == ["NOT_HERE"] and delta["missing"] == total - 3
        assert viewer.get("/api/params/RTL_RETURN_ALT").json()["value"] != 42  # a diff sends nothing

        applied = operator.post("/api/params/apply", content=edited,
                                params={"names": ["RTL_RETURN_ALT", "BAT1_N_CELLS"]}).json()
        assert sorted(a["name"] for a in applied["applied"]) == ["BAT1_N_CELLS", "RTL_RETURN_ALT"]
        assert applied["failed"] == []
        assert viewer.get("/api/params/RTL_RETURN_ALT").json()["value"] == 42.0
        assert viewer.get("/api/params/BAT1_N_CELLS").json()["value"] == 3
        assert viewer.get("/api/params/MIS_TAKEOFF_ALT").json()["value"] != 4.5

        r = operator.post("/api/params/diff", content="this is not a parameter file\n")
        assert r.status_code == 422 and "line 1" in r.json()["detail"]


def test_params_routes_are_in_the_openapi_schema(live_api) -> None:
    with live_api.client() as anonymous:
        paths = anonymous.get("/openapi.json").json()["paths"]
    assert {"/api/params", "/api/params/set", "/api/params/export", "/api/params/diff", "/api/params/apply",
            "/api/params/refresh", "/api/params/{name}"} <= set(paths)
    assert "text/plain" in paths["/api/params/diff"]["post"]["requestBody"]["content"]
