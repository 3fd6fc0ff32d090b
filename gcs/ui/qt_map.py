"""The map view: tiles or the metric grid, and every layer of the core's ``MapSnapshot``, painted.

Drawn with QPainter on Web Mercator (gcs.core.map.geo), the projection of XYZ tiles: why this and
not QtLocation or a web view is in the README's design notes (PySide6-Essentials has neither; the
layers are a few shapes). With no tile source the ground is a metric grid (lines every 1-2-5 step
near 100 px, labelled in metres from home) so the map works with no internet at all; a scale bar
and a north arrow are always drawn, and the source's attribution whenever tiles are.

Mouse: drag pans (and stops following the vehicle), the wheel zooms about the cursor, a click
without a drag emits ``clicked(lat, lon)`` (the panel turns it into a confirmed goto). While a mission
draft is edited on the map (``edit_points`` set) a click emits ``edit_add(lat, lon)`` instead, and a
press on one of the draft's markers drags it (``edit_move(index, lat, lon)`` as it moves) rather than
the map. GUI thread only.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from gcs.core.map.geo import LatLon, from_world_px, local, metres_per_px, nice_step_m, world_px
from gcs.core.map.model import MapSnapshot
from gcs.ui.qt_map_layers import paint_layers
from gcs.ui.qt_map_mission import DraftPoint, paint_draft
from gcs.ui.qt_map_tiles import QtTileLoader

BACKGROUND = QColor(38, 44, 40)
GRID = QColor(80, 96, 86)
GRID_MAJOR = QColor(110, 130, 118)
TEXT = QColor(225, 230, 225)
CLICK_PX = 5  # a press that moves less than this is a click, not a drag
GRAB_PX = 12  # a press this close to a draft marker drags the marker
DEFAULT_ZOOM = 17.5
MIN_ZOOM, MAX_ZOOM = 3.0, 21.0


class QtMapView(QWidget):
    clicked = Signal(float, float)  # lat, lon of a click (not a drag)
    follow_changed = Signal(bool)
    edit_add = Signal(float, float)  # a click while editing: a waypoint there
    edit_move = Signal(int, float, float)  # a draft item (its index in the list) dragged to lat, lon

    def __init__(self, tiles: QtTileLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(200, 160)
        self.setMouseTracking(False)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.tiles = tiles
        tiles.tile_ready.connect(self.update)
        self.snapshot: MapSnapshot | None = None
        self.center = LatLon(0.0, 0.0)
        self.zoom = DEFAULT_ZOOM
        self.follow = True  # keep the active vehicle in the middle until the pilot pans
        self.pending: LatLon | None = None  # a clicked point waiting for confirmation
        self._centred_once = False
        self._press: QPointF | None = None
        self._dragged = False
        self.edit_points: list[DraftPoint] | None = None  # the draft's markers while editing on the map
        self._grabbed: int | None = None  # the draft index being dragged

    # ---- model -------------------------------------------------------------------------------

    def set_snapshot(self, snapshot: MapSnapshot) -> None:
        self.snapshot = snapshot
        vehicle = snapshot.vehicle()
        if vehicle is not None and vehicle.has_position and (self.follow or not self._centred_once):
            self.center = LatLon(vehicle.lat_deg, vehicle.lon_deg)
            self._centred_once = True
        elif not self._centred_once and snapshot.home is not None:
            self.center = LatLon(snapshot.home.lat_deg, snapshot.home.lon_deg)
        self.update()

    def set_follow(self, follow: bool) -> None:
        if follow != self.follow:
            self.follow = follow
            self.follow_changed.emit(follow)
        if follow and self.snapshot is not None:
            self.set_snapshot(self.snapshot)

    def set_edit_points(self, points: list[DraftPoint] | None) -> None:
        self.edit_points = points
        self.update()

    def marker_at(self, point: QPointF) -> int | None:
        """The draft index of the marker under a screen point (the nearest within GRAB_PX)."""
        best: tuple[float, int] | None = None
        for marker in self.edit_points or ():
            s = self.screen_point(marker.lat_deg, marker.lon_deg)
            d = math.hypot(s.x() - point.x(), s.y() - point.y())
            if d <= GRAB_PX and (best is None or d < best[0]):
                best = (d, marker.index)
        return best[1] if best else None

    def set_pending(self, point: LatLon | None) -> None:
        self.pending = point
        self.update()

    # ---- projection --------------------------------------------------------------------------

    def screen_point(self, lat: float, lon: float) -> QPointF:
        cx, cy = world_px(self.center.lat_deg, self.center.lon_deg, self.zoom)
        x, y = world_px(lat, lon, self.zoom)
        return QPointF(x - cx + self.width() / 2.0, y - cy + self.height() / 2.0)

    def geo_at(self, point: QPointF) -> LatLon:
        cx, cy = world_px(self.center.lat_deg, self.center.lon_deg, self.zoom)
        return from_world_px(cx + point.x() - self.width() / 2.0, cy + point.y() - self.height() / 2.0, self.zoom)

    def metres_per_px(self) -> float:
        return metres_per_px(self.center.lat_deg, self.zoom)

    # ---- input -------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
            self._dragged = False
            self._grabbed = self.marker_at(event.position()) if self.edit_points is not None else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None:
            return
        delta = event.position() - self._press
        if not self._dragged and math.hypot(delta.x(), delta.y()) < CLICK_PX:
            return
        self._dragged = True
        if self._grabbed is not None:
            point = self.geo_at(event.position())
            self.edit_move.emit(self._grabbed, point.lat_deg, point.lon_deg)
            return
        self.set_follow(False)
        cx, cy = world_px(self.center.lat_deg, self.center.lon_deg, self.zoom)
        self.center = from_world_px(cx - delta.x(), cy - delta.y(), self.zoom)
        self._press = event.position()
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return
        point = self.geo_at(event.position())
        if self._grabbed is not None:
            if self._dragged:
                self.edit_move.emit(self._grabbed, point.lat_deg, point.lon_deg)
        elif not self._dragged and self.edit_points is not None:
            self.edit_add.emit(point.lat_deg, point.lon_deg)
        elif not self._dragged:
            self.clicked.emit(point.lat_deg, point.lon_deg)
        self._press = None
        self._grabbed = None

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        self.zoom_by(steps * 0.5, event.position())

    def zoom_by(self, delta: float, about: QPointF | None = None) -> None:
        about = about if about is not None else QPointF(self.width() / 2.0, self.height() / 2.0)
        keep = self.geo_at(about)
        max_zoom = float(self.snapshot.tiles.max_zoom + 2) if self.snapshot else MAX_ZOOM
        self.zoom = max(MIN_ZOOM, min(min(MAX_ZOOM, max_zoom), self.zoom + delta))
        if not self.follow:  # keep the point under the cursor where it was
            moved = self.screen_point(keep.lat_deg, keep.lon_deg) - about
            cx, cy = world_px(self.center.lat_deg, self.center.lon_deg, self.zoom)
            self.center = from_world_px(cx + moved.x(), cy + moved.y(), self.zoom)
        self.update()

    # ---- painting ----------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), BACKGROUND)
        snap = self.snapshot
        if snap is not None and snap.tiles.kind != "grid":
            self._paint_tiles(p, snap.tiles.max_zoom)
        else:
            self._paint_grid(p)
        if snap is not None:
            self._paint_layers(p, snap)
        if self.edit_points is not None:
            paint_draft(self, p, self.edit_points)
        self._paint_scale(p)
        self._paint_north(p)
        if snap is not None and snap.tiles.attribution:
            self._paint_attribution(p, snap.tiles.attribution)
        if snap is None or not any(v.has_position for v in snap.vehicles):
            p.setPen(TEXT)
            p.drawText(self.rect().adjusted(0, 0, 0, -40), Qt.AlignmentFlag.AlignCenter,
                       "waiting for a vehicle position")
        p.end()

    def _paint_tiles(self, p: QPainter, max_zoom: int) -> None:
        tz = int(max(0, min(max_zoom, round(self.zoom))))
        scale = 2.0 ** (self.zoom - tz)
        size = 256.0 * scale
        cx, cy = world_px(self.center.lat_deg, self.center.lon_deg, self.zoom)
        left, top = cx - self.width() / 2.0, cy - self.height() / 2.0
        n = 2**tz
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        for ty in range(int(top // size), int((top + self.height()) // size) + 1):
            for tx in range(int(left // size), int((left + self.width()) // size) + 1):
                if not (0 <= ty < n):
                    continue
                pix = self.tiles.pixmap(tz, tx % n, ty)
                target = QRectF(tx * size - left, ty * size - top, size + 0.5, size + 0.5)
                if pix is not None:
                    p.drawPixmap(target, pix, QRectF(pix.rect()))
                else:
                    p.fillRect(target, QColor(52, 58, 54))

    def _grid_origin(self) -> LatLon:
        snap = self.snapshot
        if snap is not None and snap.home is not None:
            return LatLon(snap.home.lat_deg, snap.home.lon_deg)
        return LatLon(round(self.center.lat_deg, 3), round(self.center.lon_deg, 3))

    def _paint_grid(self, p: QPainter) -> None:
        mpp = self.metres_per_px()
        step = nice_step_m(mpp * 110.0)
        origin = self._grid_origin()
        cn, ce = local(origin.lat_deg, origin.lon_deg, self.center.lat_deg, self.center.lon_deg)
        w, h = self.width(), self.height()
        p.setFont(QFont(p.font().family(), 8))
        half_e, half_n = w / 2.0 * mpp, h / 2.0 * mpp
        for k in range(math.floor((ce - half_e) / step), math.ceil((ce + half_e) / step) + 1):
            x = w / 2.0 + (k * step - ce) / mpp
            p.setPen(QPen(GRID_MAJOR if k == 0 else GRID, 1))
            p.drawLine(QPointF(x, 0), QPointF(x, h))
            p.setPen(GRID_MAJOR)
            if x > 70:  # clear of the north labels down the left edge
                p.drawText(QPointF(x + 3, 12), f"{k * step:+.0f} m E" if k else "0")
        for k in range(math.floor((cn - half_n) / step), math.ceil((cn + half_n) / step) + 1):
            y = h / 2.0 - (k * step - cn) / mpp
            p.setPen(QPen(GRID_MAJOR if k == 0 else GRID, 1))
            p.drawLine(QPointF(0, y), QPointF(w, y))
            p.setPen(GRID_MAJOR)
            p.drawText(QPointF(4, y - 3), f"{k * step:+.0f} m N" if k else "0")

    def _paint_layers(self, p: QPainter, snap: MapSnapshot) -> None:
        paint_layers(self, p, snap, self.pending)

    def _paint_scale(self, p: QPainter) -> None:
        mpp = self.metres_per_px()
        length = nice_step_m(mpp * 120.0)
        px = length / mpp
        x0, y0 = 12.0, self.height() - 22.0
        p.fillRect(QRectF(x0 - 6, y0 - 20, px + 12, 28), QColor(0, 0, 0, 150))
        p.setPen(QPen(TEXT, 2))
        p.drawLine(QPointF(x0, y0), QPointF(x0 + px, y0))
        p.drawLine(QPointF(x0, y0 - 5), QPointF(x0, y0 + 3))
        p.drawLine(QPointF(x0 + px, y0 - 5), QPointF(x0 + px, y0 + 3))
        text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
        p.drawText(QPointF(x0 + 4, y0 - 6), text)

    def _paint_north(self, p: QPainter) -> None:
        x, y = self.width() - 24.0, 20.0
        arrow = QPolygonF([QPointF(x, y - 12), QPointF(x + 8, y + 10), QPointF(x, y + 5), QPointF(x - 8, y + 10)])
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(QColor(0, 0, 0, 150)))
        p.drawRoundedRect(QRectF(x - 14, y - 16, 28, 42), 6, 6)
        p.setPen(QPen(QColor(0, 0, 0, 180), 1))
        p.setBrush(QBrush(TEXT))
        p.drawPolygon(arrow)
        p.setPen(TEXT)
        p.drawText(QRectF(x - 10, y + 11, 20, 14), Qt.AlignmentFlag.AlignCenter, "N")

    def _paint_attribution(self, p: QPainter, text: str) -> None:
        p.setFont(QFont(p.font().family(), 8))
        metrics = p.fontMetrics()
        w = metrics.horizontalAdvance(text) + 10
        rect = QRectF(self.width() - w, self.height() - 16, w, 16)
        p.fillRect(rect, QColor(255, 255, 255, 190))
        p.setPen(QColor(30, 30, 30))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

