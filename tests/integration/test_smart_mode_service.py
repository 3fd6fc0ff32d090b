"""Smart mode through the service on the shipped model: click a car, stay locked; click grass: refused.

The whole live path: virtual camera on the flying simulator, capture, worker, lazily loaded model
(onnxruntime, auto's choice for the shipped .onnx), association. Re-acquisition after occlusion is
shown by tests/unit/test_smart_tracking.py on rendered sequences."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gcs.core.service import GcsService
from gcs.core.tracking.errors import SelectionRefused
from gcs.core.tracking.types import TrackState
from tests.conftest import wait_until

pytestmark = pytest.mark.slow


def _far_from(boxes: list[tuple[int, int, int, int]], w: int = 640, h: int = 480) -> tuple[float, float]:
    """A pixel at least 80 px from every target box (empty ground)."""
    for y in range(60, h - 60, 40):
        for x in range(60, w - 60, 40):
            if all(x < bx - 80 or x > bx + bw + 80 or y < by - 80 or y > by + bh + 80 for bx, by, bw, bh in boxes):
                return float(x), float(y)
    raise AssertionError("no empty ground in view")


def test_smart_click_locks_on_a_car_and_refuses_empty_ground(make_service) -> None:
    service: GcsService = make_service("px4", video__enabled=True)
    wait_until(lambda: service.vehicle_state().gps.has_fix, 5, "GPS fix")
    service.arm()
    service.takeoff(20.0)
    wait_until(lambda: service.vehicle_state().global_position.alt_rel_m > 19.0, 20, "climb to 20 m")
    assert service.set_smart_mode(True) == "smart" and service.smart_mode
    wait_until(lambda: service.vision.smart_detector.loaded, 20, "detector loaded in the background")
    service.start_video()  # restart the scene clock: car-1 on its straight; smart mode is kept
    assert service.smart_mode
    wait_until(lambda: service.latest_frame() is not None, 10, "first frame")
    source = service.vision._require()[0].source
    camera = source.camera  # type: ignore[attr-defined]
    truth = {t.target_id: t.box for t in camera.targets_in_image(source.scene_time_s())}  # type: ignore[attr-defined]
    x, y, w, h = truth["car-1"]
    answer = service.smart_click(x + w / 2, y + h / 2)
    assert answer.state is TrackState.LOCKED and answer.box is not None  # the outcome, not "accepted"
    wait_until(lambda: service.tracker_data().state is TrackState.LOCKED, 15, "smart lock on car-1 (model load)")
    assert service.tracker_data().tracker.lower() == "smart"
    target = service.tracker_data()
    assert target.box is not None
    now_truth = {t.target_id: t.box for t in camera.targets_in_image(source.scene_time_s())}
    cx, cy = target.box.centre
    bx, by, bw, bh = now_truth["car-1"]
    assert bx - 15 <= cx <= bx + bw + 15 and by - 15 <= cy <= by + bh + 15, "the lock is on car-1"

    # 5 s of the car driving across the view: locked on it the whole time
    samples, start = 0, time.monotonic()
    while time.monotonic() - start < 5.0:
        target = service.tracker_data()
        truth_now = {t.target_id: t.box for t in camera.targets_in_image(source.scene_time_s())}
        assert target.state is TrackState.LOCKED and target.box is not None, (
            f"lock lost after {time.monotonic() - start:.1f} s: {target.state} {target.reason}"
        )
        bx, by, bw, bh = truth_now["car-1"]
        cx, cy = target.box.centre
        assert bx - 25 <= cx <= bx + bw + 25 and by - 25 <= cy <= by + bh + 25, (
            f"after {time.monotonic() - start:.1f} s the box {target.box} is off car-1 {truth_now['car-1']}"
        )
        samples += 1
        time.sleep(0.25)
    assert samples >= 10
    assert abs(cx - (x + w / 2)) > 40, "car-1 moved across the image while locked"

    service.stop_tracking()
    wait_until(lambda: service.tracker_data().state is TrackState.IDLE, 2, "tracking stopped")
    changes: list[object] = []
    service.subscribe("tracking.state", lambda _t, change: changes.append(change))
    ex, ey = _far_from(list(now_truth.values()))
    with pytest.raises(SelectionRefused, match=r"no detected object under the click|nothing detected"):
        service.smart_click(ex, ey)  # the outcome is the answer: refused, with why
    assert service.tracker_data().state is not TrackState.LOCKED
    reasons = [getattr(c, "reason", "") for c in changes]
    assert any("no detected object" in r or "could not start" in r for r in reasons), reasons
    refused = service.tracker_data()  # what GET /telemetry/tracker_data shows: the state and why
    assert refused.state is TrackState.IDLE and "could not start" in refused.reason, refused

    classic = service.config.current.tracking.tracker
    assert service.set_smart_mode(False) == classic
    assert not service.smart_mode and service.tracker_data().tracker == classic  # named at once


def test_a_chosen_ultralytics_backend_is_imported_before_the_video_threads(tmp_path) -> None:
    """Importing torch on the detector-load thread beside OpenCV's crashed; start() does it first."""
    pytest.importorskip("ultralytics")
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, threading\n"
        "from pathlib import Path\n"
        "from gcs.core.config import ConfigStore\n"
        "from gcs.core.service import GcsService\n"
        f"store = ConfigStore(Path({str(tmp_path)!r}) / 'config.yaml'); store.load()\n"
        "store.set('video', 'enabled', True, source='t'); store.set('tracking', 'backend', 'ultralytics', source='t')\n"
        "s = GcsService(store)\n"
        "before = 'torch' in sys.modules\n"
        "s.start()\n"
        "print(before, 'torch' in sys.modules, s.set_smart_mode(True))\n"
        "import time; deadline = time.time() + 60\n"
        "while not s.vision.smart_detector.loaded and time.time() < deadline: time.sleep(0.1)\n"
        "print(type(s.vision.smart_detector.get()).__name__)\n"
        "s.close()\n"
    )
    # a fresh ultralytics config dir: its first-run banner must not reach our stdout either
    env = {
        **os.environ, "KESTREL_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(root),
        "YOLO_CONFIG_DIR": str(tmp_path / "yolo-first-run"),
    }
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=180, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    first, second = out.stdout.split("\n")[:2]
    assert first == "False True smart", out.stdout  # imported by start(), on the main thread
    assert second == "UltralyticsDetector", out.stdout
