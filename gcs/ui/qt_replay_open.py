"""Open a tlog as a replay, asking first when a vehicle in it is also a live vehicle now.

File > Open tlog and the flight sessions dialog both come here. The log is checked off the GUI
thread (``gcs.core.replay_conflicts``); with no clash the replay opens at once. With a clash the
pilot is told what will happen (the live vehicle keeps its data; the log's vehicle of that id is
not shown) and chooses "Replay anyway" or "Cancel"; a cancel is reported in the status line like
a refused command. GUI thread only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from gcs.core.replay_conflicts import ReplayConflict, check_replay
from gcs.ui.qt_runner import QtCommandRunner

if TYPE_CHECKING:
    from gcs.core.service import GcsService

REPLAY_LABEL = "REPLAY"


class QtReplayOpener(QObject):
    """``open(path)``: check, maybe ask, then connect ``replay:path`` through the runner."""

    refused = Signal(str)  # why a replay was not opened (the pilot cancelled, or the log is unreadable)

    def __init__(self, service: GcsService, runner: QtCommandRunner, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self._service = service
        self._runner = runner
        self._parent = parent_widget
        self.prompt: QMessageBox | None = None  # the open question, if any (tests answer it)

    def open(self, path: str) -> None:
        if not path:
            return
        service = self._service
        self._runner.query(f"replay-check:{path}", lambda: check_replay(service, path),
                           lambda value, error: self._on_checked(path, value, error))

    def _on_checked(self, path: str, conflict: ReplayConflict | None, error: BaseException | None) -> None:
        if error is not None:
            self.refused.emit(f"{REPLAY_LABEL} refused: {error}")
            return
        if conflict is None:
            self._connect(path)
            return
        self._ask(path, conflict)

    def _ask(self, path: str, conflict: ReplayConflict) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Replay a log of a live vehicle?",
                          conflict.describe() + ".\n\nDisconnect the live vehicle first to see the whole log, "
                          "or replay it anyway.", QMessageBox.StandardButton.Cancel, self._parent)
        anyway = box.addButton("Replay anyway", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def on_finished(_result: int) -> None:
            if box.clickedButton() is anyway:
                self._connect(path)
            else:
                self.refused.emit(f"{REPLAY_LABEL} cancelled: {conflict.describe()}")
            box.deleteLater()
            self.prompt = None

        box.finished.connect(on_finished)
        self.prompt = box
        box.open()

    def _connect(self, path: str) -> Any:
        return self._runner.submit(REPLAY_LABEL, self._service.connect, "replay:" + str(Path(path)))
