"""The main window: the status strip (battery, GPS, link, mode, alerts) across the top, video (and the
replay bar) in the centre, HUD and messages right, plots below, vehicle controls and tracking/follow
controls under the strip.

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
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QScrollArea, QToolBar, QWidget

from gcs.ui.qt_bridge import QtBridge
from gcs.ui.qt_controls import QtControls
from gcs.ui.qt_dock_fit import DOCK_MIN_H, PLOTS_MIN_H, QtDockScroll, QtFitScroll, refit
from gcs.ui.qt_fleet_label import QtFleetLabel
from gcs.ui.qt_hud import QtHud
from gcs.ui.qt_map_panel import QtMapPanel
from gcs.ui.qt_messages import QtMessageLog, QtStatusLine
from gcs.ui.qt_missions import QtMissionsPanel
from gcs.ui.qt_plots import QtTelemetryPlots
from gcs.ui.qt_replay_open import QtReplayOpener
from gcs.ui.qt_runner import CommandOutcome, QtCommandRunner
from gcs.ui.qt_status_strip import QtStatusStrip
from gcs.ui.qt_track_controls import QtTrackControls
from gcs.ui.qt_video_panel import QtVideoPanel
from gcs.ui.qt_window_menus import QtMenuWindow

if TYPE_CHECKING:
    from gcs.core.faces import Faces
    from gcs.core.service import GcsService

WINDOW_TITLE = "Kestrel GCS"
TRACK_LEVELS = {"locked": "ok", "searching": "warning", "lost": "error", "idle": "info"}
LINK_LABELS = ("CONNECT", "REPLAY", "CLOSE_REPLAY")
FACES_POLL_MS = 1000
ALERT_LEVELS = {"critical": "error", "warning": "warning", "info": "notice"}  # alert level -> message log level


class QtMainWindow(QtMenuWindow):
    """The pilot's window over one ``GcsService`` (started by the caller, closed by the caller)."""

    closed = Signal()  # after the window shut down its timers and subscriptions

    def __init__(self, service: GcsService, *, api_url: str | None = None, faces: Faces | None = None,
                 settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(WINDOW_TITLE)
        self._fit_to_screen(1440, 900)
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
        self.status_strip = QtStatusStrip()
        self.status_strip.set_safety(service.config.current.safety)
        self.status_bar_top = self._strip_bar(self.status_strip)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.status_bar_top)
        self.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.controls)
        self.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.track_controls)
        for bar in (self.controls, self.track_controls):  # shortcuts even with a toolbar hidden
            self.addActions(list(bar.actions_by_name.values()))

        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        hud_scroll = QtFitScroll()
        hud_scroll.setWidgetResizable(True)
        hud_scroll.setFrameShape(QFrame.Shape.NoFrame)
        hud_scroll.setWidget(self.hud)
        self.hud_scroll = hud_scroll
        self.hud_dock = self._dock("HUD", "hud_dock", hud_scroll, Qt.DockWidgetArea.RightDockWidgetArea)
        self.messages_dock = self._dock("Messages", "messages_dock", self.messages,
                                        Qt.DockWidgetArea.RightDockWidgetArea)
        self.plots_dock = self._dock("Telemetry plots", "plots_dock", self.plots,
                                     Qt.DockWidgetArea.BottomDockWidgetArea)
        self.splitDockWidget(self.hud_dock, self.messages_dock, Qt.Orientation.Vertical)
        self.resizeDocks([self.hud_dock, self.messages_dock], [560, 260], Qt.Orientation.Vertical)
        self.resizeDocks([self.hud_dock], [340], Qt.Orientation.Horizontal)
        self.resizeDocks([self.plots_dock], [300], Qt.Orientation.Vertical)
        self.map_panel = QtMapPanel(service, self.runner, self.bridge)  # the map: a tab beside the HUD
        self.map_dock = self._dock("Map", "map_dock", self.map_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.hud_dock, self.map_dock)
        self.missions_panel = QtMissionsPanel(service, self.runner, self.bridge)  # another tab
        self.missions_dock = self._dock("Missions", "missions_dock", self.missions_panel,
                                        Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.hud_dock, self.missions_dock)
        self.map_panel.attach_draft(self.missions_panel.draft, self.missions_panel.default_alt)  # one list, two views
        self.missions_panel.map_button.toggled.connect(self.map_panel.set_editing)
        self.map_panel.edit_button.toggled.connect(self.missions_panel.map_button.setChecked)
        self.hud_dock.raise_()

        self.link_summary = QLabel("no vehicle")
        self.fleet_label = QtFleetLabel()  # the fleet link's compression (fleet.mqtt_compression)
        self.statusBar().addWidget(self.status_line, 1)
        self.statusBar().addPermanentWidget(self.fleet_label)
        self.statusBar().addPermanentWidget(self.link_summary)
        self._build_menus()
        self._wire()
        self._restore_layout()
        self._queue_refit()
        self.bridge.replay_latest()
        self._faces_timer = QTimer(self)
        self._faces_timer.timeout.connect(self._poll_faces)
        if faces is not None or service.compression_stats() is not None:
            self._faces_timer.start(FACES_POLL_MS)
            self._poll_faces()

    def _strip_bar(self, strip: QWidget) -> QToolBar:
        """The strip in a fixed toolbar on the top row: always above the controls, never moved or hidden."""
        bar = QToolBar("Status", self)
        bar.setObjectName("status_strip_bar")
        bar.setMovable(False)
        bar.setFloatable(False)
        bar.toggleViewAction().setEnabled(False)
        bar.addWidget(strip)
        return bar

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        # scrolls when squeezed, so no arrangement of the docks makes the window taller than 700 px
        squeezed = PLOTS_MIN_H if widget is self.plots else DOCK_MIN_H
        dock.setWidget(widget if isinstance(widget, QScrollArea) else QtDockScroll(widget, squeezed))
        dock.dockLocationChanged.connect(self._queue_refit)
        dock.topLevelChanged.connect(self._queue_refit)
        dock.visibilityChanged.connect(self._queue_refit)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _wire(self) -> None:
        b, hud, plots, tc, panel = self.bridge, self.hud, self.plots, self.track_controls, self.video_panel
        state_slots: tuple[Callable[[Any], None], ...] = (
            hud.set_state, plots.on_state, self._on_state, self.status_strip.set_state, self.controls.on_state)
        for state_slot in state_slots:
            b.vehicle_state.connect(state_slot)
        b.tracking_target.connect(self._on_target)
        for follower_slot in (hud.set_follower, plots.on_follower, tc.on_follower):
            b.follower_status.connect(follower_slot)
        b.vehicles.connect(hud.set_vehicles)
        b.alerts.connect(self.status_strip.set_alerts)
        b.alert_event.connect(self._on_alert_event)
        self.status_strip.ack_requested.connect(self._on_ack_alerts)
        b.availability.connect(lambda av: self.video.set_hint(av.first_steps or ""))
        for bar in (self.controls, tc):
            b.availability.connect(bar.on_availability)
            bar.confirm.notice.connect(self._on_confirm_notice)
        b.vehicles.connect(lambda _ids: panel.refresh_replay())
        b.active_vehicle.connect(hud.set_active_vehicle)
        b.active_vehicle.connect(lambda _sysid: panel.refresh_replay())
        b.link_state.connect(hud.set_link_event)
        b.link_state.connect(self.messages.on_link_event)
        b.statustext.connect(self.messages.on_statustext)
        b.recording.connect(self.messages.on_recording)
        self.replay_opener.refused.connect(self._on_replay_refused)
        b.command_result.connect(self.messages.on_command_result)
        for commander_slot in (hud.set_commander, plots.on_commander, self.messages.on_commander):
            b.commander.connect(commander_slot)
        b.config_changed.connect(self._on_config_changed)
        b.video_health.connect(panel.on_health)
        b.tracking_state.connect(self._on_tracking_state)
        b.replay_status.connect(panel.on_replay_status)
        b.replay_status.connect(self._on_replay_status)
        b.sessions_changed.connect(self._on_sessions_changed)
        panel.video_changed.connect(self._on_video_changed)
        self.runner.finished.connect(self.messages.on_outcome)
        self.runner.finished.connect(self._on_outcome)
        hud.vehicle_selected.connect(self._on_vehicle_selected)
        self.video.clicked.connect(tc.track_at)
        # Esc stops tracking only on the video: a window-wide Esc also fired when a dialog was closed
        # with Esc (or the key repeated), silently dropping the lock the pilot was about to follow.
        self.video_escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.video)
        self.video_escape.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.video_escape.activated.connect(self._on_video_escape)
        self.video.box_drawn.connect(tc.track_box)

    # ---- handlers (GUI thread) -------------------------------------------------------------

    @Slot()
    def _poll_faces(self) -> None:
        """Ask (off the GUI thread) how many clients the API serves; the HUD shows it."""
        faces = self._faces
        if faces is not None:
            self.runner.query("faces", faces.snapshot, self._on_faces)
        self.runner.query("compression", self._service.compression_stats, self._on_compression)

    def _on_compression(self, stats: Any, error: BaseException | None) -> None:
        self.fleet_label.show_stats(None if error is not None else stats)

    def _on_faces(self, snapshot: Any, error: BaseException | None) -> None:
        if error is not None:
            return
        api = next((face for face in snapshot if face.name == "api"), None)
        self.hud.set_api_url(api.address if api is not None else None)
        self.hud.set_api_clients(api.clients if api is not None else None)

    @Slot()
    def _on_video_escape(self) -> None:
        action = self.track_controls.actions_by_name["track_stop"]
        if action.isEnabled():
            action.trigger()

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
        if outcome.ok and outcome.label in ("SMART", "TRACKER"):  # a new tracker is idle until a click:
            self.runner.query("tracker-data", self._service.tracker_data, self._on_tracker_data)  # say its name
        self.replay_bar.on_outcome(outcome)
        if self.sessions_dialog is not None:
            self.sessions_dialog.on_outcome(outcome)
        if outcome.label in LINK_LABELS:
            self.video_panel.refresh_replay()

    @Slot(str, str)
    def _on_confirm_notice(self, text: str, level: str) -> None:
        """A confirmation gesture's word to the pilot: "Hold to ARM…" on the status line only; "not sent"
        and "press again" in the message log too."""
        if level == "info":
            self.status_line.show_message(text, level)
        else:
            self.messages.post(text, level, status=True)

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

    @Slot(object)
    def _on_alert_event(self, event: Any) -> None:
        """Each alert raised (coloured by its level, on the status line too), cleared or acknowledged."""
        action = event.action.value
        raised = action == "raised"
        level = ALERT_LEVELS.get(event.alert.level.value, "info") if raised else "info"
        by = f" by {event.by}" if event.by else ""
        self.messages.post(f"Alert {action}{by}: {event.alert.message}", level, status=raised, when=event.time_s)

    @Slot()
    def _on_ack_alerts(self) -> None:
        """Ack: every alert shown is acknowledged (the core publishes the new list, the strip follows)."""
        self.runner.submit("ACK_ALERTS", self._service.acknowledge_alert, None, by="gui")

    @Slot(int)
    def _on_vehicle_selected(self, sysid: int) -> None:
        self.runner.submit("SELECT_VEHICLE", self._service.select_vehicle, sysid)

    @Slot(object)
    def _on_config_changed(self, changes: Any) -> None:
        self.status_strip.set_safety(self._service.config.current.safety)
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

    def _fit_to_screen(self, width: int, height: int) -> None:
        """Open at ``width`` x ``height``, or the screen's free area if smaller: a laptop's 1366x768 must
        show the ABORT button, which sits at the right end of the toolbar."""
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            free = screen.availableGeometry()
            width, height = min(width, free.width()), min(height, free.height())
        self.resize(width, height)

    @Slot()
    def _queue_refit(self, *_args: Any) -> None:
        QTimer.singleShot(0, self, self._refit)

    @Slot()
    def _refit(self) -> None:
        """The HUD held at its full height only as far as the window still fits 1024x700 (qt_dock_fit)."""
        if not self._closed:
            refit(self, self.hud_scroll)

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
        self.map_panel.stop()
        self.runner.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
        self.closed.emit()
