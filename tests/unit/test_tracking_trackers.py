"""Every registered OpenCV tracker on a real clip, against boxes placed by hand; and the registry.

The reference boxes were placed by looking at the frames (saved as PNG with a pixel grid):

* frame 0: the cup stands upright, lid top-left at (305, 125), base at y = 383.
* frame 55: the cup is tilted ~45 degrees and has moved left; its centre (midpoint of the lid's
  centre (185, 175) and the base's centre (340, 385)) is at (262, 280).
* frame 85: the cup is upright again, far to the left: lid from x = 118, top y = 118, body to
  x = 250, base at y = 390.

The start box does not overlap the frame-85 box and its centre is ~100 px from the frame-55
centre (asserted below), so a tracker that stood still, or drifted off, fails.

Trackers see every frame here. Fed every second frame (what the worker gives them when an update
takes longer than a frame period) KCF and MedianFlow report failure near frame 50 and MIL ends
~50 px off; CSRT still passes. That is a property of the trackers, not of this test.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import pytest

from gcs.core.tracking.appearance import AppearanceModel
from gcs.core.tracking.errors import TrackerError
from gcs.core.tracking.opencv_trackers import default_registry, resolve_cv2
from gcs.core.tracking.plausibility import LossState, PlausibilityParams, assess
from gcs.core.tracking.protocol import Tracker
from gcs.core.tracking.types import BBox, Image, TrackState

VIDEO_DIR = Path(__file__).resolve().parents[2].parent / "shared/data/video"
CUP = VIDEO_DIR / "opencv_cup.mp4"
CUP_FPS = 26.8

START_BOX = BBox(305, 125, 110, 258)
MID_FRAME, MID_CENTRE = 55, (262.0, 280.0)
END_FRAME, END_BOX = 85, BBox(118, 118, 132, 272)


def _read_frames(path: Path, count: int) -> list[Image]:
    if not path.exists():
        pytest.skip(f"test clip {path} is missing (../shared/data/video is not checked out)")
    cap = cv2.VideoCapture(str(path))
    frames: list[Image] = []
    while len(frames) < count:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    assert len(frames) == count, f"{path.name}: decoded {len(frames)} frames, wanted {count}"
    return frames


@pytest.fixture(scope="module")
def cup_frames() -> list[Image]:
    return _read_frames(CUP, END_FRAME + 1)


def test_contrib_trackers_are_installed() -> None:
    # A plain opencv-python (e.g. pulled in by ultralytics) overwrites cv2/ without these.
    assert hasattr(cv2, "TrackerCSRT_create"), "opencv-contrib-python-headless is not the installed cv2"
    assert hasattr(cv2, "TrackerKCF_create")
    assert hasattr(cv2.legacy, "TrackerMedianFlow_create")


def test_reference_boxes_make_a_failing_test_possible() -> None:
    assert START_BOX.iou(END_BOX) == 0.0
    assert math.dist(START_BOX.centre, MID_CENTRE) > 90


@pytest.mark.parametrize("name", default_registry().names())
def test_tracker_follows_the_cup(name: str, cup_frames: list[Image]) -> None:
    tracker = default_registry().create(name)
    tracker.init(cup_frames[0], START_BOX)
    height, width = cup_frames[0].shape[:2]
    params = PlausibilityParams()
    look = AppearanceModel()
    look.reset(cup_frames[0], START_BOX)
    loss = LossState.locked(START_BOX, 0.0)
    boxes: dict[int, BBox] = {}
    for i, frame in enumerate(cup_frames[1:], start=1):
        update = tracker.update(frame)
        assert update.ok and update.box is not None, f"{name} reported failure at frame {i}"
        score = look.score(frame, update.box)
        loss, verdict = assess(loss, update, i / CUP_FPS, width, height, params, score)
        # the plausibility checks must not raise a false alarm on real, fast hand motion
        assert verdict.state is TrackState.LOCKED, f"{name} frame {i}: {verdict.reason}"
        assert 0.0 < verdict.confidence <= 1.0
        look.accept()
        boxes[i] = update.box

    mid = boxes[MID_FRAME].centre
    assert math.dist(mid, MID_CENTRE) < 50, f"{name} frame {MID_FRAME}: centre {mid}, cup at {MID_CENTRE}"
    assert mid[0] < START_BOX.centre[0] - 60, "the box did not move left with the cup"
    end = boxes[END_FRAME]
    if name == "MIL":  # samples at random: its box ends on the cup but loose (IoU 0.47-0.6 run to run)
        cx, cy = end.centre
        assert END_BOX.x < cx < END_BOX.x + END_BOX.w and END_BOX.y < cy < END_BOX.y + END_BOX.h, f"MIL: {end}"
    else:
        assert end.iou(END_BOX) > 0.5, f"{name} frame {END_FRAME}: {end} vs hand box {END_BOX}"


def test_registry_lists_the_classic_trackers_with_a_schema() -> None:
    registry = default_registry()
    assert set(registry.names()) == {"CSRT", "KCF", "MIL", "MedianFlow"}
    csrt = registry.get("csrt")  # case-insensitive
    padding = next(p for p in csrt.params if p.name == "padding")
    assert padding.kind == "float" and padding.minimum == 1.0 and padding.maximum == 6.0
    kcf = registry.get("KCF")
    assert any(p.name == "detect_thresh" for p in kcf.params)
    for spec in registry.specs():
        assert spec.description
        for p in spec.params:
            assert p.validate(p.default) == p.default


def test_registry_creates_with_parameters_and_refuses_bad_ones(cup_frames: list[Image]) -> None:
    registry = default_registry()
    tracker: Tracker = registry.create("KCF", detect_thresh=0.3, max_patch_size=2500)
    tracker.init(cup_frames[0], START_BOX)
    assert tracker.update(cup_frames[1]).ok
    with pytest.raises(TrackerError, match=r"padding.*above its maximum 6\.0"):
        registry.create("CSRT", padding=9.0)
    with pytest.raises(TrackerError, match="no parameter 'nonsense'"):
        registry.create("CSRT", nonsense=1)
    with pytest.raises(TrackerError, match="whole number"):
        registry.create("KCF", max_patch_size=100.5)
    with pytest.raises(TrackerError, match="must be true or false"):
        registry.create("CSRT", use_segmentation=1)
    with pytest.raises(TrackerError, match="unknown tracker 'GOTURN'; known: CSRT, KCF, MIL, MedianFlow"):
        registry.create("GOTURN")


def test_a_missing_opencv_constructor_is_named() -> None:
    with pytest.raises(TrackerError, match=r"no cv2\.legacy\.TrackerNotThere_create"):
        resolve_cv2("legacy.TrackerNotThere_create")


def test_init_refuses_a_box_outside_the_frame(cup_frames: list[Image]) -> None:
    tracker = default_registry().create("CSRT")
    with pytest.raises(TrackerError, match="before init"):
        tracker.update(cup_frames[0])
    with pytest.raises(TrackerError, match="no usable part"):
        tracker.init(cup_frames[0], BBox(700, 500, 50, 50))
    with pytest.raises(TrackerError, match="no usable part"):
        tracker.init(cup_frames[0], BBox(10, 10, 0, 40))


def test_a_frame_of_another_size_is_a_failed_update_not_a_crash(cup_frames: list[Image]) -> None:
    tracker = default_registry().create("KCF")
    tracker.init(cup_frames[0], START_BOX)
    small = cv2.resize(cup_frames[1], (320, 240))
    update = tracker.update(small)
    assert not update.ok and update.box is None and update.confidence == 0.0
