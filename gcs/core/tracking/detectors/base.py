"""What every detector backend shares: the Detection value, the Detector protocol, the options.

A detector turns one BGR frame into a list of boxes in that frame's pixels. Backends differ in
what they need installed (ultralytics drags in torch; onnxruntime does not) but not in what they
return, so smart mode, tests and benches can swap them freely. Class filters are given by name
(the config stores names, a user's model numbers its classes its own way) and resolved against
the model's own label table once it is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from gcs.core.tracking.errors import TrackerError
from gcs.core.tracking.types import BBox, Image

BackendName = Literal["auto", "ultralytics", "onnxruntime"]
BACKENDS: tuple[str, ...] = ("auto", "ultralytics", "onnxruntime")
DEFAULT_NMS_IOU = 0.7  # ultralytics' predict default, so both backends suppress alike


@dataclass(frozen=True)
class Detection:
    """One detected object: box in frame pixels, class id and name from the model, score 0..1."""

    box: BBox
    cls: int
    label: str
    score: float


@dataclass(frozen=True)
class DetectorOptions:
    """How to run a model; mirrors the ``tracking`` config section.

    ``classes`` keeps only these classes (names or ids); empty keeps every class.
    ``device`` is ``cpu`` or ``cuda[:N]``; a backend that cannot honour it says so in the log.
    """

    confidence: float = 0.4
    image_size: int = 320
    device: str = "cpu"
    classes: tuple[str | int, ...] = ()
    nms_iou: float = DEFAULT_NMS_IOU

    def __post_init__(self) -> None:
        if not 0.0 < self.confidence < 1.0:
            raise TrackerError(f"detector confidence must be between 0 and 1, got {self.confidence}")
        if not 32 <= self.image_size <= 2048:
            raise TrackerError(f"detector image size must be 32..2048 px, got {self.image_size}")
        if not 0.0 < self.nms_iou <= 1.0:
            raise TrackerError(f"detector NMS IoU must be in (0, 1], got {self.nms_iou}")


@runtime_checkable
class Detector(Protocol):
    """A loaded model. ``detect`` may be called from any one thread at a time (backends lock)."""

    @property
    def backend(self) -> str: ...

    @property
    def model_path(self) -> Path: ...

    @property
    def labels(self) -> tuple[str, ...]:
        """Class names indexed by class id."""
        ...

    def detect(self, image: Image) -> list[Detection]:
        """Detections in ``image`` (BGR, any size), best score first."""
        ...


def resolve_classes(wanted: Sequence[str | int], labels: Sequence[str]) -> frozenset[int] | None:
    """Class ids to keep, or None for all; unknown names or ids are a TrackerError naming the known ones."""
    if not wanted:
        return None
    by_name = {name.lower(): i for i, name in enumerate(labels)}
    ids: set[int] = set()
    for item in wanted:
        if isinstance(item, int) and not isinstance(item, bool):
            if not 0 <= item < len(labels):
                raise TrackerError(f"detector class id {item} out of range; the model has {len(labels)} classes")
            ids.add(item)
            continue
        key = str(item).strip().lower()
        if key.isdigit() and key not in by_name:
            ids.update(resolve_classes([int(key)], labels) or ())
            continue
        if key not in by_name:
            raise TrackerError(f"the model has no class {item!r}; it knows: {', '.join(labels)}")
        ids.add(by_name[key])
    return frozenset(ids)


def check_model_file(path: Path, suffixes: Sequence[str], backend: str) -> Path:
    """``path`` resolved, or a TrackerError saying what is missing and what the backend can load."""
    resolved = path.expanduser().resolve()
    if not resolved.is_file():
        raise TrackerError(f"detector model not found: {resolved} (smart mode stays off until a model is given)")
    if resolved.suffix.lower() not in suffixes:
        raise TrackerError(
            f"the {backend} backend loads {' or '.join(suffixes)} models, not {resolved.name}"
            + (" (export it: `yolo export model=FILE format=onnx`)" if resolved.suffix.lower() == ".pt" else "")
        )
    return resolved
