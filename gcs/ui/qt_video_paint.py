"""The video view's fixed overlay pieces, drawn with a QPainter on the GUI thread: the image-centre
cross (where the follower wants the target), the box being dragged, the hint card and the banner
(NO VIDEO / STALE / RECONNECTING with its reason) that says the picture is not live."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen


def paint_centre(painter: QPainter, rect: QRectF) -> None:
    """A cross at the centre of the shown frame, sized with it."""
    c = rect.center()
    arm = max(8.0, min(rect.width(), rect.height()) * 0.03)
    painter.setPen(QPen(QColor(255, 255, 255, 170), 1.5))
    painter.drawLine(QPointF(c.x() - arm, c.y()), QPointF(c.x() + arm, c.y()))
    painter.drawLine(QPointF(c.x(), c.y() - arm), QPointF(c.x(), c.y() + arm))


def paint_drag(painter: QPainter, box: QRectF) -> None:
    """The selection box while the mouse drags it (widget pixels)."""
    painter.setPen(QPen(QColor(0, 220, 255), 1.5, Qt.PenStyle.DashLine))
    painter.drawRect(box)


def paint_hint(painter: QPainter, font: QFont, box: QRectF, text: str) -> None:
    """The hint card (what to do next) in ``box``, word-wrapped."""
    painter.setFont(font)
    painter.fillRect(box, QColor(10, 40, 80, 200))
    painter.setPen(QPen(QColor(108, 182, 255), 1.0))
    painter.drawRect(box)
    painter.setPen(QColor(235, 240, 248))
    painter.drawText(box.adjusted(8, 6, -8, -6), int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignCenter), text)


def paint_banner(painter: QPainter, base: QFont, width: int, height: int, text: str, reason: str) -> None:
    """The banner centred in a ``width`` x ``height`` widget: ``text`` large, ``reason`` elided below."""
    font = QFont(base)
    font.setPointSizeF(max(14.0, min(width, height) / 14.0))
    font.setBold(True)
    small = QFont(base)
    small.setPointSizeF(max(9.0, font.pointSizeF() / 2.6))
    painter.setFont(font)
    big = painter.fontMetrics()
    painter.setFont(small)
    little = painter.fontMetrics()
    reason = little.elidedText(reason, Qt.TextElideMode.ElideRight, max(100, width - 60))
    w = max(big.horizontalAdvance(text), little.horizontalAdvance(reason) if reason else 0) + 40
    h = big.height() + (little.height() + 6 if reason else 0) + 20
    box = QRectF((width - w) / 2.0, (height - h) / 2.0, w, h)
    painter.fillRect(box, QColor(0, 0, 0, 170))
    painter.setFont(font)
    painter.setPen(QColor(255, 185, 0) if text != "NO VIDEO" else QColor(210, 210, 210))
    painter.drawText(QRectF(box.left(), box.top() + 10, w, big.height()), Qt.AlignmentFlag.AlignCenter, text)
    if reason:
        painter.setFont(small)
        painter.setPen(QColor(220, 224, 230))
        painter.drawText(QRectF(box.left(), box.top() + 16 + big.height(), w, little.height()),
                         Qt.AlignmentFlag.AlignCenter, reason)
