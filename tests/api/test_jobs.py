"""Jobs: a tlog_summary of a real flight log streams progress to completion over SSE and WebSocket."""

from __future__ import annotations

import json

from tests.api.conftest import read_sse, ws_connect
from tests.conftest import wait_until

TLOG = "copter_real_2013_codelever.tlog"  # 16,187 messages, 571 s (see ../shared/data/README.md)


def _submit(c, path: str = TLOG) -> str:
    r = c.post("/api/jobs/tlog_summary", json={"path": path})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["links"]["sse"] == f"/sse/jobs/{body['id']}"
    return str(body["id"])


def test_a_job_streams_progress_to_completion_over_sse(live_api) -> None:
    with live_api.client("operator") as c:
        job_id = _submit(c)
        with c.stream("GET", f"/sse/jobs/{job_id}") as r:
            assert r.status_code == 200
            events = read_sse(r, lambda ev: ev[-1].get("event") == "complete")
        kinds = [e.get("event") for e in events[1:]]
        assert kinds[0] == "start" and kinds[-2:] == ["result", "complete"], kinds
        progress = [e["data"]["data"]["fraction"] for e in events if e.get("event") == "progress"]
        assert len(progress) >= 5 and progress == sorted(progress) and progress[-1] == 1.0
        assert [int(e["id"]) for e in events[1:]] == list(range(1, len(events)))
        result = events[-2]["data"]["data"]
        assert result["messages"] == 16187 and result["bad_frames"] == 0
        assert abs(result["duration_s"] - 570.8) < 0.5
        assert result["by_type"]["HEARTBEAT"] > 0 and result["vehicle"]["autopilot"] == "ARDUPILOTMEGA"
        assert events[-1]["data"]["data"]["state"] == "succeeded"

        job = c.get(f"/api/jobs/{job_id}").json()
        assert job["state"] == "succeeded" and job["progress"] == 1.0 and job["result"] == result

        # a late client resumes after an id and gets the rest, ending with complete
        with c.stream("GET", f"/sse/jobs/{job_id}", headers={"Last-Event-ID": str(len(events) - 3)}) as r:
            tail = read_sse(r, lambda ev: ev[-1].get("event") == "complete")
        assert [e.get("event") for e in tail[1:]] == ["result", "complete"]
        listed = c.get("/api/jobs").json()
        assert listed["kinds"][0]["name"] == "tlog_summary" and listed["jobs"][0]["id"] == job_id


def test_a_job_over_websocket(live_api) -> None:
    with live_api.client("operator") as c:
        job_id = _submit(c, "plane_real_2012_tiny_dronekit_test.tlog")
    with ws_connect(f"{live_api.ws_url}/ws/jobs/{job_id}?token={live_api.token('viewer')}") as ws:
        messages = [json.loads(m) for m in ws]  # iteration ends when the server closes (1000)
    assert messages[0]["type"] == "start" and [m["type"] for m in messages[-2:]] == ["result", "complete"]
    assert messages[-2]["data"]["messages"] == 417
    assert ws.close_code == 1000


def test_refused_jobs(live_api) -> None:
    with live_api.client("operator") as c:
        assert c.post("/api/jobs/make_coffee", json={}).status_code == 404
        r = c.post("/api/jobs/tlog_summary", json={})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "path"]
        r = c.post("/api/jobs/tlog_summary", json={"path": "../../../etc/passwd.tlog"})
        assert r.status_code == 422 and "without '..'" in r.json()["detail"]
        r = c.post("/api/jobs/tlog_summary", json={"path": "/etc/passwd"})
        assert r.status_code == 422
        assert c.post("/api/jobs/tlog_summary", json={"path": "missing.tlog"}).status_code == 404
        assert c.get("/api/jobs/nope").status_code == 404
        assert c.get("/sse/jobs/nope").status_code == 404
    with live_api.client("viewer") as c:
        assert c.post("/api/jobs/tlog_summary", json={"path": TLOG}).status_code == 403
    runtime = live_api.app.state.runtime
    wait_until(lambda: runtime.jobs.stats()["kept"] == 0, 1, "no job was created")
