"""Flight sessions in SQLite: importing real tlogs, their events against pymavlink, crash recovery."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gcs.core.errors import RecordingError
from gcs.core.logs import EventKind, SessionStore, import_tlog, recover_open_sessions
from gcs.core.logs.analysis import analyze_tlog
from gcs.core.logs.stats import FlightStats
from gcs.core.mavlink_env import mavlink, mavutil
from tests.logs_support import (
    T0,
    TLOG_DIR,
    heartbeat,
    is_vehicle_heartbeat,
    pack,
    position,
    read_with_pymavlink,
    write_tlog,
)

DRONEKIT = TLOG_DIR / "copter_real_2015_dronekit_flight.tlog"
CODELEVER = TLOG_DIR / "copter_real_2013_codelever.tlog"
needs_logs = pytest.mark.skipif(not DRONEKIT.exists(), reason=f"real tlogs not found in {TLOG_DIR}")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionStore]:
    opened = SessionStore(tmp_path / "data" / "sessions.sqlite3")
    yield opened
    opened.close()


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(proc.stdout)


def small_flight(path: Path) -> Path:
    """10 s: disarmed LOITER, armed at 3 s, a 100 m hop north, a STATUSTEXT warning, 5 s of silence, disarmed."""
    records = []
    for i in range(11):
        t = T0 + i if i < 6 else T0 + i + 5
        armed = 3 <= i < 10
        records.append((t, pack(heartbeat(armed=armed), seq=3 * i)))
        north = 0.0 if i < 4 else 0.0009  # ~100 m
        records.append((t + 0.1, pack(position(i * 1000, 47.0 + north, 8.0, 20.0 if armed else 0.0), seq=3 * i + 1)))
        fix = mavlink.MAVLink_gps_raw_int_message(i, 3, int((47.0 + north) * 1e7), 80_000_000, 0, 100, 100, 0, 0, 9)
        records.append((t + 0.05, pack(fix, seq=3 * i + 2)))
    records.append((T0 + 4.5, pack(mavlink.MAVLink_statustext_message(mavlink.MAV_SEVERITY_WARNING, b"Low battery"))))
    records.append((T0 + 4.6, pack(mavlink.MAVLink_statustext_message(mavlink.MAV_SEVERITY_INFO, b"just info"))))
    records.sort()
    return write_tlog(path, records)


def test_small_flight_is_folded_into_events_and_figures(tmp_path: Path) -> None:
    summary = analyze_tlog(small_flight(tmp_path / "f.tlog"), watchdog_timeout_s=3.0)
    stats = summary.stats
    kinds = [(e.kind, e.text) for e in stats.events]
    assert kinds == [
        (EventKind.MODE, "LOITER"),
        (EventKind.ARMED, ""),
        (EventKind.STATUSTEXT, "Low battery"),
        (EventKind.LINK_LOST, "no heartbeat for 3.0 s"),
        (EventKind.LINK_RECOVERED, "heartbeats received after 6.0 s"),
        (EventKind.DISARMED, ""),
    ]
    assert stats.events[3].time_s == pytest.approx(T0 + 8.0)
    assert stats.max_alt_m == pytest.approx(20.0)
    assert stats.distance_m == pytest.approx(100.1, abs=1.0)
    assert summary.first_s == pytest.approx(T0) and summary.last_s == pytest.approx(T0 + 15.1)
    assert stats.identity() == ("ardupilot", "QUADROTOR") and stats.vehicle_ids == [1]


@needs_logs
@pytest.mark.slow
def test_import_of_a_real_flight_lists_its_modes_and_arming_as_pymavlink_reads_them(store: SessionStore) -> None:
    session = import_tlog(store, DRONEKIT)
    assert (session.source, session.vehicle_ids, session.autopilot, session.vehicle_type) == (
        "import", (1,), "ardupilot", "QUADROTOR"
    )
    view = read_with_pymavlink(DRONEKIT)
    assert session.messages == view.good
    assert session.duration_s == pytest.approx(1377, abs=1)
    assert 500 < session.distance_m < 3000 and 5 < (session.max_alt_m or 0) < 50

    modes, arming, previous = [], [], (None, False)
    for msg in view.messages:
        if msg.get_srcSystem() == 1 and is_vehicle_heartbeat(msg):
            mode, armed = mavutil.mode_string_v10(msg), bool(msg.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED)
            if mode != previous[0]:
                modes.append(mode)
            if armed != previous[1]:
                arming.append(armed)
            previous = (mode, armed)
    events = store.events(session.id)
    assert [e.text for e in events if e.kind is EventKind.MODE] == modes
    assert [e.kind is EventKind.ARMED for e in events if e.kind in (EventKind.ARMED, EventKind.DISARMED)] == arming
    assert any(e.kind is EventKind.STATUSTEXT for e in events)
    assert import_tlog(store, DRONEKIT).id == session.id, "the same file imported twice is one session"
    assert [s.id for s in store.sessions()] == [session.id]


def test_crash_left_sessions_are_closed_from_their_logs(store: SessionStore, tmp_path: Path) -> None:
    log_path = small_flight(tmp_path / "crashed.tlog")
    crashed = store.create(T0, source="live", link_url="udpin:0.0.0.0:14550", tlog_path=str(log_path), pid=dead_pid())
    store.save(crashed, FlightStats(), [], messages=3)  # what the dead program had saved
    lost_log = store.create(T0, source="live", tlog_path=str(tmp_path / "gone.tlog"), pid=dead_pid())
    running = store.create(T0, source="live", tlog_path=str(log_path), pid=None)
    import os

    alive = store.create(T0, source="live", tlog_path=str(log_path), pid=os.getpid())

    assert sorted(recover_open_sessions(store)) == [crashed, lost_log, running]
    session = store.get(crashed)
    assert session.recovered and session.ended_s == pytest.approx(T0 + 15.1)
    assert session.vehicle_ids == (1,) and session.max_alt_m == pytest.approx(20.0)
    kinds = [e.kind for e in store.events(crashed)]
    assert EventKind.ARMED in kinds and kinds[-1] is EventKind.NOTE
    gone = store.get(lost_log)
    assert gone.recovered and gone.ended_s == T0
    assert "cannot open tlog" in store.events(lost_log)[-1].text
    assert store.get(alive).is_open, "a session of a process still running is left alone"


def test_store_videos_ordering_and_unknown_ids(store: SessionStore) -> None:
    first = store.create(T0, source="live")
    second = store.create(T0 + 60, source="live")
    store.add_video(first, "/videos/a.mp4")
    store.add_video(first, "/videos/b.mp4")
    assert [s.id for s in store.sessions()] == [second, first]
    assert store.get(first).videos == ("/videos/a.mp4", "/videos/b.mp4")
    with pytest.raises(RecordingError, match="no flight session 99"):
        store.get(99)
    with pytest.raises(RecordingError, match="no flight session 99"):
        store.add_video(99, "/x.mp4")


def test_import_refuses_an_empty_file_clearly(store: SessionStore, tmp_path: Path) -> None:
    empty = tmp_path / "empty.tlog"
    empty.write_bytes(b"")
    with pytest.raises(RecordingError, match=r"empty\.tlog is empty"):
        import_tlog(store, empty)
    assert store.sessions() == []
