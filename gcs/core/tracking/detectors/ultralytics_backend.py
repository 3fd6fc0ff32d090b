"""The reference detector: ultralytics' own YOLO, loading a user's .pt (or .onnx) by path.

It is the reference because it is what users train and export with: any yolov8n.pt, yolo11n.pt
or custom ultralytics model works as is, and its pre/post-processing is the definition the
onnxruntime backend copies. The price is torch (gigabytes), so it is imported here, when a model
is loaded, never when the core is imported; and always after ``prepare_ultralytics_env`` so it
cannot reach for the network.

A model is warmed up on a blank frame at load time: a file ultralytics cannot run, or a device
it cannot use, fails then, as a TrackerError, and not at the pilot's first click.

Offline. ultralytics reads ``YOLO_OFFLINE`` and ``YOLO_CONFIG_DIR`` once, when first imported,
and during dataset checks downloads ``Arial.ttf`` into that config dir even with plots off. A
ground station in the field has no network and must never fetch anything at run time, so every
import of ultralytics in this project (the training tool's too) goes through
:func:`prepare_ultralytics_env`: it forces offline mode, points the config dir at ours (unless the
user chose one), and puts a TTF already on the machine (matplotlib's DejaVuSans, which
ultralytics itself requires) where ultralytics looks for Arial.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import shutil
import sys
import threading
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from gcs.core.tracking.detectors.base import Detection, DetectorOptions, check_model_file, resolve_classes
from gcs.core.tracking.errors import TrackerError
from gcs.core.tracking.types import BBox, Image

log = logging.getLogger(__name__)

SUFFIXES = (".pt", ".onnx")
_DETECTING_TASKS = ("detect", "segment")
# What loading a foreign or broken file raises inside torch/ultralytics (pickle, shapes, version).
_LOAD_ERRORS = (OSError, RuntimeError, ValueError, KeyError, TypeError, AttributeError, ModuleNotFoundError, EOFError)

_SYSTEM_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
    Path("/Library/Fonts/Arial.ttf"),
    Path("C:/Windows/Fonts/arial.ttf"),
)


def default_config_dir() -> Path:
    """Where ultralytics keeps its settings for us: beside our own cache, never ~/.config/Ultralytics."""
    return Path(platformdirs.user_cache_dir("kestrel-gcs")) / "yolo"


def _local_font() -> Path | None:
    spec = find_spec("matplotlib")
    if spec is not None and spec.origin is not None:
        candidate = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if candidate.is_file():
            return candidate
    return next((p for p in _SYSTEM_FONTS if p.is_file()), None)


def prepare_ultralytics_env(config_dir: Path | None = None) -> Path:
    """Set the environment ultralytics reads at import; returns its config dir. Idempotent.

    Call before the first ``import ultralytics``; once it is imported a changed dir is ignored
    (logged), but the offline flag is still read at each check, so it always takes effect.
    """
    os.environ["YOLO_OFFLINE"] = "1"
    chosen = os.environ.get("YOLO_CONFIG_DIR")
    if config_dir is not None:
        chosen = str(config_dir)
    root = Path(chosen) if chosen else default_config_dir()
    if "ultralytics" in sys.modules and os.environ.get("YOLO_CONFIG_DIR") != str(root):
        log.warning("ultralytics already imported; its config dir stays %s", os.environ.get("YOLO_CONFIG_DIR"))
        return Path(os.environ.get("YOLO_CONFIG_DIR", str(root)))
    os.environ["YOLO_CONFIG_DIR"] = str(root)
    font_dir = root / "Ultralytics"
    target = font_dir / "Arial.ttf"
    if not target.is_file():
        source = _local_font()
        if source is None:
            log.warning("no local TTF found for ultralytics; plots may try to download Arial.ttf")
        else:
            try:
                font_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
            except OSError as exc:  # read-only home: inference still works, only plots need the font
                log.warning("could not place a font for ultralytics at %s: %s", target, exc)
    return root


def import_yolo() -> Any:
    """ultralytics' YOLO class, importing ultralytics (and torch) offline on first call."""
    prepare_ultralytics_env()
    try:
        # ultralytics prints banners ("Creating new Ultralytics Settings ... file" on a first run)
        # to stdout, and its logger keeps the stream it found at import: importing it with stdout
        # pointed at stderr keeps every line of it off the program's stdout, for good.
        with contextlib.redirect_stdout(sys.stderr):
            module = importlib.import_module("ultralytics")
    except ImportError as exc:
        raise TrackerError(
            "the ultralytics backend needs the ultralytics package (and torch): pip install ultralytics; "
            "or use backend 'onnxruntime' with an .onnx model"
        ) from exc
    return module.YOLO


def _device(wanted: str) -> str:
    """``wanted`` if torch can use it, else the CPU (logged): a missing GPU must not disable smart mode."""
    if wanted.lower().startswith("cuda"):
        torch = importlib.import_module("torch")
        if not torch.cuda.is_available():
            log.warning("device %s asked for but torch sees no CUDA device; running on the CPU", wanted)
            return "cpu"
    return wanted


class UltralyticsDetector:
    """A YOLO model run through ultralytics; ``detect`` is serialised by a lock (not thread-safe inside)."""

    backend = "ultralytics"

    def __init__(self, model_path: Path, options: DetectorOptions) -> None:
        self._path = check_model_file(model_path, SUFFIXES, self.backend)
        self._options = options
        yolo = import_yolo()
        self._device = _device(options.device)
        try:
            self._model = yolo(str(self._path), task="detect")
        except _LOAD_ERRORS as exc:
            raise TrackerError(f"ultralytics could not load {self._path.name}: {exc}") from exc
        task = getattr(self._model, "task", "detect")
        if task not in _DETECTING_TASKS:
            raise TrackerError(f"{self._path.name} is a {task!r} model, not a detector")
        self._lock = threading.Lock()
        self._labels: tuple[str, ...] = ()
        self._keep: frozenset[int] | None = None
        self._warm_up()
        log.info("ultralytics detector %s: %d classes, imgsz %d, device %s", self._path.name, len(self._labels),
                 options.image_size, self._device)

    def _warm_up(self) -> None:
        blank = np.full((max(64, self._options.image_size // 2), self._options.image_size, 3), 114, np.uint8)
        try:
            self._predict(blank, None)
        except _LOAD_ERRORS as exc:
            raise TrackerError(f"ultralytics could not run {self._path.name} on {self._device}: {exc}") from exc
        names = self._model.names  # for .onnx known only once the backend is built (by the warm-up)
        self._labels = tuple(str(names[i]) for i in sorted(names)) if isinstance(names, dict) else tuple(names)
        self._keep = resolve_classes(self._options.classes, self._labels)

    def _predict(self, image: Image, keep: frozenset[int] | None) -> Any:
        o = self._options
        with self._lock:
            results = self._model.predict(image, imgsz=o.image_size, conf=o.confidence, iou=o.nms_iou,
                                          classes=sorted(keep) if keep is not None else None,
                                          device=self._device, verbose=False, max_det=300)
        return results[0]

    @property
    def model_path(self) -> Path:
        return self._path

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def detect(self, image: Image) -> list[Detection]:
        result = self._predict(image, self._keep)
        boxes = result.boxes
        xyxy = boxes.xyxy.cpu().numpy().tolist()
        scores = boxes.conf.cpu().numpy().tolist()
        classes = boxes.cls.cpu().numpy().astype(int).tolist()
        detections = []
        for (x1, y1, x2, y2), score, cls in zip(xyxy, scores, classes, strict=True):
            box = BBox(x1, y1, x2 - x1, y2 - y1)
            if box.is_valid:
                label = self._labels[cls] if 0 <= cls < len(self._labels) else str(cls)
                detections.append(Detection(box, cls, label, float(score)))
        detections.sort(key=lambda d: -d.score)
        return detections
