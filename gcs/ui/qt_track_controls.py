"""The tracking and follow toolbar: track centre / stop, smart mode, tracker, follower profile, follow.

Like ``QtControls``, every action runs its ``GcsService`` call on the ``QtCommandRunner`` and its
outcome reaches the status line through the runner; a refused smart mode (no detector) or a
refused follow says why there. Buttons that cannot act now are disabled and their tooltip says
why in the core's words (no video, nothing tracked, not LOCKED, no GPS fix, critical battery, not
flying...: ``gcs.core.availability``). Starting to follow is confirmed first: hold the button 1 s,
or press the shortcut twice within 2 s (``qt_confirm``). Checked states (smart, follow) always show
what the core reports, never what was last clicked. Clicks and boxes drawn on the video come
here too (``track_at`` / ``track_box``), so they share the busy state and smart mode.
Everything runs on the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from gcs.ui.qt_enabling import ActionSpec, QtCommandToolbar
from gcs.ui.qt_runner import QtCommandRunner

if TYPE_CHECKING:
    from gcs.core.service import GcsService

SMART_TRACKER = "smart"
TRACK_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("track_centre", "Track centre", ("Ctrl+Shift+C",),
               "Track what is in the image centre (or click a target / drag a box on the video)"),
    ActionSpec("track_stop", "Stop tracking", ("Ctrl+Shift+X",),
               "Forget the tracked target (Esc too, while the video has the focus: click it first)"),
    ActionSpec("smart", "Smart", ("Ctrl+Shift+M",),
               "Smart mode on/off: a click snaps to the object the detector sees there"),
    ActionSpec("follow", "Follow", ("Ctrl+Shift+F",),
               "Follow on/off: offboard/guided control driven by the LOCKED target (ABORT always stops); "
               "to start, hold 1 s to confirm, or press the shortcut twice"),
)
TRACK_LABELS = {"track_centre": "TRACK", "track_stop": "STOP_TRACK", "smart": "SMART", "follow": "FOLLOW"}
BUSY_LABELS = ("TRACK", "STOP_TRACK", "SMART", "TRACKER", "PROFILE", "FOLLOW", "STOP_FOLLOW")
CORE_NAMES = {"track_centre": "track_start", "track_stop": "track_stop", "smart": "smart"}


class QtTrackControls(QtCommandToolbar):
    """Toolbar of tracking and follow actions over a service and a runner (GUI thread)."""

    specs = TRACK_ACTIONS
    checkable = ("smart", "follow")

    def __init__(self, service: GcsService, runner: QtCommandRunner, parent: QWidget | None = None) -> None:
        super().__init__("Tracking and follow", "tracking_toolbar", service, runner, parent)
        self._video_running = False
        self._frame_size: tuple[int, int] | None = None
        self._follower: Any = None
        self._tracker = ""
        self._trackers_loaded = False

        self.tracker_combo = QComboBox()
        self.tracker_combo.setObjectName("tracker_combo")
        self.tracker_combo.setMinimumContentsLength(8)
        self.tracker_combo.setPlaceholderText("no video")
        self.tracker_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tracker_combo.activated.connect(self._on_tracker_chosen)
        self.profile_combo = QComboBox()
        self.profile_combo.setObjectName("profile_combo")
        self.profile_combo.setMinimumContentsLength(10)
        self.profile_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.profile_combo.setToolTip("Follower profile: how the target's position becomes a velocity")
        self.profile_combo.activated.connect(self._on_profile_chosen)

        for name in ("track_centre", "track_stop", "smart"):
            self.addAction(self.actions_by_name[name])
        self.addWidget(QLabel(" Tracker "))
        self.addWidget(self.tracker_combo)
        self.addSeparator()
        self.addWidget(QLabel(" Profile "))
        self.addWidget(self.profile_combo)
        self.addAction(self.actions_by_name["follow"])
        self.busy_label = QLabel("")
        self.addWidget(self.busy_label)
        self._name_buttons()
        self.attach_confirm("follow", "FOLLOW", self._follow_core_name)
        follow_button = self.widgetForAction(self.actions_by_name["follow"])
        if follow_button is not None:
            follow_button.setStyleSheet("QToolButton:checked { background: #2e7d32; color: white; font-weight: bold; }")
        runner.busy_changed.connect(self._update_enabled)
        self._load_profiles()
        self._update_enabled()

    # ---- access ----------------------------------------------------------------------------

    def button(self, name: str) -> Any:
        return self.widgetForAction(self.actions_by_name[name])

    @property
    def smart_mode(self) -> bool:
        return self._tracker.lower() == SMART_TRACKER

    @property
    def following(self) -> bool:
        return bool(self._follower is not None and self._follower.active)

    # ---- inputs (GUI thread) ---------------------------------------------------------------

    def on_video(self, running: bool, health: str, frame_size: tuple[int, int] | None) -> None:
        """Whether a source runs, its health ("ok", "degraded"...), and the shown frame's size."""
        started = running and not self._video_running
        self._video_running, self._frame_size = running, frame_size
        if started or (running and not self._trackers_loaded):
            self._load_trackers()
        self._update_enabled()

    @Slot(object)
    def on_tracking_target(self, target: Any) -> None:
        if target.tracker and target.tracker != self._tracker:
            self._set_tracker(target.tracker)
        self._update_enabled()

    @Slot(object)
    def on_follower(self, status: Any) -> None:
        self._follower = status
        index = self.profile_combo.findData(status.profile)
        if index >= 0 and index != self.profile_combo.currentIndex():
            self.profile_combo.setCurrentIndex(index)
        self._update_enabled()

    # ---- lists -----------------------------------------------------------------------------

    def _load_trackers(self) -> None:
        service = self._service

        def read() -> tuple[Any, str]:
            return service.tracker_specs(), service.tracker_data().tracker

        self._runner.query("trackers", read, self._on_trackers)

    def _on_trackers(self, value: Any, error: BaseException | None) -> None:
        if error is not None:
            return  # the video stopped meanwhile; reloaded when it runs again
        specs, current = value
        self._trackers_loaded = True
        self.tracker_combo.clear()
        for spec in specs:
            self.tracker_combo.addItem(spec.name, spec.name)
            self.tracker_combo.setItemData(self.tracker_combo.count() - 1, spec.description,
                                           Qt.ItemDataRole.ToolTipRole)
        self._set_tracker(current)
        self._update_enabled()

    def _load_profiles(self) -> None:
        service = self._service

        def read() -> tuple[Any, str]:
            return service.follower_profiles(), service.follower_data().profile

        self._runner.query("profiles", read, self._on_profiles)

    def _on_profiles(self, value: Any, error: BaseException | None) -> None:
        if error is not None:
            return
        specs, current = value
        self.profile_combo.clear()
        for spec in specs:
            self.profile_combo.addItem(spec.name, spec.name)
            self.profile_combo.setItemData(self.profile_combo.count() - 1, spec.description,
                                           Qt.ItemDataRole.ToolTipRole)
        index = self.profile_combo.findData(current)
        if index >= 0:
            self.profile_combo.setCurrentIndex(index)

    def _set_tracker(self, name: str) -> None:
        self._tracker = name
        index = self.tracker_combo.findData(name)
        if index >= 0 and index != self.tracker_combo.currentIndex():
            self.tracker_combo.setCurrentIndex(index)
        self._update_enabled()

    # ---- enabling --------------------------------------------------------------------------

    def _follow_core_name(self) -> str:
        return "follow_stop" if self.following else "follow_start"

    def unavailable_reason(self, name: str) -> str | None:
        """Why the action ``name`` cannot act now (the core's reason, or an answer still awaited), or None."""
        label = TRACK_LABELS[name]
        if name == "follow" and self.following:
            return "STOP_FOLLOW is waiting for the vehicle's answer" if self._runner.is_busy("STOP_FOLLOW") else None
        if self._runner.is_busy(label):
            return f"{label} is waiting for an answer"
        if name == "follow":
            return self.core_reason("follow_start")
        why = self.core_reason(CORE_NAMES[name])
        if why is None and name == "track_centre" and self._frame_size is None:
            return "no video frame shown yet"
        return why

    def _refresh_extras(self) -> None:
        self._sync_checked()
        loading = None if self._trackers_loaded else "loading the tracker list"
        combo_reason = self.core_reason("track_start") or loading
        tip = "Tracker used after a click or a box" + (f"\nUnavailable: {combo_reason}" if combo_reason else "")
        if self.tracker_combo.isEnabled() != (combo_reason is None):
            self.tracker_combo.setEnabled(combo_reason is None)
        if self.tracker_combo.toolTip() != tip:
            self.tracker_combo.setToolTip(tip)
        text = self._busy_text(BUSY_LABELS)
        text = f"  {text}" if text else ""
        if self.busy_label.text() != text:
            self.busy_label.setText(text)

    def _sync_checked(self) -> None:
        for name, on in (("smart", self.smart_mode), ("follow", self.following)):
            action = self.actions_by_name[name]
            if action.isChecked() != on:
                action.setChecked(on)
        follow = self.actions_by_name["follow"]
        title = "Following" if self.following else "Follow"
        if follow.text() != title:
            follow.setText(title)

    # ---- handlers --------------------------------------------------------------------------

    def _submit(self, label: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        self._runner.submit(label, fn, *args, **kwargs)
        self._update_enabled()

    def track_at(self, x: float, y: float) -> None:
        """A click on the video (frame pixels): smart click in smart mode, else a classic track."""
        if self.smart_mode:
            self._submit("TRACK", self._service.smart_click, x, y)
        else:
            self._submit("TRACK", self._service.start_tracking, x, y)

    def track_box(self, x: float, y: float, w: float, h: float) -> None:
        self._submit("TRACK", self._service.start_tracking, x, y, w, h)

    @Slot()
    def _on_track_centre(self) -> None:
        if self._frame_size is not None:
            self.track_at(self._frame_size[0] / 2.0, self._frame_size[1] / 2.0)

    @Slot()
    def _on_track_stop(self) -> None:
        self._submit("STOP_TRACK", self._service.stop_tracking)

    @Slot()
    def _on_smart(self) -> None:
        wanted = not self.smart_mode
        self._sync_checked()  # the core decides; the button shows it when the tracker reports
        service = self._service

        def switch() -> str:
            name = service.set_smart_mode(wanted)
            return str(name)

        self._runner.submit("SMART", switch)
        self._update_enabled()

    def on_outcome(self, outcome: Any) -> None:
        """The runner finished something: a tracker switch tells its new name at once."""
        if outcome.ok and outcome.label in ("SMART", "TRACKER") and isinstance(outcome.value, str):
            self._set_tracker(outcome.value)
        elif outcome.label == "TRACKER":  # refused: show the tracker still in use again
            index = self.tracker_combo.findData(self._tracker)
            if index >= 0:
                self.tracker_combo.setCurrentIndex(index)

    @Slot(int)
    def _on_tracker_chosen(self, index: int) -> None:
        name = self.tracker_combo.itemData(index)
        if name and name != self._tracker:
            self._submit("TRACKER", self._service.switch_tracker, name)

    @Slot(int)
    def _on_profile_chosen(self, index: int) -> None:
        name = self.profile_combo.itemData(index)
        if name:
            self._submit("PROFILE", self._service.switch_follower_profile, name)

    @Slot()
    def _on_follow(self) -> None:
        self._sync_checked()  # a checkable action toggled itself: show the core's state again
        self._confirmed("follow", self._follow_core_name())

    def _do_follow(self) -> None:
        if self.following:
            self._submit("STOP_FOLLOW", self._service.stop_following)
        else:
            self._submit("FOLLOW", self._service.start_following)
        self._sync_checked()
