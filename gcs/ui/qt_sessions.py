"""File > Flight sessions…: every recorded or imported flight, opened as a replay in one click.

The list (start, duration, vehicle, max altitude, distance, source, log file) is read from the
service on the runner's query pool, and read again whenever the core announces a session change
(``sessions_changed``). "Open replay" connects ``replay:<tlog>`` through the runner, "Import
tlog…" adds an existing log (a long file takes seconds: it runs off the GUI thread too). Their
outcomes reach the status line like any command. GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gcs.ui.qt_replay import clock
from gcs.ui.qt_runner import QtCommandRunner

if TYPE_CHECKING:
    from gcs.core.service import GcsService

COLUMNS = ("Start", "Duration", "Vehicle", "Max alt", "Distance", "Source", "Log file")
SESSION_LABELS = ("REPLAY", "IMPORT")


def session_row(session: Any) -> tuple[str, ...]:
    """The table's texts for one FlightSession."""
    start = datetime.fromtimestamp(session.started_s).strftime("%Y-%m-%d %H:%M:%S")
    ids = ", ".join(str(i) for i in session.vehicle_ids) or "—"
    kind = " ".join(p for p in (session.autopilot, session.vehicle_type) if p)
    vehicle = f"{ids} · {kind}" if kind else ids
    max_alt = "—" if session.max_alt_m is None else f"{session.max_alt_m:.1f} m"
    distance = f"{session.distance_m / 1000:.2f} km" if session.distance_m >= 1000 else f"{session.distance_m:.0f} m"
    source = session.source + (" · open" if session.is_open else "") + (" · recovered" if session.recovered else "")
    return (start, clock(session.duration_s), vehicle, max_alt, distance, source, Path(session.tlog_path).name)


class QtSessionsDialog(QDialog):
    """The flight sessions list with open-as-replay and import."""

    def __init__(self, service: GcsService, runner: QtCommandRunner, parent: QWidget | None = None,
                 open_replay: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self._open_replay = open_replay  # the window's (asks about clashes with live vehicles)
        self.setWindowTitle("Flight sessions — Kestrel GCS")
        self.resize(900, 440)
        self._service = service
        self._runner = runner
        self._sessions: list[Any] = []
        self.loads = 0
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
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.info_label = QLabel("Loading…")
        self.info_label.setWordWrap(True)
        self.open_button = QPushButton("Open replay")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.open_selected)
        self.import_button = QPushButton("Import tlog…")
        self.import_button.setToolTip("Add an existing .tlog (QGC, MAVProxy, pymavlink) to the list")
        self.import_button.clicked.connect(self._on_import_clicked)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.reload)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(refresh)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.info_label)
        layout.addLayout(buttons)
        self.file_dialog: QFileDialog | None = None
        self._update_buttons()
        self.reload()

    # ---- the list --------------------------------------------------------------------------

    @Slot()
    def reload(self) -> None:
        """Read the sessions again (off the GUI thread)."""
        self._runner.query("sessions", self._service.flight_sessions, self._on_sessions)

    def _on_sessions(self, sessions: Any, error: BaseException | None) -> None:
        if error is not None:
            self.info_label.setText(f"Flight sessions are not available: {error}")
            return
        selected = self.selected_session()
        keep = selected.id if selected is not None else None
        self._sessions = list(sessions)
        self.table.setRowCount(len(self._sessions))
        for r, session in enumerate(self._sessions):
            missing = not Path(session.tlog_path).exists()
            for c, text in enumerate(session_row(session)):
                item = QTableWidgetItem(text)
                item.setToolTip(session.tlog_path + ("\n(the file is missing)" if missing else ""))
                if missing:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(r, c, item)
            if session.id == keep:
                self.table.selectRow(r)
        self.info_label.setText(f"{len(self._sessions)} session(s), newest first. Double-click one to replay it.")
        self.loads += 1
        self._update_buttons()

    def sessions(self) -> list[Any]:
        return list(self._sessions)

    def selected_session(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self._sessions):
            return None
        return self._sessions[rows[0].row()]

    @Slot()
    def _update_buttons(self) -> None:
        session = self.selected_session()
        reason = None
        if session is None:
            reason = "select a session first"
        elif not Path(session.tlog_path).exists():
            reason = f"its log file is missing: {session.tlog_path}"
        elif self._runner.is_busy("REPLAY"):
            reason = "a replay is being opened"
        self.open_button.setEnabled(reason is None)
        self.open_button.setToolTip("Replay this flight through the normal vehicle path"
                                    + (f"\nUnavailable: {reason}" if reason else ""))

    # ---- actions ---------------------------------------------------------------------------

    @Slot()
    def open_selected(self) -> None:
        """Connect a replay of the selected session's tlog."""
        session = self.selected_session()
        if session is None or not Path(session.tlog_path).exists():
            return
        if self._open_replay is not None:
            self._open_replay(session.tlog_path)
        else:
            self._runner.submit("REPLAY", self._service.connect, "replay:" + session.tlog_path)
        self.info_label.setText(f"Opening {Path(session.tlog_path).name} as a replay…")

    @Slot()
    def _on_import_clicked(self) -> None:
        dialog = QFileDialog(self, "Import a tlog", "", "MAVLink telemetry logs (*.tlog);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.import_path)
        dialog.finished.connect(dialog.deleteLater)
        self.file_dialog = dialog
        dialog.open()

    def import_path(self, path: str) -> None:
        """Import ``path`` (on a worker); the list reloads when the core announces the new session."""
        if not path:
            return
        self.info_label.setText(f"Importing {Path(path).name}…")
        self._runner.submit("IMPORT", self._service.import_tlog, path)

    def on_outcome(self, outcome: Any) -> None:
        """IMPORT/REPLAY finished: say so here too (the status line says it as well)."""
        if outcome.label not in SESSION_LABELS:
            return
        if outcome.ok and outcome.label == "IMPORT":
            self.info_label.setText(f"Imported {Path(outcome.value.tlog_path).name} as session {outcome.value.id}.")
            self.reload()
        elif outcome.ok:
            self.info_label.setText("Replay opened: the replay bar under the video controls it.")
        else:
            self.info_label.setText(outcome.describe())
        self._update_buttons()
