"""Orderly shutdown: a vehicle that is being driven is told to hold before anything stops.

Closing the window (or Ctrl-C headless) while following must not leave the vehicle flying on
its last setpoint until the autopilot's offboard-loss failsafe decides what to do: we stop the
follow loop, stop the setpoint stream and ask the vehicle to hold, waiting a bounded time for
its COMMAND_ACK, and only then close the API and the core. Everything here is bounded so the
whole program is gone within ~2 s even when the vehicle does not answer.

Qt-free and web-free: the API server is passed in as anything with ``stop(timeout_s=...)``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from gcs.core.bus import Topics
from gcs.core.errors import GcsError
from gcs.core.mavlink_env import mavlink
from gcs.core.models import CommandResult

if TYPE_CHECKING:
    from gcs.core.service import GcsService

log = logging.getLogger(__name__)

HOLD_BUDGET_S = 1.0  # how long the hold may take before the rest shuts down anyway
HOLD_TRY_S = 0.25  # one COMMAND_ACK wait; retried within the budget
API_STOP_S = 0.6  # uvicorn's own graceful stop after its streams were ended
TOTAL_BUDGET_S = 2.0  # threads of ours still finishing (a command waiting for an ACK) get until then
SHUTDOWN_REASON = "shutting down: hold first"


class Stoppable(Protocol):
    def stop(self, timeout_s: float = ...) -> None: ...


@dataclass(frozen=True)
class HoldOutcome:
    """What became of the hold asked for at shutdown."""

    system_id: int
    mode: str
    acknowledged: bool
    detail: str
    elapsed_s: float


@dataclass(frozen=True)
class ShutdownReport:
    hold: HoldOutcome | None  # None: nothing was being driven
    hold_s: float
    api_s: float
    core_s: float
    total_s: float
    began_s: float  # time.monotonic() when shutdown began
    threads_left: tuple[str, ...]  # threads started since ``started_threads`` still alive at the end


def is_driving(service: GcsService) -> bool:
    """Whether the program moves the vehicle now: following, or streaming setpoints."""
    following = bool(getattr(service.follower_data(), "active", False))
    return following or service.commander.engaged_vehicle is not None


def hold_if_moving(service: GcsService, budget_s: float = HOLD_BUDGET_S) -> HoldOutcome | None:
    """Stop following and the setpoint stream, then ask for hold and wait up to ``budget_s``
    for the ACK. None when nothing was being driven (a hovering vehicle is left as it is)."""
    if not is_driving(service):
        return None
    began = time.monotonic()
    service.vision.follow.abort(SHUTDOWN_REASON)  # latched: no late target can re-engage
    vehicle = service.commander.disengage(SHUTDOWN_REASON)
    if vehicle is None:
        try:
            vehicle = service.fleet.vehicle(None)
        except GcsError:
            return None
    mav_type = vehicle.state.mav_type
    mode = vehicle.flavour.hold_mode(mav_type)
    params = vehicle.flavour.set_mode_params(mode, mav_type)
    retries = max(0, int(budget_s / HOLD_TRY_S) - 1)
    try:
        result = vehicle.commands.send(mavlink.MAV_CMD_DO_SET_MODE, *params, timeout_s=HOLD_TRY_S, retries=retries)
        acknowledged, detail = True, result.result
    except GcsError as exc:  # refused or unanswered: it was asked; the autopilot's failsafe is next
        acknowledged, detail = False, str(exc)
    outcome = HoldOutcome(vehicle.system_id, mode, acknowledged, detail, time.monotonic() - began)
    service.bus.publish(
        Topics.COMMAND_RESULT,
        CommandResult("HOLD", acknowledged, detail if acknowledged else "FAILED",
                      f"hold ({mode}) on shutdown " + ("accepted" if acknowledged else f"not confirmed: {detail}")),
    )
    (log.info if acknowledged else log.warning)(
        "shutdown: vehicle %d asked to hold (%s): %s after %.2f s", vehicle.system_id, mode, detail, outcome.elapsed_s)
    return outcome


def _wait_for_threads(before: set[threading.Thread], deadline: float) -> tuple[str, ...]:
    """Wait (until ``deadline``) for the threads started since ``before`` to end, e.g. a GUI
    worker whose command waited for an ACK: with the link closed its next try fails at once."""
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()
                and t is not threading.current_thread()]
        if not left or time.monotonic() >= deadline:
            return tuple(t.name for t in left)
        left[0].join(timeout=min(0.05, max(0.0, deadline - time.monotonic())))


def shutdown(service: GcsService, server: Stoppable | Any | None = None, *,
             started_threads: set[threading.Thread] | None = None) -> ShutdownReport:
    """Hold if driving, stop the API server, close the core; report how long each part took.

    With ``started_threads`` (the threads alive before the program started) it also waits, up to
    ~2 s from the start, for every thread started since to end, and names any still alive.
    """
    began = time.monotonic()
    try:
        hold = hold_if_moving(service)
    except Exception:
        log.exception("shutdown: hold failed")
        hold = None
    t_hold = time.monotonic()
    if server is not None:
        try:
            server.stop(timeout_s=API_STOP_S)
        except Exception:
            log.exception("shutdown: API server did not stop cleanly")
    t_api = time.monotonic()
    service.close()
    t_core = time.monotonic()
    left: tuple[str, ...] = ()
    if started_threads is not None:
        left = _wait_for_threads(started_threads, began + TOTAL_BUDGET_S)
        t_core = time.monotonic()
    report = ShutdownReport(hold, t_hold - began, t_api - t_hold, t_core - t_api, t_core - began, began, left)
    log.info("shutdown in %.2f s (hold %.2f, API %.2f, core %.2f)%s", report.total_s, report.hold_s,
             report.api_s, report.core_s, f"; still running: {', '.join(left)}" if left else "")
    return report
