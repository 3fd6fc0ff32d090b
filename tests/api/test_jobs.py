"""Jobs: a tlog_summary of a real flight log, and the detector over a video recorded through the API,
stream progress to completion over SSE and WebSocket."""

from __future__ import annotations

import json

import pytest

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
        assert "tlog_summary" in {k["name"] for k in listed["kinds"]} and listed["jobs"][0]["id"] == job_id


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
        for kind in ("tlog_summary", "tlog_import"):  # a 500 before (Path.resolve: embedded null byte)
            r = c.post(f"/api/jobs/{kind}", json={"path": "a\u0000b.tlog"})
            assert r.status_code == 422 and "NUL" in r.json()["detail"], r.text
        assert c.get("/api/jobs/nope").status_code == 404
        assert c.get("/sse/jobs/nope").status_code == 404
    with live_api.client("viewer") as c:
        assert c.post("/api/jobs/tlog_summary", json={"path": TLOG}).status_code == 403
    runtime = live_api.app.state.runtime
    wait_until(lambda: runtime.jobs.stats()["kept"] == 0, 1, "no job was created")


@pytest.mark.slow
def test_detect_video_over_a_recording_made_through_the_api(make_live_api) -> None:
    """Fly to 20 m over the demo scene, record 2 s over REST, then run the shipped detector over the
    file as a job: progress to completion over SSE, the same events over WS, cars found where they are."""
    api = make_live_api(video__enabled=True)
    with api.client("operator") as c:
        wait_until(lambda: c.get("/api/telemetry").json()["gps"]["fix_type"] >= 3, 10, "GPS fix")
        assert c.post("/api/vehicle/arm").status_code == 200
        assert c.post("/api/vehicle/takeoff", json={"altitude_m": 20}).status_code == 200
        wait_until(lambda: c.get("/api/telemetry").json()["global_position"]["alt_rel_m"] > 19, 30, "climb to 20 m")
        api.service.start_video()  # test setup: restart the scene clock, car-1 on its straight in view
        wait_until(lambda: api.service.latest_frame() is not None, 10, "first frame")
        source = api.service.vision._require()[0].source
        in_view = {t.target_id: t.box for t in source.camera.targets_in_image(source.scene_time_s())}
        assert any(k.startswith("car") and b[0] > 20 and b[0] + b[2] < 620 for k, b in in_view.items()), in_view

        assert c.post("/api/video/recording/start", json={"name": "pass.mp4"}).status_code == 200
        wait_until(lambda: c.get("/api/video/recording").json()["frames_written"] >= 40, 20, "40 frames recorded")
        recorded = c.post("/api/video/recording/stop").json()

        r = c.post("/api/jobs/detect_video", json={"path": "pass.mp4", "every": 2})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        with c.stream("GET", f"/sse/jobs/{job_id}") as stream:
            events = read_sse(stream, lambda ev: ev[-1].get("event") == "complete", limit=10_000)
        kinds = [e.get("event") for e in events[1:]]
        assert kinds[0] == "start" and kinds[-2:] == ["result", "complete"], kinds
        progress = [e["data"]["data"]["fraction"] for e in events if e.get("event") == "progress"]
        assert len(progress) >= 5 and progress == sorted(progress) and progress[-1] == 1.0
        result = events[-2]["data"]["data"]
        assert events[-1]["data"]["data"]["state"] == "succeeded"

    frames = recorded["frames_written"]
    assert result["frames"] == frames and result["frames_scanned"] == (frames + 1) // 2
    assert result["backend"] == "onnxruntime" and result["model"] == "kestrel_demo_yolov8n.onnx"
    print("detect_video:", {k: v for k, v in result.items() if k != "best"})
    cars = result["classes"]["car"]
    # the car in view when recording began is found at once and in most frames (it may drive out of view)
    assert cars["first_s"] <= 0.2 and cars["frames"] >= 0.5 * result["frames_scanned"], result["classes"]
    best = result["best"][0]
    assert best["label"] in result["classes"] and best["score"] >= 0.4
    x, y, w, h = best["box"]
    assert min(x, y) >= 0 and x + w <= result["width"] + 1 and y + h <= result["height"] + 1

    # a WebSocket client that connects after the end gets every event, start to complete
    with ws_connect(f"{api.ws_url}/ws/jobs/{job_id}?token={api.token('viewer')}") as ws:
        messages = [json.loads(m) for m in ws]
    assert [m["type"] for m in messages] == kinds
    assert messages[-2]["data"] == result


def test_detect_video_refuses_paths_outside_the_videos_folder(live_api) -> None:
    with live_api.client("operator") as c:
        for path, code in (("../tlogs/x.mp4", 422), ("/etc/passwd.mp4", 422), ("clip.txt", 422), ("none.mp4", 404),
                           ("a\u0000.mp4", 422)):  # NUL: a 500 before (Path.resolve raised ValueError)
            r = c.post("/api/jobs/detect_video", json={"path": path})
            assert r.status_code == code, (path, r.text)
        r = c.post("/api/jobs/detect_video", json={"path": "x.mp4", "every": 0})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "every"]
        kinds = {k["name"] for k in c.get("/api/jobs").json()["kinds"]}
    assert {"tlog_summary", "tlog_import", "detect_video"} <= kinds


def test_tlog_import_adds_a_flight_session(live_api) -> None:
    """A real ArduCopter log imported as a job: the session lists beside live ones, once."""
    with live_api.client("operator") as c:
        r = c.post("/api/jobs/tlog_import", json={"path": TLOG})
        assert r.status_code == 202, r.text
        with c.stream("GET", f"/sse/jobs/{r.json()['id']}") as stream:
            events = read_sse(stream, lambda ev: ev[-1].get("event") == "complete")
        assert [e.get("event") for e in events[1:]][-2:] == ["result", "complete"]
        assert events[-1]["data"]["data"]["state"] == "succeeded"
        result = events[-2]["data"]["data"]
        session = result["session"]
        assert session["source"] == "import" and session["messages"] == 16187
        assert session["tlog_path"].endswith(TLOG) and abs(session["duration_s"] - 570.8) < 1.0
        assert session["autopilot"] and result["events"] > 0
        listed = c.get("/api/sessions").json()["sessions"]
        assert session["id"] in [s["id"] for s in listed]
        assert c.get(f"/api/sessions/{session['id']}").json()["events"]

        again = c.post("/api/jobs/tlog_import", json={"path": TLOG}).json()["id"]
        wait_until(lambda: c.get(f"/api/jobs/{again}").json()["state"] == "succeeded", 30, "second import")
        assert c.get(f"/api/jobs/{again}").json()["result"]["session"]["id"] == session["id"]
        assert len(c.get("/api/sessions").json()["sessions"]) == len(listed)


def test_tlog_summary_of_an_empty_file_or_a_jpeg_fails_with_the_reason(make_live_api, tmp_path) -> None:
    import cv2

    from embedded_api.settings import ApiSettings
    from tests.conftest import SHARED_DATA

    capture = cv2.VideoCapture(str(SHARED_DATA / "video" / "opencv_cup.mp4"))
    ok, frame = capture.read()
    capture.release()
    assert ok
    (tmp_path / "photo.tlog").write_bytes(cv2.imencode(".jpg", frame)[1].tobytes())  # a real JPEG, renamed
    (tmp_path / "empty.tlog").write_bytes(b"")
    api = make_live_api(settings=ApiSettings(tlog_roots=(tmp_path,), keepalive_s=0.5, ws_auth_timeout_s=1.0))
    reasons = {"empty.tlog": "is empty", "photo.tlog": "holds no MAVLink frames"}
    with api.client("operator") as c:
        for name, reason in reasons.items():
            job_id = _submit(c, name)
            with c.stream("GET", f"/sse/jobs/{job_id}") as r:
                events = read_sse(r, lambda ev: ev[-1].get("event") == "complete")
            assert [e.get("event") for e in events[1:]][-2:] == ["error", "complete"], name
            job = c.get(f"/api/jobs/{job_id}").json()
            assert job["state"] == "failed" and reason in job["error"] and name in job["error"], job
