"""The one interface every tracker backend implements, classic or detector-based.

The worker, the registry and the plausibility checks know only this protocol, so a later
detector backend (YOLO + association) plugs in by implementing ``init``/``update`` and
registering a factory, without touching the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from gcs.core.tracking.types import BBox, Image


@dataclass(frozen=True)
class TrackUpdate:
    """What one ``update`` returns.

    ``ok`` is the backend's own verdict; ``confidence`` is 0..1, either the backend's score or,
    for backends without one, an estimate documented by that backend. ``box`` is None when the
    backend produced no box at all.
    """

    box: BBox | None
    confidence: float
    ok: bool


@runtime_checkable
class Tracker(Protocol):
    """A single-target tracker: start on a box in a frame, then follow it frame by frame.

    Not thread-safe: one thread (the tracking worker) owns an instance. ``init`` raises
    ``TrackerError`` when the box or frame cannot be used.
    """

    @property
    def name(self) -> str: ...

    def init(self, frame: Image, box: BBox) -> None: ...

    def update(self, frame: Image) -> TrackUpdate: ...


@runtime_checkable
class SelectingTracker(Tracker, Protocol):
    """A tracker that chooses its own target at start: smart mode snaps a click or a rough box to
    the detected object there. The worker hands such a tracker the click itself (``init_click``)
    and afterwards treats ``selected_box`` as the selection (appearance reference, first box)."""

    @property
    def selected_box(self) -> BBox | None: ...

    def init_click(self, frame: Image, x: float, y: float) -> None: ...
