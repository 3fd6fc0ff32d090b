"""The words burnt into the encoded picture (recordings, RTP to QGC, WebRTC) are the window's words:
"LOCKED 0.91", "target lost (left the view)", nothing while idle — not "CSRT lost"."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from gcs.core.tracking.overlay import overlay_text, track_overlay
from gcs.core.tracking.types import BBox, TrackedTarget, TrackState


def _target(state: TrackState, reason: str = "", box: BBox | None = None) -> TrackedTarget:
    return TrackedTarget(box, state, 0.912, 7, 0.0, 320, 240, "CSRT", reason=reason)


def test_overlay_says_what_the_window_says() -> None:
    assert overlay_text(_target(TrackState.LOCKED, box=BBox(10, 10, 40, 30))) == "LOCKED 0.91 · CSRT"
    lost = _target(TrackState.LOST, "lost after 1.0 s (30 frames) searching: target left the frame")
    assert overlay_text(lost) == "target lost (left the view)"
    assert overlay_text(_target(TrackState.IDLE)) == ""


def test_idle_draws_nothing_and_a_lock_draws_its_box_and_words() -> None:
    latest = [_target(TrackState.IDLE)]
    draw = track_overlay(SimpleNamespace(latest=lambda: latest[0]))  # the worker's one method it reads
    image = np.zeros((240, 320, 3), np.uint8)
    draw(image, None)
    assert not image.any(), "an idle tracker left marks on the picture"
    latest[0] = _target(TrackState.LOCKED, box=BBox(100, 100, 60, 40))
    draw(image, None)
    assert (image[100, 100:160] == (60, 220, 60)).all(), "the box's top edge is not drawn"
    assert image[5:25, 8:200].any(), "no words in the top-left corner"
