"""The map's layers, painted over the ground in this order: geofence, the mission layer (its fence,
rally points and numbered waypoints: gcs.ui.qt_map_mission), home, trails, the goto point
and a pending click, the target estimate, the follow setpoint arrow, then the vehicles on top.

Pure painting of a ``MapSnapshot`` through a projector (the view's ``screen_point`` and
``metres_per_px``), so the order and the look are in one place. GUI thread only.
"""

from __future__ import annotations

import math
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF

from gcs.core.map.geo import LatLon
from gcs.core.map.model import MapSnapshot, MapVehicle
from gcs.ui.qt_map_mission import paint_mission

TEXT = QColor(235, 240, 235)
ACTIVE = QColor(255, 214, 10)
OTHER = QColor(190, 196, 200)
TRAIL = QColor(0, 200, 255)
TARGET = QColor(255, 60, 60)
SETPOINT = QColor(80, 230, 110)
GEOFENCE = QColor(255, 80, 80)
MARGIN = QColor(255, 170, 0)
GOTO = QColor(230, 90, 255)
HOME = QColor(255, 255, 255)
STALE_OPACITY = 0.4  # a vehicle not heard for the watchdog's time, drawn where it was last
SETPOINT_LOOKAHEAD_S = 4.0  # the arrow shows where this velocity takes the vehicle in 4 s


class Projector(Protocol):
    def screen_point(self, lat: float, lon: float) -> QPointF: ...

    def metres_per_px(self) -> float: ...


def paint_layers(view: Projector, p: QPainter, snap: MapSnapshot, pending: LatLon | None) -> None:
    mpp = view.metres_per_px()
    active = snap.vehicle()
    if snap.geofence is not None:
        g = snap.geofence
        centre = view.screen_point(g.lat_deg, g.lon_deg)
        r = g.radius_m / mpp
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(GEOFENCE, 2, Qt.PenStyle.DashLine))
        p.drawEllipse(centre, r, r)
        if 0 < g.margin_m < g.radius_m:
            inner = (g.radius_m - g.margin_m) / mpp
            p.setPen(QPen(MARGIN, 1, Qt.PenStyle.DotLine))
            p.drawEllipse(centre, inner, inner)
    paint_mission(view, p, snap.mission)
    for sysid, trail in snap.trails.items():
        if len(trail) < 2:
            continue
        path = QPainterPath(view.screen_point(*trail[0]))
        for lat, lon in trail[1:]:
            path.lineTo(view.screen_point(lat, lon))
        colour = QColor(TRAIL if active is not None and sysid == active.system_id else OTHER)
        owner = snap.vehicle(sysid)
        colour.setAlpha(round(200 * STALE_OPACITY) if owner is not None and owner.stale else 200)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(colour, 2))
        p.drawPath(path)
    if snap.home is not None:
        h = view.screen_point(snap.home.lat_deg, snap.home.lon_deg)
        p.setPen(QPen(QColor(0, 0, 0), 1))
        p.setBrush(QBrush(HOME))
        p.drawEllipse(h, 8, 8)
        p.setPen(QColor(0, 0, 0))
        p.setFont(QFont(p.font().family(), 8, QFont.Weight.Bold))
        p.drawText(QRectF(h.x() - 8, h.y() - 8, 16, 16), Qt.AlignmentFlag.AlignCenter, "H")
    for point, dashed in ((snap.goto, False), (pending, True)):
        if point is None:
            continue
        s = view.screen_point(point.lat_deg, point.lon_deg)
        pen = QPen(GOTO, 2, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        if active is not None and active.has_position:
            p.drawLine(view.screen_point(active.lat_deg, active.lon_deg), s)
        p.drawEllipse(s, 9, 9)
        p.drawLine(QPointF(s.x() - 13, s.y()), QPointF(s.x() + 13, s.y()))
        p.drawLine(QPointF(s.x(), s.y() - 13), QPointF(s.x(), s.y() + 13))
    if snap.target is not None:
        t = snap.target
        s = view.screen_point(t.lat_deg, t.lon_deg)
        live = t.state == "locked"
        diamond = QPolygonF([QPointF(s.x(), s.y() - 9), QPointF(s.x() + 9, s.y()), QPointF(s.x(), s.y() + 9),
                             QPointF(s.x() - 9, s.y())])
        p.setPen(QPen(QColor(0, 0, 0) if live else TARGET, 1.5 if live else 2))
        p.setBrush(QBrush(TARGET) if live else Qt.BrushStyle.NoBrush)
        p.drawPolygon(diamond)
        label = "target" if live else f"target last seen {t.age_s:.0f} s ago"
        _label(p, QPointF(s.x() + 12, s.y() + 4), label, TARGET)
    if snap.setpoint is not None and active is not None and active.has_position and snap.setpoint.speed_mps > 0.05:
        start = view.screen_point(active.lat_deg, active.lon_deg)
        length = max(18.0, min(160.0, snap.setpoint.speed_mps * SETPOINT_LOOKAHEAD_S / mpp))
        a = math.radians(snap.setpoint.bearing_deg)
        end = QPointF(start.x() + length * math.sin(a), start.y() - length * math.cos(a))
        p.setPen(QPen(SETPOINT, 3))
        p.drawLine(start, end)
        for side in (-1, 1):
            b = a + math.pi + side * 0.45
            p.drawLine(end, QPointF(end.x() + 10 * math.sin(b), end.y() - 10 * math.cos(b)))
    others = [v for v in snap.vehicles if v.has_position and not v.active]
    for v in [*others, *([active] if active is not None and active.has_position else [])]:
        colour = ACTIVE if v.active else OTHER
        p.setOpacity(STALE_OPACITY if v.stale else 1.0)
        p.setPen(QPen(QColor(0, 0, 0), 1.5))
        p.setBrush(QBrush(colour))
        p.drawPath(vehicle_shape(view, v))
        centre = view.screen_point(v.lat_deg, v.lon_deg)
        _label(p, QPointF(centre.x() + 14, centre.y() - 10), vehicle_label(v), colour)
        p.setOpacity(1.0)


def vehicle_label(v: MapVehicle) -> str:
    """Its id and mode, the fleet GCS it flies from, and how long unheard once stale (as the page says)."""
    text = f"{v.system_id} {v.mode}" + (f" · {v.origin}" if v.origin else "") + (" (log)" if v.replay else "")
    if v.stale:
        return text + (f" lost {v.last_heard_s:.0f} s" if v.last_heard_s is not None else " lost")
    return text + ("" if v.link == "ok" else f" {v.link}")


def _label(p: QPainter, at: QPointF, text: str, colour: QColor) -> None:
    p.setFont(QFont(p.font().family(), 8))
    p.setPen(QColor(0, 0, 0, 200))
    p.drawText(at + QPointF(1, 1), text)
    p.setPen(colour)
    p.drawText(at, text)


def vehicle_shape(view: Projector, v: MapVehicle) -> QPainterPath:
    """An arrowhead at the vehicle, pointing along its heading (screen y grows south)."""
    centre = view.screen_point(v.lat_deg, v.lon_deg)
    a = math.radians(v.heading_deg)
    size = 13.0 if v.active else 10.0

    def at(forward: float, right: float) -> QPointF:
        return QPointF(centre.x() + forward * math.sin(a) + right * math.cos(a),
                       centre.y() - forward * math.cos(a) + right * math.sin(a))

    path = QPainterPath(at(size, 0))
    path.lineTo(at(-size * 0.7, size * 0.7))
    path.lineTo(at(-size * 0.3, 0))
    path.lineTo(at(-size * 0.7, -size * 0.7))
    path.closeSubpath()
    return path
