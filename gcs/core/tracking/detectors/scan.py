"""Run a detector over a recorded video, frame by frame, and report what it saw and when.

For reviewing a flight afterwards ("when did a person appear, and for how long?") and for the
API's ``detect_video`` job. Any ``Detector`` works (the shipped demo model on onnxruntime needs
no torch). Every ``every``-th frame is scanned; progress is reported as the fraction of the
file read, and the callback may raise to cancel. The result is plain data (JSON types).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2

from gcs.core.tracking.detectors.base import Detection, Detector
from gcs.core.tracking.errors import TrackerError

Progress = Callable[[float, str], None]
MAX_SAMPLES = 20  # best detections kept in the result, highest score first


@dataclass
class ClassFigures:
    """What one class did over the video."""

    detections: int = 0
    frames: int = 0  # scanned frames with at least one detection of this class
    first_s: float | None = None
    last_s: float | None = None
    best_score: float = 0.0
    scores: list[float] = field(default_factory=list, repr=False)

    def add(self, found: list[Detection], time_s: float) -> None:
        self.detections += len(found)
        self.frames += 1
        self.first_s = time_s if self.first_s is None else self.first_s
        self.last_s = time_s
        self.best_score = max(self.best_score, *(d.score for d in found))
        self.scores.extend(d.score for d in found)

    def as_dict(self) -> dict[str, Any]:
        return {
            "detections": self.detections,
            "frames": self.frames,
            "first_s": _round(self.first_s),
            "last_s": _round(self.last_s),
            "best_score": round(self.best_score, 3),
            "mean_score": round(sum(self.scores) / len(self.scores), 3) if self.scores else 0.0,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def scan_video(path: Path, detector: Detector, *, every: int = 1, progress: Progress | None = None) -> dict[str, Any]:
    """Detections in every ``every``-th frame of ``path``; TrackerError if the file cannot be read."""
    if every < 1:
        raise TrackerError(f"every must be 1 or more, got {every}")
    video = cv2.VideoCapture(str(path))
    if not video.isOpened():
        raise TrackerError(f"cannot open video {path}: not a file OpenCV can read")
    try:
        fps = float(video.get(cv2.CAP_PROP_FPS)) or 30.0
        total = int(video.get(cv2.CAP_PROP_FRAME_COUNT))  # an estimate for some containers
        width, height = int(video.get(cv2.CAP_PROP_FRAME_WIDTH)), int(video.get(cv2.CAP_PROP_FRAME_HEIGHT))
        classes: dict[str, ClassFigures] = {}
        samples: list[dict[str, Any]] = []
        index = scanned = with_detections = 0
        while True:
            ok, image = video.read()
            if not ok:
                break
            if index % every == 0:
                time_s = index / fps
                found = detector.detect(image)
                scanned += 1
                with_detections += bool(found)
                by_label: dict[str, list[Detection]] = {}
                for detection in found:
                    by_label.setdefault(detection.label, []).append(detection)
                for label, items in by_label.items():
                    classes.setdefault(label, ClassFigures()).add(items, time_s)
                samples.extend(_sample(d, index, time_s) for d in found)
                if len(samples) > 4 * MAX_SAMPLES:
                    samples = sorted(samples, key=lambda s: -s["score"])[:MAX_SAMPLES]
                if progress is not None:
                    fraction = index / total if total > 0 else 0.0
                    progress(min(fraction, 0.99), f"frame {index + 1} of {total or '?'}: {len(found)} detections")
            index += 1
    finally:
        video.release()
    if index == 0:
        raise TrackerError(f"video {path} has no frames OpenCV can decode")
    if progress is not None:
        progress(1.0, f"{scanned} frames scanned")
    return {
        "frames": index,
        "frames_scanned": scanned,
        "frames_with_detections": with_detections,
        "fps": round(fps, 3),
        "duration_s": round(index / fps, 3),
        "width": width,
        "height": height,
        "backend": detector.backend,
        "model": detector.model_path.name,
        "classes": {label: figures.as_dict() for label, figures in sorted(classes.items())},
        "best": sorted(samples, key=lambda s: -s["score"])[:MAX_SAMPLES],
    }


def _sample(detection: Detection, index: int, time_s: float) -> dict[str, Any]:
    box = detection.box
    return {
        "frame": index,
        "time_s": round(time_s, 3),
        "label": detection.label,
        "score": round(detection.score, 3),
        "box": [round(box.x, 1), round(box.y, 1), round(box.w, 1), round(box.h, 1)],
    }
