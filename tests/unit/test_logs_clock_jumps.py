"""A real log whose clock jumps back: played, sought and imported in record order on the bridged log clock.

The 2015 dronekit flight with its part from 130 s on moved in front (the real content, re-ordered:
its stamps jump back by 1247 s once, as real tlogs do after a clock correction). pymavlink reading
the file in record order, with the same bridged clock, is the reference.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from gcs.core.logs.analysis import import_tlog
from gcs.core.logs.index import TlogIndex
from gcs.core.logs.replay import ReplayLink, ReplayStatus
from gcs.core.logs.stats import EventKind
from gcs.core.logs.store import SessionStore
from gcs.core.logs.summary import summarize_tlog
from gcs.core.mavlink_env import mavlink, mavutil
from gcs.core.vehicle.connection import parse_connection_string
from tests.conftest import wait_until
from tests.logs_support import (
    TLOG_DIR,
    PymavlinkView,
    is_vehicle_heartbeat,
    last_before_clock,
    log_clock,
    read_with_pymavlink,
    reorder_tlog,
)
from tests.unit.test_logs_replay import Rig, assert_state_matches

DRONEKIT = TLOG_DIR / "copter_real_2015_dronekit_flight.tlog"
SPLIT_S = 130.0
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not DRONEKIT.exists(), reason=f"{DRONEKIT} not found")]


@pytest.fixture(scope="module")
def jumped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PymavlinkView, list[float]]:
    path = reorder_tlog(DRONEKIT, tmp_path_factory.mktemp("jump") / "dronekit_jumps_back.tlog", SPLIT_S)
    view = read_with_pymavlink(path)
    return path, view, log_clock(view)


@pytest.fixture
def rig() -> Iterator[Rig]:
    made = Rig()
    yield made
    made.close()


def test_the_log_clock_bridges_the_jump_back(jumped: tuple[Path, PymavlinkView, list[float]]) -> None:
    path, view, clock = jumped
    stamps = [m._timestamp for m in view.messages]
    assert min(b - a for a, b in itertools.pairwise(stamps)) < -1000, "the stamps do jump back"
    index = TlogIndex(path)
    try:
        assert index.clock_jumps == 1
        assert index.duration_s == pytest.approx(clock[-1], abs=0.01) and index.duration_s > 1370
        assert list(index.times_us) == sorted(index.times_us), "the log clock is monotonic"
        assert index.stamp_at_s(index.first_time_s) == pytest.approx(stamps[0], abs=1e-6), "the log's own date"
    finally:
        index.close()
    summary = summarize_tlog(path)
    assert summary["duration_s"] == pytest.approx(clock[-1], abs=0.01)


def test_seek_to_half_has_the_state_pymavlink_has_at_half_the_log_clock(
    rig: Rig, jumped: tuple[Path, PymavlinkView, list[float]]
) -> None:
    path, view, clock = jumped
    link = rig.replay(path, speed=1.0, playing=False)
    link.start()
    half = link.seek(fraction=0.5)
    assert half.position_s == pytest.approx(clock[-1] / 2, abs=0.5)
    last = last_before_clock(view, clock, 1, half.position_s)
    state = rig.fleet.vehicle(1).state
    assert_state_matches(state, last)
    assert (state.mode, state.armed) == ("STABILIZE", True)  # 818 s into the real flight: in the air
    assert state.global_position.alt_rel_m == pytest.approx(last["GLOBAL_POSITION_INT"].relative_alt / 1000)


def test_at_100x_the_bar_reads_100_percent_only_when_every_record_is_played(
    rig: Rig, jumped: tuple[Path, PymavlinkView, list[float]]
) -> None:
    path, _view, clock = jumped
    statuses: list[ReplayStatus] = []
    link = ReplayLink(parse_connection_string(f"replay:{path}"), rig.fleet, link_id="r100", speed=100.0,
                      playing=False, on_status=statuses.append)
    rig.links.append(link)
    link.start()
    link.seek(fraction=0.9)
    link.play()
    wait_until(lambda: link.status().ended, 10, "played to the end at 100x")
    assert len(statuses) > 4
    for status in statuses:
        assert status.duration_s == pytest.approx(clock[-1], abs=0.01)
        if status.frame < status.frames:
            assert status.fraction < 1.0, f"{status.frames - status.frame} records still to play at 100%"
    assert statuses[-1].fraction == 1.0 and statuses[-1].frame == statuses[-1].frames


def test_an_imported_session_lasts_the_bridged_duration_with_events_in_record_order(
    tmp_path: Path, jumped: tuple[Path, PymavlinkView, list[float]]
) -> None:
    path, view, clock = jumped
    store = SessionStore(tmp_path / "sessions.db")
    try:
        session = import_tlog(store, path)
        assert session.duration_s == pytest.approx(clock[-1], abs=0.5)
        events = store.events(session.id)
    finally:
        store.close()
    expected: list[tuple[str, str]] = []
    mode, armed = None, False
    for msg in view.messages:
        if msg.get_srcSystem() != 1 or msg.get_type() != "HEARTBEAT" or not is_vehicle_heartbeat(msg):
            continue
        now_mode, now_armed = mavutil.mode_string_v10(msg), bool(msg.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED)
        if now_mode != mode:
            expected.append(("mode", now_mode))
            mode = now_mode
        if now_armed != armed:
            expected.append(("armed" if now_armed else "disarmed", ""))
            armed = now_armed
    seen = [(e.kind.value, e.text) for e in events if e.kind in (EventKind.MODE, EventKind.ARMED, EventKind.DISARMED)]
    assert seen == expected
    assert [e.time_s for e in events] == sorted(e.time_s for e in events)
