"""Recording the video through the service: a playable file, a timestamp sidecar, in the session."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import cv2
import pytest

from gcs.core.service import GcsService
from tests.conftest import wait_until

pytestmark = pytest.mark.slow


def test_record_two_seconds_with_timestamps_into_the_flight_session(make_service, tmp_path: Path) -> None:
    service: GcsService = make_service("px4", video__enabled=True)
    wait_until(lambda: service.latest_frame() is not None, 10, "first frame")
    wait_until(lambda: service.recordings() and service.recordings()[0].session_id is not None, 5, "session open")
    started = time.time()
    status = service.start_video_recording(str(tmp_path / "clip.mp4"))
    assert status.recording
    time.sleep(2.0)
    final = service.stop_video_recording()
    assert not final.recording and final.error is None
    assert final.frames_written >= 30, final

    video = cv2.VideoCapture(str(tmp_path / "clip.mp4"))
    decoded = 0
    while video.read()[0]:
        decoded += 1
    video.release()
    assert decoded == final.frames_written

    with open(final.sidecar_path or "", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == final.frames_written
    stamps = [float(r["capture_time_s"]) for r in rows]
    assert stamps == sorted(stamps) and started - 1 < stamps[0] < stamps[-1] < time.time()

    session = service.flight_session(service.recordings()[0].session_id)
    assert str(tmp_path / "clip.mp4") in session.videos
