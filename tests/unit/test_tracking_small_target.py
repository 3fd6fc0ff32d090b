"""Every tracker on a real clip of a small target that leaves the frame: on the target or not LOCKED.

The clip (``tests/data/video``, cut from OpenCV's vtest.avi) shows a walker of about 15x35 px on
grass who leaves the frame at frame 93; from frame 95 on only grass, a path and a dark sign are
left. Before the appearance check compared the box with the target *against its surroundings*,
MIL, MedianFlow and CSRT (started on a click) stayed LOCKED on that empty background for the
remaining 5.6 s; the follower acts on LOCKED. (With that check but without the hysteresis of
``plausibility.py`` MIL, its box on a dark sign, flipped LOCKED/SEARCHING 14 times after she left;
the hysteresis itself is tested in test_tracking_plausibility.)

Each tracker runs in the real TrackingWorker (lockstep, so results do not depend on CPU speed),
started either on the hand box or, as a pilot does, on a click (a 29 px square, half grass).
At every hand-annotated frame a LOCKED box must be on the walker (its centre inside the hand box,
to 3 px, or IoU > ``MIN_IOU``); on every frame after she left nothing may be LOCKED; and the track
must end LOST (the 1 s timeout passed long before the clip ends).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from gcs.core.bus import MessageBus
from gcs.core.tracking.types import BBox, Image, TrackedTarget, TrackState
from gcs.core.tracking.worker import TrackingWorker
from tests.unit.test_tracking_worker import LockstepSource, Recorder, done, wait_until

DATA = Path(__file__).resolve().parents[1] / "data/video"
CLIP = DATA / "vtest_walker_leaves_left.mp4"
REF = json.loads((DATA / "vtest_walker_leaves_left.json").read_text())
BOXES = {int(k): BBox(*v) for k, v in REF["boxes"].items()}
MIN_IOU = 0.3
TOLERANCE_PX = 3.0  # the hand boxes are placed to about 2 px
TRACKERS = ["CSRT", "KCF", "MIL", "MedianFlow"]


def decode_clip() -> list[Image]:
    """Every frame of the walker clip."""
    cap = cv2.VideoCapture(str(CLIP))
    out: list[Image] = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        out.append(frame)
    cap.release()
    assert len(out) == REF["frames"], f"decoded {len(out)} frames of {CLIP}"
    return out


@pytest.fixture(scope="module")
def frames() -> list[Image]:
    return decode_clip()


def _run(frames: list[Image], tracker: str, start: str) -> list[TrackedTarget]:
    bus = MessageBus()
    rec = Recorder(bus)
    source = LockstepSource(frames, fps=REF["fps"])
    worker = TrackingWorker(source, bus=bus, tracker_name=tracker, lost_timeout_s=1.0)
    try:
        if start == "box":
            worker.start_box(BBox(*REF["boxes"]["0"]))
        else:
            worker.start_click(*REF["click"])
        source.release()
        wait_until(done(worker, len(frames) - 1), 120)
    finally:
        worker.close()
    return rec.targets


def _on(box: BBox, truth: BBox) -> bool:
    cx, cy = box.centre
    t = TOLERANCE_PX
    inside = truth.x - t <= cx <= truth.x + truth.w + t and truth.y - t <= cy <= truth.y + truth.h + t
    return inside or box.iou(truth) > MIN_IOU


def test_the_hand_boxes_make_a_failing_test_possible(frames: list[Image]) -> None:
    first, last = BOXES[0], BOXES[max(BOXES)]
    assert first.iou(last) == 0.0 and last.x < 20  # she crosses the frame and reaches its left edge
    assert REF["absent_from"] < len(frames) - 3 * REF["fps"]  # seconds of empty background follow


@pytest.mark.parametrize("start", ["box", "click"])
@pytest.mark.parametrize("tracker", TRACKERS)
def test_tracker_is_on_the_walker_or_not_locked(frames: list[Image], tracker: str, start: str) -> None:
    targets = _run(frames, tracker, start)
    by_frame = {t.frame_seq: t for t in targets}
    for k, truth in BOXES.items():
        t = by_frame.get(k)
        if t is not None and t.is_locked:
            assert t.box is not None and _on(t.box, truth), (
                f"{tracker} ({start}) LOCKED off the walker at frame {k}: {t.box} vs {truth}")
    gone = [t for t in targets if t.frame_seq >= REF["absent_from"] and t.is_locked]
    assert not gone, f"{tracker} ({start}) LOCKED on empty background: frames {[t.frame_seq for t in gone]}"
    assert targets[-1].state is TrackState.LOST, f"{tracker} ({start}) ends {targets[-1].state}: {targets[-1].reason}"
