"""The video view: the newest frame letterboxed to fit, click / drag to select, and an overlay.

Everything here runs on the GUI thread. ``set_frame`` only keeps a reference to the array and
wraps it in a QImage that points at the same memory (no copy for C-contiguous frames); the
repaint draws it scaled with the frame's aspect. Mouse positions are mapped back through the
letterbox, so ``clicked`` and ``box_drawn`` speak FRAME pixels whatever the widget's size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

DRAG_THRESHOLD_PX = 6  # widget pixels a press must move before it becomes a box
MIN_BOX_PX = 4.0  # frame pixels: smaller boxes are treated as a click

TRACK_COLOURS = {
    "locked": QColor(60, 210, 90),
    "searching": QColor(255, 185, 0),
    "lost": QColor(235, 60, 60),
}
# Capture health names (gcs.core.video.frames.VideoHealth) and plain words -> the banner shown.
STATE_BANNERS = {
    "": "", "ok": "", "live": "",
    "degraded": "STALE", "stale": "STALE",
    "reconnecting": "RECONNECTING",
    "stopped": "NO VIDEO", "no video": "NO VIDEO", "none": "NO VIDEO",
}


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
        fmt = QImage.Format.Format_ARGB32  # BGRA bytes are ARGB32 words on little-endian
    else:
        raise ValueError(f"unsupported frame shape {image.shape}")
    return QImage(image.data, w, h, image.strides[0], fmt), image


def letterbox_rect(frame_w: int, frame_h: int, area_w: float, area_h: float) -> QRectF:
    """The largest rectangle of the frame's aspect centred in the area."""
    if frame_w <= 0 or frame_h <= 0 or area_w <= 0 or area_h <= 0:
        return QRectF()
    scale = min(area_w / frame_w, area_h / frame_h)
    w, h = frame_w * scale, frame_h * scale
    return QRectF((area_w - w) / 2.0, (area_h - h) / 2.0, w, h)


def _box_tuple(box: Any) -> tuple[float, float, float, float] | None:
    if box is None:
        return None
    if hasattr(box, "w") and hasattr(box, "h"):
        return float(box.x), float(box.y), float(box.w), float(box.h)
    x, y, w, h = box
    return float(x), float(y), float(w), float(h)


class QtVideoView(QWidget):
    """Shows frames and the tracking overlay; emits selections in frame pixels (GUI thread)."""

    clicked = Signal(float, float)  # frame x, y
    box_drawn = Signal(float, float, float, float)  # frame x, y, w, h

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(False)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._qimage: QImage | None = None
        self._pixels: np.ndarray | None = None  # keeps the QImage's memory alive
        self._seq = 0
        self._state = "NO VIDEO"
        self._track_box: tuple[float, float, float, float] | None = None
        self._track_state = "idle"
        self._press: QPointF | None = None
        self._drag_to: QPointF | None = None

    def sizeHint(self) -> QSize:
        return QSize(800, 600)

    # ---- inputs ----------------------------------------------------------------------------

    def set_frame(self, image: np.ndarray, seq: int) -> None:
        """Show ``image`` (newest wins; repaint is coalesced by Qt)."""
        self._qimage, self._pixels = image_to_qimage(image)
        self._seq = seq
        self.update()

    def clear_frame(self) -> None:
        self._qimage = self._pixels = None
        self.update()

    def set_video_state(self, state: str) -> None:
        """Capture health ("ok", "degraded", "reconnecting", "stopped") or a banner text."""
        key = str(state).strip().lower()
        self._state = STATE_BANNERS.get(key, str(state).upper())
        self.update()

    def set_track(self, box: Any, state: str) -> None:
        """Tracked box in frame pixels ((x, y, w, h) or a BBox) or None, and the track state."""
        self._track_box = _box_tuple(box)
        self._track_state = str(state).lower()
        self.update()

    @property
    def banner(self) -> str:
        """The state text drawn over the video now ("" when the video is live)."""
        return "NO VIDEO" if self._qimage is None else self._state

    @property
    def frame_size(self) -> tuple[int, int] | None:
        return None if self._qimage is None else (self._qimage.width(), self._qimage.height())

    # ---- geometry --------------------------------------------------------------------------

    def frame_rect(self) -> QRectF:
        """Where the frame is drawn, in widget coordinates (empty without a frame)."""
        size = self.frame_size
        if size is None:
            return QRectF()
        return letterbox_rect(size[0], size[1], self.width(), self.height())

    def widget_to_frame(self, pos: QPointF, clamp: bool = False) -> tuple[float, float] | None:
        """Frame pixel under a widget point; None in the letterbox bars (unless ``clamp``)."""
        rect, size = self.frame_rect(), self.frame_size
        if size is None or rect.isEmpty():
            return None
        fx = (pos.x() - rect.x()) * size[0] / rect.width()
        fy = (pos.y() - rect.y()) * size[1] / rect.height()
        if clamp:
            return min(max(fx, 0.0), float(size[0])), min(max(fy, 0.0), float(size[1]))
        if not (0.0 <= fx < size[0] and 0.0 <= fy < size[1]):
            return None
        return fx, fy

    def frame_to_widget(self, x: float, y: float) -> QPointF:
        rect, size = self.frame_rect(), self.frame_size
        if size is None or rect.isEmpty():
            return QPointF()
        return QPointF(rect.x() + x * rect.width() / size[0], rect.y() + y * rect.height() / size[1])

    # ---- mouse -----------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.widget_to_frame(event.position()) is not None:
            self._press = event.position()
            self._drag_to = None
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is not None:
            moved = event.position() - self._press
            if self._drag_to is not None or moved.manhattanLength() >= DRAG_THRESHOLD_PX:
                self._drag_to = event.position()
                self.update()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            super().mouseReleaseEvent(event)
            return
        start, end = self._press, self._drag_to
        self._press = self._drag_to = None
        self.update()
        if end is not None:
            a = self.widget_to_frame(start, clamp=True)
            b = self.widget_to_frame(event.position(), clamp=True)
            if a is not None and b is not None:
                x, y = min(a[0], b[0]), min(a[1], b[1])
                w, h = abs(a[0] - b[0]), abs(a[1] - b[1])
                if w >= MIN_BOX_PX and h >= MIN_BOX_PX:
                    self.box_drawn.emit(x, y, w, h)
                    return
        point = self.widget_to_frame(start)
        if point is not None:
            self.clicked.emit(point[0], point[1])

    # ---- painting --------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(12, 12, 14))
        rect = self.frame_rect()
        if self._qimage is not None and not rect.isEmpty():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(rect, self._qimage)
            if self.banner:
                painter.fillRect(rect, QColor(0, 0, 0, 110))  # dim a stale picture
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._paint_centre(painter, rect)
            self._paint_track(painter)
            self._paint_drag(painter)
            self._paint_info(painter, rect)
        self._paint_banner(painter)
        painter.end()

    def _paint_centre(self, painter: QPainter, rect: QRectF) -> None:
        c = rect.center()
        arm = max(8.0, min(rect.width(), rect.height()) * 0.03)
        painter.setPen(QPen(QColor(255, 255, 255, 170), 1.5))
        painter.drawLine(QPointF(c.x() - arm, c.y()), QPointF(c.x() + arm, c.y()))
        painter.drawLine(QPointF(c.x(), c.y() - arm), QPointF(c.x(), c.y() + arm))

    def _paint_track(self, painter: QPainter) -> None:
        state = self._track_state
        if state in ("", "idle"):
            return
        colour = TRACK_COLOURS.get(state, QColor(200, 200, 200))
        label = state.upper()
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        if self._track_box is None:
            painter.setPen(colour)
            painter.drawText(self.frame_rect().adjusted(10, 8, -10, -8),
                             Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft, f"TRACK {label}")
            return
        x, y, w, h = self._track_box
        top_left, bottom_right = self.frame_to_widget(x, y), self.frame_to_widget(x + w, y + h)
        box = QRectF(top_left, bottom_right)
        pen = QPen(colour, 2.0)
        if state != "locked":
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRect(box)
        metrics = painter.fontMetrics()
        tag = QRectF(box.left(), box.top() - metrics.height() - 4, metrics.horizontalAdvance(label) + 10,
                     metrics.height() + 4)
        painter.fillRect(tag, colour)
        painter.setPen(QColor(0, 0, 0))
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)

    def _paint_drag(self, painter: QPainter) -> None:
        if self._press is None or self._drag_to is None:
            return
        pen = QPen(QColor(0, 220, 255), 1.5, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRect(QRectF(self._press, self._drag_to).normalized())

    def _paint_info(self, painter: QPainter, rect: QRectF) -> None:
        size = self.frame_size
        if size is None:
            return
        painter.setPen(QColor(255, 255, 255, 150))
        painter.drawText(rect.adjusted(8, 4, -8, -6), Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
                         f"{size[0]}x{size[1]}  #{self._seq}")

    def _paint_banner(self, painter: QPainter) -> None:
        text = self.banner
        if not text:
            return
        font = QFont(self.font())
        font.setPointSizeF(max(14.0, min(self.width(), self.height()) / 14.0))
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        w, h = metrics.horizontalAdvance(text) + 40, metrics.height() + 20
        box = QRectF((self.width() - w) / 2.0, (self.height() - h) / 2.0, w, h)
        painter.fillRect(box, QColor(0, 0, 0, 160))
        painter.setPen(QColor(255, 185, 0) if text != "NO VIDEO" else QColor(200, 200, 200))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
