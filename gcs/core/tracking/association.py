"""Which detection in this frame is our target? Single-target association for smart mode.

Why our own and not ultralytics' ByteTrack/BoT-SORT: those live inside ultralytics (so torch),
and the onnxruntime install must track too; they manage many anonymous tracks and hand out a new
id after a track has been lost for ``track_buffer`` frames, while a pilot's lock is one target
that must be found again after an occlusion. What we need is small, so it is here, in numpy:

* motion: a constant-velocity prediction in image pixels per update (camera and target motion
  together), smoothed, and coasted while the target is unseen;
* gate: same class; centre within ``gate_sizes`` target sizes of the prediction (growing with
  every missed update, so a target that reappears a little way off is still taken); size within
  ``max_scale_change`` of the last one; colour (the HSV histogram of ``appearance.py``) at least
  ``min_appearance`` like the target's;
* choice: the gated candidate with the best blend of IoU with the prediction, closeness and
  colour similarity. The colour reference learns slowly from confident matches only.

Everything here is owned by one thread (the tracking worker's).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gcs.core.tracking.appearance import Signature, signature, similarity
from gcs.core.tracking.detectors.base import Detection
from gcs.core.tracking.types import BBox, Image

MIN_SIZE_PX = 8.0  # distances are measured in target sizes; tiny boxes would make the gate a pinhole
_VELOCITY_SMOOTHING = 0.5  # weight of the newest displacement
_LEARN_RATE = 0.05
_LEARN_ABOVE = 0.6
_W_IOU, _W_NEAR, _W_LOOK = 0.4, 0.3, 0.3


@dataclass(frozen=True)
class AssociationParams:
    """Gates of the association; see the module docstring."""

    gate_sizes: float = 1.5
    gate_growth: float = 0.5  # extra target sizes of gate per missed update
    max_scale_change: float = 1.6
    min_appearance: float = 0.35
    coast_updates: int = 30  # the gate and the prediction stop growing after this many misses


@dataclass(frozen=True)
class Match:
    detection: Detection
    score: float  # 0..1 blend of IoU, closeness and colour
    appearance: float


class TargetModel:
    """What is known about the target: class, last box, velocity, look, and how long it is unseen."""

    def __init__(self, image: Image, detection: Detection) -> None:
        self.cls = detection.cls
        self.label = detection.label
        self.box = detection.box
        self.score = detection.score
        self.velocity = (0.0, 0.0)
        self.misses = 0
        self.reference: Signature | None = signature(image, detection.box)

    def predicted(self, max_coast: int | None = None) -> BBox:
        """The last box moved on by the velocity for every update since it was seen (at most ``max_coast`` + 1)."""
        steps = (self.misses if max_coast is None else min(self.misses, max_coast)) + 1
        vx, vy = self.velocity
        return BBox(self.box.x + vx * steps, self.box.y + vy * steps, self.box.w, self.box.h)

    def candidates(self, image: Image, detections: Sequence[Detection], p: AssociationParams) -> list[Match]:
        """Every detection inside the gates, best first."""
        misses = min(self.misses, p.coast_updates)
        pred = self.predicted(p.coast_updates)
        ref = max(self.box.size, MIN_SIZE_PX)
        gate = p.gate_sizes + p.gate_growth * misses
        max_log_scale = math.log(p.max_scale_change) * (1.0 + 0.25 * misses)
        (px, py) = pred.centre
        matches = []
        for d in detections:
            if d.cls != self.cls:
                continue
            cx, cy = d.box.centre
            near = math.hypot(cx - px, cy - py) / ref
            if near > gate or abs(math.log(max(d.box.size, 1e-6) / ref)) > max_log_scale:
                continue
            look = self._look(image, d.box)
            if look < p.min_appearance:
                continue
            score = _W_IOU * d.box.iou(pred) + _W_NEAR * (1.0 - near / gate) + _W_LOOK * look
            matches.append(Match(d, score, look))
        matches.sort(key=lambda m: -m.score)
        return matches

    def _look(self, image: Image, box: BBox) -> float:
        if self.reference is None:
            return 1.0
        current = signature(image, box)
        return similarity(self.reference, current) if current is not None else 0.0

    def accept(self, image: Image, match: Match) -> None:
        """Take ``match`` as the target's new observation: position, velocity, and (slowly) its look."""
        box = match.detection.box
        steps = self.misses + 1
        (ox, oy), (nx, ny) = self.box.centre, box.centre
        observed = ((nx - ox) / steps, (ny - oy) / steps)
        vx, vy = self.velocity
        a = _VELOCITY_SMOOTHING
        self.velocity = (vx + a * (observed[0] - vx), vy + a * (observed[1] - vy))
        self.box, self.score, self.misses = box, match.detection.score, 0
        if self.reference is not None and match.appearance >= _LEARN_ABOVE:
            current = signature(image, box)
            if current is not None:
                self.reference = ((1.0 - _LEARN_RATE) * self.reference + _LEARN_RATE * current).astype(
                    self.reference.dtype
                )

    def miss(self) -> None:
        """No detection passed the gates in this update: coast on."""
        self.misses += 1
