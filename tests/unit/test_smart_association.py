"""The association rules of smart mode on drawn pictures: class, gate, motion, colour."""

from __future__ import annotations

import numpy as np

from gcs.core.tracking.association import AssociationParams, TargetModel
from gcs.core.tracking.detectors.base import Detection
from gcs.core.tracking.types import BBox, Image

RED, BLUE = (40, 40, 200), (200, 90, 30)


def picture(*boxes: tuple[BBox, tuple[int, int, int]]) -> Image:
    image = np.full((240, 320, 3), (60, 120, 70), np.uint8)
    for box, colour in boxes:
        x, y, w, h = box.as_int_rect()
        image[y : y + h, x : x + w] = colour
    return image


def car(x: float, y: float, cls: int = 0, score: float = 0.8) -> Detection:
    return Detection(BBox(x, y, 30, 20), cls, "car" if cls == 0 else "person", score)


def test_the_same_class_near_the_prediction_is_taken() -> None:
    start = car(100, 100)
    model = TargetModel(picture((start.box, RED)), start)
    moved = car(106, 102)
    image = picture((moved.box, RED))
    matches = model.candidates(image, [car(106, 102, cls=1), moved], AssociationParams())
    assert [m.detection for m in matches] == [moved]  # the person at the same place is not the car
    model.accept(image, matches[0])
    assert model.velocity == (3.0, 1.0)  # half of the first displacement (smoothing)
    assert model.predicted() == BBox(109, 103, 30, 20)


def test_a_detection_outside_the_gate_or_of_another_size_is_refused() -> None:
    start = car(100, 100)
    model = TargetModel(picture((start.box, RED)), start)
    far = car(200, 100)  # 100 px away, the target is ~24 px in size
    big = Detection(BBox(95, 95, 60, 40), 0, "car", 0.9)  # twice the size in place
    image = picture((far.box, RED), (big.box, RED))
    assert model.candidates(image, [far, big], AssociationParams()) == []


def test_colour_tells_two_cars_apart() -> None:
    start = car(100, 100)
    model = TargetModel(picture((start.box, RED)), start)
    blue, red = car(112, 100), car(80, 100)  # the blue one is nearer, but blue
    image = picture((blue.box, BLUE), (red.box, RED))
    matches = model.candidates(image, [blue, red], AssociationParams())
    assert [m.detection for m in matches] == [red]


def test_the_gate_grows_while_the_target_is_unseen() -> None:
    start = car(100, 100)
    model = TargetModel(picture((start.box, RED)), start)
    reappeared = car(160, 100)  # 60 px off: 2.5 sizes, outside the first gate (1.5)
    image = picture((reappeared.box, RED))
    assert model.candidates(image, [reappeared], AssociationParams()) == []
    for _ in range(3):
        model.miss()
    matches = model.candidates(image, [reappeared], AssociationParams())
    assert [m.detection for m in matches] == [reappeared]
    model.accept(image, matches[0])
    assert model.misses == 0 and model.box == reappeared.box


def test_motion_prediction_carries_through_a_gap() -> None:
    start = car(100, 100)
    model = TargetModel(picture((start.box, RED)), start)
    for step in range(1, 6):  # steady 10 px per update to the right
        d = car(100 + 10 * step, 100)
        model.accept(picture((d.box, RED)), model.candidates(picture((d.box, RED)), [d], AssociationParams())[0])
    model.miss()
    model.miss()
    assert model.predicted().x > 165  # coasted on past the last seen 150
    later = car(180, 100)
    image = picture((later.box, RED))
    assert model.candidates(image, [later], AssociationParams(gate_sizes=0.6, gate_growth=0.0))
