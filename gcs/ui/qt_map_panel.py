"""The Map dock: the map view, and the bar under it that turns a click into a confirmed goto.

A click on the map marks the point (dashed) and says where it is from the vehicle; **Fly here**
sends ``GcsService.goto`` only once confirmed with the gesture every moving action uses (hold the
button 1 s, or press Ctrl+Shift+G twice within 2 s); **Cancel** or Esc (on the map) drops it. The
button is disabled, with the core's reason in its tooltip, whenever the rule book says ``goto`` is
not available (on the ground, a replayed log, no GPS...). **Centre** keeps the active vehicle in
the middle (a drag turns it off). **Edit mission** (or the Missions dock's "Edit on map") shows the
dock's draft (``MissionDraft``, one list for both) on the map: a click adds a waypoint there, a marker
dragged moves it, and no click flies the vehicle until editing is off. The snapshot is polled off
the GUI thread four times a second. GUI thread only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from gcs.core.availability import Availability
from gcs.core.errors import MissionInvalid
from gcs.core.map.geo import LatLon, bearing_deg, distance_m
from gcs.core.map.mission_layer import NAV_LAST
from gcs.core.map.model import MapSnapshot
from gcs.core.vehicle.mission import MissionType
from gcs.core.vehicle.mission.draft import VERTICES, polygons
from gcs.ui.qt_confirm import QtConfirmGesture
from gcs.ui.qt_map import QtMapView
from gcs.ui.qt_map_mission import DraftPoint
from gcs.ui.qt_map_tiles import QtTileLoader
from gcs.ui.qt_runner import QtCommandRunner

if TYPE_CHECKING:
    from collections.abc import Callable

    from gcs.core.service import GcsService
    from gcs.core.vehicle.mission.draft import MissionDraft
    from gcs.ui.qt_bridge import QtBridge

POLL_MS = 250
GOTO_KEYS = "Ctrl+Shift+G"


class QtMapPanel(QWidget):
    def __init__(self, service: GcsService, runner: QtCommandRunner, bridge: QtBridge,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("map_panel")
        self._service = service
        self._runner = runner
        self._reason: str | None = "waiting for the program to say what is available"
        self._notice = ""  # the confirmation gesture's last word, shown under the point until the next click
        self.tiles = QtTileLoader(service.map_tile, self)
        self.view = QtMapView(self.tiles)
        self.info = QLabel("Click the map to fly there")
        self.info.setWordWrap(True)
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.fly_button = QPushButton("Fly here")
        self.fly_button.setObjectName("goto_button")
        self.cancel_button = QPushButton("Cancel")
        self.edit_button = QToolButton()
        self.edit_button.setText("Edit mission")
        self.edit_button.setCheckable(True)
        self.edit_button.setEnabled(False)  # until a Missions dock lends its draft
        self.edit_button.setToolTip("Edit the Missions dock's list here: a click adds a waypoint, a drag moves one "
                                    "(nothing flies and nothing is sent until Upload)")
        self.edit_button.toggled.connect(self.set_editing)
        self._draft: MissionDraft | None = None
        self._default_alt: Callable[[], float] = lambda: 15.0
        self.centre_button = QToolButton()
        self.centre_button.setText("Centre")
        self.centre_button.setCheckable(True)
        self.centre_button.setChecked(True)
        self.centre_button.setToolTip("Keep the active vehicle in the middle of the map")
        zoom_in, zoom_out = QToolButton(), QToolButton()
        zoom_in.setText("+")
        zoom_out.setText("-")
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        for w in (self.fly_button, self.cancel_button):
            bar.addWidget(w)
        bar.addStretch(1)
        for w in (self.edit_button, self.centre_button, zoom_in, zoom_out):
            bar.addWidget(w)
        self.info.setContentsMargins(6, 2, 6, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.info)
        layout.addLayout(bar)

        self.confirm = QtConfirmGesture(self)
        self.confirm.attach("goto", "FLY HERE", GOTO_KEYS, self.fly_button, lambda: True, self._send_goto)
        self.fly_action = QAction("Fly here", self)
        self.fly_action.setShortcut(QKeySequence(GOTO_KEYS))
        self.fly_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.fly_action.triggered.connect(self._on_fly_key)
        self.addAction(self.fly_action)
        self.confirm.notice.connect(self._on_notice)
        self.view.clicked.connect(self._on_map_clicked)
        self.view.edit_add.connect(self._on_edit_add)
        self.view.edit_move.connect(self._on_edit_move)
        self.view.follow_changed.connect(self.centre_button.setChecked)
        self.centre_button.toggled.connect(self.view.set_follow)
        self.cancel_button.clicked.connect(self.cancel)
        zoom_in.clicked.connect(lambda: self.view.zoom_by(1.0))
        zoom_out.clicked.connect(lambda: self.view.zoom_by(-1.0))
        bridge.availability.connect(self.on_availability)
        bridge.config_changed.connect(self._on_config_changed)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._poll)
        self._timer.start(POLL_MS)
        self._update_buttons()
        self._poll()

    # ---- inputs ------------------------------------------------------------------------------

    @Slot()
    def _poll(self) -> None:
        self._runner.query("map-state", self._service.map_state, self._on_snapshot)

    def _on_snapshot(self, snapshot: Any, error: BaseException | None) -> None:
        if error is None and isinstance(snapshot, MapSnapshot):
            self.view.set_snapshot(snapshot)
            if self.view.pending is not None:
                self._describe_pending()

    @Slot(object)
    def on_availability(self, availability: Availability) -> None:
        self._reason = availability.why_not("goto")
        self._update_buttons()

    @Slot(object)
    def _on_config_changed(self, changes: Any) -> None:
        if any(str(k).startswith("map.") for k in (changes or {})):
            self.tiles.reset()
            self.view.update()

    @Slot(float, float)
    def _on_map_clicked(self, lat: float, lon: float) -> None:
        self.view.set_pending(LatLon(lat, lon))
        self._notice = ""
        self._describe_pending()
        self._update_buttons()

    def _describe_pending(self) -> None:
        point = self.view.pending
        snap = self.view.snapshot
        if point is None:
            return
        where = f"{point.lat_deg:.6f}, {point.lon_deg:.6f}"
        vehicle = snap.vehicle() if snap is not None else None
        if vehicle is not None and vehicle.has_position:
            here = LatLon(vehicle.lat_deg, vehicle.lon_deg)
            where += (f": {distance_m(here, point):.0f} m at {bearing_deg(here, point):03.0f}° "
                      f"from vehicle {vehicle.system_id}")
        if self._reason is not None:
            text = f"Fly to {where} unavailable: {self._reason}"
        else:
            text = f"Fly to {where}? {self.confirm.hint('goto')}"
        if self._notice:
            text += f"\n{self._notice}"
        if self.info.text() != text:
            self.info.setText(text)

    def _update_buttons(self) -> None:
        can = self._reason is None and self.view.pending is not None and not self.editing
        self.fly_button.setEnabled(can)
        tip = f"Fly the active vehicle to the clicked point ({GOTO_KEYS} twice, or hold 1 s)"
        if self._reason is not None:
            tip += f"\nUnavailable: {self._reason}"
        elif self.view.pending is None:
            tip += "\nUnavailable: click the map first"
        self.fly_button.setToolTip(tip)
        self.fly_action.setEnabled(can)
        self.cancel_button.setEnabled(self.view.pending is not None)

    # ---- editing the mission on the map -------------------------------------------------------

    def attach_draft(self, draft: MissionDraft, default_alt: Callable[[], float]) -> None:
        """Edit this draft (the Missions dock's) on the map; ``default_alt`` for a clicked waypoint."""
        self._draft = draft
        self._default_alt = default_alt
        self.edit_button.setEnabled(True)
        draft.subscribe(lambda _draft: self._show_draft())

    @property
    def editing(self) -> bool:
        return self.view.edit_points is not None

    @Slot(bool)
    def set_editing(self, on: bool) -> None:
        if self.edit_button.isChecked() != on:
            self.edit_button.setChecked(on)  # comes back here once
            return
        if on and self._draft is None:
            self.edit_button.setChecked(False)
            return
        if on:
            self.view.set_pending(None)  # a point waiting to be flown to is dropped: clicks edit now
            self._notice = ""
            self._show_draft()
        else:
            self.view.set_edit_points(None)
            self.info.setText("Click the map to fly there")
        self._update_buttons()

    def _show_draft(self) -> None:
        draft = self._draft
        if draft is None or not self.edit_button.isChecked():
            return
        offset, kind = draft.mission.seq_offset, draft.mission.kind
        joined = (lambda c: c <= NAV_LAST) if kind is MissionType.MISSION else (lambda c: c in VERTICES)
        shapes = polygons(draft.items) if kind is MissionType.FENCE else []
        shape_of = {k: (number, not shape.inclusion) for number, shape in enumerate(shapes)
                    for k in range(shape.start, shape.end)}
        self.view.set_edit_points([DraftPoint(n, offset + n, item.x, item.y, joined(item.command),
                                              *shape_of.get(n, (-1, False)))
                                   for n, item in draft.placed()])
        state = "edited, not uploaded" if draft.dirty else "as on the vehicle"
        which = "stay-inside" if draft.inclusion else "keep-out"
        polygon = f"a vertex to a new {which} polygon" if draft.starts_polygon else f"a vertex to the {which} polygon"
        adds = {MissionType.MISSION: f"a waypoint at {self._default_alt():g} m",
                MissionType.FENCE: polygon,
                MissionType.RALLY: f"a rally point at {self._default_alt():g} m"}[kind]
        self.info.setText(f"Editing the {kind.value} ({len(draft.items)} item(s), {state}): click adds {adds}, "
                          "drag a marker to move it; Upload in the Missions tab")

    @Slot(float, float)
    def _on_edit_add(self, lat: float, lon: float) -> None:
        if self._draft is not None:
            try:
                self._draft.add_point(lat, lon, self._default_alt())
            except MissionInvalid as error:
                self.info.setText(f"Not added: {error}")

    @Slot(int, float, float)
    def _on_edit_move(self, index: int, lat: float, lon: float) -> None:
        if self._draft is not None:
            self._draft.move(index, lat, lon)

    # ---- actions -----------------------------------------------------------------------------

    @Slot()
    def _on_fly_key(self) -> None:
        if self.fly_button.isEnabled():
            self.confirm.key_press("goto")

    def _send_goto(self) -> None:
        point = self.view.pending
        if point is None or self._reason is not None:
            return
        self._runner.submit("GOTO", self._service.goto, point.lat_deg, point.lon_deg)
        self.info.setText(f"Flying to {point.lat_deg:.6f}, {point.lon_deg:.6f}")
        self.view.set_pending(None)
        self._update_buttons()

    @Slot()
    def cancel(self) -> None:
        if self.view.pending is not None:
            self.view.set_pending(None)
            self._notice = ""
            self.info.setText("Click the map to fly there")
            self._update_buttons()

    @Slot(str, str)
    def _on_notice(self, text: str, _level: str) -> None:
        self._notice = text
        if self.view.pending is not None:
            self._describe_pending()
        else:
            self.info.setText(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.view.pending is not None:
            self.cancel()
            return
        super().keyPressEvent(event)

    def stop(self) -> None:
        self._timer.stop()
        self.tiles.close()
