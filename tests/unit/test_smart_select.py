"""Which detection a click selects: the rules on hand-made boxes, then real clicks on rendered frames."""

from __future__ import annotations

import pytest

from gcs.core.tracking.detectors import create_detector
from gcs.core.tracking.detectors.base import Detection, Detector
from gcs.core.tracking.detectors.factory import model_dir
from gcs.core.tracking.errors import TrackerError
from gcs.core.tracking.smart import SmartTracker, match_box, select
from gcs.core.tracking.types import BBox
from tests.unit.smart_scene import aimed_shots, best_match, countable, truth_bbox

CAR = Detection(BBox(100, 100, 80, 40), 0, "car", 0.9)
PERSON_ON_CAR = Detection(BBox(150, 90, 12, 30), 1, "person", 0.8)
PERSON_AWAY = Detection(BBox(300, 200, 12, 30), 1, "person", 0.7)


def test_the_smallest_box_containing_the_click_wins() -> None:
    scene = [CAR, PERSON_ON_CAR, PERSON_AWAY]
    assert select(scene, 155, 105) is PERSON_ON_CAR  # inside both: the person is smaller
    assert select(scene, 110, 130) is CAR
    assert select(scene, 305, 210) is PERSON_AWAY


def test_a_click_near_one_box_selects_it_within_the_radius() -> None:
    scene = [CAR, PERSON_AWAY]
    assert select(scene, 290, 215, radius_px=24) is PERSON_AWAY  # 10 px left of the person
    with pytest.raises(TrackerError, match=r"no detected object under the click at \(270, 215\) or within 24 px"):
        select(scene, 270, 215, radius_px=24)  # 30 px away


def test_a_click_on_empty_ground_is_refused_with_the_reason() -> None:
    with pytest.raises(TrackerError, match=r"no detected object .* \(3 detected in this frame: car, person\)"):
        select([CAR, PERSON_ON_CAR, PERSON_AWAY], 20, 400)
    with pytest.raises(TrackerError, match="nothing detected in this frame"):
        select([], 20, 400)


def test_ambiguous_clicks_are_refused() -> None:
    a = Detection(BBox(100, 100, 40, 40), 1, "person", 0.8)
    b = Detection(BBox(120, 110, 40, 40), 1, "person", 0.8)  # same size, overlapping
    with pytest.raises(TrackerError, match="ambiguous click at \\(130, 120\\): it is on a person and a person"):
        select([a, b], 130, 120)
    assert select([a, b], 105, 105) is a  # outside the overlap: not ambiguous
    # between two boxes, about equally near, inside neither
    left = Detection(BBox(100, 100, 20, 20), 0, "car", 0.9)
    right = Detection(BBox(140, 100, 20, 20), 1, "person", 0.9)
    with pytest.raises(TrackerError, match="about as near to a car as to a person"):
        select([left, right], 130, 110)
    assert select([left, right], 123, 110) is left  # clearly nearer the car


def test_one_object_reported_twice_is_not_ambiguous() -> None:
    car = Detection(BBox(100, 100, 40, 30), 0, "car", 0.9)
    also = Detection(BBox(101, 100, 40, 30), 1, "person", 0.5)  # the same pixels as another class
    assert select([also, car], 120, 115) is car  # the better score


def test_a_drawn_box_means_the_detection_it_overlaps_most() -> None:
    scene = [CAR, PERSON_AWAY]
    assert match_box(scene, BBox(95, 95, 90, 50)) is CAR
    assert match_box(scene, BBox(290, 200, 40, 40)) is PERSON_AWAY  # IoU < 0.3 but centre near it
    with pytest.raises(TrackerError, match="no detected object"):
        match_box(scene, BBox(0, 400, 30, 30))


# ---- real clicks on frames the model never saw ------------------------------------------------------


@pytest.fixture(scope="module")
def detector() -> Detector:
    pytest.importorskip("onnxruntime", reason="onnxruntime backend not installed")
    return create_detector("onnxruntime", model_dir() / "kestrel_demo_yolov8n.onnx")


def test_a_click_on_a_rendered_target_selects_that_target(detector: Detector) -> None:
    clicked = total = 0
    for shot in aimed_shots(12, seed=21):
        for truth in countable(shot.truth):
            total += 1
            tracker = SmartTracker(detector)
            x, y = truth_bbox(truth).centre
            try:
                tracker.init_click(shot.image, x, y)
            except TrackerError as exc:
                # refusals are allowed only where the truth really is crowded or undetected
                match, iou = best_match(truth, detector.detect(shot.image))
                assert match is None or iou < 0.5 or "ambiguous" in str(exc), exc
                continue
            assert tracker.selected_box is not None
            assert tracker.selected_box.iou(truth_bbox(truth)) >= 0.5, (truth, tracker.selected_box)
            assert tracker.target is not None and tracker.target.label == truth.kind
            clicked += 1
    assert total >= 10 and clicked >= 0.8 * total, f"{clicked} of {total} targets selected by a click"


def test_a_click_on_empty_ground_in_a_rendered_frame_is_refused(detector: Detector) -> None:
    shot = aimed_shots(1, seed=21)[0]
    detections = detector.detect(shot.image)
    # a point far from every detection and every target
    spots = [(x, y) for x in range(20, 640, 40) for y in range(20, 480, 40)]
    far = [p for p in spots if all(d.box.clamp(640, 480).iou(BBox(p[0] - 40, p[1] - 40, 80, 80)) == 0
                                   for d in detections)
           and all(truth_bbox(t).iou(BBox(p[0] - 40, p[1] - 40, 80, 80)) == 0 for t in shot.truth)]
    assert far
    with pytest.raises(TrackerError, match="no detected object under the click"):
        SmartTracker(detector).init_click(shot.image, *far[0])
