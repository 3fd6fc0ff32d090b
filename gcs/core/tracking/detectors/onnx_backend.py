"""YOLO on onnxruntime with numpy and OpenCV only: the detector of installs without torch.

The packaged app leaves torch out (gigabytes), so it cannot use ultralytics; this backend runs
an ultralytics ONNX export directly. It reproduces ultralytics' own pre- and post-processing so
both backends give the same boxes for the same frame:

* letterbox: resize keeping the aspect ratio to fit the model input, pad equally on both sides
  with grey 114, BGR -> RGB, scale to 0..1, NCHW float32;
* decoding: a YOLOv8/YOLO11 head gives ``(1, 4 + classes, anchors)``: centre x/y, width, height
  in input pixels, then one already-sigmoided score per class; the best class per anchor is kept
  if it clears the confidence threshold; end-to-end exports (YOLOv10/YOLO26, ``(1, N, 6)`` =
  x1 y1 x2 y2 score class) are already suppressed;
* NMS per class (``cv2.dnn.NMSBoxesBatched``) at IoU 0.7, at most 300 boxes, as ultralytics does.

Class names, stride and input size come from the metadata ultralytics writes into the export.
"""

from __future__ import annotations

import ast
import importlib
import logging
import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from gcs.core.tracking.detectors.base import Detection, DetectorOptions, check_model_file, resolve_classes
from gcs.core.tracking.errors import TrackerError
from gcs.core.tracking.types import BBox, Image

log = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]
PAD_VALUE = 114
MAX_DETECTIONS = 300


def letterbox(image: Image, size: tuple[int, int]) -> tuple[Image, float, tuple[float, float]]:
    """``image`` fitted into ``size`` (h, w) as ultralytics' LetterBox does; returns (padded, scale, (left, top))."""
    height, width = image.shape[:2]
    out_h, out_w = size
    scale = min(out_h / height, out_w / width)
    new_w, new_h = round(width * scale), round(height * scale)
    dw, dh = (out_w - new_w) / 2.0, (out_h - new_h) / 2.0
    resized = image if (new_w, new_h) == (width, height) else cv2.resize(image, (new_w, new_h),
                                                                          interpolation=cv2.INTER_LINEAR)
    top, bottom = round(dh - 0.1), round(dh + 0.1)
    left, right = round(dw - 0.1), round(dw + 0.1)
    padded = cv2.copyMakeBorder(resized, top, bottom, left, right, cv2.BORDER_CONSTANT,
                                value=(PAD_VALUE, PAD_VALUE, PAD_VALUE))
    return padded, scale, (float(left), float(top))


def to_blob(padded: Image) -> F32:
    """HWC BGR uint8 -> 1x3xHxW RGB float32 in 0..1."""
    return np.asarray(cv2.dnn.blobFromImage(padded, 1.0 / 255.0, swapRB=True), dtype=np.float32)


def decode(output: F32, num_classes: int, confidence: float, keep: frozenset[int] | None,
           nms_iou: float) -> tuple[F32, F32, npt.NDArray[np.int64]]:
    """Boxes (N x 4, x y w h in model-input pixels), scores and class ids after threshold and NMS."""
    pred = np.asarray(output, dtype=np.float32)[0]
    end_to_end = pred.ndim == 2 and pred.shape[1] == 6 and pred.shape[0] != 4 + num_classes
    if end_to_end:
        x1, y1, x2, y2 = pred[:, 0], pred[:, 1], pred[:, 2], pred[:, 3]
        scores, classes = pred[:, 4], pred[:, 5].astype(np.int64)
        boxes = np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)
    else:
        if pred.shape[0] == 4 + num_classes:
            pred = pred.T  # (anchors, 4 + classes)
        elif pred.shape[1] != 4 + num_classes:
            raise TrackerError(f"unexpected YOLO output shape {output.shape} for {num_classes} classes")
        class_scores = pred[:, 4:]
        classes = np.argmax(class_scores, axis=1).astype(np.int64)
        scores = class_scores[np.arange(len(pred)), classes]
        cx, cy, w, h = pred[:, 0], pred[:, 1], pred[:, 2], pred[:, 3]
        boxes = np.stack([cx - w / 2.0, cy - h / 2.0, w, h], axis=1)
    mask = scores >= confidence
    if keep is not None:
        mask &= np.isin(classes, np.fromiter(keep, dtype=np.int64))
    boxes, scores, classes = boxes[mask], scores[mask], classes[mask]
    if len(boxes) and not end_to_end:
        kept = cv2.dnn.NMSBoxesBatched(boxes.tolist(), scores.tolist(), classes.tolist(), confidence, nms_iou)
        idx = np.asarray(kept, dtype=np.int64).reshape(-1)
        boxes, scores, classes = boxes[idx], scores[idx], classes[idx]
    order = np.argsort(-scores, kind="stable")[:MAX_DETECTIONS]
    return boxes[order].astype(np.float32), scores[order].astype(np.float32), classes[order]


def _labels(meta: dict[str, str], num_outputs: int) -> tuple[str, ...]:
    raw = meta.get("names")
    if raw:
        names = ast.literal_eval(raw)  # ultralytics writes a dict repr: "{0: 'car', 1: 'person'}"
        if isinstance(names, dict):
            return tuple(str(names[i]) for i in sorted(names))
        return tuple(str(n) for n in names)
    log.warning("model has no class names in its metadata; numbering %d classes", num_outputs)
    return tuple(str(i) for i in range(num_outputs))


def _import_onnxruntime() -> Any:
    try:
        return importlib.import_module("onnxruntime")
    except ImportError as exc:
        raise TrackerError("the onnxruntime backend needs the onnxruntime package: pip install onnxruntime") from exc


def _providers(ort: Any, device: str) -> list[str]:
    available = set(ort.get_available_providers())
    if device.lower().startswith("cuda"):
        if "CUDAExecutionProvider" in available:
            return ["CUDAExecutionProvider", "CPUExecutionProvider"]
        log.warning("device %s asked for but onnxruntime has no CUDA provider here; running on the CPU", device)
    return ["CPUExecutionProvider"]


class OnnxRuntimeDetector:
    """An ultralytics YOLO detection export run by onnxruntime; see the module docstring."""

    backend = "onnxruntime"

    def __init__(self, model_path: Path, options: DetectorOptions) -> None:
        ort = _import_onnxruntime()
        self._path = check_model_file(model_path, (".onnx",), self.backend)
        self._options = options
        session_options = ort.SessionOptions()
        session_options.log_severity_level = 3  # errors only: ORT warns about unused initialisers
        # no busy-waiting between frames: capture, encoding and the GUI need those cores (and with
        # them busy, spinning threads made inference 2x slower here)
        session_options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        state = ort.capi.onnxruntime_pybind11_state
        load_errors = (state.Fail, state.InvalidProtobuf, state.NoSuchFile, state.InvalidArgument,
                       state.InvalidGraph, state.NotImplemented, state.RuntimeException)
        try:
            self._session = ort.InferenceSession(str(self._path), session_options,
                                                 providers=_providers(ort, options.device))
        except load_errors as exc:
            raise TrackerError(f"onnxruntime could not load {self._path.name}: {exc}") from exc
        meta = dict(self._session.get_modelmeta().custom_metadata_map)
        if meta.get("task", "detect") not in ("detect", "segment"):
            raise TrackerError(f"{self._path.name} is a {meta['task']!r} model, not a detector")
        inp = self._session.get_inputs()[0]
        self._input_name = inp.name
        self._input_size = self._input_hw(inp.shape, options.image_size)
        out_shape = self._session.get_outputs()[0].shape
        guessed = (out_shape[1] - 4) if isinstance(out_shape[1], int) else 0
        self._labels = _labels(meta, guessed)
        self._keep = resolve_classes(options.classes, self._labels)
        self._lock = threading.Lock()
        log.info("onnxruntime detector %s: %d classes, input %dx%d, providers %s", self._path.name,
                 len(self._labels), self._input_size[1], self._input_size[0], self._session.get_providers())

    @staticmethod
    def _input_hw(shape: list[Any], wanted: int) -> tuple[int, int]:
        """The model's fixed input size, or ``wanted`` rounded up to the stride 32 for dynamic exports."""
        if len(shape) == 4 and isinstance(shape[2], int) and isinstance(shape[3], int):
            if (shape[2], shape[3]) != (wanted, wanted):
                log.info("model input is fixed at %dx%d; image_size %d ignored", shape[3], shape[2], wanted)
            return int(shape[2]), int(shape[3])
        side = max(32, -(-wanted // 32) * 32)
        return side, side

    @property
    def model_path(self) -> Path:
        return self._path

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) the model runs at."""
        return self._input_size

    def detect(self, image: Image) -> list[Detection]:
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        height, width = image.shape[:2]
        padded, scale, (left, top) = letterbox(image, self._input_size)
        with self._lock:
            output = self._session.run(None, {self._input_name: to_blob(padded)})[0]
        boxes, scores, classes = decode(output, len(self._labels), self._options.confidence, self._keep,
                                        self._options.nms_iou)
        detections = []
        for (x, y, w, h), score, cls in zip(boxes.tolist(), scores.tolist(), classes.tolist(), strict=True):
            box = BBox((x - left) / scale, (y - top) / scale, w / scale, h / scale).clamp(width, height)
            if box.is_valid:
                label = self._labels[cls] if 0 <= cls < len(self._labels) else str(cls)
                detections.append(Detection(box, int(cls), label, float(score)))
        return detections
