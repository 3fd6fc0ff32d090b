"""A compact artificial horizon painted with QPainter: roll, pitch and heading at a glance.

GUI thread only: ``set_attitude`` stores the values and schedules a repaint.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

SKY = QColor(40, 110, 190)
GROUND = QColor(125, 85, 45)
PITCH_VISIBLE_DEG = 40.0  # pitch shown from the centre to the edge of the dial


class QtAttitudeIndicator(QWidget):
    """Sky/ground disc rotated by roll and shifted by pitch, fixed aircraft mark, heading below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._roll_deg = 0.0
        self._pitch_deg = 0.0
        self._heading_deg: float | None = None
        self._valid = False
        self.setMinimumSize(100, 96)  # small windows: it shrinks before the HUD has to scroll
        self.setMaximumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:
        return QSize(170, 150)

    def set_attitude(self, roll_rad: float, pitch_rad: float, heading_deg: float | None) -> None:
        """Radians from ATTITUDE, heading in degrees (0 = north); GUI thread."""
        self._roll_deg = math.degrees(roll_rad)
        self._pitch_deg = math.degrees(pitch_rad)
        self._heading_deg = heading_deg
        self._valid = True
        self.update()

    def clear(self) -> None:
        self._valid = False
        self.update()

    @property
    def roll_deg(self) -> float:
        return self._roll_deg

    @property
    def pitch_deg(self) -> float:
        return self._pitch_deg

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height() - 4)
        radius = side / 2.0 - 2
        centre = QPointF(self.width() / 2.0, side / 2.0 + 1)
        dial = QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)
        clip = QPainterPath()
        clip.addEllipse(dial)
        painter.setClipPath(clip)
        if self._valid:
            self._paint_horizon(painter, centre, radius)
        else:
            painter.fillRect(dial, QColor(60, 60, 60))
        painter.setClipping(False)
        painter.setPen(QPen(QColor(20, 20, 20), 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(dial)
        self._paint_aircraft(painter, centre, radius)
        self._paint_readout(painter, dial)
        painter.end()

    def _paint_horizon(self, painter: QPainter, centre: QPointF, radius: float) -> None:
        px_per_deg = radius / PITCH_VISIBLE_DEG
        painter.save()
        painter.translate(centre)
        painter.rotate(-self._roll_deg)
        painter.translate(0, self._pitch_deg * px_per_deg)
        big = radius * 4
        painter.fillRect(QRectF(-big, -big, 2 * big, big), SKY)
        painter.fillRect(QRectF(-big, 0, 2 * big, big), GROUND)
        painter.setPen(QPen(QColor(255, 255, 255), 1.5))
        painter.drawLine(QPointF(-big, 0), QPointF(big, 0))
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, radius / 11.0))
        painter.setFont(font)
        for deg in (-20, -10, 10, 20):
            y = -deg * px_per_deg
            half = radius * (0.25 if deg % 20 else 0.4)
            painter.drawLine(QPointF(-half, y), QPointF(half, y))
            painter.drawText(QPointF(half + 3, y + 4), f"{abs(deg)}")
        painter.restore()

    def _paint_aircraft(self, painter: QPainter, centre: QPointF, radius: float) -> None:
        pen = QPen(QColor(255, 200, 0), 3)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        wing = radius * 0.45
        painter.drawLine(QPointF(centre.x() - wing, centre.y()), QPointF(centre.x() - wing * 0.3, centre.y()))
        painter.drawLine(QPointF(centre.x() + wing * 0.3, centre.y()), QPointF(centre.x() + wing, centre.y()))
        painter.drawPoint(centre)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255))
        top = centre.y() - radius
        painter.drawPolygon(QPolygonF([QPointF(centre.x(), top + 2), QPointF(centre.x() - 6, top + 12),
                                       QPointF(centre.x() + 6, top + 12)]))

    def _paint_readout(self, painter: QPainter, dial: QRectF) -> None:
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(255, 255, 255))
        metrics = painter.fontMetrics()
        heading = "---" if self._heading_deg is None or not self._valid else f"{self._heading_deg % 360:03.0f}°"
        box = QRectF(dial.center().x() - 30, dial.bottom() - metrics.height() - 10, 60, metrics.height() + 4)
        painter.fillRect(box, QColor(0, 0, 0, 150))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, heading)
