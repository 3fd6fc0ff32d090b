"""The status strip across the top of the main window: battery, GPS, link, mode, and the alerts shown.

It is handed values, never the service: the main window connects the bridge's ``vehicle_state``
and ``alerts`` signals to ``set_state`` / ``set_alerts`` and ``ack_requested`` to a worker that
calls ``service.acknowledge_alert`` (all on the GUI thread). The alerts are the core's own list
(``gcs.core.alerts``): each one a chip coloured by its level (critical red, warning amber, info
blue), an acknowledged one drawn dim with a tick, the loudest first; **Ack** acknowledges every one
not yet acknowledged. Battery colours come from the same thresholds as the alerts
(``safety.battery_low_percent`` / ``battery_critical_percent``), so the strip and the alert agree.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from gcs.core.alerts import Alert, AlertLevel, battery_level
from gcs.core.config.schema import SafetyConfig
from gcs.core.models import LinkState, VehicleState

RED = "#e5484d"
AMBER = "#f0b400"
BLUE = "#3b82c4"
GREEN = "#46c46a"
GREY = "#8a8f98"
MAX_CHIPS = 3  # more than this: "+N more" (all of them in its tooltip)
CHIP_CHARS = 44  # a longer message is cut with "…" (the whole of it in the chip's tooltip)
GPS_FIX_NAMES = {0: "no GPS", 1: "no fix", 2: "2D", 3: "3D", 4: "DGPS", 5: "RTK float", 6: "RTK fixed"}
LEVEL_COLOURS = {AlertLevel.CRITICAL: (RED, "white"), AlertLevel.WARNING: (AMBER, "black"),
                 AlertLevel.INFO: (BLUE, "white")}  # fmt: skip
BATTERY_COLOURS = {"ok": None, "unknown": GREY, "low": AMBER, "critical": RED}


def _style(widget: QWidget, sheet: str) -> None:
    """Only when it changes: setStyleSheet re-polishes the widget (slow at 30 Hz)."""
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


def _text(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)


def _field(name: str, widest: str) -> QLabel:
    """A strip field as wide as its widest text from the start: a text that grows (101 msg/s) never
    waits for a re-layout to be seen whole, and the chips beside it never move with each reading."""
    label = QLabel(name)
    label.setObjectName(name.lower())
    label.setContentsMargins(6, 0, 6, 0)
    bold = QFont(label.font())
    bold.setBold(True)
    label.setMinimumWidth(QFontMetrics(bold).horizontalAdvance(widest) + 16)
    label.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
    return label


def chip_sheet(alert: Alert) -> str:
    """A chip's look: filled in its level's colour, or dim and outlined once acknowledged."""
    fill, ink = LEVEL_COLOURS[alert.level]
    if alert.acknowledged:
        return f"border: 1px solid {fill}; color: {fill}; border-radius: 3px; padding: 1px 6px;"
    return f"background: {fill}; color: {ink}; font-weight: bold; border-radius: 3px; padding: 1px 6px;"


def chip_text(alert: Alert) -> str:
    mark = "✓ " if alert.acknowledged else ""
    state = "" if alert.active else " (cleared)"
    again = f" ({alert.count} times)" if alert.count > 1 else ""
    message = alert.message if len(alert.message) <= CHIP_CHARS else alert.message[: CHIP_CHARS - 1] + "…"
    return f"{mark}{message}{state}{again}"


class QtStatusStrip(QWidget):
    """Battery · GPS · link · mode · alerts · Ack; ``set_*`` slots on the GUI thread."""

    ack_requested = Signal()  # the pilot pressed Ack: acknowledge every alert not yet acknowledged

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("status_strip")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)  # the whole top row
        self._safety = SafetyConfig()
        self._alerts: tuple[Alert, ...] = ()
        self.battery_label = _field("Battery", "BAT 100% · 25.2 V")
        self.gps_label = _field("GPS", "GPS no fix · 24 sat")
        self.link_label = _field("Link", "LINK ok · 999/s · 100%")
        self.mode_label = _field("Mode", "OFFBOARD · disarmed")
        self.alerts_label = QLabel("No alerts")
        self.alerts_label.setObjectName("no_alerts")
        self.more_label = QLabel("")
        self.chips = [QLabel("") for _ in range(MAX_CHIPS)]
        self.ack_button = QPushButton("Ack")
        self.ack_button.setObjectName("ack_alerts")
        self.ack_button.setToolTip("Acknowledge every alert shown (an alert still true stays, marked ✓)")
        self.ack_button.clicked.connect(self.ack_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(4)
        for label in (self.mode_label, self.battery_label, self.gps_label, self.link_label):
            layout.addWidget(label)
        layout.addSpacing(12)
        layout.addWidget(self.alerts_label)
        for chip in self.chips:
            chip.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            chip.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            chip.setMinimumWidth(90)  # short of room, the chips give way (whole text in the tooltip), not Ack
            chip.hide()
            layout.addWidget(chip)
        layout.addWidget(self.more_label)
        layout.addStretch(1)
        layout.addWidget(self.ack_button)
        self.set_state(None)
        self.set_alerts(())

    # ---- slots (GUI thread) ------------------------------------------------------------------

    def set_safety(self, safety: SafetyConfig) -> None:
        """The battery thresholds the colours follow (``safety`` from the config)."""
        self._safety = safety

    @Slot(object)
    def set_state(self, state: VehicleState | None) -> None:
        if state is None:
            for label, text in ((self.mode_label, "NO VEHICLE"), (self.battery_label, "BAT —"),
                                (self.gps_label, "GPS —"), (self.link_label, "LINK —")):
                _text(label, text)
                _style(label, f"color: {GREY};")
            return
        self._set_mode(state)
        self._set_battery(state)
        fix = GPS_FIX_NAMES.get(state.gps.fix_type, str(state.gps.fix_type))
        _text(self.gps_label, f"GPS {fix} · {state.gps.satellites} sat")
        _style(self.gps_label, "" if state.gps.has_fix else f"color: {RED}; font-weight: bold;")
        link = state.link
        _text(self.link_label, f"LINK {link.state.value} · {link.messages_per_s:.0f}/s · {link.packet_loss_pct:.0f}%")
        colour = {LinkState.OK: None, LinkState.LOST: RED, LinkState.CLOSED: RED}.get(link.state, AMBER)
        _style(self.link_label, f"color: {colour}; font-weight: bold;" if colour else "")

    @Slot(object)
    def set_alerts(self, alerts: Any) -> None:
        """The core's list of alerts shown (``ALERTS_TOPIC``), loudest first."""
        self._alerts = tuple(alerts or ())
        shown = self._alerts
        self.alerts_label.setVisible(not shown)
        _style(self.alerts_label, f"color: {GREY};")
        for chip, alert in zip(self.chips, shown, strict=False):
            _text(chip, chip_text(alert))
            _style(chip, chip_sheet(alert))
            chip.setToolTip(f"{alert.message}\n{alert.kind.value} · vehicle {alert.system_id} · {alert.level.value}")
            chip.show()
        for chip in self.chips[len(shown):]:
            chip.hide()
        rest = shown[MAX_CHIPS:]
        _text(self.more_label, f"+{len(rest)} more" if rest else "")
        self.more_label.setToolTip("\n".join(chip_text(a) for a in rest))
        pending = sum(not a.acknowledged for a in shown)
        self.ack_button.setEnabled(pending > 0)
        self.ack_button.setText(f"Ack ({pending})" if pending else "Ack")

    @property
    def alerts(self) -> tuple[Alert, ...]:
        return self._alerts

    # ---- pieces ------------------------------------------------------------------------------

    def _set_mode(self, state: VehicleState) -> None:
        armed = "ARMED" if state.armed else "disarmed"
        _text(self.mode_label, f"{state.mode} · {armed}")
        _style(self.mode_label, f"font-weight: bold; color: {RED if state.armed else GREEN};")

    def _set_battery(self, state: VehicleState) -> None:
        pct, volts = state.battery.remaining_pct, state.battery.voltage_v
        percent = f"{pct:.0f}%" if pct is not None and pct >= 0 else "—%"
        voltage = f" · {volts:.1f} V" if volts is not None else ""
        _text(self.battery_label, f"BAT {percent}{voltage}")
        colour = BATTERY_COLOURS[battery_level(pct, self._safety)]
        _style(self.battery_label, f"color: {colour}; font-weight: bold;" if colour else "")
