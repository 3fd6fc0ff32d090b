"""Value types of tracking: a pixel box, the track state and the published target.

All frozen, so a result can cross from the tracking thread to the GUI, the API and the follower
without copies or locks. Boxes are in pixels of the frame they were measured on, floats because
some trackers (MedianFlow) report sub-pixel boxes; OpenCV's modern trackers want ints, see
:meth:`BBox.as_int_rect`.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

Image = npt.NDArray[Any]
"""An 8-bit BGR (or grey) frame, height x width (x channels). Typed loosely on purpose: OpenCV's
stubs type what it returns as ``Mat | NDArray[integer | floating]``, and a frame must flow from
``VideoCapture.read`` to a tracker without casts."""


@dataclass(frozen=True)
class BBox:
    """Axis-aligned box: top-left corner (x, y) and size (w, h) in pixels, +x right, +y down."""

    x: float
    y: float
    w: float
    h: float

    @classmethod
    def from_click(cls, x: float, y: float, size: float, frame_w: int, frame_h: int) -> BBox:
        """A square of side ``size`` centred on a click, shifted (not shrunk) to stay in the frame.

        Shifting keeps the requested size so the tracker gets the same amount of texture near
        an edge; only a size larger than the frame itself is reduced.
        """
        side = max(1.0, min(float(size), float(frame_w), float(frame_h)))
        left = min(max(x - side / 2.0, 0.0), frame_w - side)
        top = min(max(y - side / 2.0, 0.0), frame_h - side)
        return cls(left, top, side, side)

    @classmethod
    def from_normalised(cls, nx: float, ny: float, nw: float, nh: float, frame_w: int, frame_h: int) -> BBox:
        """From fractions of the frame (0..1), the form the API uses so clients need no frame size."""
        return cls(nx * frame_w, ny * frame_h, nw * frame_w, nh * frame_h)

    def to_normalised(self, frame_w: int, frame_h: int) -> tuple[float, float, float, float]:
        """(x, y, w, h) as fractions of the frame width and height."""
        return (self.x / frame_w, self.y / frame_h, self.w / frame_w, self.h / frame_h)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2.0, self.y + self.h / 2.0)

    @property
    def area(self) -> float:
        return max(self.w, 0.0) * max(self.h, 0.0)

    @property
    def size(self) -> float:
        """sqrt(area): one length per box, so jump and scale checks do not depend on aspect."""
        return math.sqrt(self.area)

    @property
    def is_valid(self) -> bool:
        """True when the box has a positive, finite size (trackers return (0,0,0,0) on failure)."""
        values = (self.x, self.y, self.w, self.h)
        return all(math.isfinite(v) for v in values) and self.w > 0 and self.h > 0

    def intersection(self, other: BBox) -> float:
        iw = min(self.x + self.w, other.x + other.w) - max(self.x, other.x)
        ih = min(self.y + self.h, other.y + other.h) - max(self.y, other.y)
        return max(iw, 0.0) * max(ih, 0.0)

    def iou(self, other: BBox) -> float:
        """Intersection over union, 0 for disjoint or empty boxes."""
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def clamp(self, frame_w: int, frame_h: int) -> BBox:
        """The part of the box inside the frame (may have zero size if wholly outside)."""
        x0 = min(max(self.x, 0.0), float(frame_w))
        y0 = min(max(self.y, 0.0), float(frame_h))
        x1 = min(max(self.x + self.w, 0.0), float(frame_w))
        y1 = min(max(self.y + self.h, 0.0), float(frame_h))
        return BBox(x0, y0, x1 - x0, y1 - y0)

    def fraction_inside(self, frame_w: int, frame_h: int) -> float:
        """Share of the box's area that lies inside the frame (0 when the box is empty)."""
        area = self.area
        return self.clamp(frame_w, frame_h).area / area if area > 0 else 0.0

    def as_int_rect(self) -> tuple[int, int, int, int]:
        """Rounded (x, y, w, h): OpenCV's modern trackers refuse float rectangles."""
        return (round(self.x), round(self.y), max(1, round(self.w)), max(1, round(self.h)))


class TrackState(enum.StrEnum):
    """Where a track stands; the follower only acts on LOCKED."""

    IDLE = "idle"  # nothing selected
    LOCKED = "locked"  # the tracker's box is plausible
    SEARCHING = "searching"  # implausible or failed updates, within the grace period
    LOST = "lost"  # the grace period ran out; needs a new selection


@dataclass(frozen=True)
class TrackedTarget:
    """One tracking result as published on ``tracking.target``.

    ``box`` is None unless the state is LOCKED: a box the plausibility checks refused must not
    reach the follower. ``latency_ms`` is the worker's processing time for this frame;
    ``frame_time_s`` is the capture time, so a consumer can add the age of the frame itself.
    """

    box: BBox | None
    state: TrackState
    confidence: float
    frame_seq: int
    frame_time_s: float
    frame_w: int
    frame_h: int
    tracker: str
    latency_ms: float = 0.0
    fps: float = 0.0
    reason: str = ""  # why the state is what it is, for the pilot ("left the frame", "jump")

    @property
    def is_locked(self) -> bool:
        return self.state is TrackState.LOCKED and self.box is not None

    @property
    def error_x(self) -> float | None:
        """Horizontal offset of the box centre from the image centre, -1 (left edge) .. +1 (right)."""
        if self.box is None or self.frame_w <= 0:
            return None
        half = self.frame_w / 2.0
        return _clip((self.box.centre[0] - half) / half)

    @property
    def error_y(self) -> float | None:
        """Vertical offset of the box centre from the image centre, -1 (top) .. +1 (bottom)."""
        if self.box is None or self.frame_h <= 0:
            return None
        half = self.frame_h / 2.0
        return _clip((self.box.centre[1] - half) / half)

    @property
    def size_frac(self) -> float | None:
        """sqrt(box area / frame area): how big the target looks, independent of its aspect."""
        if self.box is None or self.frame_w <= 0 or self.frame_h <= 0:
            return None
        return math.sqrt(self.box.area / (self.frame_w * self.frame_h))

    @classmethod
    def idle(cls, tracker: str, frame_w: int = 0, frame_h: int = 0, reason: str = "") -> TrackedTarget:
        """The value before anything is selected, after stop(), or after a refused start (with why)."""
        return cls(None, TrackState.IDLE, 0.0, -1, 0.0, frame_w, frame_h, tracker, reason=reason)


@dataclass(frozen=True)
class TrackStateChange:
    """Published on ``tracking.state`` when the state changes, with the reason for the pilot."""

    state: TrackState
    previous: TrackState
    reason: str
    tracker: str
    frame_seq: int


def _clip(value: float) -> float:
    return max(-1.0, min(1.0, value))
