"""Every classic tracker over the whole of both real clips, against boxes annotated by hand.

Started from the hand box on the first frame, fed every frame, a tracker must be on the object
half-way (its centre inside the hand box, and nearer the object's centre than where it started) and at
the end (at least ``MIN_ON_OBJECT`` of its last box inside the last hand box), or have said it lost it: a
reported loss makes the worker publish LOST and the follower hold, which is safe; a confident box
somewhere else is not. CSRT (the default) and MedianFlow must also match the hand box closely.

Seen here (IoU with the last hand box): cup: CSRT 0.68, MedianFlow 0.76, MIL 0.39 (centre 73 px
low but still on the cup), KCF reports failure at frame 86 when the cup is tilted far left.
Box: CSRT 0.79, MedianFlow 0.71, KCF 0.61, MIL 0.61. MIL samples at random (not seedable through
cv2.setRNGSeed): over 16 runs on the cup 0.36-1.00 of its last box lay on the cup (IoU 0.35-0.70),
its centre sometimes a few pixels past the cup's edge, so the end check is overlap, not the centre.
Half-way MIL trails the cup moving left: over 45 runs its centre was 2-48 px right of the hand box's
(the cup is 132 px wide), so a fixed 50 px radius failed about one run in 40; inside the box it is.
The boxes and what they show are in ``tracking_clip_boxes.json`` beside this file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import pytest

from gcs.core.tracking.opencv_trackers import default_registry
from gcs.core.tracking.types import BBox, Image

HERE = Path(__file__).resolve().parent
VIDEO_DIR = HERE.parents[1].parent / "shared/data/video"
BOXES = json.loads((HERE / "tracking_clip_boxes.json").read_text())
CLIPS = sorted(k for k in BOXES if k.endswith(".mp4"))
CLOSE_TRACKERS = {"CSRT", "MedianFlow"}  # must match the hand box, not just stay on the object
MIN_IOU = 0.5
MIN_TRAVEL_PX = 100.0  # the object's centre moves at least this far by the half-way frame
MIN_ON_OBJECT = 0.3  # of the tracker's last box; a box somewhere else has 0


def _frames(clip: str) -> list[Image]:
    path = VIDEO_DIR / clip
    if not path.exists():
        pytest.skip(f"test clip {path} is missing (../shared/data/video is not checked out)")
    cap = cv2.VideoCapture(str(path))
    frames: list[Image] = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    assert len(frames) == BOXES[clip]["frames"], f"{clip}: decoded {len(frames)} frames"
    return frames


@pytest.fixture(scope="module", params=CLIPS)
def clip(request: pytest.FixtureRequest) -> tuple[str, list[Image]]:
    return request.param, _frames(request.param)


def _on_object(box: BBox, obj: BBox) -> float:
    """The share of ``box`` that lies on ``obj``."""
    w = max(0.0, min(box.x + box.w, obj.x + obj.w) - max(box.x, obj.x))
    h = max(0.0, min(box.y + box.h, obj.y + obj.h) - max(box.y, obj.y))
    return w * h / (box.w * box.h)


@pytest.mark.parametrize("name", CLIPS)
def test_hand_boxes_make_a_failing_test_possible(name: str) -> None:
    start, mid = BBox(*BOXES[name]["start_box"]), BBox(*BOXES[name]["mid_box"])
    # a tracker that kept its first box would be nearer its start than the object half-way
    assert math.dist(start.centre, mid.centre) > MIN_TRAVEL_PX, f"{name}: the object barely moves"


@pytest.mark.parametrize("tracker_name", default_registry().names())
def test_tracker_ends_on_the_object_or_says_it_lost_it(tracker_name: str, clip: tuple[str, list[Image]]) -> None:
    name, frames = clip
    ref = BOXES[name]
    start, mid_box, end_box = BBox(*ref["start_box"]), BBox(*ref["mid_box"]), BBox(*ref["end_box"])
    tracker = default_registry().create(tracker_name)
    tracker.init(frames[0], start)
    last: BBox | None = None
    for i, frame in enumerate(frames[1:], start=1):
        update = tracker.update(frame)
        if not update.ok:
            assert tracker_name not in CLOSE_TRACKERS, f"{tracker_name} lost the object in {name} at frame {i}"
            return  # an honest loss: the worker publishes LOST and the follower holds
        assert update.box is not None
        last = update.box
        if i == ref["mid_frame"]:
            (cx, cy), off = last.centre, math.dist(last.centre, mid_box.centre)
            inside = mid_box.x <= cx <= mid_box.x + mid_box.w and mid_box.y <= cy <= mid_box.y + mid_box.h
            assert inside and off < math.dist(last.centre, start.centre), (
                f"{tracker_name} in {name} frame {i}: centre {off:.0f} px from the object's, off it or nearer "
                f"its start: {last} vs {mid_box}")
    assert last is not None
    share = _on_object(last, end_box)
    assert share >= MIN_ON_OBJECT, f"{tracker_name} ends off the object in {name}: {share:.2f} of {last} on {end_box}"
    if tracker_name in CLOSE_TRACKERS:
        assert last.iou(end_box) > MIN_IOU, f"{tracker_name} in {name}: IoU {last.iou(end_box):.2f}, box {last}"
