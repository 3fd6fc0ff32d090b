"""The mission layer of the Qt map: fence shapes, rally points, the mission's line and numbered waypoints.

Painted under the trails and the vehicles (gcs.ui.qt_map_layers calls it first). Colours follow
the habit of QGC: inclusion fences green, keep-out zones red and filled, the mission's line orange,
the item the vehicle flies now bright green and larger, rally points violet ``R``; a draft being
edited on the map (``paint_draft``) white-ringed over the rest. GUI thread only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF

from gcs.core.map.model import MapMission

if TYPE_CHECKING:
    from gcs.ui.qt_map_layers import Projector

PATH = QColor(255, 140, 0)
WAYPOINT = QColor(255, 140, 0)
CURRENT = QColor(30, 255, 190)
ROI = QColor(255, 220, 120)
FENCE_IN = QColor(60, 200, 90)
FENCE_OUT = QColor(255, 70, 70)
RALLY = QColor(190, 120, 255)
DRAFT = QColor(255, 255, 255)  # the ring and dashed line of a list being edited
WAYPOINT_R, CURRENT_R = 9.0, 12.0


def paint_mission(view: Projector, p: QPainter, mission: MapMission) -> None:
    if mission.empty:
        return
    _paint_fence(view, p, mission)
    path_points = [view.screen_point(w.lat_deg, w.lon_deg) for w in mission.items if w.on_path]
    if len(path_points) > 1:
        path = QPainterPath(path_points[0])
        for point in path_points[1:]:
            path.lineTo(point)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(0, 0, 0, 160), 4))
        p.drawPath(path)
        p.setPen(QPen(PATH, 2))
        p.drawPath(path)
    bold = QFont(p.font().family(), 8, QFont.Weight.Bold)
    for w in mission.items:
        s = view.screen_point(w.lat_deg, w.lon_deg)
        current = w.seq == mission.current_seq
        r = CURRENT_R if current else WAYPOINT_R
        p.setPen(QPen(QColor(0, 0, 0), 1.5))
        p.setBrush(QBrush(CURRENT if current else (WAYPOINT if w.on_path else ROI)))
        if w.on_path:
            p.drawEllipse(s, r, r)
        else:  # an ROI or another item with a place that is not flown to
            p.drawRect(QRectF(s.x() - r, s.y() - r, 2 * r, 2 * r))
        p.setFont(bold)
        p.setPen(QColor(0, 0, 0))
        p.drawText(QRectF(s.x() - r, s.y() - r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, str(w.number))
    for point in mission.rally:
        s = view.screen_point(point.lat_deg, point.lon_deg)
        diamond = QPolygonF([QPointF(s.x(), s.y() - 11), QPointF(s.x() + 11, s.y()), QPointF(s.x(), s.y() + 11),
                             QPointF(s.x() - 11, s.y())])
        p.setPen(QPen(QColor(0, 0, 0), 1.5))
        p.setBrush(QBrush(RALLY))
        p.drawPolygon(diamond)
        p.setFont(bold)
        p.setPen(QColor(0, 0, 0))
        p.drawText(QRectF(s.x() - 10, s.y() - 8, 20, 16), Qt.AlignmentFlag.AlignCenter, "R")
        label = QPointF(s.x() + 13, s.y() + 4)
        p.drawText(label + QPointF(1, 1), f"rally {point.number}")
        p.setPen(RALLY)
        p.drawText(label, f"rally {point.number}")


def _paint_fence(view: Projector, p: QPainter, mission: MapMission) -> None:
    mpp = view.metres_per_px()
    for polygon in mission.polygons:
        shape = QPolygonF([view.screen_point(lat, lon) for lat, lon in polygon.points])
        _fence_pen(p, polygon.inclusion)
        p.drawPolygon(shape)
    for circle in mission.circles:
        _fence_pen(p, circle.inclusion)
        r = circle.radius_m / mpp
        p.drawEllipse(view.screen_point(circle.lat_deg, circle.lon_deg), r, r)
    if mission.fence_return is not None:
        s = view.screen_point(*mission.fence_return)
        p.setPen(QPen(QColor(0, 0, 0), 1))
        p.setBrush(QBrush(FENCE_IN))
        p.drawEllipse(s, 7, 7)
        p.setFont(QFont(p.font().family(), 7, QFont.Weight.Bold))
        p.drawText(QRectF(s.x() - 7, s.y() - 7, 14, 14), Qt.AlignmentFlag.AlignCenter, "F")


def _fence_pen(p: QPainter, inclusion: bool) -> None:
    colour = FENCE_IN if inclusion else FENCE_OUT
    fill = QColor(colour)
    fill.setAlpha(25 if inclusion else 70)
    p.setPen(QPen(colour, 2))
    p.setBrush(QBrush(fill))


@dataclass(frozen=True)
class DraftPoint:
    """One marker of the mission being edited: its index in the draft, its number as the vehicle
    will count it, where it is, and whether the vehicle flies to it (an ROI does not)."""

    index: int
    number: int
    lat_deg: float
    lon_deg: float
    on_path: bool = True
    polygon: int = -1  # a fence vertex: which polygon (closed on its own), else -1
    keep_out: bool = False  # a keep-out polygon's vertex: drawn red


def _paint_draft_polygons(view: Projector, p: QPainter, points: list[DraftPoint]) -> None:
    """Each fence polygon of the draft closed on its own: white dashes round stay-inside, red filled keep-out."""
    for number in sorted({d.polygon for d in points if d.polygon >= 0}):
        mine = [d for d in points if d.polygon == number]
        shape = QPolygonF([view.screen_point(d.lat_deg, d.lon_deg) for d in mine])
        fill = QColor(FENCE_OUT if mine[0].keep_out else DRAFT)
        fill.setAlpha(70 if mine[0].keep_out else 0)
        p.setBrush(QBrush(fill))
        p.setPen(QPen(QColor(0, 0, 0, 170), 4))
        p.drawPolygon(shape)
        p.setPen(QPen(FENCE_OUT if mine[0].keep_out else DRAFT, 2, Qt.PenStyle.DashLine))
        p.drawPolygon(shape)


def paint_draft(view: Projector, p: QPainter, points: list[DraftPoint]) -> None:
    """The draft over everything else: a dashed white line and white-ringed markers, so the edited
    list stands apart from the vehicle's (orange) one; keep-out polygons red."""
    _paint_draft_polygons(view, p, points)
    path_points = [view.screen_point(d.lat_deg, d.lon_deg) for d in points if d.on_path and d.polygon < 0]
    if len(path_points) > 1:
        path = QPainterPath(path_points[0])
        for point in path_points[1:]:
            path.lineTo(point)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(0, 0, 0, 170), 4))
        p.drawPath(path)
        p.setPen(QPen(DRAFT, 2, Qt.PenStyle.DashLine))
        p.drawPath(path)
    p.setFont(QFont(p.font().family(), 8, QFont.Weight.Bold))
    for d in points:
        s = view.screen_point(d.lat_deg, d.lon_deg)
        r = WAYPOINT_R
        p.setPen(QPen(DRAFT, 2.5))
        p.setBrush(QBrush(FENCE_OUT if d.keep_out else WAYPOINT if d.on_path else ROI))
        if d.on_path:
            p.drawEllipse(s, r, r)
        else:
            p.drawRect(QRectF(s.x() - r, s.y() - r, 2 * r, 2 * r))
        p.setPen(QColor(0, 0, 0))
        p.drawText(QRectF(s.x() - r, s.y() - r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, str(d.number))
