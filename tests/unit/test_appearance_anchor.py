"""The appearance model cannot learn its way onto the background (issue 16: no LOCKED on empty ground).

On the suite's CI run of 2026-12-07 MIL, started on a click on the walker of the real clip
``vtest_walker_leaves_left.mp4``, stayed LOCKED on the grass for the 2 s after she left (1 run in 44:
MIL samples at random). Its boxes, frame by frame, are kept in ``vtest_walker_mil_drift.json``; replayed
here through the appearance model alone, they show why: boxes half on the grass as she reached the
frame edge taught the learned model the grass. The anchor (the selection's own model) stops that.
"""

from __future__ import annotations

import json

import pytest

from gcs.core.tracking.appearance import AppearanceModel
from gcs.core.tracking.types import BBox, Image
from tests.unit.test_tracking_small_target import DATA, REF, decode_clip

RUN = json.loads((DATA / "vtest_walker_mil_drift.json").read_text())
BOXES = {int(k): BBox(*v) for k, v in RUN["boxes"].items()}
MIN_APPEARANCE = 0.5  # what keeps a lock (PlausibilityParams.min_appearance)


@pytest.fixture(scope="module")
def frames() -> list[Image]:
    return decode_clip()


def _scores_after_she_left(frames: list[Image], model: AppearanceModel) -> list[float]:
    """Replay the run: each box scored, the ones that keep a lock taught; the scores once she is gone."""
    model.reset(frames[0], BOXES[0])
    after: list[float] = []
    for k in sorted(BOXES):
        if k == 0:
            continue
        score = model.score(frames[k], BOXES[k])
        assert score is not None
        if score >= MIN_APPEARANCE:
            model.accept()
        if k >= REF["absent_from"]:
            after.append(score)
    return after


def test_the_replayed_run_drifts_without_the_anchor(frames: list[Image]) -> None:
    loose = _scores_after_she_left(frames, AppearanceModel(learn_anchor=0.0, anchor_floor=0.0))
    assert len(loose) > 20 and min(loose) > MIN_APPEARANCE, (
        f"the recorded run must show the drift (grass scored {min(loose):.2f}-{max(loose):.2f})")


def test_the_anchored_model_rates_the_empty_grass_as_background(frames: list[Image]) -> None:
    anchored = _scores_after_she_left(frames, AppearanceModel())
    assert len(anchored) > 20 and max(anchored) < MIN_APPEARANCE, (
        f"grass scored {min(anchored):.2f}-{max(anchored):.2f} after she left")
