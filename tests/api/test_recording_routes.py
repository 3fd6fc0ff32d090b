"""Video recording over the API on a real uvicorn server, recording the simulator's virtual camera.

Start, watch it grow, refuse a second start (409), stop, and the file plays back with as many
frames as reported and is attached to the flight session; a bad body is refused naming the field.
"""

from __future__ import annotations

import time
from typing import Any

import cv2
import pytest

from gcs.core.service_vision import videos_dir
from tests.api.conftest import LiveApi
from tests.conftest import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def video_api(make_live_api: Any) -> LiveApi:
    api: LiveApi = make_live_api(video__enabled=True)
    with api.client("viewer") as c:
        wait_until(lambda: c.get("/api/video/health").json()["state"] == "ok", 10, "video health ok")
    return api


def _frames_in(path: str) -> int:
    video = cv2.VideoCapture(path)
    count = 0
    while video.read()[0]:
        count += 1
    video.release()
    return count


def test_record_over_the_api_into_the_flight_session(video_api: LiveApi) -> None:
    service = video_api.service
    wait_until(lambda: service.recordings() and service.recordings()[0].session_id is not None, 5, "session open")
    with video_api.client("operator") as c:
        assert c.get("/api/video/recording").json()["recording"] is False
        r = c.post("/api/video/recording/stop")
        assert r.status_code == 409 and r.json()["detail"] == "not recording"

        r = c.post("/api/video/recording/start", json={"name": "approach.mp4"})
        assert r.status_code == 200, r.text
        started = r.json()
        assert started["recording"] is True and started["file"] == "approach.mp4"
        assert started["path"] == str(videos_dir() / "approach.mp4") and started["width"] == 640

        again = c.post("/api/video/recording/start", json={"name": "other.mp4"})
        assert again.status_code == 409 and "already recording" in again.json()["detail"]
        assert not (videos_dir() / "other.mp4").exists()

        wait_until(lambda: c.get("/api/video/recording").json()["frames_written"] >= 30, 15, "30 frames recorded")
        r = c.post("/api/video/recording/stop")
        assert r.status_code == 200, r.text
        final = r.json()
        assert final["recording"] is False and final["error"] is None and final["frames_written"] >= 30
        assert c.post("/api/video/recording/stop").status_code == 409

        assert _frames_in(final["path"]) == final["frames_written"]
        session_id = service.recordings()[0].session_id
        assert final["path"] in c.get(f"/api/sessions/{session_id}").json()["videos"]

        # a name that exists already is refused rather than overwritten
        r = c.post("/api/video/recording/start", json={"name": "approach.mp4"})
        assert r.status_code == 409 and "exists already" in r.json()["detail"]
        # no body: a file named by the time
        r = c.post("/api/video/recording/start")
        assert r.status_code == 200 and r.json()["file"].startswith(time.strftime("%Y-%m-%d_"))
        assert c.post("/api/video/recording/stop").status_code == 200


def test_a_bad_body_is_refused_naming_the_field(video_api: LiveApi) -> None:
    with video_api.client("operator") as c:
        for body, field in (
            ({"name": "../../etc/cron.d/x.mp4"}, "name"),
            ({"name": "clip.exe"}, "name"),
            ({"name": 5}, "name"),
            ({"file": "clip.mp4"}, "file"),
        ):
            r = c.post("/api/video/recording/start", json=body)
            assert r.status_code == 422, (body, r.text)
            assert r.json()["detail"][0]["loc"] == ["body", field], r.json()
        r = c.post("/api/video/recording/start", content=b"{not json", headers={"Content-Type": "application/json"})
        assert r.status_code == 422
        assert c.get("/api/video/recording").json()["recording"] is False
    assert not videos_dir().exists() or not list(videos_dir().iterdir())


def test_no_video_no_recording(live_api: LiveApi) -> None:
    with live_api.client("operator") as c:
        r = c.post("/api/video/recording/start", json={})
        assert r.status_code == 503 and "no video" in r.json()["detail"]
        assert c.get("/api/video/recording").json() == {
            "recording": False,
            "path": None,
            "file": None,
            "frames_written": 0,
            "duration_s": 0.0,
        }


def test_recording_start_and_end_are_pushed_to_telemetry_clients(video_api: LiveApi) -> None:
    """The recorder's own status events reach WS clients as ``video_recording`` status events."""
    import json

    from tests.api.conftest import ws_connect

    def next_recording_event(ws: Any) -> dict[str, Any]:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            m = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if m["type"] == "status" and m["data"].get("kind") == "video_recording":
                return m["data"]  # type: ignore[no-any-return]
        raise AssertionError("no video_recording event")

    url = f"{video_api.ws_url}/ws/telemetry?token={video_api.token('viewer')}&rate=1&history=0"
    with ws_connect(url) as ws, video_api.client("operator") as c:
        assert c.post("/api/video/recording/start", json={"name": "pushed.mp4"}).status_code == 200
        started = next_recording_event(ws)
        assert started["recording"] is True and started["path"].endswith("pushed.mp4")
        time.sleep(0.5)
        assert c.post("/api/video/recording/stop").status_code == 200
        ended = next_recording_event(ws)
        assert ended["recording"] is False and ended["frames_written"] > 0 and not ended["error"]
