"""OpenCV's classic single-object trackers (contrib build) behind the Tracker protocol.

Which constructors exist depends on the OpenCV build: CSRT, KCF and MIL are top-level in
opencv-contrib 4.x/5.0 (``cv2.TrackerCSRT_create``), MedianFlow survives only in
``cv2.legacy``. A missing one is a ``TrackerError`` naming the exact attribute, raised when that
tracker is created, so a broken install says what is wrong instead of an AttributeError.

Confidence. OpenCV 5.0 gives every tracker a ``getTrackingScore()``, but the classic ones return
-1 ("no score"); only the DNN trackers (Nano, Vit) fill it. So: a score >= 0 is used as given
(clipped to 0..1); otherwise the raw confidence is 1.0 when the tracker says ok and 0.0 when it
says failed (CSRT fails on its peak-to-sidelobe ratio, KCF on ``detect_thresh``, MIL and
MedianFlow almost never). The plausibility checks then scale that raw value down the closer a
box comes to a jump, size-change or out-of-frame limit (see ``plausibility.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cv2

from gcs.core.tracking.errors import TrackerError
from gcs.core.tracking.protocol import TrackUpdate
from gcs.core.tracking.registry import ParamSpec, ParamValue, TrackerRegistry, TrackerSpec
from gcs.core.tracking.types import BBox, Image

log = logging.getLogger(__name__)

MIN_INIT_SIDE_PX = 4.0  # smaller boxes make KCF/CSRT assert deep inside OpenCV


def resolve_cv2(path: str) -> Any:
    """``cv2.<path>`` (dotted, e.g. ``legacy.TrackerMedianFlow_create``) or a TrackerError naming it."""
    obj: Any = cv2
    for part in path.split("."):
        if not hasattr(obj, part):
            raise TrackerError(
                f"this OpenCV ({cv2.__version__}) has no cv2.{path}: install "
                "opencv-contrib-python-headless (the plain opencv-python build lacks the trackers)"
            )
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class _CvParam:
    spec: ParamSpec
    attr: str  # attribute name on the OpenCV Params object


@dataclass(frozen=True)
class _CvBackend:
    name: str
    description: str
    create_path: str
    params_path: str | None  # None: the constructor takes no parameters
    params: tuple[_CvParam, ...]
    legacy: bool  # legacy trackers take float rects and return a bool from init


class OpenCvTracker:
    """One OpenCV tracker instance; see the module docstring for how confidence is derived."""

    def __init__(self, backend: _CvBackend, values: Mapping[str, ParamValue]) -> None:
        self._backend = backend
        self._values = dict(values)
        self._impl: Any = None
        self._shape: tuple[int, ...] | None = None
        self._make()  # fail at creation, not at the first click, when the build lacks it

    @property
    def name(self) -> str:
        return self._backend.name

    def _make(self) -> Any:
        create = resolve_cv2(self._backend.create_path)
        if self._backend.params_path is None:
            return create()
        params = resolve_cv2(self._backend.params_path)()
        for p in self._backend.params:
            setattr(params, p.attr, self._values[p.spec.name])
        return create(params)

    def init(self, frame: Image, box: BBox) -> None:
        if frame.ndim not in (2, 3) or frame.size == 0:
            raise TrackerError(f"{self.name}: cannot start on an empty or malformed frame {frame.shape}")
        height, width = frame.shape[:2]
        inside = box.clamp(width, height)
        if not box.is_valid or inside.w < MIN_INIT_SIDE_PX or inside.h < MIN_INIT_SIDE_PX:
            raise TrackerError(f"{self.name}: box {box} has no usable part inside the {width}x{height} frame")
        impl = self._make()  # OpenCV trackers cannot be re-initialised cleanly: always a fresh one
        rect: tuple[float, ...] = (
            (inside.x, inside.y, inside.w, inside.h) if self._backend.legacy else inside.as_int_rect()
        )
        try:
            started = impl.init(frame, rect)
        except cv2.error as exc:
            raise TrackerError(f"{self.name}: OpenCV refused to start on {inside}: {exc}") from exc
        if self._backend.legacy and started is False:
            raise TrackerError(f"{self.name}: OpenCV refused to start on {inside}")
        self._impl = impl
        self._shape = frame.shape

    def update(self, frame: Image) -> TrackUpdate:
        if self._impl is None:
            raise TrackerError(f"{self.name}: update() before init()")
        if frame.shape != self._shape:
            log.warning("%s: frame shape changed %s -> %s; reporting failure", self.name, self._shape, frame.shape)
            return TrackUpdate(None, 0.0, False)
        try:
            ok, rect = self._impl.update(frame)
        except cv2.error as exc:  # e.g. a degenerate model after a long occlusion: a failed update
            log.warning("%s: update raised in OpenCV: %s", self.name, exc)
            return TrackUpdate(None, 0.0, False)
        box = BBox(*(float(v) for v in rect))
        if not ok or not box.is_valid:
            return TrackUpdate(box if box.is_valid else None, 0.0, False)
        return TrackUpdate(box, self._raw_confidence(), True)

    def _raw_confidence(self) -> float:
        score_fn: Callable[[], float] | None = getattr(self._impl, "getTrackingScore", None)
        score = float(score_fn()) if score_fn is not None else -1.0
        return min(score, 1.0) if score >= 0.0 else 1.0


def _p(name: str, attr: str, kind: Any, default: ParamValue, lo: float | None, hi: float | None, text: str) -> _CvParam:
    return _CvParam(ParamSpec(name, kind, default, text, lo, hi), attr)


_BACKENDS: tuple[_CvBackend, ...] = (
    _CvBackend(
        "CSRT",
        "Discriminative correlation filter with channel and spatial reliability: the most accurate "
        "classic tracker and scale-aware, but the slowest; reports failure on a low peak-to-sidelobe ratio.",
        "TrackerCSRT_create",
        "TrackerCSRT_Params",
        (
            _p(
                "padding",
                "padding",
                "float",
                3.0,
                1.0,
                6.0,
                "search area around the target in target sizes; larger survives faster motion, costs time",
            ),
            _p(
                "template_size",
                "template_size",
                "float",
                200.0,
                50.0,
                600.0,
                "side in pixels the target is resampled to; smaller is faster and coarser",
            ),
            _p(
                "psr_threshold",
                "psr_threshold",
                "float",
                0.035,
                0.0,
                1.0,
                "peak-to-sidelobe ratio below which CSRT reports failure; higher gives up sooner",
            ),
            _p(
                "use_segmentation",
                "use_segmentation",
                "bool",
                True,
                None,
                None,
                "colour-histogram mask of the target; off is faster on busy backgrounds",
            ),
        ),
        legacy=False,
    ),
    _CvBackend(
        "KCF",
        "Kernelized correlation filter: fast and decent, fixed box size (no scale), reports failure "
        "when its response peak falls below detect_thresh.",
        "TrackerKCF_create",
        "TrackerKCF_Params",
        (
            _p(
                "detect_thresh",
                "detect_thresh",
                "float",
                0.5,
                0.0,
                1.0,
                "response peak below which KCF reports failure; higher gives up sooner",
            ),
            _p(
                "interp_factor",
                "interp_factor",
                "float",
                0.075,
                0.0,
                1.0,
                "model learning rate; higher adapts to appearance change faster but drifts more",
            ),
            _p(
                "max_patch_size",
                "max_patch_size",
                "int",
                6400,
                400,
                90000,
                "patch area in pixels above which KCF downsamples; smaller is faster",
            ),
        ),
        legacy=False,
    ),
    _CvBackend(
        "MIL",
        "Multiple-instance learning: robust to partial occlusion, fixed box size, slow, and rarely "
        "reports failure on its own (the plausibility checks do that).",
        "TrackerMIL_create",
        "TrackerMIL_Params",
        (
            _p(
                "search_window",
                "samplerSearchWinSize",
                "float",
                25.0,
                5.0,
                200.0,
                "radius in pixels searched around the last position; larger follows faster motion",
            ),
            _p(
                "features",
                "featureSetNumFeatures",
                "int",
                250,
                10,
                1000,
                "number of Haar features; fewer is faster and less discriminative",
            ),
        ),
        legacy=False,
    ),
    _CvBackend(
        "MedianFlow",
        "Median of forward-backward optical flow (legacy module): very fast and scale-aware, good for "
        "slow smooth motion, loses fast or occluded targets.",
        "legacy.TrackerMedianFlow_create",
        None,
        (),
        legacy=True,
    ),
)


def _factory(backend: _CvBackend) -> Callable[[Mapping[str, ParamValue]], OpenCvTracker]:
    def build(values: Mapping[str, ParamValue]) -> OpenCvTracker:
        return OpenCvTracker(backend, values)

    return build


def opencv_tracker_specs() -> tuple[TrackerSpec, ...]:
    """Specs for CSRT, KCF, MIL and MedianFlow (whether this OpenCV build has them is checked on create)."""
    return tuple(TrackerSpec(b.name, b.description, tuple(p.spec for p in b.params), _factory(b)) for b in _BACKENDS)


def default_registry() -> TrackerRegistry:
    """A registry holding the OpenCV classic trackers; detector backends are added by their own module."""
    registry = TrackerRegistry()
    for spec in opencv_tracker_specs():
        registry.register(spec)
    return registry
