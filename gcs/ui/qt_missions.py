"""The Missions dock: the active vehicle's mission as a list the pilot edits, uploads and starts.

The panel holds a *draft* (a ``Mission`` of plain items): downloading from the vehicle, loading a
``.plan`` / ``.waypoints`` file or generating an orbit or survey replaces it; add, delete, move and an
altitude typed in the table change it; Upload sends it. Nothing here speaks MAVLink: every call
(download, upload, clear, start, file, generator) runs on the runner's query pool through
``GcsService`` and comes back to a callback on the GUI thread, which shows a refusal or a timeout in
plain words under the table. The vehicle's progress (MISSION_CURRENT, MISSION_ITEM_REACHED) and lists
changed by another face (the API) arrive from the bus through the bridge. Rows are numbered as the
vehicle numbers them (ArduPilot's home is 0, so its first item is 1), like MISSION_CURRENT. The list
selector shows the mission, the geofence (polygon vertices, circles) or the rally points; each list
is downloaded, edited, uploaded and cleared on its own (``mission_type``), and an edit of one is
kept while another is shown. GUI thread only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gcs.core.bus import Topics
from gcs.core.errors import MissionInvalid
from gcs.core.vehicle.mission import Mission, MissionItem, MissionType
from gcs.core.vehicle.mission.draft import CIRCLES, MissionDraft
from gcs.ui.qt_missions_edit import (
    KIND_TITLES,
    QtMissionGenerator,
    QtMissionItemAdder,
    QtPolygonChooser,
    describe_error,
    parse_radius,
)
from gcs.ui.qt_missions_table import ALT_COLUMN, fill_mission_table, make_mission_table, parse_altitude

if TYPE_CHECKING:
    from gcs.core.service import GcsService
    from gcs.ui.qt_bridge import QtBridge
    from gcs.ui.qt_runner import QtCommandRunner


class QtMissionsPanel(QWidget):
    """List, edit, upload and fly the active vehicle's mission (see the module docstring)."""

    def __init__(self, service: GcsService, runner: QtCommandRunner, bridge: QtBridge | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self.draft = MissionDraft()  # shared with the map, which edits it too (Edit on map)
        self._offset = 0  # the vehicle's number of the first item (1 on ArduPilot, whose home is 0)
        self.kind = MissionType.MISSION  # the list shown (mission, fence or rally)
        self._kept: dict[MissionType, tuple[Mission, bool, int]] = {}  # the others, as last shown
        self._extra: list[Mission] = []  # a .plan's fence and rally lists, uploaded with the mission
        self._current: int | None = None
        self._reached: tuple[int, ...] = ()
        self._filling = False
        self.confirm_box: QMessageBox | None = None
        self.file_dialog: QFileDialog | None = None

        self.download_button = self._button("Download", "Read the mission from the vehicle", self.download)
        self.load_button = self._button("Load file…", "Open a QGC .plan or a Mission Planner/MAVProxy .waypoints "
                                        "file into the list (nothing is sent until Upload)", self._on_load_clicked)
        self.upload_button = self._button("Upload", "Replace the vehicle's mission with this list", self.upload)
        self.clear_button = self._button("Clear", "Remove the mission from the vehicle", self.clear)
        self.start_button = self._button("Start", "Fly the mission (ArduPilot AUTO, PX4 Mission)", self.start)
        self.kind_box = QComboBox()
        for kind, title in KIND_TITLES:
            self.kind_box.addItem(title, kind)
        self.kind_box.setToolTip("Which of the vehicle's lists to show and edit")
        self.kind_box.currentIndexChanged.connect(self._on_kind)
        top = QGridLayout()  # two rows of buttons: the dock is as narrow as the HUD beside it
        for n, button in enumerate((self.download_button, self.load_button, self.upload_button,
                                    self.clear_button, self.start_button, self.kind_box)):
            top.addWidget(button, n // 3, n % 3)

        self.table = make_mission_table()
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemSelectionChanged.connect(lambda: self._on_selection())  # the buttons exist below

        self.adder = QtMissionItemAdder()
        self.adder.add.connect(self.add_item)
        self.polygon_chooser = QtPolygonChooser(self.draft)
        self.polygon_chooser.hide()
        self.delete_button = self._button("Delete", "Remove the selected item", self.delete_selected)
        self.up_button = self._button("Up", "Move the selected item earlier", lambda: self.move_selected(-1))
        self.down_button = self._button("Down", "Move the selected item later", lambda: self.move_selected(1))
        edit = QHBoxLayout()
        for button in (self.up_button, self.down_button, self.delete_button):
            edit.addWidget(button)
        self.generator = QtMissionGenerator()
        self.generator.generate.connect(self.generate)

        self.map_button = QPushButton("Edit on map")
        self.map_button.setCheckable(True)
        self.map_button.setToolTip("While on, a click on the map adds a waypoint there (at the Add row's altitude) "
                                   "and a waypoint dragged on the map moves; the map does not fly there")
        edit.addWidget(self.map_button)
        self.progress_label = QLabel("Vehicle: no mission progress yet")
        self.draft_label = QLabel("")
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.adder)
        layout.addWidget(self.polygon_chooser)
        layout.addLayout(edit)
        layout.addWidget(self.generator)
        layout.addWidget(self.draft_label)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.status_label)
        if bridge is not None:
            for topic in (Topics.MISSION_CURRENT, Topics.MISSION_REACHED, Topics.MISSION_CHANGED):
                bridge.watch(topic)
            bridge.other_topic.connect(self._on_topic)
            bridge.active_vehicle.connect(lambda _sysid: self.reload())
        self.draft.subscribe(lambda _draft: self._fill())
        self._fill()
        self.reload()

    def _button(self, text: str, tip: str, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    # ---- what the GCS knows ----------------------------------------------------------------

    @Slot()
    def reload(self) -> None:
        """Show the list as last downloaded or uploaded and the vehicle's progress (no transfer)."""
        kind = self.kind

        def run() -> Any:
            return self._service.missions()[kind], self._service.mission_progress()

        self._runner.query("missions-known", run, self._on_known)

    def _on_known(self, result: Any, error: BaseException | None) -> None:
        if error is not None:
            self.status_label.setText(describe_error("Missions not available", error))
            return
        mission, progress = result
        if mission.kind is not self.kind:
            return  # the pilot switched lists meanwhile
        self._offset = mission.seq_offset
        if not self._dirty:
            self._set_draft(mission, dirty=False)
        self._show_progress(progress)

    def _on_topic(self, topic: str, value: Any) -> None:
        if getattr(value, "system_id", None) != self._service.active_vehicle_id:
            return  # another topic, or another vehicle's mission
        if topic == Topics.MISSION_CURRENT:
            self._show_progress(value)
        elif topic == Topics.MISSION_REACHED:
            if value.seq not in self._reached:
                self._reached = (*self._reached, value.seq)
            self._fill()
        elif topic == Topics.MISSION_CHANGED and value.kind is self.kind and value.source != "gui":
            if self._dirty:
                who = value.source or "another face"
                self.status_label.setText(f"The vehicle's mission was {value.action} by {who} while you edit: "
                                          "Download to see it")
            else:
                self._set_draft(value.mission, dirty=False)

    def _show_progress(self, progress: Any) -> None:
        self._current = progress.seq
        self._reached = tuple(progress.reached)
        state = f" · {progress.state.lower()}" if progress.state != "UNKNOWN" else ""
        reached = f" · reached {', '.join(map(str, self._reached))}" if self._reached else ""
        self.progress_label.setText(f"Vehicle: current item {progress.seq}{state}{reached}"
                                    if progress.seq is not None else "Vehicle: no mission progress yet")
        self._fill()

    # ---- the draft -------------------------------------------------------------------------

    def _set_draft(self, mission: Mission, *, dirty: bool) -> None:
        """The list shown; one from the vehicle (not dirty) also tells how the vehicle numbers it."""
        if not dirty:
            self._offset = mission.seq_offset
        self.draft.set(replace(mission, seq_offset=self._offset), dirty=dirty)

    def _on_kind(self, _index: int) -> None:
        """Show another list: this one's edit is kept for when it is shown again."""
        kind = MissionType(self.kind_box.currentData())
        if kind is self.kind:
            return
        self._kept[self.kind] = (self._draft, self._dirty, self._offset)
        self.kind = kind
        self.adder.set_kind(kind)
        self.polygon_chooser.setVisible(kind is MissionType.FENCE)
        self.generator.setVisible(kind is MissionType.MISSION)
        self.start_button.setEnabled(kind is MissionType.MISSION)
        kept = self._kept.pop(kind, None)
        if kept is not None:
            mission, dirty, self._offset = kept
            self.draft.set(mission, dirty=dirty)
        else:
            self._offset = 0
            self.draft.set(Mission(kind), dirty=False)
        self.status_label.setText("")
        self.reload()

    def show_kind(self, kind: MissionType) -> None:
        self.kind_box.setCurrentIndex(self.kind_box.findData(kind))

    def _edit(self, items: list[MissionItem], select: int | None = None) -> None:
        self.draft.set_items(items)
        if select is not None and 0 <= select < len(items):
            self.table.selectRow(select)

    def items(self) -> tuple[MissionItem, ...]:
        return self._draft.items

    @property
    def _draft(self) -> Mission:
        return self.draft.mission

    @property
    def _dirty(self) -> bool:
        return self.draft.dirty

    @property
    def dirty(self) -> bool:
        return self.draft.dirty

    def default_alt(self) -> float:
        """The altitude of a waypoint added on the map: the Add row's."""
        return float(self.adder.alt.value())

    def _fill(self) -> None:
        keep = self.selected_index()
        self._filling = True
        fill_mission_table(self.table, self._draft, self.kind, self._current, self._reached)
        self._filling = False
        if keep is not None and keep < len(self._draft.items):
            self.table.selectRow(keep)
        count = len(self._draft.items)
        self.draft_label.setText(f"{count} item(s)" + (" — edited, not uploaded" if self._dirty else
                                                       " — as on the vehicle" if count else ""))
        self._on_selection()

    def _on_selection(self) -> None:
        selected = self.selected_index() is not None
        for button in (self.delete_button, self.up_button, self.down_button):
            button.setEnabled(selected)

    def selected_index(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _on_item_changed(self, cell: QTableWidgetItem) -> None:
        if self._filling or cell.column() != ALT_COLUMN:
            return
        row = cell.row()
        if self._draft.items[row].command in CIRCLES:
            self._edit_radius(row, cell.text())
            return
        try:
            alt = parse_altitude(cell.text())
        except ValueError:
            self.status_label.setText(f"Item {self._draft.seq_offset + row}: {cell.text()!r} is not an altitude "
                                      "in metres (-1000 to 10000)")
            self._fill()
            return
        items = list(self._draft.items)
        items[row] = replace(items[row], z=alt)
        self.status_label.setText(f"Item {self._draft.seq_offset + row} at {alt:g} m (not uploaded yet)")
        self._edit(items, row)

    def _edit_radius(self, row: int, text: str) -> None:
        """A circle's radius typed in the table: the core checks it (finite, above 0)."""
        seq = self._draft.seq_offset + row
        try:
            self.draft.set_radius(row, parse_radius(text))
        except (ValueError, MissionInvalid) as error:
            why = str(error) if isinstance(error, MissionInvalid) else "a radius is a number of metres above 0"
            self.status_label.setText(f"Item {seq}: {text.strip()!r} refused: {why}")
            self._fill()
            return
        self.table.selectRow(row)
        self.status_label.setText(f"Item {seq}: radius {self._draft.items[row].param1:g} m (not uploaded yet)")

    def set_altitude(self, index: int, text: str) -> None:
        """What typing into the altitude cell does (tests and shortcuts)."""
        cell = self.table.item(index, ALT_COLUMN)
        if cell is not None:
            cell.setText(text)

    @Slot()
    def delete_selected(self) -> None:
        index = self.selected_index()
        if index is not None:
            items = list(self._draft.items)
            del items[index]
            self._edit(items, min(index, len(items) - 1))

    def move_selected(self, step: int) -> None:
        index = self.selected_index()
        if index is None or not 0 <= index + step < len(self._draft.items):
            return
        items = list(self._draft.items)
        items[index], items[index + step] = items[index + step], items[index]
        self._edit(items, index + step)

    def add_item(self, command: int, alt: float) -> None:
        """Insert an item after the selection (at the end without one), placed 10 m on from the item
        before it, or over the vehicle when there is none."""
        index = self.selected_index()
        at = len(self._draft.items) if index is None else index + 1
        before = [item for item in self._draft.items[:at] if item.has_position]

        def run() -> Any:
            return self.adder.make(command, alt, before[-1] if before else None, self._service.vehicle_state())

        def done(item: Any, error: BaseException | None) -> None:
            if error is not None:
                self.status_label.setText(describe_error("Not added", error))
                return
            items = list(self._draft.items)
            items.insert(at, item)
            self._edit(items, at)

        self._runner.query("missions-add", run, done)

    # ---- the vehicle -----------------------------------------------------------------------

    def _call(self, key: str, busy: str, fn: Any, done: Any, failed: str) -> None:
        self.status_label.setText(busy)

        def answered(value: Any, error: BaseException | None) -> None:
            if error is not None:
                self.status_label.setText(describe_error(failed, error))
            else:
                done(value)

        if not self._runner.query(key, fn, answered):
            self.status_label.setText("Busy: the previous mission transfer has not finished")

    @Slot()
    def download(self) -> None:
        def done(mission: Mission) -> None:
            self._extra = []
            self._set_draft(mission, dirty=False)
            self.status_label.setText(f"Downloaded {len(mission.items)} item(s) from the vehicle")

        kind = self.kind
        self._call("missions-transfer", f"Downloading the {kind.value}…", lambda: self._service.download_mission(kind),
                   done, "Download failed")

    @Slot()
    def upload(self) -> None:
        draft, extra = self._draft, list(self._extra) if self.kind is MissionType.MISSION else []

        def run() -> Mission:
            stored = self._service.upload_mission(draft, source="gui")
            for mission in extra:
                self._service.upload_mission(mission, source="gui")
            return stored

        def done(mission: Mission) -> None:
            self._extra = []
            self._set_draft(mission, dirty=False)
            also = f" (and {', '.join(m.kind.value for m in extra)})" if extra else ""
            self.status_label.setText(f"Uploaded {len(mission.items)} item(s){also}: the vehicle has this "
                                      f"{mission.kind.value}")

        self._call("missions-transfer", f"Uploading the {draft.kind.value}…", run, done, "Upload refused")

    @Slot()
    def clear(self) -> None:
        kind = self.kind

        def done(_: Any) -> None:
            self._set_draft(Mission(kind, seq_offset=self._offset), dirty=False)
            self.status_label.setText(f"The vehicle's {kind.value} is cleared")

        self._call("missions-transfer", f"Clearing the {kind.value}…",
                   lambda: self._service.clear_mission(kind, source="gui"), done, "Clear refused")

    @Slot()
    def start(self) -> None:
        """Ask first: the vehicle then flies on its own (ArduPilot arms itself and takes off)."""
        text = "Start the mission now?\n\nThe vehicle flies the uploaded mission on its own"
        if self._dirty:
            text += " — not the edited list shown here, which is not uploaded yet"
        box = QMessageBox(QMessageBox.Icon.Warning, "Start the mission", text + ".",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.accepted.connect(self._start_now)
        box.finished.connect(box.deleteLater)
        self.confirm_box = box
        box.open()

    def _start_now(self) -> None:
        self._call("missions-start", "Starting the mission…", lambda: self._service.start_mission(source="gui"),
                   lambda result: self.status_label.setText(result.message or "Mission started"),
                   "The vehicle did not start the mission")

    # ---- files and generators --------------------------------------------------------------

    @Slot()
    def _on_load_clicked(self) -> None:
        dialog = QFileDialog(self, "Load a mission", "", "Missions (*.plan *.waypoints *.txt);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.load_from)
        dialog.finished.connect(dialog.deleteLater)
        self.file_dialog = dialog
        dialog.open()

    def load_from(self, path: str) -> None:
        self.show_kind(MissionType.MISSION)  # a file's mission shown; its fence and rally go with it
        def done(lists: dict[MissionType, Mission]) -> None:
            self._extra = [m for kind, m in lists.items() if kind is not MissionType.MISSION and m.items]
            self._set_draft(lists[MissionType.MISSION], dirty=True)
            also = "".join(f", {len(m.items)} {m.kind.value} item(s)" for m in self._extra)
            self.status_label.setText(f"Loaded {len(self._draft.items)} item(s){also} from {path}: "
                                      "Upload to send them")

        self._call("missions-file", "Reading the file…", lambda: self._service.load_mission_file(path), done,
                   "Not a usable mission file")

    def generate(self, what: str, size_m: float, alt_m: float) -> None:
        def done(mission: Mission) -> None:
            self._extra = []
            self._set_draft(mission, dirty=True)
            self.status_label.setText(f"Generated {len(mission.items)} item(s): Upload to send them")

        self._call("missions-generate", "Generating…",
                   lambda: self.generator.make(self._service, what, size_m, alt_m), done, "Not generated")
