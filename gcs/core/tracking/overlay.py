"""The tracked box and its state drawn into the encoder's copy of each frame (recordings, RTP,
WebRTC), in the words the window shows, so every picture that leaves the program says what it saw."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2

from gcs.core.tracking.types import TrackedTarget
from gcs.core.tracking.words import plain_track_text
from gcs.core.tracking.worker import TrackingWorker


def overlay_text(target: TrackedTarget) -> str:
    """What the encoded picture says over the video: the words the window shows ("LOCKED 0.91 · CSRT",
    "target lost (left the view)"), nothing while idle."""
    state = target.state.value
    if state == "locked":
        return f"LOCKED {target.confidence:.2f} · {target.tracker}"
    return plain_track_text(state, target.reason or "")


def track_overlay(tracker: TrackingWorker) -> Callable[[Any, Any], None]:
    """Draw the tracked box and its state on the encoder's copy of each frame (recordings, RTP, WebRTC)."""

    def draw(image: Any, _frame: Any) -> None:
        target = tracker.latest()
        if target.box is not None:
            x, y, w, h = target.box.as_int_rect()
            cv2.rectangle(image, (x, y), (x + w, y + h), (60, 220, 60), 2)
        text = overlay_text(target)
        if text:  # OpenCV's Hershey fonts are ASCII: the middle dot becomes a hyphen
            cv2.putText(image, text.replace("·", "-"), (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                        (255, 255, 255), 1, cv2.LINE_AA)  # fmt: skip

    return draw
