"""Smart click-to-track: a click snaps to the detected object under it, which is then followed by detection.

A classic tracker follows whatever pixels the pilot boxed, background included; smart mode
tracks *an object*: the click picks a detection (:func:`select`), and every later frame is
detected anew and the target found among the detections (``association.py``), so the box keeps
fitting the object as it turns, shrinks or grows, and a target hidden for a moment is taken
back by class, position and colour when it reappears.

It is a ``Tracker`` like the OpenCV ones, so the existing ``TrackingWorker`` runs it with its
plausibility checks, loss timeout and bus topics unchanged; ``init_click`` and ``selected_box``
(the ``SelectingTracker`` protocol) let the worker hand it the click itself and adopt the
detection's box as the selection.

Registration is lazy: :func:`register_smart_tracker` adds the ``smart`` spec to a registry without
loading anything; the model (and torch, for ultralytics) is loaded by the first ``create``,
once, and shared by every smart tracker made from that spec.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gcs.core.tracking.association import AssociationParams, TargetModel
from gcs.core.tracking.detectors.base import Detection, Detector
from gcs.core.tracking.detectors.factory import create_detector
from gcs.core.tracking.errors import TrackerError
from gcs.core.tracking.protocol import TrackUpdate
from gcs.core.tracking.registry import ParamSpec, ParamValue, TrackerRegistry, TrackerSpec
from gcs.core.tracking.types import BBox, Image

log = logging.getLogger(__name__)

SMART_NAME = "smart"
DEFAULT_CLICK_RADIUS_PX = 24.0
_SIMILAR_AREA = 1.3  # two boxes under a click closer in area than this cannot be told apart by size
_DUPLICATE_IOU = 0.7  # two boxes this alike are one object reported twice (e.g. as two classes)
_MIN_BOX_IOU = 0.3  # a drawn box is taken as the detection it overlaps at least this much


def _contains(box: BBox, x: float, y: float) -> bool:
    return box.x <= x <= box.x + box.w and box.y <= y <= box.y + box.h


def _distance(box: BBox, x: float, y: float) -> float:
    """Pixels from (x, y) to the nearest point of ``box``; 0 inside."""
    dx = max(box.x - x, 0.0, x - (box.x + box.w))
    dy = max(box.y - y, 0.0, y - (box.y + box.h))
    return math.hypot(dx, dy)


def select(
    detections: Sequence[Detection], x: float, y: float, *, radius_px: float = DEFAULT_CLICK_RADIUS_PX
) -> Detection:
    """The detection a click at (x, y) means; TrackerError with the reason when there is none or two.

    The smallest box containing the click wins (a person beside a car: the person); boxes of about
    the same size both under the click are ambiguous. With no box under it, the nearest box edge
    within ``radius_px`` wins, unless a second one is about as near.
    """
    where = f"({x:.0f}, {y:.0f})"
    if not detections:
        raise TrackerError(f"nothing detected in this frame: no object to select at {where}")
    under = sorted((d for d in detections if _contains(d.box, x, y)), key=lambda d: d.box.area)
    if under:
        best = under[0]
        for other in under[1:]:
            if other.box.area > best.box.area * _SIMILAR_AREA:
                break
            if other.box.iou(best.box) >= _DUPLICATE_IOU:
                best = best if best.score >= other.score else other
                continue
            raise TrackerError(
                f"ambiguous click at {where}: it is on a {best.label} and a {other.label} of about the same "
                "size; click where they do not overlap"
            )
        return best
    near = sorted(((_distance(d.box, x, y), i) for i, d in enumerate(detections)), key=lambda t: t[0])
    near = [(dist, i) for dist, i in near if dist <= radius_px]
    if not near:
        kinds = ", ".join(sorted({d.label for d in detections}))
        raise TrackerError(
            f"no detected object under the click at {where} or within {radius_px:.0f} px "
            f"({len(detections)} detected in this frame: {kinds})"
        )
    if len(near) > 1 and near[1][0] - near[0][0] < 0.25 * radius_px:
        a, b = detections[near[0][1]], detections[near[1][1]]
        raise TrackerError(f"ambiguous click at {where}: about as near to a {a.label} as to a {b.label}; click on one")
    return detections[near[0][1]]


def match_box(detections: Sequence[Detection], box: BBox, radius_px: float = DEFAULT_CLICK_RADIUS_PX) -> Detection:
    """The detection a drawn box means: the one it overlaps most (IoU >= 0.3), else what its centre selects."""
    best = max(detections, key=lambda d: d.box.iou(box), default=None)
    if best is not None and best.box.iou(box) >= _MIN_BOX_IOU:
        return best
    return select(detections, *box.centre, radius_px=radius_px)


@dataclass(frozen=True)
class SmartParams:
    """Per-track settings (the registry's parameters); the detector's own are in DetectorOptions."""

    click_radius_px: float = DEFAULT_CLICK_RADIUS_PX
    association: AssociationParams = field(default_factory=AssociationParams)
    confidence_floor: float = 0.4  # the detector's threshold: a score there reports confidence 0.5


class SmartTracker:
    """Detect-then-associate single-target tracker; one instance per track, one thread at a time."""

    name = SMART_NAME

    def __init__(self, detector: Detector, params: SmartParams | None = None) -> None:
        self._detector = detector
        self._params = params or SmartParams()
        self._target: TargetModel | None = None
        self._selected: BBox | None = None
        self._shape: tuple[int, ...] | None = None

    @property
    def detector(self) -> Detector:
        return self._detector

    @property
    def selected_box(self) -> BBox | None:
        """The detection box the track started on (None before a start)."""
        return self._selected

    @property
    def target(self) -> TargetModel | None:
        return self._target

    def init_click(self, frame: Image, x: float, y: float) -> None:
        """Start on the detection under a click; TrackerError with the reason when the click selects nothing."""
        self._start(frame, select(self._detect(frame), x, y, radius_px=self._params.click_radius_px))

    def init(self, frame: Image, box: BBox) -> None:
        """Start on the detection a box means (most overlap, else the object at its centre)."""
        if not box.is_valid:
            raise TrackerError(f"{self.name}: cannot start on an empty box {box}")
        self._start(frame, match_box(self._detect(frame), box, self._params.click_radius_px))

    def _detect(self, frame: Image) -> list[Detection]:
        if frame.ndim not in (2, 3) or frame.size == 0:
            raise TrackerError(f"{self.name}: cannot start on an empty or malformed frame {frame.shape}")
        return self._detector.detect(frame)

    def _start(self, frame: Image, chosen: Detection) -> None:
        self._target = TargetModel(frame, chosen)
        self._selected = chosen.box
        self._shape = frame.shape
        log.info("smart: selected %s (score %.2f) at %s", chosen.label, chosen.score, chosen.box)

    def update(self, frame: Image) -> TrackUpdate:
        target = self._target
        if target is None:
            raise TrackerError(f"{self.name}: update() before init()")
        if frame.shape != self._shape:
            log.warning("smart: frame shape changed %s -> %s; reporting failure", self._shape, frame.shape)
            return TrackUpdate(None, 0.0, False)
        matches = target.candidates(frame, self._detector.detect(frame), self._params.association)
        if not matches:
            target.miss()
            return TrackUpdate(None, 0.0, False)
        best = matches[0]
        if target.misses:
            log.info("smart: %s re-acquired after %d updates", target.label, target.misses)
        target.accept(frame, best)
        return TrackUpdate(best.detection.box, self._confidence(best.detection.score), True)

    def _confidence(self, score: float) -> float:
        """Detector score rescaled so the detector's threshold reads 0.5 and a perfect score 1.0."""
        floor = min(max(self._params.confidence_floor, 0.0), 0.99)
        return max(0.0, min(1.0, 0.5 + 0.5 * (score - floor) / (1.0 - floor)))


class LazyDetector:
    """Loads a detector on first use, once, thread-safely; a failed load raises again on the next use."""

    def __init__(self, backend: str = "auto", model_path: str | Path | None = None, *, confidence: float = 0.4,
                 image_size: int = 320, device: str = "cpu", classes: Sequence[str | int] = ()) -> None:
        self._backend, self._model_path = backend, model_path
        self.confidence, self._image_size, self._device, self._classes = confidence, image_size, device, tuple(classes)
        self._lock = threading.Lock()
        self._detector: Detector | None = None

    @property
    def loaded(self) -> bool:
        return self._detector is not None

    def get(self) -> Detector:
        """The detector, loading it now if needed (seconds for ultralytics: call early off the GUI thread)."""
        with self._lock:
            if self._detector is None:
                self._detector = create_detector(self._backend, self._model_path, confidence=self.confidence,
                                                 image_size=self._image_size, device=self._device,
                                                 classes=self._classes)
            return self._detector


_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("click_radius_px", "float", DEFAULT_CLICK_RADIUS_PX,
              "a click this near a detection (and on none) still selects it", 0.0, 200.0),
    ParamSpec("gate_sizes", "float", AssociationParams.gate_sizes,
              "how far (in target sizes) from its predicted place a detection may be to be the target", 0.3, 10.0),
    ParamSpec("min_appearance", "float", AssociationParams.min_appearance,
              "least colour similarity to the target for a detection to be taken as it", 0.0, 1.0),
    ParamSpec("max_scale_change", "float", AssociationParams.max_scale_change,
              "largest size change between updates before a detection is refused", 1.05, 4.0),
    ParamSpec("coast_updates", "int", AssociationParams.coast_updates,
              "updates the target may go unseen while its search area keeps growing", 0, 600),
)


def smart_tracker_spec(detector: LazyDetector) -> TrackerSpec:
    """The registry entry: building a tracker loads the shared detector (TrackerError if it cannot)."""

    def build(values: Mapping[str, ParamValue]) -> SmartTracker:
        association = AssociationParams(
            gate_sizes=float(values["gate_sizes"]), max_scale_change=float(values["max_scale_change"]),
            min_appearance=float(values["min_appearance"]), coast_updates=int(values["coast_updates"]),
        )
        params = SmartParams(float(values["click_radius_px"]), association, detector.confidence)
        return SmartTracker(detector.get(), params)

    return TrackerSpec(
        SMART_NAME,
        "YOLO detection + association: a click snaps to the detected object, which is followed by class, "
        "position, motion and colour and taken back after short occlusions.",
        _PARAMS,
        build,
    )


def register_smart_tracker(registry: TrackerRegistry, detector: LazyDetector | None = None, *,
                           replace: bool = True) -> LazyDetector:
    """Add ``smart`` to ``registry`` without loading any model; returns the shared lazy detector."""
    lazy = detector if detector is not None else LazyDetector()
    registry.register(smart_tracker_spec(lazy), replace=replace)
    return lazy
