"""BBox helpers and the TrackedTarget's normalised errors, with numbers worked out by hand."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from gcs.core.tracking.appearance import AppearanceModel, signature, similarity
from gcs.core.tracking.types import BBox, TrackedTarget, TrackState


def test_geometry() -> None:
    box = BBox(10, 20, 30, 40)
    assert box.centre == (25, 40)
    assert box.area == 1200
    assert box.size == pytest.approx(math.sqrt(1200))
    assert box.iou(box) == 1.0
    assert box.iou(BBox(100, 100, 5, 5)) == 0.0
    # overlap 15 x 40 = 600; union 1200 + 1200 - 600 = 1800
    assert box.iou(BBox(25, 20, 30, 40)) == pytest.approx(600 / 1800)
    assert not BBox(0, 0, 0, 5).is_valid and not BBox(0, 0, math.nan, 5).is_valid


def test_clamp_and_fraction_inside() -> None:
    box = BBox(-10, 90, 40, 20)  # in a 100 x 100 frame: x -10..30, y 90..110
    assert box.clamp(100, 100) == BBox(0, 90, 30, 10)
    assert box.fraction_inside(100, 100) == pytest.approx(300 / 800)
    assert BBox(200, 200, 10, 10).clamp(100, 100).area == 0.0


def test_from_click_centres_and_shifts_inside_the_frame() -> None:
    assert BBox.from_click(320, 240, 100, 640, 480) == BBox(270, 190, 100, 100)
    assert BBox.from_click(5, 470, 100, 640, 480) == BBox(0, 380, 100, 100)  # shifted, not shrunk
    assert BBox.from_click(50, 50, 1000, 640, 480) == BBox(0, 0, 480, 480)  # larger than the frame


def test_normalised_round_trip_and_int_rect() -> None:
    box = BBox(64, 48, 128, 96)
    assert box.to_normalised(640, 480) == (0.1, 0.1, 0.2, 0.2)
    assert BBox.from_normalised(0.1, 0.1, 0.2, 0.2, 640, 480) == box
    assert BBox(1.4, 2.6, 10.5, 0.2).as_int_rect() == (1, 3, 10, 1)


def _target(box: BBox | None, state: TrackState = TrackState.LOCKED) -> TrackedTarget:
    return TrackedTarget(box, state, 1.0, 7, 1.5, 640, 480, "CSRT")


def test_target_errors_are_normalised_from_the_image_centre() -> None:
    centred = _target(BBox(300, 220, 40, 40))
    assert (centred.error_x, centred.error_y) == (0.0, 0.0)
    right_low = _target(BBox(460, 340, 40, 40))  # centre (480, 360)
    assert right_low.error_x == pytest.approx(0.5) and right_low.error_y == pytest.approx(0.5)
    left_top = _target(BBox(-20, -20, 40, 40))  # centre (0, 0)
    assert (left_top.error_x, left_top.error_y) == (-1.0, -1.0)
    # sqrt(96*96 / (640*480)) = 96 / 554.26
    assert _target(BBox(0, 0, 96, 96)).size_frac == pytest.approx(96 / math.sqrt(640 * 480))


def test_a_target_without_a_box_has_no_error() -> None:
    searching = _target(None, TrackState.SEARCHING)
    assert searching.error_x is None and searching.error_y is None and searching.size_frac is None
    assert not searching.is_locked
    idle = TrackedTarget.idle("KCF", 640, 480)
    assert idle.state is TrackState.IDLE and idle.frame_seq == -1


def test_values_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        BBox(0, 0, 1, 1).x = 3  # type: ignore[misc]


def test_appearance_separates_colours_and_learns_only_from_look_alikes() -> None:
    image = np.zeros((100, 200, 3), np.uint8)
    image[:, :100] = (0, 0, 220)  # red half
    image[:, 100:] = (220, 120, 0)  # blue half
    red, blue = BBox(10, 10, 50, 50), BBox(120, 10, 50, 50)
    red_sig, blue_sig = signature(image, red), signature(image, blue)
    assert red_sig is not None and blue_sig is not None
    assert similarity(red_sig, red_sig) == pytest.approx(1.0)
    assert similarity(red_sig, blue_sig) < 0.1
    assert signature(image, BBox(500, 500, 10, 10)) is None  # wholly outside

    model = AppearanceModel(learn_rate=0.5, learn_above=0.6)
    assert model.score(image, red) is None  # no reference yet
    model.reset(image, red)
    assert model.score(image, blue) == pytest.approx(0.0, abs=0.1)
    model.accept()  # below learn_above: the background must not teach the model
    assert model.score(image, red) == pytest.approx(1.0)
