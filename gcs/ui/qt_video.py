"""The video view: the newest frame letterboxed to fit, click / drag to select, and an overlay.

Everything here runs on the GUI thread. ``set_frame`` converts a new frame once (BGR -> 32-bit,
the format Qt scales fastest) into a buffer of its own, never touching the capture's read-only
array; the repaint draws it scaled with the frame's aspect. Mouse positions are mapped back
through the letterbox, so ``clicked`` and ``box_drawn`` speak FRAME pixels whatever the widget's
size. The overlay shows the image centre, the tracked box with its state, and a banner
(NO VIDEO / STALE / RECONNECTING with the reason) whenever the picture is not live.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from gcs.core.tracking.words import plain_track_text
from gcs.core.video.stamp import GlassMeter
from gcs.ui.qt_frame_image import image_to_qimage, letterbox_rect, to_display
from gcs.ui.qt_video_paint import paint_banner, paint_centre, paint_drag, paint_hint

DRAG_THRESHOLD_PX = 6  # widget pixels a press must move before it becomes a box
MIN_BOX_PX = 4.0  # frame pixels: smaller boxes are treated as a click
FRAMES_FLOW_S = 0.15  # a frame this recent will repaint soon: overlay changes wait for it
LOST_HOLD_S = 4.0  # the "target lost (...)" label is shown this long at full strength,
LOST_FADE_S = 2.0  # then fades out over this (the HUD and the message log keep the details)

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
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a click gives it the focus: Esc there stops tracking
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent fills every pixel
        self._qimage: QImage | None = None
        self._pixels: np.ndarray | None = None  # the display buffer the QImage points into
        self._seq = 0
        self._state = "NO VIDEO"
        self._reason = ""
        self._badge = ""
        self._hint = ""  # the core's first steps for a newcomer ("" when the pilot is past them)
        self._track_box: tuple[float, float, float, float] | None = None
        self._track_scale = (1.0, 1.0)  # frame pixels per pixel of the frame the box was measured on
        self._track_state = "idle"
        self._track_text = ""
        self._lost_since: float | None = None  # monotonic time the track became LOST (for the fade)
        self._info = ""
        self._press: QPointF | None = None
        self._drag_to: QPointF | None = None
        self._last_frame_s = 0.0
        self.glass = GlassMeter()  # glass-to-glass of this window: the frame's stamp at paint time
        self._glass_seq = -1

    def sizeHint(self) -> QSize:
        return QSize(800, 600)

    # ---- inputs ----------------------------------------------------------------------------

    def set_frame(self, image: np.ndarray, seq: int) -> None:
        """Show ``image`` (newest wins; repaint is coalesced by Qt). ``image`` is only read."""
        self._qimage, self._pixels = image_to_qimage(to_display(image, self._pixels))
        self._seq = seq
        self._last_frame_s = time.monotonic()
        self.update()

    def _overlay_changed(self) -> None:
        """Repaint for an overlay change, unless frames flow: the next frame's paint shows it."""
        if time.monotonic() - self._last_frame_s > FRAMES_FLOW_S:
            self.update()

    def clear_frame(self) -> None:
        self._qimage = self._pixels = None
        self.update()

    def set_health(self, state: str, reason: str = "") -> None:
        """Capture health ("ok", "degraded", "reconnecting", "stopped") or a banner text, and why."""
        key = str(state).strip().lower()
        self._state = STATE_BANNERS.get(key, str(state).upper())
        self._reason = "" if not self._state else str(reason)
        self.update()  # rare, and may mean frames stopped: at once

    def set_video_state(self, state: str) -> None:
        self.set_health(state)

    def set_hint(self, text: str) -> None:
        """What a newcomer should do next (``Availability.first_steps``), drawn over the bottom of the
        picture; "" hides it."""
        if text != self._hint:
            self._hint = text
            self.update()

    @property
    def hint(self) -> str:
        return self._hint

    def hint_rect(self) -> QRectF | None:
        """Where the hint is drawn (widget pixels), or None."""
        rect = self.frame_rect()
        if not self._hint or rect.isEmpty():
            return None
        metrics = QFontMetrics(self.font(), self)
        width = rect.width() - 24
        text = metrics.boundingRect(0, 0, int(width - 16), 10_000, int(Qt.TextFlag.TextWordWrap), self._hint)
        height = text.height() + 12
        bottom = rect.bottom() - metrics.height() - 14  # above the info line and the badge
        return QRectF(rect.left() + 12, bottom - height, width, height)

    def set_badge(self, text: str) -> None:
        """A short tag in the top-right corner (e.g. "SMART"); "" hides it."""
        self._badge = text
        self.update()

    def set_track(self, box: Any, state: str, text: str = "") -> None:
        """Tracked box in frame pixels ((x, y, w, h) or a BBox) or None, and the track state.

        A searching track without a box keeps drawing the last box (dashed), so the pilot sees
        where the tracker is looking; lost and idle forget it.
        """
        state = str(state).lower()
        new_box = _box_tuple(box)
        if new_box is not None or state not in ("searching",):
            self._track_box = new_box
        if state == "lost" and self._track_state != "lost":
            self._lost_since = time.monotonic()
        elif state != "lost":
            self._lost_since = None
        self._track_state = state
        self._track_text = text
        self._overlay_changed()

    def set_target(self, target: Any) -> None:
        """A ``TrackedTarget`` (from ``tracking.target``): box, state, confidence, fps, reason."""
        size = self.frame_size
        if size is not None and target.frame_w > 0 and target.frame_h > 0:
            self._track_scale = (size[0] / target.frame_w, size[1] / target.frame_h)
        state = str(target.state.value if hasattr(target.state, "value") else target.state)
        # plain words over the video; the HUD and the log keep the plausibility check's details
        text = f"LOCKED {target.confidence:.2f}" if state == "locked" else plain_track_text(state, target.reason or "")
        self._info = f"{target.tracker} {target.fps:.0f} fps" if state != "idle" else target.tracker
        self.set_track(target.box, state, text)

    @property
    def banner(self) -> str:
        """The state text drawn over the video now ("" when the video is live)."""
        return "NO VIDEO" if self._qimage is None else self._state

    @property
    def banner_reason(self) -> str:
        return self._reason

    @property
    def track_state(self) -> str:
        return self._track_state

    @property
    def track_text(self) -> str:
        """The label drawn with the track ("LOCKED 0.91", "target lost (left the view)")."""
        return self._track_text

    def track_label_opacity(self, now: float | None = None) -> float:
        """How strongly the track's label is drawn (1 shown, 0 gone): a LOST label fades after a few seconds."""
        if self._lost_since is None:
            return 1.0
        age = (time.monotonic() if now is None else now) - self._lost_since
        if age <= LOST_HOLD_S:
            return 1.0
        return max(0.0, 1.0 - (age - LOST_HOLD_S) / LOST_FADE_S)

    def overlay_rects(self) -> dict[str, QRectF]:
        """Where the badge ("badge") and the track's label ("track_tag") are drawn now (widget pixels)."""
        rect = self.frame_rect()
        rects: dict[str, QRectF] = {}
        if rect.isEmpty():
            return rects
        metrics = QFontMetrics(self._bold_font(), self)
        badge = self._badge_rect(rect, metrics)
        if badge is not None:
            rects["badge"] = badge
        tag = self._tag_rect(rect, metrics, badge)
        if tag is not None:
            rects["track_tag"] = tag
        return rects

    @property
    def frame_size(self) -> tuple[int, int] | None:
        return None if self._qimage is None else (self._qimage.width(), self._qimage.height())

    @property
    def seq(self) -> int:
        return self._seq

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
            if self._pixels is not None and self._seq != self._glass_seq:  # once per new frame
                self._glass_seq = self._seq
                self.glass.shown(self._pixels, time.time())
            if self.banner:
                painter.fillRect(rect, QColor(0, 0, 0, 110))  # dim a stale picture
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            paint_centre(painter, rect)
            self._paint_track(painter, rect)
            if self._press is not None and self._drag_to is not None:
                paint_drag(painter, QRectF(self._press, self._drag_to).normalized())
            self._paint_info(painter, rect)
            hint = self.hint_rect()
            if hint is not None:
                paint_hint(painter, self.font(), hint, self._hint)
        if self.banner:
            paint_banner(painter, self.font(), self.width(), self.height(), self.banner, self._reason)
        painter.end()

    def _bold_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        return font

    def _box_widget_rect(self) -> QRectF | None:
        if self._track_box is None:
            return None
        sx, sy = self._track_scale
        x, y, w, h = self._track_box
        return QRectF(self.frame_to_widget(x * sx, y * sy), self.frame_to_widget((x + w) * sx, (y + h) * sy))

    def _badge_rect(self, rect: QRectF, metrics: Any) -> QRectF | None:
        """The badge sits in the bottom-right corner, across from the info line, clear of the track labels."""
        if not self._badge:
            return None
        w = metrics.horizontalAdvance(self._badge) + 14
        h = metrics.height() + 6
        return QRectF(rect.right() - w - 8, rect.bottom() - h - 6, w, h)

    def _tag_rect(self, rect: QRectF, metrics: Any, badge: QRectF | None) -> QRectF | None:
        """The track's label: above its box (inside the box's top edge when there is no room), or in the
        top-left corner without a box; moved off the badge if they would meet, so neither hides the other."""
        state = self._track_state
        if state in ("", "idle") or self.track_label_opacity() <= 0.0:
            return None
        label = self._track_text or state.upper()
        box = self._box_widget_rect()
        if box is None:
            return QRectF(rect.left() + 8, rect.top() + 8, metrics.horizontalAdvance(label) + 12, metrics.height() + 6)
        width = metrics.horizontalAdvance(label) + 10
        height = metrics.height() + 4
        top = box.top() - height
        if top < rect.top():  # no room above the box: put the tag inside its top edge
            top = box.top()
        tag = QRectF(max(rect.left(), min(box.left(), rect.right() - width)), top, width, height)
        if badge is not None and tag.intersects(badge):  # the box is in the bottom-right corner
            tag.moveBottom(badge.top() - 2)
        return tag

    def _paint_track(self, painter: QPainter, rect: QRectF) -> None:
        state = self._track_state
        if state in ("", "idle"):
            return
        colour = TRACK_COLOURS.get(state, QColor(200, 200, 200))
        label = self._track_text or state.upper()
        painter.setFont(self._bold_font())
        metrics = painter.fontMetrics()
        box = self._box_widget_rect()
        if box is not None:
            if state == "locked":  # the error the follower acts on: image centre -> target centre
                painter.setPen(QPen(QColor(colour.red(), colour.green(), colour.blue(), 140), 1.0,
                                    Qt.PenStyle.DotLine))
                painter.drawLine(rect.center(), box.center())
            pen = QPen(colour, 2.0)
            if state != "locked":
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawRect(box)
            c = box.center()
            painter.drawLine(QPointF(c.x() - 5, c.y()), QPointF(c.x() + 5, c.y()))
            painter.drawLine(QPointF(c.x(), c.y() - 5), QPointF(c.x(), c.y() + 5))
        tag = self._tag_rect(rect, metrics, self._badge_rect(rect, metrics))
        if tag is None:
            return
        painter.setOpacity(self.track_label_opacity())
        if box is None:
            painter.fillRect(tag, QColor(0, 0, 0, 150))
            painter.setPen(colour)
        else:
            painter.fillRect(tag, colour)
            painter.setPen(QColor(0, 0, 0))
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)
        painter.setOpacity(1.0)

    def _paint_info(self, painter: QPainter, rect: QRectF) -> None:
        size = self.frame_size
        if size is None:
            return
        painter.setFont(self.font())
        text = f"{size[0]}x{size[1]}  #{self._seq}" + (f"  ·  {self._info}" if self._info else "")
        glass = self.glass.p50_ms()
        if glass is not None:  # the display's own capture -> painted latency (stamp.py)
            text += f"  ·  glass {glass:.0f} ms, {self.glass.fps(time.time()):.0f} fps"
        painter.setPen(QColor(255, 255, 255, 170))
        painter.drawText(rect.adjusted(8, 4, -8, -6), Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft, text)
        painter.setFont(self._bold_font())
        badge = self._badge_rect(rect, painter.fontMetrics())
        if badge is not None:
            painter.fillRect(badge, QColor(42, 130, 218, 210))
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, self._badge)
