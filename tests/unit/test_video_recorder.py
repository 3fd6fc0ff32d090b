"""VideoRecorder: a playable file plus a sidecar that ties each video frame to its capture time."""

from __future__ import annotations

import csv
import itertools
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from gcs.core.video.capture import CaptureWorker
from gcs.core.video.errors import VideoError
from gcs.core.video.frames import Frame
from gcs.core.video.recorder import VideoRecorder
from gcs.core.video.sources import SourceOptions
from tests.conftest import wait_until

VIDEO = Path(__file__).resolve().parents[2].parent / "shared/data/video"


def clip(name: str) -> Path:
    path = VIDEO / name
    if not path.is_file():
        pytest.skip(f"test clip {path} is missing (shared data not mounted)")
    return path


def draw_box(image: np.ndarray, frame: Frame) -> None:
    cv2.rectangle(image, (10, 10), (60, 60), (0, 255, 0), -1)
    cv2.putText(image, f"#{frame.seq}", (70, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)


@pytest.mark.parametrize("suffix, sidecar", [(".mp4", "csv"), (".mkv", "jsonl")])
def test_records_to_the_end_with_overlay_and_sidecar(tmp_path: Path, suffix: str, sidecar: str) -> None:
    options = SourceOptions(loop=False, speed=8.0)
    with CaptureWorker(str(clip("opencv_tree_bad_framecount.avi")), options=options) as capture:
        recorder = VideoRecorder(capture, overlay=draw_box, sidecar=sidecar)
        status = recorder.start(tmp_path / f"flight{suffix}")
        assert status.recording and (status.width, status.height) == (320, 240) and status.codec == "h264"
        assert status.fps == pytest.approx(120.0, rel=0.01)  # 15 fps clip played at 8x
        wait_until(lambda: not recorder.recording, 5.0, "recording ends with the source")
        status = recorder.stop()
    assert status.error is None
    video = cv2.VideoCapture(str(tmp_path / f"flight{suffix}"))
    frames = []
    while True:
        ok, image = video.read()
        if not ok:
            break
        frames.append(image)
    assert len(frames) == status.frames_written
    assert frames[0].shape == (240, 320, 3)
    assert frames[0][35, 35, 1] > 200 and frames[0][35, 35, 2] < 60  # the overlay's green box
    sidecar_path = Path(str(status.sidecar_path))
    assert sidecar_path.name == f"flight.frames.{sidecar}"
    text = sidecar_path.read_text()
    rows = list(csv.DictReader(text.splitlines())) if sidecar == "csv" else [
        json.loads(line) for line in text.splitlines()]
    assert len(rows) == status.frames_written
    assert [int(r["frame_index"]) for r in rows] == list(range(len(rows)))
    seqs = [int(r["seq"]) for r in rows]
    times = [float(r["capture_time_s"]) for r in rows]
    assert seqs == sorted(set(seqs)) and seqs[-1] == 68
    assert status.frames_written + status.frames_skipped == 68 - seqs[0] + 1  # every frame accounted
    assert all(b >= a for a, b in itertools.pairwise(times))
    assert times[-1] - times[0] == pytest.approx((seqs[-1] - seqs[0]) / 120.0, rel=0.5)


def test_refuses_a_folder_that_does_not_exist_and_a_second_start(tmp_path: Path) -> None:
    options = SourceOptions(speed=math.inf)
    with CaptureWorker(str(clip("opencv_tree_bad_framecount.avi")), options=options) as capture:
        recorder = VideoRecorder(capture)
        with pytest.raises(VideoError, match="does not exist"):
            recorder.start(tmp_path / "nope" / "x.mp4")
        recorder.start(tmp_path / "a.mp4")
        with pytest.raises(VideoError, match="already recording"):
            recorder.start(tmp_path / "b.mp4")
        status = recorder.stop()
        assert not status.recording and status.frames_written >= 1
