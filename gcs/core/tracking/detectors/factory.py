"""One way to get a detector: ``create_detector(backend, model_path, ...)``; plus where the demo model lives.

``auto`` picks by the model: a ``.pt`` needs ultralytics (the reference backend, which loads .pt
and .onnx); an ``.onnx`` (the shipped demo model included) runs on onnxruntime when it is installed,
ultralytics otherwise. onnxruntime is preferred because it starts in a fraction of a second, is
faster on a CPU, and needs no torch: importing torch takes seconds and gigabytes, and doing it on
a worker thread while OpenCV threads run has crashed (SIGFPE) and deadlocked here. Whether a
backend is installed is asked with ``find_spec``, which imports nothing. Every failure (no
runtime, no model file, a model the runtime cannot load) is a ``TrackerError`` that says what to
install or which file is missing, so the caller can keep smart mode off and the rest running.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path

from gcs.core.tracking.detectors.base import BACKENDS, Detector, DetectorOptions
from gcs.core.tracking.errors import TrackerError

log = logging.getLogger(__name__)

DEMO_MODEL_STEM = "kestrel_demo_yolov8n"
MODEL_DIR_ENV = "KESTREL_MODEL_DIR"


def _installed(*modules: str) -> bool:
    return all(find_spec(m) is not None for m in modules)


def available_backends() -> tuple[str, ...]:
    """Backends whose runtime is installed, in the order ``auto`` tries them for an .onnx model."""
    found = []
    if _installed("onnxruntime"):
        found.append("onnxruntime")
    if _installed("ultralytics", "torch"):
        found.append("ultralytics")
    return tuple(found)


def resolve_backend(backend: str, model_path: str | Path | None = None) -> str:
    """``backend`` itself, or for ``auto`` the one that suits ``model_path``; TrackerError when none is."""
    if backend not in BACKENDS:
        raise TrackerError(f"unknown detector backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend != "auto":
        return backend
    found = available_backends()
    if model_path and Path(model_path).suffix.lower() == ".pt":
        if "ultralytics" not in found:
            raise TrackerError(f"{Path(model_path).name} is a PyTorch model: pip install ultralytics, "
                               "or export it with `yolo export format=onnx` for onnxruntime")
        return "ultralytics"
    if not found:
        raise TrackerError("no detector runtime installed: pip install onnxruntime (light) or ultralytics (with torch)")
    return found[0]


def model_dir() -> Path:
    """Folder of the shipped models: $KESTREL_MODEL_DIR, the PyInstaller bundle, or the source tree."""
    override = os.environ.get(MODEL_DIR_ENV)
    if override:
        return Path(override).expanduser()
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources" / "models"
    return Path(__file__).resolve().parents[4] / "resources" / "models"


def demo_model_path(backend: str) -> Path:
    """The shipped demo model in the format ``backend`` prefers (.pt for ultralytics, .onnx otherwise)."""
    suffix = ".pt" if resolve_backend(backend) == "ultralytics" else ".onnx"
    return model_dir() / f"{DEMO_MODEL_STEM}{suffix}"


def create_detector(
    backend: str = "auto",
    model_path: str | Path | None = None,
    *,
    confidence: float = 0.4,
    image_size: int = 320,
    device: str = "cpu",
    classes: Sequence[str | int] = (),
) -> Detector:
    """Load ``model_path`` (empty: the shipped demo model) on ``backend``; see the module docstring."""
    chosen = resolve_backend(backend, model_path)
    path = Path(model_path).expanduser() if model_path else demo_model_path(chosen)
    options = DetectorOptions(confidence, image_size, device, tuple(classes))
    if not path.is_file():
        raise TrackerError(f"detector model not found: {path} (smart mode stays off until a model is given)")
    if chosen == "ultralytics":
        from gcs.core.tracking.detectors.ultralytics_backend import UltralyticsDetector

        detector: Detector = UltralyticsDetector(path, options)
    else:
        from gcs.core.tracking.detectors.onnx_backend import OnnxRuntimeDetector

        detector = OnnxRuntimeDetector(path, options)
    log.info("detector ready: %s on %s", path.name, chosen)
    return detector
