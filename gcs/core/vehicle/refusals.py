"""Why a vehicle refused a command: the STATUSTEXT it sent around the COMMAND_ACK.

COMMAND_ACK only says FAILED or DENIED; the reason a pilot can act on ("PreArm: Need Position
Estimate", "Arm: System not initialised", "Mode change to GUIDED failed: requires position")
comes as a STATUSTEXT, which ArduPilot and PX4 send just before the ACK (or just after). So each
vehicle keeps its last few warning-or-worse texts with the time they arrived, and a refused
command is reported with the texts that arrived between sending it and a short while after the
ACK.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from gcs.core.mavlink_env import mavlink

KEEP = 32
AFTER_ACK_S = 0.3  # how long after a refusal we wait for a reason that has not come yet
WORST_SEVERITY_KEPT: int = mavlink.MAV_SEVERITY_WARNING  # EMERGENCY(0)..WARNING(4): problems, not chatter


def _text(raw: Any) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes | bytearray) else str(raw)
    return text.split("\x00", 1)[0].strip()


class RecentTexts:
    """Warning-or-worse STATUSTEXTs of one vehicle with their arrival time (time.monotonic)."""

    def __init__(self) -> None:
        self._texts: deque[tuple[float, str]] = deque(maxlen=KEEP)
        self._arrived = threading.Condition()

    def add(self, msg: Any) -> None:
        """Keep one STATUSTEXT (link thread)."""
        if int(getattr(msg, "severity", 7)) > WORST_SEVERITY_KEPT:
            return
        text = _text(getattr(msg, "text", ""))
        if text:
            with self._arrived:
                self._texts.append((time.monotonic(), text))
                self._arrived.notify_all()

    def reasons(self, since_s: float, wait_s: float = AFTER_ACK_S) -> tuple[str, ...]:
        """Texts that arrived since ``since_s``; if none has yet, wait up to ``wait_s`` for one."""
        deadline = time.monotonic() + wait_s
        with self._arrived:
            while True:
                found = tuple(dict.fromkeys(text for t, text in self._texts if t >= since_s))
                left = deadline - time.monotonic()
                if found or left <= 0:
                    return found
                self._arrived.wait(left)


__all__ = ["AFTER_ACK_S", "RecentTexts"]
