"""The HUD panel: what the pilot reads at a glance about the active vehicle, its link and the GCS.

It is handed values, never the service: the main window connects the bridge's signals to the
``set_*`` methods (all GUI thread) and ``vehicle_selected`` to a worker that calls
``service.select_vehicle``.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from gcs.core.models import LinkState, VehicleState
from gcs.ui.qt_attitude import QtAttitudeIndicator

AMBER = "#f0b400"
RED = "#e5484d"
GREEN = "#46c46a"
GREY = "#8a8f98"
BATTERY_AMBER_PCT = 30.0
BATTERY_RED_PCT = 15.0
GPS_FIX_NAMES = {0: "no GPS", 1: "no fix", 2: "2D fix", 3: "3D fix", 4: "DGPS", 5: "RTK float", 6: "RTK fixed"}


def battery_colour(remaining_pct: float | None) -> str | None:
    """Warning colour for a battery level: red below 15 %, amber below 30 %, else None."""
    if remaining_pct is None:
        return None
    if remaining_pct < BATTERY_RED_PCT:
        return RED
    if remaining_pct < BATTERY_AMBER_PCT:
        return AMBER
    return None


def _styled(label: QLabel, colour: str | None, bold: bool = False) -> None:
    """Colour a label; only when it changes, since setStyleSheet re-polishes the widget (slow at 30 Hz)."""
    parts = []
    if colour:
        parts.append(f"color: {colour};")
    if bold:
        parts.append("font-weight: bold;")
    _set_style(label, " ".join(parts))


def _set_style(widget: QWidget, sheet: str) -> None:
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


def _set_text(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)


def _value_label(text: str = "—") -> QLabel:
    label = QLabel(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


class QtHud(QWidget):
    """Flight mode, armed, altitudes, speeds, attitude, battery, GPS, link, vehicle, video, tracker,
    follower, setpoint stream, API."""

    vehicle_selected = Signal(int)  # the pilot picked another system id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode_label = QLabel("NO VEHICLE")
        self.mode_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.mode_label.setStyleSheet("font-size: 18px; font-weight: bold;")
        self.armed_label = QLabel("—")
        self.armed_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._set_armed(None)
        self.attitude = QtAttitudeIndicator()
        self.vehicle_combo = QComboBox()
        self.vehicle_combo.setToolTip("Active vehicle: the one commands go to")
        self.vehicle_combo.setEnabled(False)
        self.vehicle_combo.activated.connect(self._on_vehicle_activated)
        self.altitude_label = _value_label()
        self.speed_label = _value_label()
        self.heading_label = _value_label()
        self.battery_label = _value_label()
        self.gps_label = _value_label()
        self.link_label = _value_label()
        self.video_label = _value_label("off")
        self.tracker_label = _value_label("—")
        self.follower_label = _value_label("off")
        self.setpoints_label = _value_label("idle")
        self.status_label = _value_label()
        for label in (self.link_label, self.status_label, self.video_label, self.tracker_label,
                      self.follower_label, self.setpoints_label):
            label.setWordWrap(True)  # reasons can be long: wrap instead of widening the dock
        self.api_label = _value_label("off")
        self.api_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.api_label.setOpenExternalLinks(True)
        self._vehicle_ids: tuple[int, ...] = ()
        self._api_url: str | None = None
        self._api_clients: int | None = None

        form = QFormLayout()
        form.setVerticalSpacing(2)  # 13 rows: compact enough to need no scrolling at 1024x700
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Vehicle", self.vehicle_combo)
        form.addRow("Altitude", self.altitude_label)
        form.addRow("Speed", self.speed_label)
        form.addRow("Heading", self.heading_label)
        form.addRow("Battery", self.battery_label)
        form.addRow("GPS", self.gps_label)
        form.addRow("Link", self.link_label)
        form.addRow("State", self.status_label)
        form.addRow("Video", self.video_label)
        form.addRow("Tracker", self.tracker_label)
        form.addRow("Follower", self.follower_label)
        form.addRow("Setpoints", self.setpoints_label)
        form.addRow("API", self.api_label)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        self._form = form
        top = QHBoxLayout()  # mode and armed on one row
        top.addWidget(self.mode_label, 1)
        top.addWidget(self.armed_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.attitude, 1)
        layout.addWidget(line)
        layout.addLayout(form)
        layout.addStretch(0)
        form.setRowVisible(self.vehicle_combo, False)  # shown once there is a choice (set_vehicles)

    # ---- inputs (GUI thread) ---------------------------------------------------------------

    @Slot(object)
    def set_state(self, s: VehicleState) -> None:
        """Refresh every vehicle field from one snapshot of the active vehicle."""
        _set_text(self.mode_label, s.mode)
        self._set_armed(s.armed)
        self.attitude.set_attitude(s.attitude.roll_rad, s.attitude.pitch_rad, s.hud.heading_deg)
        g = s.global_position
        _set_text(self.altitude_label, f"{g.alt_rel_m:.1f} m rel · {g.alt_msl_m:.1f} m MSL")
        _set_text(self.speed_label, f"GS {s.hud.groundspeed_mps:.1f} · AS {s.hud.airspeed_mps:.1f} m/s"
                                 f" · climb {s.hud.climb_mps:+.1f}")
        _set_text(self.heading_label, f"{s.hud.heading_deg % 360:03.0f}°")
        self._set_battery(s.battery.voltage_v, s.battery.remaining_pct)
        fix = GPS_FIX_NAMES.get(s.gps.fix_type, f"fix {s.gps.fix_type}")
        hdop = f" · HDOP {s.gps.hdop:.1f}" if s.gps.hdop is not None else ""
        _set_text(self.gps_label, f"{fix} · {s.gps.satellites} sats{hdop}")
        _styled(self.gps_label, None if s.gps.has_fix else AMBER)
        self._set_link(s.link.state, s.link.messages_per_s, s.link.packet_loss_pct)
        _set_text(self.status_label, f"{s.system_status.lower()} · {s.landed_state.lower().replace('_', ' ')}")

    @Slot(object)
    def set_vehicles(self, ids: Any) -> None:
        """Known system ids; the selector is enabled when there is a choice."""
        self._vehicle_ids = tuple(int(i) for i in ids or ())
        current = self.vehicle_combo.currentData()
        self.vehicle_combo.blockSignals(True)
        self.vehicle_combo.clear()
        for sysid in self._vehicle_ids:
            self.vehicle_combo.addItem(f"System {sysid}", sysid)
        if current in self._vehicle_ids:
            self.vehicle_combo.setCurrentIndex(self._vehicle_ids.index(current))
        self.vehicle_combo.blockSignals(False)
        self.vehicle_combo.setEnabled(len(self._vehicle_ids) > 1)
        self._form.setRowVisible(self.vehicle_combo, len(self._vehicle_ids) > 1)
        if not self._vehicle_ids:
            self.mode_label.setText("NO VEHICLE")
            self._set_armed(None)
            self.attitude.clear()

    @Slot(object)
    def set_active_vehicle(self, sysid: Any) -> None:
        index = self.vehicle_combo.findData(sysid)
        if index >= 0:
            self.vehicle_combo.blockSignals(True)
            self.vehicle_combo.setCurrentIndex(index)
            self.vehicle_combo.blockSignals(False)

    @Slot(object)
    def set_link_event(self, event: Any) -> None:
        """A link state change {system_id, state, reason} from the watchdog."""
        if isinstance(event, dict) and event.get("state") == LinkState.LOST.value:
            self.link_label.setText(f"LOST · {event.get('reason', '')}")
            _styled(self.link_label, RED, bold=True)

    @Slot(object)
    def set_commander(self, status: Any) -> None:
        """CommanderStatus: whether setpoints stream, at what rate, and why not."""
        if status.engaged:
            stale = " · STALE (zero velocity)" if status.stale else ""
            source = f" from {status.intent_source}" if status.intent_source else ""
            _set_text(self.setpoints_label, f"streaming {status.rate_hz:.0f} Hz{source}{stale}")
            _styled(self.setpoints_label, AMBER if status.stale else GREEN)
        else:
            _set_text(self.setpoints_label, f"idle · {status.reason}")
            _styled(self.setpoints_label, None)

    @Slot(object)
    def set_tracking(self, target: Any) -> None:
        """TrackedTarget: state, tracker, its rate and, unless locked, why."""
        state = str(getattr(target.state, "value", target.state))
        if state == "locked":
            text = f"LOCKED · {target.tracker} · {target.fps:.0f} fps · conf {target.confidence:.2f}"
        elif state == "idle":
            text = f"idle · {target.tracker} · click a target on the video"
        else:
            why = f" · {target.reason}" if target.reason else ""
            text = f"{state.upper()} · {target.tracker} · {target.fps:.0f} fps{why}"
        _set_text(self.tracker_label, text)
        colour = {"locked": GREEN, "searching": AMBER, "lost": RED}.get(state)
        _styled(self.tracker_label, colour, bold=state in ("searching", "lost"))

    @Slot(object)
    def set_follower(self, status: Any) -> None:
        """FollowerStatus: following, held (with the first reason) or off."""
        first = status.reasons[0] if status.reasons else ""
        if first in ("idle", f"profile {status.profile}"):  # says nothing the row does not say
            first = ""
        if status.active and status.held:
            text, colour = f"HELD · {first or 'holding'}", AMBER
        elif status.active:
            text, colour = f"FOLLOWING · {status.profile}" + (f" · {first}" if first else ""), GREEN
        else:
            text, colour = f"off · {status.profile}" + (f" · {first}" if first else ""), None
        _set_text(self.follower_label, text)
        _styled(self.follower_label, colour, bold=bool(status.active))

    def set_video(self, state: str, reason: str = "", detail: str = "") -> None:
        """Capture health and the source ("ok", "virtual 640x480 30 fps")."""
        state = state.lower()
        text = state.upper() if state else "off"
        if detail:
            text += f" · {detail}"
        if reason and state not in ("ok", ""):  # off: the video banner says how to open a source
            text += f" · {reason}"
        _set_text(self.video_label, text)
        colour = {"ok": None, "": GREY, "degraded": AMBER, "reconnecting": AMBER}.get(state, RED)
        _styled(self.video_label, colour, bold=colour in (AMBER, RED))

    def set_api_url(self, url: str | None) -> None:
        self._api_url = url
        self._show_api()

    def set_api_clients(self, clients: int | None) -> None:
        """Clients connected to the API's streams now (None: not known)."""
        if clients != self._api_clients:
            self._api_clients = clients
            self._show_api()

    def _show_api(self) -> None:
        url, n = self._api_url, self._api_clients
        if not url:
            _set_text(self.api_label, "off")
            return
        count = "" if n is None else f" · {n} client{'' if n == 1 else 's'}"
        _set_text(self.api_label, f'<a href="{url}/docs" style="color:#6cb6ff">{url}</a>{count}')
        self.api_label.setToolTip(f"Web API and dashboard at {url} (docs at {url}/docs); "
                                  "clients = open telemetry and video streams")

    @property
    def api_text(self) -> str:
        """The API row as plain text ("http://127.0.0.1:8080 · 2 clients")."""
        url, n = self._api_url, self._api_clients
        if not url:
            return "off"
        return url + ("" if n is None else f" · {n} client{'' if n == 1 else 's'}")

    # ---- helpers ---------------------------------------------------------------------------

    def _set_armed(self, armed: bool | None) -> None:
        if armed is None:
            text, style = "—", f"color: {GREY};"
        elif armed:
            text, style = "ARMED", f"background: {RED}; color: white;"
        else:
            text, style = "DISARMED", f"background: #3a3f47; color: {GREEN};"
        _set_text(self.armed_label, text)
        _set_style(self.armed_label, f"{style} font-weight: bold; padding: 3px; border-radius: 3px;")

    def _set_battery(self, voltage: float | None, pct: float | None) -> None:
        volts = "— V" if voltage is None or math.isnan(voltage) else f"{voltage:.2f} V"
        percent = "—" if pct is None else f"{pct:.0f} %"
        _set_text(self.battery_label, f"{volts} · {percent}")
        colour = battery_colour(pct)
        _styled(self.battery_label, colour, bold=colour is not None)

    def _set_link(self, state: LinkState, rate: float, loss: float) -> None:
        _set_text(self.link_label, f"{state.value.upper()} · {rate:.0f} msg/s · {loss:.1f} % loss")
        colour = {LinkState.OK: None, LinkState.LOST: RED, LinkState.CLOSED: RED}.get(state, AMBER)
        if state is LinkState.OK and loss >= 5.0:
            colour = AMBER
        _styled(self.link_label, colour, bold=colour == RED)

    @Slot(int)
    def _on_vehicle_activated(self, index: int) -> None:
        sysid = self.vehicle_combo.itemData(index)
        if sysid is not None:
            self.vehicle_selected.emit(int(sysid))
