"""The controls toolbar: connect, arm/disarm, takeoff, land, RTL, hold, offboard, and ABORT.

Every action runs its ``GcsService`` call on the ``QtCommandRunner`` (never on the GUI thread)
and its outcome reaches the status line through the runner's ``finished`` signal. Buttons that
cannot act now are disabled and their tooltip says why; ABORT is never disabled. The toolbar
learns the vehicle's state from the bridge via ``on_state``/``on_vehicles``/``on_commander``
(GUI thread).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractButton,
    QDoubleSpinBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from gcs.core.models import VehicleState
from gcs.ui.qt_dialogs import QtConnectDialog
from gcs.ui.qt_enabling import ActionSpec, QtCommandToolbar, keys_text
from gcs.ui.qt_runner import QtCommandRunner

if TYPE_CHECKING:
    from gcs.core.service import GcsService

__all__ = ["ACTIONS", "ActionSpec", "QtControls", "in_flight", "keys_text"]

IN_FLIGHT_STATES = ("IN_AIR", "TAKEOFF", "LANDING")
IN_FLIGHT_ALTITUDE_M = 1.0


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("connect", "Connect…", ("Ctrl+K",), "Open a MAVLink connection (UDP, TCP, serial)"),
    ActionSpec("arm", "Arm", ("Ctrl+Shift+A",), "Arm the motors"),
    ActionSpec("disarm", "Disarm", ("Ctrl+Shift+D",), "Disarm the motors (asks first when flying)"),
    ActionSpec("takeoff", "Takeoff", ("Ctrl+Shift+T",), "Climb to the altitude in the box"),
    ActionSpec("land", "Land", ("Ctrl+Shift+L",), "Land where the vehicle is"),
    ActionSpec("rtl", "RTL", ("Ctrl+Shift+R",), "Return to launch"),
    ActionSpec("hold", "Hold", ("Ctrl+Shift+H",), "Hold position (PX4 HOLD / ArduPilot LOITER)"),
    ActionSpec("offboard_start", "Offboard", ("Ctrl+Shift+O",),
               "Start streaming setpoints and switch to OFFBOARD/GUIDED"),
    ActionSpec("offboard_stop", "Stop offboard", ("Ctrl+Shift+P",), "Stop the setpoint stream and hold"),
    ActionSpec("abort", "ABORT", ("Space", "Pause"),
               "Stop following and all motion now, then hold (Space unless a text box has focus; Pause always)"),
)
LABELS = {"arm": "ARM", "disarm": "DISARM", "takeoff": "TAKEOFF", "land": "LAND", "rtl": "RTL", "hold": "HOLD",
          "offboard_start": "OFFBOARD", "offboard_stop": "STOP_OFFBOARD", "abort": "ABORT", "connect": "CONNECT"}


def in_flight(state: VehicleState) -> bool:
    """Flying as far as disarming is concerned: landed state says so, or higher than 1 m."""
    return state.landed_state in IN_FLIGHT_STATES or state.global_position.alt_rel_m > IN_FLIGHT_ALTITUDE_M


class QtControls(QtCommandToolbar):
    """Toolbar of vehicle commands; create on the GUI thread with the service and a runner."""

    specs = ACTIONS

    def __init__(self, service: GcsService, runner: QtCommandRunner, parent: QWidget | None = None) -> None:
        super().__init__("Controls", "controls_toolbar", service, runner, parent)
        self._commander: Any = None
        self.disarm_dialog: QMessageBox | None = None
        self.connect_dialog: QtConnectDialog | None = None

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

    # ---- inputs (GUI thread) ---------------------------------------------------------------

    @Slot(object)
    def on_commander(self, status: Any) -> None:
        self._commander = status
        self._update_enabled()

    # ---- enabling --------------------------------------------------------------------------

    def unavailable_reason(self, name: str) -> str | None:
        """Why the action ``name`` cannot act now, or None when it can."""
        if name in ("connect", "abort"):
            return None
        if self._runner.is_busy(LABELS[name]):
            return f"{LABELS[name]} is waiting for the vehicle's answer"
        vehicle = self.vehicle_reason()
        if vehicle is not None:
            return vehicle
        s = self._state
        assert s is not None
        engaged = bool(self._commander is not None and self._commander.engaged)
        flying = in_flight(s)
        rules: dict[str, str | None] = {
            "arm": "already armed" if s.armed else None,
            "disarm": None if s.armed else "not armed",
            "takeoff": "not armed (arm first)" if not s.armed else ("already flying" if flying else None),
            "land": None if s.armed else "not armed",
            "rtl": None if s.armed else "not armed",
            "hold": None if s.armed else "not armed",
            "offboard_start": "not armed" if not s.armed else ("setpoints already streaming" if engaged else None),
            "offboard_stop": None if engaged else "setpoints are not streaming",
        }
        return rules[name]

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
        self._submit("arm", self._service.arm)

    @Slot()
    def _on_disarm(self) -> None:
        if self._state is not None and in_flight(self._state):
            self._confirm_disarm_in_flight()
        else:
            self._submit("disarm", self._service.disarm)

    def _confirm_disarm_in_flight(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Disarm in flight?",
                          "The vehicle is flying. Disarming stops the motors and it will fall.\n\n"
                          "The autopilot may refuse a normal disarm in the air; Force disarm overrides it.",
                          QMessageBox.StandardButton.Cancel, self.window())
        normal = box.addButton("Disarm", QMessageBox.ButtonRole.AcceptRole)
        force = box.addButton("Force disarm", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def on_finished(_result: int) -> None:
            clicked = box.clickedButton()
            if clicked is normal:
                self._submit("disarm", self._service.disarm)
            elif clicked is force:
                self._submit("disarm", self._service.disarm, force=True)
            box.deleteLater()
            self.disarm_dialog = None

        box.finished.connect(on_finished)
        self.disarm_dialog = box
        box.open()

    @Slot()
    def _on_takeoff(self) -> None:
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
    def _on_offboard_start(self) -> None:
        self._submit("offboard_start", self._service.start_offboard)

    @Slot()
    def _on_offboard_stop(self) -> None:
        self._submit("offboard_stop", self._service.stop_offboard)

    @Slot()
    def _on_abort(self) -> None:
        self._submit("abort", self._service.abort)
