"""Open a tlog as a replay: checked off the GUI thread, then connected; a refusal says why.

File > Open tlog and the flight sessions dialog both come here. The log is read first
(``gcs.core.replay_conflicts``) so an unreadable file is refused in the status line at once. No
question is asked when a vehicle in the log is also a live vehicle (the flight just flown, with the
drone still connected): the core shows the log's vehicle under a stand-in id and the live one keeps
its data; the replay bar says so and offers to show the replayed vehicle. GUI thread only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from gcs.core.replay_conflicts import ReplayConflict, check_replay
from gcs.ui.qt_runner import QtCommandRunner

if TYPE_CHECKING:
    from gcs.core.service import GcsService

REPLAY_LABEL = "REPLAY"


class QtReplayOpener(QObject):
    """``open(path)``: check, then connect ``replay:path`` through the runner."""

    refused = Signal(str)  # why a replay was not opened (the log is unreadable)

    def __init__(self, service: GcsService, runner: QtCommandRunner, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self._service = service
        self._runner = runner

    def open(self, path: str) -> None:
        if not path:
            return
        service = self._service
        self._runner.query(f"replay-check:{path}", lambda: check_replay(service, path),
                           lambda value, error: self._on_checked(path, value, error))

    def _on_checked(self, path: str, _conflict: ReplayConflict | None, error: BaseException | None) -> None:
        if error is not None:
            self.refused.emit(f"{REPLAY_LABEL} refused: {error}")
            return
        self._connect(path)

    def _connect(self, path: str) -> Any:
        return self._runner.submit(REPLAY_LABEL, self._service.connect, "replay:" + str(Path(path)))
