"""Read a whole tlog into session figures and events: importing a log, and closing sessions after a crash.

The tlog is read with the replay's index and pymavlink's parser, and each vehicle's messages are
folded by the same pure reducer the live path uses, under the fleet's rule (a system becomes a
vehicle with its first autopilot HEARTBEAT). Link loss is inferred where a vehicle's heartbeats
stop for longer than the watchdog time, as the live watchdog would have reported it.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gcs.core.errors import LinkError, RecordingError
from gcs.core.logs.index import TlogIndex
from gcs.core.logs.stats import FlightStats
from gcs.core.logs.store import FlightSession, SessionStore
from gcs.core.mavlink_env import GCS_SYSTEM_ID, mavlink
from gcs.core.models import VehicleState
from gcs.core.vehicle.reducer import initial_state, reduce

log = logging.getLogger(__name__)


@dataclass
class TlogSummary:
    stats: FlightStats
    messages: int  # good (decoded) messages
    bad_frames: int
    first_s: float
    last_s: float


def analyze_tlog(path: Path, *, watchdog_timeout_s: float = 3.0, own_system_id: int = GCS_SYSTEM_ID) -> TlogSummary:
    """Fold one tlog into a ``FlightStats``; RecordingError if it cannot be read."""
    try:
        index = TlogIndex(path)
    except LinkError as exc:
        raise RecordingError(str(exc)) from exc
    parser = mavlink.MAVLink(None)
    parser.robust_parsing = True
    stats = FlightStats()
    states: dict[int, VehicleState] = {}
    last_beat: dict[int, float] = {}
    messages = bad = 0
    try:
        times = index.times_us
        for i in range(len(index)):
            now_s = times[i] / 1e6
            for msg in parser.parse_buffer(index.frame(i)) or ():
                if msg.get_type() == "BAD_DATA":
                    bad += 1
                    continue
                messages += 1
                sysid = msg.get_srcSystem()
                state = states.get(sysid)
                heartbeat = msg.get_type() == "HEARTBEAT" and _is_vehicle_heartbeat(msg)
                if state is None:
                    if not heartbeat or sysid == own_system_id:
                        continue
                    state = states[sysid] = initial_state(sysid, msg.get_srcComponent())
                if heartbeat:
                    _check_gap(stats, sysid, last_beat.get(sysid), now_s, watchdog_timeout_s)
                    last_beat[sysid] = now_s
                new = reduce(state, msg, now_s)
                if new is not state:
                    states[sysid] = new
                    stats.on_state(new)
        first_s, last_s = index.first_time_s, index.last_time_s
    finally:
        index.close()
    return TlogSummary(stats, messages, bad + index.resyncs, first_s, last_s)


def _is_vehicle_heartbeat(msg: Any) -> bool:
    return bool(msg.type != mavlink.MAV_TYPE_GCS and msg.autopilot != mavlink.MAV_AUTOPILOT_INVALID)


def _check_gap(stats: FlightStats, sysid: int, previous: float | None, now_s: float, timeout_s: float) -> None:
    if previous is not None and now_s - previous > timeout_s:
        stats.on_link(sysid, True, previous + timeout_s, f"no heartbeat for {timeout_s:.1f} s")
        stats.on_link(sysid, False, now_s, f"heartbeats received after {now_s - previous:.1f} s")


def import_tlog(store: SessionStore, path: Path, *, watchdog_timeout_s: float = 3.0) -> FlightSession:
    """Add a session for an existing tlog (QGC's, MAVProxy's, ours); the same file twice gives the same session."""
    resolved = path.expanduser().resolve()
    existing = store.find_by_tlog(str(resolved))
    if existing is not None:
        return existing
    summary = analyze_tlog(resolved, watchdog_timeout_s=watchdog_timeout_s)
    session_id = store.create(summary.first_s, source="import", link_url=f"replay:{resolved}", tlog_path=str(resolved))
    store.save(
        session_id, summary.stats, summary.stats.take_new_events(), messages=summary.messages, ended_s=summary.last_s
    )
    log.info("imported %s as flight session %d (%d messages)", resolved.name, session_id, summary.messages)
    return store.get(session_id)


def process_alive(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        return pid == os.getpid()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to someone else
        return True
    except OSError:
        return False
    return True


def recover_open_sessions(store: SessionStore, *, watchdog_timeout_s: float = 3.0) -> list[int]:
    """Close every session whose program died mid-flight, with what its tlog holds; return their ids.

    A session whose process still runs (another Kestrel sharing the data dir) is left alone.
    """
    recovered: list[int] = []
    for session in store.open_sessions():
        if session.pid is not None and process_alive(session.pid):
            continue
        try:
            if not session.tlog_path:
                raise RecordingError("it had no tlog")
            summary = analyze_tlog(Path(session.tlog_path), watchdog_timeout_s=watchdog_timeout_s)
        except RecordingError as exc:
            end = session.updated_s or session.started_s
            store.close_session(session.id, end, recovered=True, note=f"closed after a crash: {exc}")
        else:
            stats = summary.stats
            stats.note(summary.last_s, 0, "closed after a crash: figures and events rebuilt from the tlog")
            store.save(
                session.id, stats, stats.take_new_events(), messages=summary.messages,
                ended_s=summary.last_s, replace_events=True, recovered=True,
            )
        log.warning("flight session %d was left open (program stopped mid-flight); closed from its log", session.id)
        recovered.append(session.id)
    return recovered
