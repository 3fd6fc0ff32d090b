"""The controls toolbar: connect, arm/disarm, takeoff, land, RTL, hold, offboard, and ABORT.

Every action runs its ``GcsService`` call on the ``QtCommandRunner`` (never on the GUI thread)
and its outcome reaches the status line through the runner's ``finished`` signal. Buttons that
cannot act now are disabled and their tooltip says why, in the core's words
(``gcs.core.availability``, which the bridge delivers to ``on_availability``); ABORT is never
disabled. Arm, takeoff and disarm in flight are confirmed first: hold the button 1 s, or press the
shortcut twice within 2 s (``qt_confirm``). GUI thread only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QAbstractButton, QComboBox, QDoubleSpinBox, QLabel, QPushButton, QSizePolicy, QWidget

from gcs.ui.qt_dialogs import QtConnectDialog
from gcs.ui.qt_enabling import ActionSpec, QtCommandToolbar, keys_text
from gcs.ui.qt_runner import QtCommandRunner

if TYPE_CHECKING:
    from gcs.core.availability import Availability
    from gcs.core.service import GcsService
    from gcs.core.vehicle.mode_choices import FlightModes

__all__ = ["ACTIONS", "ActionSpec", "QtControls", "keys_text"]

HOLD = "hold 1 s to confirm, or press the shortcut twice"
ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("connect", "Connect…", ("Ctrl+K",), "Open a MAVLink connection (UDP, TCP, serial)"),
    ActionSpec("arm", "Arm", ("Ctrl+Shift+A",), f"Arm the motors ({HOLD})"),
    ActionSpec("disarm", "Disarm", ("Ctrl+Shift+D",),
               f"Disarm the motors; in flight ({HOLD}) it stops them forcibly and the vehicle falls"),
    ActionSpec("takeoff", "Takeoff", ("Ctrl+Shift+T",), f"Climb to the altitude in the box ({HOLD})"),
    ActionSpec("land", "Land", ("Ctrl+Shift+L",), "Land where the vehicle is"),
    ActionSpec("rtl", "RTL", ("Ctrl+Shift+R",), "Return to launch"),
    ActionSpec("hold", "Hold", ("Ctrl+Shift+H",), "Hold position and height (PX4 Hold / ArduCopter BRAKE)"),
    ActionSpec("mode", "Set mode", ("Ctrl+Shift+N",),
               "Switch to the flight mode chosen beside it (modes that fly by themselves, or obey sticks in the air: "
               f"{HOLD})"),
    ActionSpec("offboard_start", "Offboard", ("Ctrl+Shift+O",),
               "Start streaming setpoints and switch to OFFBOARD/GUIDED"),
    ActionSpec("offboard_stop", "Stop offboard", ("Ctrl+Shift+P",), "Stop the setpoint stream and hold"),
    ActionSpec("abort", "ABORT", ("Space", "Pause"),
               "Stop following and all motion now, then hold (Space unless a text box has focus; Pause always)"),
)
LABELS = {"arm": "ARM", "disarm": "DISARM", "takeoff": "TAKEOFF", "land": "LAND", "rtl": "RTL", "hold": "HOLD",
          "offboard_start": "OFFBOARD", "offboard_stop": "STOP_OFFBOARD", "abort": "ABORT", "connect": "CONNECT",
          "mode": "SET_MODE"}
CONFIRMED = ("arm", "takeoff", "disarm")  # when the core asks (disarm: in flight only)


class QtControls(QtCommandToolbar):
    """Toolbar of vehicle commands; create on the GUI thread with the service and a runner."""

    specs = ACTIONS

    def __init__(self, service: GcsService, runner: QtCommandRunner, parent: QWidget | None = None) -> None:
        super().__init__("Controls", "controls_toolbar", service, runner, parent)
        self.connect_dialog: QtConnectDialog | None = None
        self._modes: FlightModes | None = None  # the core's list for the active vehicle
        self._picked: str | None = None  # a mode the pilot chose and has not sent yet
        self._modes_again = False

        self.altitude_spin = QDoubleSpinBox()
        self.altitude_spin.setRange(1.0, 500.0)
        self.altitude_spin.setValue(10.0)
        self.altitude_spin.setDecimals(1)
        self.altitude_spin.setSuffix(" m")
        self.altitude_spin.setToolTip("Takeoff altitude above home")
        self.altitude_spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

        self.addAction(self.actions_by_name["connect"])
        self.addSeparator()
        for name in ("arm", "disarm"):
            self.addAction(self.actions_by_name[name])
        self.addSeparator()
        self.addAction(self.actions_by_name["takeoff"])
        self.addWidget(self.altitude_spin)
        for name in ("land", "rtl", "hold"):
            self.addAction(self.actions_by_name[name])
        self.addSeparator()
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("mode_combo")
        self.mode_combo.setMinimumContentsLength(8)
        self.mode_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.mode_combo.setPlaceholderText("mode")
        self.mode_combo.activated.connect(self._on_mode_picked)
        self.addWidget(self.mode_combo)
        self.addAction(self.actions_by_name["mode"])
        self.addSeparator()
        for name in ("offboard_start", "offboard_stop"):
            self.addAction(self.actions_by_name[name])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(spacer)
        self.busy_label = QLabel("")
        self.addWidget(self.busy_label)
        self.abort_button = QPushButton("ABORT")
        self.abort_button.setObjectName("abort_button")
        self.abort_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.abort_button.setMinimumWidth(110)
        self.abort_button.setStyleSheet(
            "QPushButton { background: #d32f2f; color: white; font-weight: bold; font-size: 15px;"
            " padding: 5px 16px; border-radius: 4px; border: 2px solid #ff8a80; }"
            "QPushButton:pressed { background: #9a0007; }")
        self.abort_button.clicked.connect(self.actions_by_name["abort"].trigger)
        self.abort_button.addAction(self.actions_by_name["abort"])  # its shortcuts live with the button
        self.addWidget(self.abort_button)
        self._name_buttons()
        for name in CONFIRMED:
            self.attach_confirm(name, LABELS[name], name)
        mode_button = self.widgetForAction(self.actions_by_name["mode"])
        assert isinstance(mode_button, QAbstractButton)
        mode_spec = next(a for a in ACTIONS if a.name == "mode")
        self.confirm.attach("mode", "SET MODE", keys_text(mode_spec), mode_button, self._mode_needs_confirm,
                            self._do_mode)
        runner.busy_changed.connect(self._update_enabled)
        self._update_enabled()

    # ---- access ----------------------------------------------------------------------------

    def button(self, name: str) -> QAbstractButton:
        """The clickable widget of an action ("arm", "abort", ...)."""
        if name == "abort":
            return self.abort_button
        widget = self.widgetForAction(self.actions_by_name[name])
        if not isinstance(widget, QAbstractButton):
            raise KeyError(f"no button for {name!r}")
        return widget

    # ---- enabling --------------------------------------------------------------------------

    def unavailable_reason(self, name: str) -> str | None:
        """Why the action ``name`` cannot act now (the core's reason, or a command still waiting), or None."""
        if name in ("connect", "abort"):
            return None
        if self._runner.is_busy(LABELS[name]):
            return f"{LABELS[name]} is waiting for the vehicle's answer"
        why = self.core_reason(name)
        if why is None and name == "mode":
            chosen = self.chosen_mode
            if chosen is None:
                return "choose a mode in the list first"
            if self._modes is not None and chosen == self._modes.current:
                return f"already in {chosen}"
        return why

    # ---- flight modes ----------------------------------------------------------------------

    @property
    def chosen_mode(self) -> str | None:
        """The mode in the list now (the one Set mode would send)."""
        data = self.mode_combo.currentData()
        return str(data) if data else None

    def choose_mode(self, name: str) -> None:
        """Pick ``name`` in the list as the pilot would (tests, and the menu)."""
        index = self.mode_combo.findData(name.upper())
        if index >= 0:
            self.mode_combo.setCurrentIndex(index)
            self._on_mode_picked(index)

    @Slot(object)
    def on_availability(self, availability: Availability) -> None:
        """Armed, flying, a replay...: the modes' confirmations and availability change with it."""
        super().on_availability(availability)
        self.refresh_modes()

    @Slot(object)
    def on_state(self, state: Any) -> None:
        """The active vehicle's state: a new mode in force shows in the list (unless one is being chosen)."""
        if self._modes is None or state.mode != self._modes.current or state.system_id != self._modes.system_id:
            self.refresh_modes()

    def refresh_modes(self) -> None:
        """Ask the core again (off the GUI thread); asked while an answer is on its way, ask once more after it."""
        if not self._runner.query("modes", self._service.flight_modes, self._on_modes):
            self._modes_again = True

    def _on_modes(self, modes: Any, error: BaseException | None) -> None:
        if error is not None:  # no vehicle (yet): an empty list
            modes = None
        self._modes = modes
        names = [m.name for m in modes.modes] if modes is not None else []
        if [self.mode_combo.itemData(i) for i in range(self.mode_combo.count())] != names:
            self.mode_combo.clear()
            for choice in modes.modes if modes is not None else ():
                self.mode_combo.addItem(choice.name, choice.name)
                tip = f"{choice.name}: {choice.description}" + (" (confirm: hold 1 s)" if choice.confirm else "")
                self.mode_combo.setItemData(self.mode_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        if modes is not None and self._picked is None:  # a pick is kept until sent (the HUD shows the mode)
            index = self.mode_combo.findData(modes.current)
            self.mode_combo.setCurrentIndex(index)
        why = modes.unavailable if modes is not None else self.core_reason("mode")
        tip = "Flight mode to switch to with Set mode" + (f"\nUnavailable: {why}" if why else "")
        self.mode_combo.setToolTip(tip)
        self.mode_combo.setEnabled(modes is not None and not why)
        self._update_enabled()
        if self._modes_again:
            self._modes_again = False
            self.refresh_modes()

    @Slot(int)
    def _on_mode_picked(self, _index: int) -> None:
        self._picked = self.chosen_mode
        self._update_enabled()

    def _mode_needs_confirm(self) -> bool:
        chosen, modes = self.chosen_mode, self._modes
        choice = modes.choice(chosen) if modes is not None and chosen else None
        return bool(choice is not None and choice.confirm)

    def _refresh_extras(self) -> None:
        abort_tip = self.actions_by_name["abort"].toolTip()
        if self.abort_button.toolTip() != abort_tip:
            self.abort_button.setToolTip(abort_tip)
        text = self._busy_text(LABELS.values())
        self.busy_label.setText(f"{text}  " if text else "")

    # ---- handlers --------------------------------------------------------------------------

    def _submit(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        self._runner.submit(LABELS[name], fn, *args, **kwargs)
        self._update_enabled()

    @Slot()
    def _on_connect(self) -> None:
        recent = list(self._service.config.current.link.recent_connections)
        dialog = QtConnectDialog(recent, self.window())
        dialog.accepted.connect(lambda: self.connect_url(dialog.url))
        dialog.finished.connect(dialog.deleteLater)
        self.connect_dialog = dialog
        dialog.open()

    def connect_url(self, url: str) -> None:
        """Open ``url`` on a worker and remember it in link.recent_connections (GUI thread)."""
        service = self._service

        def connect_and_remember() -> Any:
            counters = service.connect(url)
            recent = [url, *(u for u in service.config.current.link.recent_connections if u != url)][:10]
            service.config.set("link", "recent_connections", recent, source="gui")
            return counters

        self._submit("connect", connect_and_remember)

    @Slot()
    def _on_arm(self) -> None:
        self._confirmed("arm", "arm")

    def _do_arm(self) -> None:
        self._submit("arm", self._service.arm)

    @Slot()
    def _on_disarm(self) -> None:
        self._confirmed("disarm", "disarm")

    def _do_disarm(self) -> None:
        """In flight (the core asked for confirmation) the disarm is forced: both autopilots refuse a
        plain one in the air, and the pilot has just confirmed stopping the motors."""
        if self.core_confirms("disarm"):
            self._submit("disarm", self._service.disarm, force=True, confirm_in_flight=True)
        else:
            self._submit("disarm", self._service.disarm)

    @Slot()
    def _on_takeoff(self) -> None:
        self._confirmed("takeoff", "takeoff")

    def _do_takeoff(self) -> None:
        self._submit("takeoff", self._service.takeoff, self.altitude_spin.value())

    @Slot()
    def _on_land(self) -> None:
        self._submit("land", self._service.land)

    @Slot()
    def _on_rtl(self) -> None:
        self._submit("rtl", self._service.rtl)

    @Slot()
    def _on_hold(self) -> None:
        self._submit("hold", self._service.hold)

    @Slot()
    def _on_mode(self) -> None:
        if self._mode_needs_confirm():
            self.confirm.key_press("mode")
        else:
            self._do_mode()

    def _do_mode(self) -> None:
        chosen = self.chosen_mode
        if chosen:
            self._picked = None
            self._submit("mode", self._service.set_mode, chosen)

    @Slot()
    def _on_offboard_start(self) -> None:
        self._submit("offboard_start", self._service.start_offboard)

    @Slot()
    def _on_offboard_stop(self) -> None:
        self._submit("offboard_stop", self._service.stop_offboard)

    @Slot()
    def _on_abort(self) -> None:
        self._submit("abort", self._service.abort)
