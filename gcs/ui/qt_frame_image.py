"""Frames as Qt images for the video view: wrap a BGR/BGRA/grey array without copying, convert BGR to
opaque BGRA (the format Qt scales fastest) into a reused buffer, and the letterbox rectangle."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage


def image_to_qimage(image: np.ndarray) -> tuple[QImage, np.ndarray]:
    """Wrap a BGR (HxWx3), BGRA (HxWx4) or grey (HxW) uint8 array; returns the image and the
    array it points into (keep that alive as long as the image)."""
    if image.dtype != np.uint8:
        raise ValueError(f"video frames must be uint8, not {image.dtype}")
    if not image.flags.c_contiguous:
        image = np.ascontiguousarray(image)
    h, w = image.shape[:2]
    if image.ndim == 2:
        fmt = QImage.Format.Format_Grayscale8
    elif image.shape[2] == 3:
        fmt = QImage.Format.Format_BGR888
    elif image.shape[2] == 4:
        fmt = QImage.Format.Format_RGB32  # opaque BGRA bytes are 0xffRRGGBB words on little-endian
    else:
        raise ValueError(f"unsupported frame shape {image.shape}")
    return QImage(image.data, w, h, image.strides[0], fmt), image


def to_display(image: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """A BGR frame as opaque BGRA in ``out`` (reused when its shape fits); other frames as they are."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        return image
    if out is None or out.shape[:2] != image.shape[:2]:
        out = np.empty((image.shape[0], image.shape[1], 4), np.uint8)
    cv2.cvtColor(image, cv2.COLOR_BGR2BGRA, dst=out)
    return out


def letterbox_rect(frame_w: int, frame_h: int, area_w: float, area_h: float) -> QRectF:
    """The largest rectangle of the frame's aspect centred in the area."""
    if frame_w <= 0 or frame_h <= 0 or area_w <= 0 or area_h <= 0:
        return QRectF()
    scale = min(area_w / frame_w, area_h / frame_h)
    w, h = frame_w * scale, frame_h * scale
    return QRectF((area_w - w) / 2.0, (area_h - h) / 2.0, w, h)
