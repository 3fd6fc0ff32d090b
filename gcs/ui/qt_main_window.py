"""The main window: video in the centre, HUD right, plots and messages below, controls on top.

It owns the bridge (bus -> Qt signals) and the command runner (blocking calls off the GUI
thread) and wires them to the widgets, which know nothing of each other. Everything here runs
on the GUI thread. Closing the window stops listening to the bus, stops the plot timer and lets
running commands finish in the background; the caller closes the service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gcs.ui.qt_bridge import QtBridge
from gcs.ui.qt_config_editor import QtConfigEditor
from gcs.ui.qt_controls import QtControls
from gcs.ui.qt_dialogs import QtShortcutsDialog
from gcs.ui.qt_hud import QtHud
from gcs.ui.qt_messages import QtMessageLog, QtStatusLine
from gcs.ui.qt_plots import QtTelemetryPlots
from gcs.ui.qt_runner import QtCommandRunner
from gcs.ui.qt_video import QtVideoView

if TYPE_CHECKING:
    from gcs.core.service import GcsService

WINDOW_TITLE = "Kestrel GCS"


class QtMainWindow(QMainWindow):
    """The pilot's window over one ``GcsService`` (started by the caller, closed by the caller)."""

    closed = Signal()  # after the window shut down its timers and subscriptions

    def __init__(self, service: GcsService, *, api_url: str | None = None,
                 settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(WINDOW_TITLE)
        self.resize(1440, 900)
        self._service = service
        self._settings = settings
        self._closed = False
        self.bridge = QtBridge(service.bus, parent=self)
        self.runner = QtCommandRunner(parent=self)

        self.video = QtVideoView()
        self.video.set_video_state("NO VIDEO")
        self.setCentralWidget(self.video)
        self.hud = QtHud()
        self.hud.set_api_url(api_url)
        self.plots = QtTelemetryPlots()
        self.status_line = QtStatusLine()
        self.messages = QtMessageLog(self.status_line)
        self.controls = QtControls(service, self.runner, self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.controls)
        self.addActions(list(self.controls.actions_by_name.values()))  # shortcuts even with the toolbar hidden

        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        hud_scroll = QScrollArea()
        hud_scroll.setWidgetResizable(True)
        hud_scroll.setFrameShape(QFrame.Shape.NoFrame)
        hud_scroll.setWidget(self.hud)
        self.hud_dock = self._dock("HUD", "hud_dock", hud_scroll, Qt.DockWidgetArea.RightDockWidgetArea)
        self.messages_dock = self._dock("Messages", "messages_dock", self.messages,
                                        Qt.DockWidgetArea.RightDockWidgetArea)
        self.plots_dock = self._dock("Telemetry plots", "plots_dock", self.plots,
                                     Qt.DockWidgetArea.BottomDockWidgetArea)
        self.splitDockWidget(self.hud_dock, self.messages_dock, Qt.Orientation.Vertical)
        self.resizeDocks([self.hud_dock, self.messages_dock], [440, 380], Qt.Orientation.Vertical)
        self.resizeDocks([self.hud_dock], [340], Qt.Orientation.Horizontal)
        self.resizeDocks([self.plots_dock], [340], Qt.Orientation.Vertical)

        self.link_summary = QLabel("no vehicle")
        self.statusBar().addWidget(self.status_line, 1)
        self.statusBar().addPermanentWidget(self.link_summary)
        self.config_dialog: QDialog | None = None
        self.config_editor: QtConfigEditor | None = None
        self.shortcuts_dialog: QtShortcutsDialog | None = None
        self._build_menus()
        self._wire()
        self._restore_layout()
        self.bridge.replay_latest()

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.controls.actions_by_name["connect"])
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = bar.addMenu("&View")
        for dock in (self.hud_dock, self.plots_dock, self.messages_dock):
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addAction(self.controls.toggleViewAction())
        settings_menu = bar.addMenu("&Settings")
        prefs = QAction("&Preferences…", self)
        prefs.setShortcut(QKeySequence("Ctrl+,"))
        prefs.triggered.connect(self._on_open_settings)
        settings_menu.addAction(prefs)
        self.addAction(prefs)
        help_menu = bar.addMenu("&Help")
        shortcuts = QAction("Keyboard &shortcuts", self)
        shortcuts.setShortcut(QKeySequence("F1"))
        shortcuts.triggered.connect(self._on_show_shortcuts)
        help_menu.addAction(shortcuts)
        self.addAction(shortcuts)
        about = QAction("&About Kestrel GCS", self)
        about.triggered.connect(self._on_about)
        help_menu.addAction(about)

    def _wire(self) -> None:
        b = self.bridge
        b.vehicle_state.connect(self.hud.set_state)
        b.vehicle_state.connect(self.plots.on_state)
        b.vehicle_state.connect(self.controls.on_state)
        b.vehicle_state.connect(self._on_state)
        b.vehicles.connect(self.hud.set_vehicles)
        b.vehicles.connect(self.controls.on_vehicles)
        b.active_vehicle.connect(self.hud.set_active_vehicle)
        b.link_state.connect(self.hud.set_link_event)
        b.link_state.connect(self.messages.on_link_event)
        b.statustext.connect(self.messages.on_statustext)
        b.command_result.connect(self.messages.on_command_result)
        b.commander.connect(self.hud.set_commander)
        b.commander.connect(self.plots.on_commander)
        b.commander.connect(self.controls.on_commander)
        b.config_changed.connect(self._on_config_changed)
        self.runner.finished.connect(self.messages.on_outcome)
        self.hud.vehicle_selected.connect(self._on_vehicle_selected)
        self.video.clicked.connect(self._on_video_clicked)
        self.video.box_drawn.connect(self._on_video_box)

    # ---- handlers (GUI thread) -------------------------------------------------------------

    @Slot(object)
    def _on_state(self, state: Any) -> None:
        link = state.link
        self.link_summary.setText(f"vehicle {state.system_id} · {state.autopilot.value} · "
                                  f"link {link.state.value} {link.messages_per_s:.0f} msg/s")

    @Slot(int)
    def _on_vehicle_selected(self, sysid: int) -> None:
        self.runner.submit("SELECT_VEHICLE", self._service.select_vehicle, sysid)

    @Slot(float, float)
    def _on_video_clicked(self, x: float, y: float) -> None:
        self._start_tracking("TRACK_POINT", x, y)

    @Slot(float, float, float, float)
    def _on_video_box(self, x: float, y: float, w: float, h: float) -> None:
        self._start_tracking("TRACK_BOX", x, y, w, h)

    def _start_tracking(self, label: str, *coords: float) -> None:
        start = getattr(self._service, "start_tracking", None)
        where = ", ".join(f"{c:.0f}" for c in coords)
        if start is None:
            self.messages.post(f"Selection at ({where}): tracking is not available in this build yet", "warning")
            return
        self.runner.submit(label, start, *coords)

    @Slot(object)
    def _on_config_changed(self, changes: Any) -> None:
        if self.config_editor is not None:
            self.config_editor.on_config_changed(changes)
        keys = ", ".join(sorted(changes or {}))
        self.messages.post(f"Settings changed: {keys}", "info", status=False)

    @Slot()
    def _on_open_settings(self) -> None:
        if self.config_dialog is None:
            dialog = QDialog(self)
            dialog.setWindowTitle("Settings — Kestrel GCS")
            dialog.resize(640, 620)
            self.config_editor = QtConfigEditor(self._service.config, dialog)
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
    def _on_show_shortcuts(self) -> None:
        if self.shortcuts_dialog is None:
            rows = [*self.controls.shortcut_rows(), ("Settings", "Ctrl+,", "Open the settings editor"),
                    ("Shortcuts", "F1", "This list"), ("Quit", "Ctrl+Q", "Close the window")]
            self.shortcuts_dialog = QtShortcutsDialog(rows, self)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()

    @Slot()
    def _on_about(self) -> None:
        QMessageBox.about(self, "About Kestrel GCS",
                          "Kestrel GCS — ground-control station for camera drones.\n"
                          "MAVLink link, live video, click-to-track, follow, embedded web API.")

    # ---- layout and shutdown ---------------------------------------------------------------

    def _restore_layout(self) -> None:
        if self._settings is None:
            return
        geometry = self._settings.value("main_window/geometry")
        state = self._settings.value("main_window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def shutdown(self) -> None:
        """Stop every timer and bus subscription; idempotent (GUI thread)."""
        if self._closed:
            return
        self._closed = True
        if self._settings is not None:
            self._settings.setValue("main_window/geometry", self.saveGeometry())
            self._settings.setValue("main_window/state", self.saveState())
        self.bridge.close()
        self.plots.stop()
        self.runner.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
        self.closed.emit()
