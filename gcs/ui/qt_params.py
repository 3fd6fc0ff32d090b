"""Vehicle > Parameters…: the active vehicle's parameters with search, edit, files and a diff.

Everything that talks to the vehicle runs on the runner's query pool (a download, a set waiting
for its echo, a file's diff or apply) and comes back to a callback on the GUI thread. The list
downloads when the dialog first opens (a progress bar while it does). A value is checked by the
core: one that is not of the parameter's type is shown refused; one outside the documented range
asks for confirmation (``confirm_box``) before it is sent; the vehicle's own refusal is shown
with its reason. Loading a file shows what it would change, with a tick per parameter, and
applies only the ticked ones (ticking a value outside the documented range is its confirmation).
GUI thread only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gcs.core.errors import ParamNeedsConfirm
from gcs.core.vehicle.params import DownloadState

if TYPE_CHECKING:
    from gcs.core.service import GcsService
    from gcs.core.service_params import ParamRow
    from gcs.ui.qt_runner import QtCommandRunner

COLUMNS = ("Name", "Value", "Units", "Range", "Default", "Description")
DIFF_COLUMNS = ("Apply", "Name", "Vehicle", "File")
POLL_MS = 250
OUT_OF_RANGE = QColor("#d29922")  # amber: readable on the dark theme and on a light one


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def row_texts(row: ParamRow) -> tuple[str, ...]:
    meta = row.meta
    if meta is None:
        return (row.param.name, row.param.text, "", "", "", "")
    span = f"{_num(meta.min)} .. {_num(meta.max)}" if meta.min is not None or meta.max is not None else ""
    return (row.param.name, row.param.text, meta.units, span, _num(meta.default), meta.description)


class QtParamsDialog(QDialog):
    """The parameter editor of the active vehicle."""

    def __init__(self, service: GcsService, runner: QtCommandRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Vehicle parameters — Kestrel GCS")
        self.resize(980, 640)
        self._service = service
        self._runner = runner
        self._rows: list[ParamRow] = []
        self._content = ""  # the loaded file's text, applied by apply_selected
        self.loads = 0
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search names and descriptions (e.g. RTL, speed, fence)")
        self.search.textChanged.connect(self._fill)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Download the full list from the vehicle again")
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.search, 3)
        top.addWidget(self.progress, 2)
        top.addWidget(self.refresh_button)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_selected)

        self.name_label = QLabel("Select a parameter")
        self.value_edit = QLineEdit()
        self.value_edit.setPlaceholderText("new value")
        self.value_edit.returnPressed.connect(self.set_selected)
        self.set_button = QPushButton("Set")
        self.set_button.clicked.connect(self.set_selected)
        edit = QHBoxLayout()
        edit.addWidget(self.name_label, 2)
        edit.addWidget(self.value_edit, 1)
        edit.addWidget(self.set_button)

        self.diff_table = QTableWidget(0, len(DIFF_COLUMNS))
        self.diff_table.setHorizontalHeaderLabels(list(DIFF_COLUMNS))
        self.diff_table.verticalHeader().setVisible(False)
        self.diff_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.diff_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.diff_table.setMaximumHeight(170)
        self.diff_table.hide()
        self.apply_button = QPushButton("Apply ticked")
        self.apply_button.clicked.connect(self.apply_selected)
        self.apply_button.hide()
        load = QPushButton("Load file…")
        load.setToolTip("Compare a QGC .params or MAVProxy .parm file with the vehicle, then apply what you tick")
        load.clicked.connect(self._on_load_clicked)
        save = QPushButton("Save file…")
        save.setToolTip("Save the parameters: .params (QGC) or .parm (MAVProxy / Mission Planner)")
        save.clicked.connect(self._on_save_clicked)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(load)
        buttons.addWidget(save)
        buttons.addWidget(self.apply_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(edit)
        layout.addWidget(self.diff_table)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)
        self.confirm_box: QMessageBox | None = None
        self.file_dialog: QFileDialog | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.reload)
        self._on_selected()
        self.start()

    # ---- the list --------------------------------------------------------------------------

    def start(self) -> None:
        """Download the list unless it is there or coming, and follow it until complete."""
        self._runner.query("params-ensure", self._service.ensure_params, self._on_progress)
        self._timer.start()

    @Slot()
    def refresh(self) -> None:
        self._runner.query("params-refresh", self._service.refresh_params, self._on_progress)
        self._timer.start()

    @Slot()
    def reload(self) -> None:
        self._runner.query("params-list", self._service.params, self._on_params)

    def _on_progress(self, progress: Any, error: BaseException | None) -> None:
        if error is not None:
            self.status_label.setText(f"Parameters not available: {error}")
            self._timer.stop()

    def _on_params(self, view: Any, error: BaseException | None) -> None:
        if error is not None:
            self.status_label.setText(f"Parameters not available: {error}")
            self._timer.stop()
            return
        progress = view.progress
        self.progress.setMaximum(max(progress.total or 0, 1))
        self.progress.setValue(progress.received if progress.total else 0)
        finished = progress.state is not DownloadState.DOWNLOADING
        if finished and self._timer.isActive():  # the download just ended: say how it went, once
            self._timer.stop()
            if progress.state is DownloadState.COMPLETE:
                self.progress.setValue(self.progress.maximum())
                self.status_label.setText(
                    f"{len(view.rows)} parameters in {progress.duration_s or 0:.1f} s"
                    + (f" ({progress.re_requested} asked for again)" if progress.re_requested else ""))
            elif progress.state is DownloadState.FAILED:
                self.status_label.setText(f"Download incomplete: {progress.error}")
        self._rows = list(view.rows)
        self._fill()
        self.loads += 1

    @Slot()
    def _fill(self) -> None:
        needle = self.search.text().strip().upper()
        shown = [r for r in self._rows if not needle or needle in r.param.name
                 or (r.meta is not None and needle in r.meta.description.upper())]
        keep = self.selected_name()
        self.table.setUpdatesEnabled(False)
        self.table.setRowCount(len(shown))
        for r, row in enumerate(shown):
            for c, text in enumerate(row_texts(row)):
                item = QTableWidgetItem(text)
                if c == 1 and row.meta is not None and not row.meta.in_range(float(row.param.value)):
                    item.setForeground(OUT_OF_RANGE)
                    item.setToolTip("outside the documented range")
                self.table.setItem(r, c, item)
            if row.param.name == keep:
                self.table.selectRow(r)
        self.table.setUpdatesEnabled(True)

    def shown_names(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.text() if item is not None else None

    def select(self, name: str) -> bool:
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).text() == name:
                self.table.selectRow(r)
                return True
        return False

    def value_of(self, name: str) -> str | None:
        row = next((r for r in self._rows if r.param.name == name), None)
        return row.param.text if row is not None else None

    @Slot()
    def _on_selected(self) -> None:
        name = self.selected_name()
        self.set_button.setEnabled(name is not None)
        self.value_edit.setEnabled(name is not None)
        if name is None:
            self.name_label.setText("Select a parameter")
            return
        self.name_label.setText(name)
        self.value_edit.setText(self.value_of(name) or "")

    # ---- setting ---------------------------------------------------------------------------

    @Slot()
    def set_selected(self, confirm: bool = False) -> None:
        name = self.selected_name()
        if name is None:
            return
        value = self.value_edit.text().strip()
        self.status_label.setText(f"Setting {name} = {value}…")

        def run() -> Any:
            return self._service.set_param(name, value, confirm=confirm, source="gui")

        self._runner.query(f"param-set-{name}", run, lambda row, error: self._on_set(name, value, row, error))

    def _on_set(self, name: str, value: str, row: Any, error: BaseException | None) -> None:
        if isinstance(error, ParamNeedsConfirm):
            box = QMessageBox(QMessageBox.Icon.Warning, "Outside the documented range",
                              f"{error}\n\nSet {name} to {value} anyway?",
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
            box.setDefaultButton(QMessageBox.StandardButton.No)
            box.accepted.connect(lambda: self.set_selected(confirm=True))
            box.finished.connect(box.deleteLater)
            self.confirm_box = box
            self.status_label.setText(f"{name} = {value} needs confirmation")
            box.open()
            return
        if error is not None:
            self.status_label.setText(f"{name} not set: {error}")
            return
        self.status_label.setText(f"{name} = {row.param.text} (confirmed by the vehicle)")
        self.reload()

    # ---- files -----------------------------------------------------------------------------

    @Slot()
    def _on_save_clicked(self) -> None:
        dialog = QFileDialog(self, "Save parameters", "vehicle.params",
                             "QGC parameters (*.params);;MAVProxy / Mission Planner (*.parm *.param)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(self.save_to)
        dialog.finished.connect(dialog.deleteLater)
        self.file_dialog = dialog
        dialog.open()

    def save_to(self, path: str) -> None:
        self._runner.query("params-save", lambda: self._service.save_param_file(path),
                           lambda saved, error: self.status_label.setText(
                               f"Not saved: {error}" if error else f"Saved to {saved}"))

    @Slot()
    def _on_load_clicked(self) -> None:
        dialog = QFileDialog(self, "Load parameters", "",
                             "Parameter files (*.params *.parm *.param *.txt);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.load_from)
        dialog.finished.connect(dialog.deleteLater)
        self.file_dialog = dialog
        dialog.open()

    def load_from(self, path: str) -> None:
        """Show what the file would change (nothing is sent until Apply)."""
        def run() -> Any:
            content = Path(path).read_text(encoding="utf-8", errors="replace")
            return content, self._service.diff_params(content)

        self._runner.query("params-diff", run, self._on_diff)

    def _on_diff(self, result: Any, error: BaseException | None) -> None:
        if error is not None:
            self.status_label.setText(f"Not a usable parameter file: {error}")
            return
        self._content, delta = result
        self.diff_table.setRowCount(len(delta.changed))
        for r, entry in enumerate(delta.changed):
            tick = QTableWidgetItem("")
            tick.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            tick.setCheckState(Qt.CheckState.Checked if entry.applicable else Qt.CheckState.Unchecked)
            self.diff_table.setItem(r, 0, tick)
            self.diff_table.setItem(r, 1, QTableWidgetItem(entry.name))
            self.diff_table.setItem(r, 2, QTableWidgetItem("" if entry.vehicle is None else f"{entry.vehicle:g}"))
            self.diff_table.setItem(r, 3, QTableWidgetItem(entry.error or f"{entry.file:g}"))
        self.diff_table.setVisible(bool(delta.changed))
        self.apply_button.setVisible(bool(delta.changed))
        unknown = f"; not on this vehicle: {', '.join(delta.unknown)}" if delta.unknown else ""
        self.status_label.setText(f"The file changes {len(delta.changed)} parameter(s), "
                                  f"{delta.unchanged} already equal{unknown}")

    def ticked(self) -> list[str]:
        return [self.diff_table.item(r, 1).text() for r in range(self.diff_table.rowCount())
                if self.diff_table.item(r, 0).checkState() == Qt.CheckState.Checked]

    @Slot()
    def apply_selected(self) -> None:
        names = self.ticked()
        content = self._content

        def run() -> Any:
            return self._service.apply_params(content, names=names, confirm=True, source="gui file")

        self._runner.query("params-apply", run, self._on_applied)

    def _on_applied(self, result: Any, error: BaseException | None) -> None:
        if error is not None:
            self.status_label.setText(f"Not applied: {error}")
            return
        failed = "; ".join(f"{name}: {why}" for name, why in result.failed)
        done = f"Applied {len(result.applied)} parameter(s)"
        self.status_label.setText(done + (f"; failed: {failed}" if failed else ""))
        self.diff_table.hide()
        self.apply_button.hide()
        self.reload()

    def closeEvent(self, event: Any) -> None:
        self._timer.stop()
        super().closeEvent(event)

    def reject(self) -> None:
        self._timer.stop()
        super().reject()
