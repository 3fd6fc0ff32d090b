"""The main window: video (and the replay bar) in the centre, HUD and messages right, plots
below, vehicle controls and tracking/follow controls on top.

It owns the bridge (bus -> Qt signals), the command runner (blocking calls off the GUI thread)
and the video panel (whose frame feed polls the newest frame off the GUI thread) and wires them
to the widgets, which know nothing of each other. Everything here runs on the GUI thread.
Closing the window stops listening to the bus, stops the timers and the frame poller and lets
running commands finish in the background; the caller closes the service. The menu bar and the
dialogs it opens are ``qt_window_menus.QtMenuWindow``, this window's base class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QScrollArea, QWidget

from gcs.ui.qt_bridge import QtBridge
from gcs.ui.qt_controls import QtControls
from gcs.ui.qt_hud import QtHud
from gcs.ui.qt_messages import QtMessageLog, QtStatusLine
from gcs.ui.qt_plots import QtTelemetryPlots
from gcs.ui.qt_replay_open import QtReplayOpener
from gcs.ui.qt_runner import CommandOutcome, QtCommandRunner
from gcs.ui.qt_track_controls import QtTrackControls
from gcs.ui.qt_video_panel import QtVideoPanel
from gcs.ui.qt_window_menus import QtMenuWindow

if TYPE_CHECKING:
    from gcs.core.faces import Faces
    from gcs.core.service import GcsService

WINDOW_TITLE = "Kestrel GCS"
TRACK_LEVELS = {"locked": "ok", "searching": "warning", "lost": "error", "idle": "info"}
LINK_LABELS = ("CONNECT", "REPLAY", "CLOSE_REPLAY")
REPLAY_READ_ONLY = "the active vehicle is a replayed log: it cannot be commanded"
FACES_POLL_MS = 1000


class QtMainWindow(QtMenuWindow):
    """The pilot's window over one ``GcsService`` (started by the caller, closed by the caller)."""

    closed = Signal()  # after the window shut down its timers and subscriptions

    def __init__(self, service: GcsService, *, api_url: str | None = None, faces: Faces | None = None,
                 settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(WINDOW_TITLE)
        self.resize(1440, 900)
        self._service = service
        self._settings = settings
        self._faces = faces
        self._closed = False
        self._video_running = False
        self._video_state = ""
        self._target_seen = False
        self._replay_seeks: tuple[str, int] | None = None
        self.bridge = QtBridge(service.bus, parent=self)
        self.runner = QtCommandRunner(parent=self)
        self.replay_opener = QtReplayOpener(service, self.runner, self)

        self.video_panel = QtVideoPanel(service, self.runner)
        self.video = self.video_panel.view
        self.replay_bar = self.video_panel.replay_bar
        self.setCentralWidget(self.video_panel)
        self.hud = QtHud()
        self.hud.set_api_url(api_url)
        self.plots = QtTelemetryPlots()
        self.status_line = QtStatusLine()
        self.messages = QtMessageLog(self.status_line)
        self.controls = QtControls(service, self.runner, self)
        self.track_controls = QtTrackControls(service, self.runner, self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.controls)
        self.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.track_controls)
        for bar in (self.controls, self.track_controls):  # shortcuts even with a toolbar hidden
            self.addActions(list(bar.actions_by_name.values()))

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
        self.resizeDocks([self.hud_dock, self.messages_dock], [560, 260], Qt.Orientation.Vertical)
        self.resizeDocks([self.hud_dock], [360], Qt.Orientation.Horizontal)
        self.resizeDocks([self.plots_dock], [300], Qt.Orientation.Vertical)

        self.link_summary = QLabel("no vehicle")
        self.statusBar().addWidget(self.status_line, 1)
        self.statusBar().addPermanentWidget(self.link_summary)
        self._build_menus()
        self._wire()
        self._restore_layout()
        self.bridge.replay_latest()
        self._faces_timer = QTimer(self)
        self._faces_timer.timeout.connect(self._poll_faces)
        if faces is not None:
            self._faces_timer.start(FACES_POLL_MS)
            self._poll_faces()

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _wire(self) -> None:
        b, hud, plots, tc, panel = self.bridge, self.hud, self.plots, self.track_controls, self.video_panel
        state_slots: tuple[Callable[[Any], None], ...] = (
            hud.set_state, plots.on_state, self.controls.on_state, tc.on_state, self._on_state)
        for state_slot in state_slots:
            b.vehicle_state.connect(state_slot)
        b.tracking_target.connect(self._on_target)
        for follower_slot in (hud.set_follower, plots.on_follower, tc.on_follower):
            b.follower_status.connect(follower_slot)
        for vehicles_slot in (hud.set_vehicles, self.controls.on_vehicles, tc.on_vehicles):
            b.vehicles.connect(vehicles_slot)
        b.vehicles.connect(lambda _ids: panel.refresh_replay())
        b.active_vehicle.connect(hud.set_active_vehicle)
        b.active_vehicle.connect(lambda _sysid: panel.refresh_replay())
        b.link_state.connect(hud.set_link_event)
        b.link_state.connect(self.messages.on_link_event)
        b.statustext.connect(self.messages.on_statustext)
        b.recording.connect(self.messages.on_recording)
        self.replay_opener.refused.connect(self._on_replay_refused)
        b.command_result.connect(self.messages.on_command_result)
        for commander_slot in (hud.set_commander, plots.on_commander, self.controls.on_commander):
            b.commander.connect(commander_slot)
        b.config_changed.connect(self._on_config_changed)
        b.video_health.connect(panel.on_health)
        b.tracking_state.connect(self._on_tracking_state)
        b.replay_status.connect(panel.on_replay_status)
        b.replay_status.connect(self._on_replay_status)
        b.sessions_changed.connect(self._on_sessions_changed)
        panel.video_changed.connect(self._on_video_changed)
        panel.replay_active.connect(self._on_replay_active)
        self.runner.finished.connect(self.messages.on_outcome)
        self.runner.finished.connect(self._on_outcome)
        hud.vehicle_selected.connect(self._on_vehicle_selected)
        self.video.clicked.connect(tc.track_at)
        self.video.box_drawn.connect(tc.track_box)

    # ---- handlers (GUI thread) -------------------------------------------------------------

    @Slot()
    def _poll_faces(self) -> None:
        """Ask (off the GUI thread) how many clients the API serves; the HUD shows it."""
        faces = self._faces
        if faces is not None:
            self.runner.query("faces", faces.snapshot, self._on_faces)

    def _on_faces(self, snapshot: Any, error: BaseException | None) -> None:
        if error is not None:
            return
        api = next((face for face in snapshot if face.name == "api"), None)
        self.hud.set_api_url(api.address if api is not None else None)
        self.hud.set_api_clients(api.clients if api is not None else None)

    @Slot(object)
    def _on_state(self, state: Any) -> None:
        link = state.link
        text = (f"vehicle {state.system_id} · {state.autopilot.value} · "
                f"link {link.state.value} {link.messages_per_s:.0f} msg/s")
        if self.link_summary.text() != text:
            self.link_summary.setText(text)

    @Slot(object)
    def _on_target(self, target: Any) -> None:
        """A TrackedTarget (<= 30 Hz): the overlay, the HUD, the plots and the toolbar."""
        self._target_seen = True
        self.video.set_target(target)
        self.video.set_badge("SMART" if self.track_controls.smart_mode else "")
        self.hud.set_tracking(target)
        self.plots.on_tracking_target(target)
        self.track_controls.on_tracking_target(target)

    @Slot(bool, str, str)
    def _on_video_changed(self, running: bool, state: str, reason: str) -> None:
        self.hud.set_video(state, reason, self.video_panel.detail)
        self.track_controls.on_video(running, state, self.video.frame_size)
        if running and (not self._video_running or (state == "ok" and self._video_state != "ok")):
            # the tracker publishes nothing until a selection, and a new source brings a new tracker
            self.runner.query("tracker-data", self._service.tracker_data, self._on_tracker_data)
        self._video_running, self._video_state = running, state

    def _on_tracker_data(self, target: Any, error: BaseException | None) -> None:
        idle = error is None and str(getattr(target.state, "value", target.state)) == "idle"
        if error is None and (not self._target_seen or idle):  # a live track reports itself soon enough
            self._on_target(target)

    @Slot(object)
    def _on_tracking_state(self, change: Any) -> None:
        state = str(getattr(change.state, "value", change.state))
        why = f": {change.reason}" if change.reason else ""
        self.messages.post(f"Tracking {state.upper()} ({change.tracker}){why}", TRACK_LEVELS.get(state, "info"),
                           status=state in ("locked", "lost"))
        self.track_controls.on_video(self.video_panel.running, self.video_panel.health, self.video.frame_size)

    @Slot(object)
    def _on_outcome(self, outcome: CommandOutcome) -> None:
        self.track_controls.on_outcome(outcome)
        self.video.set_badge("SMART" if self.track_controls.smart_mode else "")
        self.replay_bar.on_outcome(outcome)
        if self.sessions_dialog is not None:
            self.sessions_dialog.on_outcome(outcome)
        if outcome.label in LINK_LABELS:
            self.video_panel.refresh_replay()

    @Slot(bool)
    def _on_replay_active(self, active: bool) -> None:
        reason = REPLAY_READ_ONLY if active else None
        self.controls.set_read_only(reason)
        self.track_controls.set_read_only(reason)

    @Slot(object)
    def _on_replay_status(self, status: Any) -> None:
        """A seek jumps the log's clock: the plots start again rather than join two times."""
        seeks = (status.link_id, status.seeks)
        if self._replay_seeks is not None and seeks[0] == self._replay_seeks[0] and seeks != self._replay_seeks:
            self.plots.clear()
        self._replay_seeks = seeks

    @Slot(object)
    def _on_sessions_changed(self, _session_id: Any) -> None:
        if self.sessions_dialog is not None and self.sessions_dialog.isVisible():
            self.sessions_dialog.reload()

    @Slot(int)
    def _on_vehicle_selected(self, sysid: int) -> None:
        self.runner.submit("SELECT_VEHICLE", self._service.select_vehicle, sysid)

    @Slot(object)
    def _on_config_changed(self, changes: Any) -> None:
        if self.config_editor is not None:
            self.config_editor.on_config_changed(changes)
        keys = ", ".join(sorted(changes or {}))
        self.messages.post(f"Settings changed: {keys}", "info", status=False)

    @Slot(str)
    def _on_replay_refused(self, text: str) -> None:
        self.messages.post(text, "warning")
        if self.sessions_dialog is not None:
            self.sessions_dialog.info_label.setText(text)

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
        """Stop every timer, the frame poller and every bus subscription; idempotent (GUI thread)."""
        if self._closed:
            return
        self._closed = True
        if self._settings is not None:
            self._settings.setValue("main_window/geometry", self.saveGeometry())
            self._settings.setValue("main_window/state", self.saveState())
        self._faces_timer.stop()
        self.bridge.close()
        self.plots.stop()
        self.video_panel.stop()
        self.runner.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
        self.closed.emit()
