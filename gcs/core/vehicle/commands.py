"""COMMAND_LONG with COMMAND_ACK: send, wait, retry, and say clearly why it failed.

The caller's thread waits (never the link thread, which is the one delivering the ACK). Retries
bump the ``confirmation`` field as the MAVLink spec asks, so the vehicle can tell a retry from a
new command. ``MAV_RESULT_IN_PROGRESS`` extends the wait instead of counting as an answer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gcs.core.errors import CommandRejected, CommandTimeout, LinkError, ReadOnlyLink
from gcs.core.mavlink_env import enum_name, mavlink
from gcs.core.models import CommandResult

log = logging.getLogger(__name__)

Sender = Callable[[Any], None]
IN_PROGRESS_WAIT_S = 3.0  # after MAV_RESULT_IN_PROGRESS, the silence we allow between updates


def command_name(command: int) -> str:
    """MAV_CMD_NAV_TAKEOFF -> NAV_TAKEOFF (what pilots see in logs and QGC)."""
    return enum_name("MAV_CMD", command)


@dataclass
class _Pending:
    command: int
    event: threading.Event = field(default_factory=threading.Event)
    result: int | None = None
    progress: int | None = None


class CommandChannel:
    """Per-vehicle command sender; ``on_ack`` is fed by the link thread."""

    def __init__(self, target_system: int, target_component: int, sender: Sender) -> None:
        self.target_system = target_system
        self.target_component = target_component
        self._sender = sender
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}

    def on_ack(self, msg: Any) -> None:
        """Deliver a COMMAND_ACK to whoever waits for that command (link thread)."""
        with self._lock:
            pending = self._pending.get(msg.command)
        if pending is None:
            log.debug("unsolicited ACK %s %s", command_name(msg.command), enum_name("MAV_RESULT", msg.result))
            return
        if msg.result == mavlink.MAV_RESULT_IN_PROGRESS:
            pending.progress = int(getattr(msg, "progress", 0) or 0)
            pending.event.set()
            return
        pending.result = int(msg.result)
        pending.event.set()

    def send_nowait(self, command: int, *params: float) -> None:
        """Fire and forget (stream requests, hold on link loss): nobody waits for the ACK."""
        self._sender(self._encode(command, params, confirmation=0))

    def send(self, command: int, *params: float, timeout_s: float = 1.5, retries: int = 3,
             frame: int | None = None) -> CommandResult:
        """Send and wait for COMMAND_ACK; return on ACCEPTED, raise CommandRejected/CommandTimeout.

        ``frame`` sends a COMMAND_INT in that MAV_FRAME instead of a COMMAND_LONG: params 5 and 6
        are then latitude and longitude in degrees, sent as integers of 1e-7 degree (a float32
        COMMAND_LONG would round them to ~0.5 m), param 7 the altitude."""
        name = command_name(command)
        pending = _Pending(command)
        with self._lock:
            if command in self._pending:
                raise CommandRejected(f"{name} is already waiting for an answer from the vehicle", name, "BUSY")
            self._pending[command] = pending
        try:
            for attempt in range(retries + 1):
                try:
                    self._sender(self._encode(command, params, confirmation=attempt, frame=frame))
                except ReadOnlyLink as exc:  # a replayed or relayed vehicle: refused at once, never "timed out"
                    raise CommandRejected(f"{name} refused: {exc}", name, exc.result) from exc
                except LinkError as exc:
                    raise CommandTimeout(f"{name} not sent: {exc}", name, "NOT_SENT") from exc
                wait_s = timeout_s
                while pending.event.wait(wait_s):
                    pending.event.clear()
                    wait_s = max(timeout_s, IN_PROGRESS_WAIT_S)  # a long action reports progress
                    if pending.result is not None:
                        return self._finish(name, pending.result)
                    log.debug("%s in progress (%s%%)", name, pending.progress)
                if attempt < retries:
                    log.info("%s: no ACK within %.1f s, retry %d/%d", name, timeout_s, attempt + 1, retries)
            raise CommandTimeout(
                f"{name}: no answer from vehicle {self.target_system} after {retries + 1} tries of {timeout_s:.1f} s",
                name,
                "TIMEOUT",
            )
        finally:
            with self._lock:
                self._pending.pop(command, None)

    def _finish(self, name: str, result: int) -> CommandResult:
        result_name = enum_name("MAV_RESULT", result)
        if result == mavlink.MAV_RESULT_ACCEPTED:
            return CommandResult(name, True, result_name, f"{name} accepted")
        raise CommandRejected(f"{name} refused by the vehicle: {result_name}", name, result_name)

    def _encode(self, command: int, params: tuple[float, ...], confirmation: int, frame: int | None = None) -> Any:
        p = [float(x) for x in params] + [0.0] * (7 - len(params))
        if frame is not None:  # COMMAND_INT has no confirmation field: a retry is the same message
            return mavlink.MAVLink_command_int_message(
                self.target_system, self.target_component, frame, command, 0, 0, *p[:4],
                round(p[4] * 1e7), round(p[5] * 1e7), p[6])
        return mavlink.MAVLink_command_long_message(
            self.target_system, self.target_component, command, confirmation, *p[:7]
        )
