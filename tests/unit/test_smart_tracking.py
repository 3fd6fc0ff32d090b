"""Smart mode following a target through a rendered flight, alone and inside the TrackingWorker.

The vehicle climbs, turns and slides while the target sweeps across the picture; in part of the
flight the target is painted over (a canopy hiding it) for about half a second. Every assertion
is against the virtual camera's ground truth for that frame, by target id, so following the
wrong object of the same class fails.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from gcs.core.bus import MessageBus
from gcs.core.tracking.errors import TrackerError
from gcs.core.tracking.opencv_trackers import default_registry
from gcs.core.tracking.smart import LazyDetector, SmartTracker, register_smart_tracker
from gcs.core.tracking.types import BBox, Image, TrackedTarget, TrackState
from gcs.core.tracking.worker import STATE_TOPIC, TARGET_TOPIC, TrackingWorker
from tests.conftest import wait_until
from tests.unit.smart_scene import Flight, flight

pytest.importorskip("onnxruntime", reason="onnxruntime backend not installed")

ROOT = Path(__file__).resolve().parents[2]
ONNX_MODEL = ROOT / "resources" / "models" / "kestrel_demo_yolov8n.onnx"
OCCLUDED = range(30, 38)  # 8 frames at 15 fps: 0.53 s, inside the worker's 1 s loss timeout


@pytest.fixture(scope="module")
def lazy() -> LazyDetector:
    lazy = LazyDetector("onnxruntime", ONNX_MODEL)
    lazy.get()
    return lazy


@pytest.fixture(scope="module")
def car_flight() -> Flight:
    return flight("car-1", occluded=OCCLUDED)


@pytest.fixture(scope="module")
def person_flight() -> Flight:
    """A person with one or two other people in view all along: the wrong one is close at hand."""
    return flight("person-3", alt0=16.0, start_s=40.0, occluded=OCCLUDED)


@pytest.fixture(scope="module")
def car_boxes(lazy: LazyDetector, car_flight: Flight) -> list[BBox | None]:
    """The smart tracker's box per frame of the car flight (None: it reported failure)."""
    return _run(SmartTracker(lazy.get()), car_flight)


@pytest.fixture(scope="module")
def person_boxes(lazy: LazyDetector, person_flight: Flight) -> list[BBox | None]:
    return _run(SmartTracker(lazy.get()), person_flight)


def _on_target(seq: Flight, i: int, box: BBox | None) -> bool:
    truth = seq.box_of(i)
    return box is not None and truth is not None and box.iou(truth) >= 0.5


def _on_another(seq: Flight, i: int, box: BBox | None) -> bool:
    return box is not None and any(box.iou(o) >= 0.3 for o in seq.others(i))


def _run(tracker: SmartTracker, seq: Flight) -> list[BBox | None]:
    first = seq.box_of(0)
    assert first is not None
    tracker.init_click(seq.frames[0], *first.centre)
    boxes: list[BBox | None] = [tracker.selected_box]
    for image in seq.frames[1:]:
        update = tracker.update(image)
        boxes.append(update.box if update.ok else None)
    return boxes


@pytest.mark.parametrize("which", ["car", "person"])
def test_follows_the_clicked_target_while_the_vehicle_moves(which: str, request: pytest.FixtureRequest) -> None:
    seq: Flight = request.getfixturevalue(f"{which}_flight")
    boxes: list[BBox | None] = request.getfixturevalue(f"{which}_boxes")
    if which == "person":
        assert all(seq.others(i) for i in range(len(boxes))), "the scene should show other people too"
    visible = [i for i in range(len(boxes)) if i not in seq.occluded]
    on = [i for i in visible if _on_target(seq, i, boxes[i])]
    assert len(on) >= 0.9 * len(visible), f"on target in {len(on)}/{len(visible)} frames"
    assert not [i for i in range(len(boxes)) if _on_another(seq, i, boxes[i])], "switched to another target"
    assert _on_target(seq, len(boxes) - 1, boxes[-1]), "not on the target at the end of the 5 s flight"


@pytest.mark.parametrize("which", ["car", "person"])
def test_reacquires_the_target_after_a_short_occlusion(which: str, request: pytest.FixtureRequest) -> None:
    seq: Flight = request.getfixturevalue(f"{which}_flight")
    boxes: list[BBox | None] = request.getfixturevalue(f"{which}_boxes")
    hidden = [boxes[i] for i in seq.occluded]
    assert sum(b is None for b in hidden) >= len(hidden) - 1, "reported a box on a hidden target"
    assert all(b is None or _on_target(seq, i, b) for i, b in zip(seq.occluded, hidden, strict=True))
    back = seq.occluded.stop
    assert _on_target(seq, back, boxes[back]) or _on_target(seq, back + 1, boxes[back + 1]), "not re-acquired"
    assert all(_on_target(seq, i, boxes[i]) for i in range(back + 2, back + 10))


@dataclass(frozen=True)
class _Frame:
    image: Image
    seq: int
    capture_time_s: float


class _Lockstep:
    """Every frame in order, each once (results do not depend on CPU speed)."""

    def __init__(self, images: list[Image], fps: float) -> None:
        self._frames = [_Frame(im, i, i / fps) for i, im in enumerate(images)]
        self._cond = threading.Condition()
        self._released = 0

    def release(self) -> None:
        with self._cond:
            self._released = len(self._frames)
            self._cond.notify_all()

    def wait_newer(self, seq: int, timeout: float) -> _Frame | None:
        with self._cond:
            if not self._cond.wait_for(lambda: seq + 1 < self._released, timeout):
                return None
            return self._frames[seq + 1]


def test_runs_inside_the_tracking_worker_via_the_registry(lazy: LazyDetector, car_flight: Flight) -> None:
    seq = car_flight
    registry = default_registry()
    register_smart_tracker(registry, lazy)
    bus = MessageBus()
    published: list[TrackedTarget] = []
    bus.subscribe(TARGET_TOPIC, lambda _t, v: published.append(v))
    source = _Lockstep(seq.frames, seq.fps)
    with TrackingWorker(source, bus=bus, tracker_name="smart", registry=registry) as worker:
        first = seq.box_of(0)
        assert first is not None
        worker.start_click(*first.centre)
        source.release()
        wait_until(lambda: worker.latest().frame_seq >= len(seq.frames) - 1, 30.0, "the worker to reach the end")
    by_seq = {t.frame_seq: t for t in published}
    assert by_seq[0].state is TrackState.LOCKED and by_seq[0].reason == "selected by click"
    assert _on_target(seq, 0, by_seq[0].box)  # the detection's box, not a square around the click
    locked = [i for i, t in by_seq.items() if t.is_locked and _on_target(seq, i, t.box)]
    visible = [i for i in by_seq if i not in seq.occluded]
    assert len(locked) >= 0.9 * len(visible)
    assert {by_seq[i].state for i in seq.occluded} <= {TrackState.SEARCHING, TrackState.LOCKED}
    after = by_seq[seq.occluded.stop + 2]
    assert after.is_locked and after.tracker == "smart"
    assert by_seq[len(seq.frames) - 1].is_locked


def test_a_click_on_nothing_is_refused_by_the_worker_with_the_reason(lazy: LazyDetector, car_flight: Flight) -> None:
    registry = default_registry()
    register_smart_tracker(registry, lazy)
    bus = MessageBus()
    source = _Lockstep(car_flight.frames[:3], car_flight.fps)
    with TrackingWorker(source, bus=bus, tracker_name="smart", registry=registry) as worker:
        worker.start_click(5.0, 470.0)
        source.release()
        wait_until(lambda: bus.latest(STATE_TOPIC) is not None, 10.0, "the worker to try the click")
        latest = worker.latest()
    assert latest.state is TrackState.IDLE
    change = bus.latest(STATE_TOPIC)
    assert "could not start: no detected object under the click at (5, 470)" in change.reason


def test_a_missing_model_keeps_smart_mode_off_and_the_worker_running(tmp_path: Path, car_flight: Flight) -> None:
    registry = default_registry()
    register_smart_tracker(registry, LazyDetector("onnxruntime", tmp_path / "missing.onnx"))
    assert "smart" in registry.names()
    source = _Lockstep(car_flight.frames[:2], car_flight.fps)
    with TrackingWorker(source, tracker_name="CSRT", registry=registry) as worker:
        with pytest.raises(TrackerError, match=r"model not found: .*missing\.onnx"):
            worker.switch_tracker("smart")
        assert worker.tracker_name == "CSRT"


def test_registering_smart_mode_imports_no_detector_runtime() -> None:
    code = (
        "import sys\n"
        "from gcs.core.tracking.opencv_trackers import default_registry\n"
        "from gcs.core.tracking.smart import register_smart_tracker\n"
        "registry = default_registry(); register_smart_tracker(registry)\n"
        "print(sorted(m for m in ('torch', 'ultralytics', 'onnxruntime') if m in sys.modules), registry.names())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True, timeout=60)
    assert out.stdout.startswith("[] ") and "'smart'" in out.stdout, out.stdout
