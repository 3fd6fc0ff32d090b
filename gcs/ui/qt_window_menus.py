"""The main window's menu bar and the dialogs its entries open (settings, sessions, tlog replay,
video source, shortcuts, about).

Split from ``qt_main_window`` so that module only builds the docks and wires the bridge to the
widgets; ``QtMainWindow`` subclasses ``QtMenuWindow`` and fills in the widgets declared below
before it calls ``_build_menus``. Everything here runs on the GUI thread; anything that blocks
goes through the command runner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from gcs.ui.qt_config_editor import QtConfigEditor
from gcs.ui.qt_dialogs import QtShortcutsDialog
from gcs.ui.qt_params import QtParamsDialog
from gcs.ui.qt_replay import REPLAY_SHORTCUTS
from gcs.ui.qt_sessions import QtSessionsDialog

if TYPE_CHECKING:
    from gcs.core.service import GcsService
    from gcs.ui.qt_controls import QtControls
    from gcs.ui.qt_replay_open import QtReplayOpener
    from gcs.ui.qt_runner import QtCommandRunner
    from gcs.ui.qt_track_controls import QtTrackControls


class QtMenuWindow(QMainWindow):
    """A main window with Kestrel's menus; the subclass provides the service and widgets below."""

    _service: GcsService
    runner: QtCommandRunner
    replay_opener: QtReplayOpener
    controls: QtControls
    track_controls: QtTrackControls
    hud_dock: QDockWidget
    plots_dock: QDockWidget
    messages_dock: QDockWidget

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config_dialog: QDialog | None = None
        self.config_editor: QtConfigEditor | None = None
        self.shortcuts_dialog: QtShortcutsDialog | None = None
        self.sessions_dialog: QtSessionsDialog | None = None
        self.params_dialog: QtParamsDialog | None = None
        self.file_dialog: QFileDialog | None = None
        self.source_dialog: QInputDialog | None = None
        self._menu_rows: list[tuple[str, str, str]] = []
        self.menu_actions: dict[str, QAction] = {}

    def _menu_action(self, menu: QMenu, name: str, title: str, keys: str, description: str,
                     handler: Callable[[], Any]) -> QAction:
        """A menu entry with a window-wide shortcut, listed in the help dialog."""
        action = QAction(title, self)
        if keys:
            action.setShortcut(QKeySequence(keys))
        action.setToolTip(f"{description} ({keys})" if keys else description)
        action.triggered.connect(handler)
        menu.addAction(action)
        self.addAction(action)
        self.menu_actions[name] = action
        if keys:
            self._menu_rows.append((title.replace("&", "").rstrip("…"), keys, description))
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.controls.actions_by_name["connect"])
        self._menu_action(file_menu, "sessions", "Flight &sessions…", "Ctrl+Shift+S",
                          "List recorded and imported flights; open one as a replay", self._on_show_sessions)
        self._menu_action(file_menu, "open_tlog", "&Open tlog replay…", "Ctrl+O",
                          "Replay a .tlog file through the normal vehicle path", self._on_open_tlog)
        file_menu.addSeparator()
        self._menu_action(file_menu, "quit", "&Quit", "Ctrl+Q", "Close the window", self.close)
        video_menu = bar.addMenu("&Video")
        self._menu_action(video_menu, "video_source", "Open &source…", "Ctrl+Shift+V",
                          "Open a camera index, file, URL, GStreamer pipeline or 'virtual'", self._on_video_source)
        self._menu_action(video_menu, "video_reconnect", "&Reconnect", "F5",
                          "Reopen the video source now", self._on_video_reconnect)
        view_menu = bar.addMenu("V&iew")
        for dock in (self.hud_dock, self.plots_dock, self.messages_dock):
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addAction(self.controls.toggleViewAction())
        view_menu.addAction(self.track_controls.toggleViewAction())
        settings_menu = bar.addMenu("&Settings")
        self._menu_action(settings_menu, "settings", "&Preferences…", "Ctrl+,", "Open the settings editor",
                          self._on_open_settings)
        self._menu_action(settings_menu, "params", "Vehicle &parameters…", "Ctrl+Alt+P",
                          "The active vehicle's parameters: search, edit, files, diff", self._on_show_params)
        help_menu = bar.addMenu("&Help")
        self._menu_action(help_menu, "shortcuts", "Keyboard &shortcuts", "F1", "This list", self._on_show_shortcuts)
        self._menu_action(help_menu, "about", "&About Kestrel GCS", "", "About", self._on_about)

    # ---- menu handlers (GUI thread) --------------------------------------------------------

    @Slot()
    def _on_open_settings(self) -> None:
        if self.config_dialog is None:
            dialog = QDialog(self)
            dialog.setWindowTitle("Settings — Kestrel GCS")
            dialog.resize(640, 620)
            self.config_editor = QtConfigEditor(self._service.config, dialog)
            self.config_editor.done.connect(dialog.hide)
            layout = QVBoxLayout(dialog)
            layout.setContentsMargins(4, 4, 4, 4)
            layout.addWidget(self.config_editor)
            self.config_dialog = dialog
        else:
            assert self.config_editor is not None
            self.config_editor.reload()
        self.config_dialog.show()
        self.config_dialog.raise_()

    @Slot()
    def _on_show_params(self) -> None:
        if self.params_dialog is None:
            self.params_dialog = QtParamsDialog(self._service, self.runner, self)
        else:
            self.params_dialog.start()
        self.params_dialog.show()
        self.params_dialog.raise_()

    @Slot()
    def _on_show_sessions(self) -> None:
        if self.sessions_dialog is None:
            self.sessions_dialog = QtSessionsDialog(self._service, self.runner, self, open_replay=self.open_replay)
        else:
            self.sessions_dialog.reload()
        self.sessions_dialog.show()
        self.sessions_dialog.raise_()

    def open_replay(self, path: str) -> None:
        """Replay ``path`` (asking first if it clashes with a live vehicle); the bar appears when it reports."""
        self.replay_opener.open(path)

    @Slot()
    def _on_open_tlog(self) -> None:
        dialog = QFileDialog(self, "Replay a tlog", "", "MAVLink telemetry logs (*.tlog);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.open_replay)
        dialog.finished.connect(dialog.deleteLater)
        self.file_dialog = dialog
        dialog.open()

    @Slot()
    def _on_video_source(self) -> None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Open a video source")
        dialog.setLabelText("Camera index, file, rtsp/http/udp URL, GStreamer pipeline, or 'virtual':")
        dialog.setTextValue(self._service.config.current.video.source)
        dialog.textValueSelected.connect(self.start_video)
        dialog.finished.connect(dialog.deleteLater)
        self.source_dialog = dialog
        dialog.open()

    def start_video(self, source: str) -> None:
        """(Re)open a video source on a worker (stopping the current one can take a moment)."""
        if source.strip():
            self.runner.submit("VIDEO", self._service.start_video, source.strip())

    @Slot()
    def _on_video_reconnect(self) -> None:
        self.runner.submit("VIDEO_RECONNECT", self._service.reconnect_video)

    def shortcut_rows(self) -> list[tuple[str, str, str]]:
        """Every keyboard shortcut of the window: (action, keys, what it does)."""
        replay = [(description, keys, description + " (while the replay bar shows)")
                  for _name, keys, description in REPLAY_SHORTCUTS]
        return [*self.controls.shortcut_rows(), *self.track_controls.shortcut_rows(), *replay, *self._menu_rows]

    @Slot()
    def _on_show_shortcuts(self) -> None:
        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = QtShortcutsDialog(self.shortcut_rows(), self)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()

    @Slot()
    def _on_about(self) -> None:
        QMessageBox.about(self, "About Kestrel GCS",
                          "Kestrel GCS — ground-control station for camera drones.\n"
                          "MAVLink link, live video, click-to-track, follow, embedded web API.")


__all__ = ["QtMenuWindow"]
