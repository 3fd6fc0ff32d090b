"""The status line and the message log: every command's outcome and every STATUSTEXT, with time.

Sources (all delivered on the GUI thread):

- ``on_command_result``: ``CommandResult`` from the bus, whoever asked (GUI, API, safety);
- ``on_outcome``: the GUI's own calls from ``QtCommandRunner``; they carry the pilot's label
  ("ARM"), so the status line says "ARM accepted". Failures the core did not publish (no
  vehicle, bad connection string...) are logged from here too;
- ``on_statustext``: the vehicle's own messages, coloured by MAV_SEVERITY;
- ``on_recording``: tlog (``logs.recording``) and video (``video.recording``) recordings starting,
  stopping or failing; a failure also goes to the status line.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gcs.core.errors import CommandError
from gcs.core.vehicle.sequencing import ROUTINE_NOTE, OffboardStartWindow
from gcs.ui.qt_runner import CommandOutcome

MAX_ENTRIES = 5000
LEVEL_COLOURS = {  # "info" has none: it takes the palette's text colour, readable on any theme
    "ok": QColor(90, 200, 120),
    "notice": QColor(120, 180, 255),
    "warning": QColor(240, 180, 0),
    "error": QColor(240, 80, 80),
    "debug": QColor(130, 135, 145),
}
SEVERITY_NAMES = ("EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG")


def severity_level(severity: int) -> str:
    """MAV_SEVERITY (0 emergency ... 7 debug) -> a colour level."""
    if severity <= 3:
        return "error"
    return {4: "warning", 5: "notice", 6: "info"}.get(severity, "debug")


def describe_result(result: Any) -> tuple[str, str]:
    """(text, level) for a CommandResult, using the core's own wording when it has one."""
    if result.success:
        return (result.message or f"{result.command} accepted"), "ok"
    if result.message:
        return result.message, "error"
    if result.result == "TIMEOUT":
        return f"{result.command}: no answer from the vehicle (TIMEOUT)", "error"
    return f"{result.command} refused by the vehicle: {result.result}", "error"


def describe_outcome(outcome: CommandOutcome) -> tuple[str, str]:
    """(text, level) for one of the GUI's own calls, named as the pilot named it."""
    if outcome.error is None:
        return f"{outcome.label} accepted", "ok"
    if isinstance(outcome.error, CommandError):
        return f"{outcome.label} failed — {outcome.error}", "error"
    return outcome.describe(), "error"


def recording_line(topic: str, status: Any) -> tuple[str, str] | None:
    """(text, level) for a recording status: "Video recording started: /x.mp4", errors first."""
    video = topic.startswith("video")
    what = "Video recording" if video else f"Flight log ({getattr(status, 'url', '') or 'link'})"
    path = getattr(status, "path" if video else "tlog_path", None)
    where = f": {path}" if path else ""
    error = getattr(status, "error", None)
    if error:
        return f"{what} error: {error}", "error"
    if getattr(status, "recording", False):
        return f"{what} started{where}", "ok"
    if path:
        count = getattr(status, "frames_written" if video else "frames", None)
        unit = "frames" if video else "messages"
        return f"{what} stopped{where}" + (f" ({count} {unit})" if count is not None else ""), "info"
    return None


class QtStatusLine(QLabel):
    """One line in the status bar: the newest outcome, coloured; the tooltip says when."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Ready", parent)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setMinimumWidth(200)
        self.level = "info"

    def show_message(self, text: str, level: str = "info") -> None:
        self.level = level
        colour = LEVEL_COLOURS.get(level)
        bold = " font-weight: bold;" if level in ("error", "warning") else ""
        self.setStyleSheet((f"color: {colour.name()};" if colour is not None else "") + bold)
        self.setText(text)
        self.setToolTip(f"{datetime.now():%H:%M:%S} — {text}")


class QtMessageLog(QWidget):
    """Timestamped, coloured log of outcomes and vehicle messages; feeds a status line."""

    def __init__(self, status_line: QtStatusLine | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_line = status_line or QtStatusLine()
        self.list = QListWidget()
        self.list.setAlternatingRowColors(False)
        self.list.setWordWrap(True)
        clear = QPushButton("Clear")
        clear.setToolTip("Empty the message log")
        clear.clicked.connect(self.list.clear)
        top = QHBoxLayout()
        top.addWidget(QLabel("Command results and vehicle messages"))
        top.addStretch(1)
        top.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.list)
        self._recordings: dict[str, tuple[bool, str | None]] = {}
        self.offboard_start = OffboardStartWindow()  # fed by on_commander; see gcs.core.vehicle.sequencing

    # ---- GUI thread ------------------------------------------------------------------------

    def post(self, text: str, level: str = "info", *, status: bool = True, when: float | None = None) -> None:
        """Add a line to the log (and, unless ``status`` is False, to the status line)."""
        stamp = datetime.fromtimestamp(time.time() if when is None else when)
        item = QListWidgetItem(f"{stamp:%H:%M:%S.%f}"[:-3] + f"  {text}")
        colour = LEVEL_COLOURS.get(level)
        if colour is not None:
            item.setForeground(colour)
        item.setData(Qt.ItemDataRole.UserRole, level)
        at_bottom = self.list.verticalScrollBar().value() >= self.list.verticalScrollBar().maximum() - 2
        self.list.addItem(item)
        while self.list.count() > MAX_ENTRIES:
            self.list.takeItem(0)
        if at_bottom:
            self.list.scrollToBottom()
        if status:
            self.status_line.show_message(text, level)

    @Slot(object)
    def on_command_result(self, result: Any) -> None:
        text, level = describe_result(result)
        self.post(text, level)

    @Slot(object)
    def on_outcome(self, outcome: CommandOutcome) -> None:
        """The GUI's own call finished: status line always, log only what the core did not log."""
        text, level = describe_outcome(outcome)
        if outcome.published_by_core:
            self.status_line.show_message(text, level)
        else:
            self.post(text, level)

    @Slot(int, object)
    def on_statustext(self, sysid: int, status: Any) -> None:
        severity = int(status.severity)
        name = SEVERITY_NAMES[severity] if 0 <= severity < len(SEVERITY_NAMES) else str(severity)
        text = str(status.text)
        if self.offboard_start.routine(text, severity, time.monotonic()):  # PX4's normal sequence: no alarm
            self.post(f"[vehicle {sysid}] {name}: {text} ({ROUTINE_NOTE})", "info", status=False)
            return
        self.post(f"[vehicle {sysid}] {name}: {text}", severity_level(severity), status=severity <= 4)

    @Slot(object)
    def on_commander(self, status: Any) -> None:
        """The setpoint stream's status: its start opens the window of routine sequencing messages."""
        self.offboard_start.on_engaged(bool(status.engaged), time.monotonic())

    @Slot(object)
    def on_link_event(self, event: Any) -> None:
        if not isinstance(event, dict):
            return
        state = str(event.get("state", ""))
        reason = event.get("reason") or ""
        level = {"ok": "ok", "lost": "error", "closed": "warning"}.get(state, "info")
        self.post(f"link to vehicle {event.get('system_id')}: {state.upper()} {reason}".rstrip(), level)

    @Slot(str, object)
    def on_recording(self, topic: str, status: Any) -> None:
        """A recording status: logged when it starts, stops or fails (not for every frame count)."""
        key = f"{topic}:{getattr(status, 'link_id', '')}"
        recording, error = bool(getattr(status, "recording", False)), getattr(status, "error", None)
        if self._recordings.get(key) == (recording, error):
            return
        self._recordings[key] = (recording, error)
        line = recording_line(topic, status)
        if line is not None:
            self.post(*line, status=line[1] == "error")

    def entries(self) -> list[tuple[str, str]]:
        """(text, level) of every line, oldest first (tests, export)."""
        return [(self.list.item(i).text(), str(self.list.item(i).data(Qt.ItemDataRole.UserRole)))
                for i in range(self.list.count())]
