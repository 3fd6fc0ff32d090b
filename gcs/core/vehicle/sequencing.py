"""Vehicle messages that are normal while the setpoint stream starts, so the faces do not alarm the pilot.

PX4 takes OFFBOARD only once setpoints already stream (``needs_setpoints_before_offboard``), and an
ArduPilot can see the first setpoints a moment before it reports GUIDED; an autopilot (or our
simulator, until it learnt to stay quiet about PX4's pre-stream) may then say "Setpoint ignored:
not in OFFBOARD" at WARNING severity at every follow start. That is the sequence working, not a
fault. ``OffboardStartWindow`` remembers when the stream last started; for ``window_s`` after it a
setpoint-sequencing text of severity WARNING or milder is ``routine``: the faces show it as
information, uncoloured and off the status line. Errors (severity <= 3) are never routine, and the
same text outside the window (setpoints ignored mid-flight) still warns.
"""

from __future__ import annotations

import re
import threading

OFFBOARD_START_WINDOW_S = 5.0
ROUTINE_NOTE = "normal while the setpoint stream starts"
_SEQUENCING = re.compile(r"setpoints? ignored|not in (offboard|guided)\b", re.IGNORECASE)
SEV_ERROR = 3  # MAV_SEVERITY_ERROR: this and worse always count


def is_sequencing_text(text: str) -> bool:
    """Whether ``text`` is about setpoints arriving before the offboard/guided mode (any time)."""
    return _SEQUENCING.search(text) is not None


class OffboardStartWindow:
    """When the setpoint stream last started, and whether a vehicle message is its normal sequencing."""

    def __init__(self, window_s: float = OFFBOARD_START_WINDOW_S) -> None:
        self.window_s = window_s
        self._started_s: float | None = None
        self._engaged = False
        self._lock = threading.Lock()

    def on_engaged(self, engaged: bool, now_s: float) -> None:
        """The stream's state (CommanderStatus.engaged) as it is reported; a start opens the window."""
        with self._lock:
            if engaged and not self._engaged:
                self._started_s = now_s
            self._engaged = engaged

    def routine(self, text: str, severity: int, now_s: float) -> bool:
        """True when ``text`` is the normal offboard start sequence: shown as information, not a warning."""
        with self._lock:
            started = self._started_s
        if started is None or severity <= SEV_ERROR or not is_sequencing_text(text):
            return False
        return 0.0 <= now_s - started <= self.window_s


__all__ = ["OFFBOARD_START_WINDOW_S", "ROUTINE_NOTE", "OffboardStartWindow", "is_sequencing_text"]
