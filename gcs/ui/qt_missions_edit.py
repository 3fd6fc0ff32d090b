"""Parts of the Missions dock: the row texts, the "add an item" and "generate" rows, and errors in words.

``QtMissionItemAdder.make`` and ``QtMissionGenerator.make`` run on the runner's query pool (they read
the vehicle's state or the map's target estimate from the service); the widgets themselves are GUI
thread only.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gcs.core.errors import CommandRejected, CommandTimeout, MissionInvalid, MissionRefused, MissionTimeout
from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.mission import MissionItem, MissionType, OrbitSpec, SurveySpec
from gcs.core.vehicle.mission.draft import CIRCLES, RALLY, VERTICES, MissionDraft, count_vertices
from gcs.core.vehicle.mission.generators import offset

if TYPE_CHECKING:
    from gcs.core.models import VehicleState
    from gcs.core.service import GcsService
    from gcs.core.vehicle.mission import Mission

M = mavlink
REL = M.MAV_FRAME_GLOBAL_RELATIVE_ALT
FRAMES = {M.MAV_FRAME_GLOBAL: "AMSL", M.MAV_FRAME_GLOBAL_RELATIVE_ALT: "above home",
          M.MAV_FRAME_GLOBAL_TERRAIN_ALT: "above terrain", M.MAV_FRAME_MISSION: ""}
ADDABLE = (("Waypoint", M.MAV_CMD_NAV_WAYPOINT), ("Takeoff", M.MAV_CMD_NAV_TAKEOFF),
           ("Land", M.MAV_CMD_NAV_LAND), ("Return to launch", M.MAV_CMD_NAV_RETURN_TO_LAUNCH))
ADDABLE_BY_KIND = {
    MissionType.MISSION: ADDABLE,
    MissionType.FENCE: (("Fence vertex (stay inside)", M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION),
                        ("Fence vertex (keep out)", M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION),
                        ("Fence circle (stay inside)", M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION),
                        ("Fence circle (keep out)", M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION)),
    MissionType.RALLY: (("Rally point", RALLY),),
}
KIND_TITLES = ((MissionType.MISSION, "Mission"), (MissionType.FENCE, "Geofence"), (MissionType.RALLY, "Rally points"))
PLACED = {M.MAV_CMD_NAV_WAYPOINT, RALLY, *VERTICES, *CIRCLES}  # the others fly from where the vehicle is (0, 0)
GENERATORS = (("Orbit the vehicle's position", "orbit"), ("Orbit the tracked target", "orbit-target"),
              ("Survey round the vehicle", "survey"))
STEP_M = 10.0


def row_texts(item: MissionItem) -> tuple[str, ...]:
    """Command, latitude, longitude, altitude and frame of one item, as the table shows them."""
    if item.has_position:
        lat, lon = f"{item.x:.7f}", f"{item.y:.7f}"
    else:
        lat = lon = ""
    if item.command in CIRCLES:
        return "Fence circle (" + ("stay inside" if CIRCLES[item.command] else "keep out") + ")", lat, lon, \
            f"r {item.param1:g}", ""
    if item.command in VERTICES:
        inside = item.command == M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
        return f"Fence vertex ({'stay inside' if inside else 'keep out'}, of {item.param1:g})", lat, lon, "", ""
    alt = f"{item.z:g}" if item.has_position or (item.is_global and item.z) else ""
    frame = FRAMES.get(item.frame, str(item.frame)) if alt else ""
    return item.name.removeprefix("NAV_").replace("_", " ").lower().capitalize(), lat, lon, alt, frame


def describe_error(what: str, error: BaseException) -> str:
    """One line a pilot understands: who refused, or who stopped answering, and the vehicle's reason."""
    if isinstance(error, MissionRefused | CommandRejected):
        return f"{what}: the vehicle refused: {error}"
    if isinstance(error, MissionTimeout | CommandTimeout):
        return f"{what}: the vehicle did not answer ({error}); check the link and try again"
    if isinstance(error, MissionInvalid):
        return f"{what}: {error}"
    return f"{what}: {error}"


def _where(state: VehicleState) -> tuple[float, float]:
    """The vehicle's position, else its home; MissionInvalid when it has neither yet."""
    pos = state.global_position
    if pos.lat_deg or pos.lon_deg:
        return pos.lat_deg, pos.lon_deg
    if state.home is not None:
        return state.home.lat_deg, state.home.lon_deg
    raise MissionInvalid("the vehicle has no position yet (waiting for GPS)")


def parse_radius(text: str) -> float:
    """A radius as typed in the table ("r 60", "60 m", "60"); ValueError when it is no number."""
    return float(text.strip().removeprefix("r").strip().removesuffix("m").strip())


class QtPolygonChooser(QWidget):
    """Map clicks add: [stay-inside polygon v] [New polygon]: the draft's choice (the core groups)."""

    def __init__(self, draft: MissionDraft, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._draft = draft
        self.kind = QComboBox()
        self.kind.addItem("Clicks add: stay-inside polygon", True)
        self.kind.addItem("Clicks add: keep-out polygon", False)
        self.kind.setToolTip("Which fence polygon a click on the map (Edit on map) adds a vertex to")
        self.kind.currentIndexChanged.connect(
            lambda _n: self._draft.choose_polygon(inclusion=bool(self.kind.currentData())))
        self.new_button = QPushButton("New polygon")
        self.new_button.setToolTip("The next click on the map starts another polygon of the chosen kind")
        self.new_button.clicked.connect(lambda: self._draft.new_polygon())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.kind, 1)
        row.addWidget(self.new_button)

    def choose(self, inclusion: bool) -> None:
        self.kind.setCurrentIndex(self.kind.findData(inclusion))


def _spin(value: float, low: float, high: float, suffix: str, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(0)
    spin.setValue(value)
    spin.setSuffix(suffix)
    spin.setToolTip(tip)
    return spin


class QtMissionItemAdder(QWidget):
    """[Waypoint v] [15 m] [Add]: ``add(command, alt)`` when clicked."""

    add = Signal(int, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox()
        for title, command in ADDABLE:
            self.kind.addItem(title, command)
        self.alt = _spin(15.0, 1.0, 500.0, " m", "Altitude above home of the new item")
        self.radius = _spin(50.0, 5.0, 10000.0, " m", "Radius of a new fence circle")
        self.radius.setPrefix("r ")
        self.radius.hide()
        self.button = QPushButton("Add")
        self.button.setToolTip("Insert after the selected item (at the end without one)")
        self.button.clicked.connect(self._on_add)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.kind, self.alt, self.radius, self.button):
            row.addWidget(widget)

    def set_kind(self, kind: MissionType) -> None:
        """Offer what this list holds (mission items, fence vertices and circles, rally points)."""
        self.kind.clear()
        for title, command in ADDABLE_BY_KIND[kind]:
            self.kind.addItem(title, command)
        self.alt.setVisible(kind is not MissionType.FENCE)
        self.radius.setVisible(kind is MissionType.FENCE)

    @Slot()
    def _on_add(self) -> None:
        command = int(self.kind.currentData())
        self.add.emit(command, float(self.radius.value() if command in CIRCLES else self.alt.value()))

    def choose(self, title: str) -> None:
        self.kind.setCurrentIndex(self.kind.findText(title))

    @staticmethod
    def make(command: int, alt: float, before: MissionItem | None, state: VehicleState) -> MissionItem:
        """The new item: a waypoint (vertex, rally point) 10 m north-east of the one before it (or of the
        vehicle); a fence circle round the vehicle, ``alt`` its radius."""
        if command not in PLACED:
            return MissionItem(command, REL, z=alt if command == M.MAV_CMD_NAV_TAKEOFF else 0.0)
        if command in CIRCLES:
            lat, lon = _where(state)
            return MissionItem(command, M.MAV_FRAME_GLOBAL, alt, x=lat, y=lon, autocontinue=False)
        lat, lon = (before.x, before.y) if before is not None else _where(state)
        step = STEP_M / math.sqrt(2)
        lat, lon = offset(lat, lon, step, step)
        if command in VERTICES:
            return MissionItem(command, M.MAV_FRAME_GLOBAL, x=lat, y=lon, autocontinue=False)
        return MissionItem(command, REL, x=lat, y=lon, z=alt, autocontinue=command != RALLY)


class QtMissionGenerator(QWidget):
    """[Orbit the vehicle's position v] [30 m] [20 m] [Generate]: ``generate(what, size, alt)``."""

    generate = Signal(str, float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox()
        for title, key in GENERATORS:
            self.kind.addItem(title, key)
        self.size_spin = _spin(30.0, 2.0, 2000.0, " m", "Orbit radius, or the survey's side")
        self.alt = _spin(20.0, 1.0, 500.0, " m", "Altitude above home")
        self.button = QPushButton("Generate")
        self.button.setToolTip("Replace the list with the generated mission (nothing is sent until Upload)")
        self.button.clicked.connect(self._on_generate)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.addWidget(self.kind)
        row = QHBoxLayout()
        rows.addLayout(row)
        row.addWidget(QLabel("size"))
        row.addWidget(self.size_spin)
        row.addWidget(QLabel("alt"))
        row.addWidget(self.alt)
        row.addWidget(self.button)

    @Slot()
    def _on_generate(self) -> None:
        self.generate.emit(str(self.kind.currentData()), float(self.size_spin.value()), float(self.alt.value()))

    def choose(self, key: str) -> None:
        self.kind.setCurrentIndex(self.kind.findData(key))

    @staticmethod
    def make(service: GcsService, what: str, size_m: float, alt_m: float) -> Mission:
        """The generated mission (query pool): round the vehicle, or round the LOCKED target."""
        takeoff = min(10.0, alt_m)
        if what == "orbit-target":
            return service.generate_orbit_target(radius_m=size_m, alt_m=alt_m, takeoff_alt_m=takeoff)
        lat, lon = _where(service.vehicle_state())
        if what == "survey":
            spacing = max(5.0, size_m / 4)
            return service.generate_survey(SurveySpec(lat, lon, length_m=size_m, width_m=size_m, spacing_m=spacing,
                                                      alt_m=alt_m, takeoff_alt_m=takeoff))
        return service.generate_orbit(OrbitSpec(lat, lon, radius_m=size_m, alt_m=alt_m, takeoff_alt_m=takeoff))


__all__ = ["KIND_TITLES", "QtMissionGenerator", "QtMissionItemAdder", "QtPolygonChooser", "count_vertices",
           "describe_error", "parse_radius", "row_texts"]
