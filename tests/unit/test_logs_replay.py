"""ReplayLink through the real fleet, reducer and bus: end states, timing, pause, seek, speed, refusals."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gcs.core.bus import MessageBus, Topics
from gcs.core.errors import LinkError
from gcs.core.logs.replay import ReplayLink
from gcs.core.mavlink_env import mavlink, mavutil
from gcs.core.models import LinkState, VehicleState
from gcs.core.vehicle.connection import parse_connection_string
from gcs.core.vehicle.fleet import Fleet
from tests.conftest import wait_until
from tests.logs_support import (
    T0,
    TLOG_DIR,
    PymavlinkView,
    heartbeat,
    last_before,
    pack,
    read_with_pymavlink,
    synthetic_flight,
    write_tlog,
)

REAL_LOGS = sorted(TLOG_DIR.glob("*.tlog")) if TLOG_DIR.is_dir() else []
DRONEKIT = TLOG_DIR / "copter_real_2015_dronekit_flight.tlog"
needs_logs = pytest.mark.skipif(not REAL_LOGS, reason=f"real tlogs not found in {TLOG_DIR}")


class Rig:
    """A bus, a fleet (watchdog running) and the replay links made on them."""

    def __init__(self, watchdog_timeout_s: float = 3.0) -> None:
        self.bus = MessageBus()
        self.fleet = Fleet(self.bus, watchdog_timeout_s=watchdog_timeout_s)
        self.fleet.start()
        self.links: list[ReplayLink] = []

    def replay(self, path: Path, speed: float | None = 1.0, playing: bool = True) -> ReplayLink:
        link = ReplayLink(parse_connection_string(f"replay:{path}"), self.fleet, link_id=f"r{len(self.links)}",
                          speed=speed, playing=playing)
        self.links.append(link)
        return link

    def close(self) -> None:
        for link in self.links:
            link.close()
        self.fleet.close()


@pytest.fixture
def rig() -> Iterator[Rig]:
    made = Rig()
    yield made
    made.close()


def play_to_end(link: ReplayLink, timeout_s: float = 30.0) -> None:
    link.start()
    wait_until(lambda: link.status().ended, timeout_s, f"{link.index.path.name} played to the end")


def assert_state_matches(state: VehicleState, last: dict[str, object]) -> None:
    """Position, mode, armed and battery as pymavlink reads them from the same file."""
    hb = last["HEARTBEAT"]
    assert state.mode == mavutil.mode_string_v10(hb)
    assert state.armed == bool(hb.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED)  # type: ignore[attr-defined]
    if "GLOBAL_POSITION_INT" in last:
        gpi = last["GLOBAL_POSITION_INT"]
        assert state.global_position.lat_deg == pytest.approx(gpi.lat / 1e7, abs=1e-9)  # type: ignore[attr-defined]
        assert state.global_position.lon_deg == pytest.approx(gpi.lon / 1e7, abs=1e-9)  # type: ignore[attr-defined]
        assert state.global_position.alt_rel_m == pytest.approx(gpi.relative_alt / 1000, abs=1e-6)  # type: ignore[attr-defined]
    if "SYS_STATUS" in last:
        volts = last["SYS_STATUS"].voltage_battery / 1000  # type: ignore[attr-defined]
        assert state.battery.voltage_v == pytest.approx(volts, abs=1e-6)


_views: dict[Path, PymavlinkView] = {}


def pymavlink_view(path: Path) -> PymavlinkView:
    if path not in _views:
        _views[path] = read_with_pymavlink(path)
    return _views[path]


@needs_logs
@pytest.mark.slow
@pytest.mark.parametrize("path", REAL_LOGS, ids=[p.name for p in REAL_LOGS])
def test_real_log_replays_to_the_state_pymavlink_reads(rig: Rig, path: Path) -> None:
    view = pymavlink_view(path)
    link = rig.replay(path, speed=None)
    play_to_end(link)
    counters = link.counters()
    assert (counters.received, counters.bad_frames) == (view.good, view.bad)
    assert counters.kind == "replay" and counters.sent == 0
    assert_state_matches(rig.fleet.vehicle(1).state, last_before(view, 1))
    assert rig.bus.latest(Topics.VEHICLE_STATE).system_id == 1


def test_timing_follows_the_log_at_1x_and_10x(rig: Rig, tmp_path: Path) -> None:
    path = write_tlog(tmp_path / "20hz.tlog", synthetic_flight(2.0, attitude_hz=20))
    for speed, span in ((1.0, 1.951), (10.0, 0.1951)):
        link = rig.replay(path, speed=speed)
        seen: list[float] = []

        def tap(frame: bytes, _out: bool, _t: float, seen: list[float] = seen) -> None:
            if frame[7] == mavlink.MAVLINK_MSG_ID_ATTITUDE:
                seen.append(time.monotonic())

        link.add_tap(tap)
        play_to_end(link, 5.0)
        assert len(seen) == 40
        elapsed = seen[-1] - seen[0]
        assert elapsed == pytest.approx(span, rel=0.1), f"{speed}x: 40 ATTITUDE over {elapsed:.3f} s"
        gaps = sorted(b - a for a, b in itertools.pairwise(seen))
        period = span / 39
        # evenly spread, not in bursts; one scheduling hiccup on a loaded machine is not a burst
        assert gaps[len(gaps) // 2] == pytest.approx(period, rel=0.3), f"{speed}x: median gap {gaps[len(gaps) // 2]}"
        assert sum(g < 2 * period for g in gaps) >= 0.9 * len(gaps), f"{speed}x: gaps {gaps}"
        link.close()


def test_pause_holds_the_vehicle_and_a_real_silence_still_shows_lost(tmp_path: Path) -> None:
    rig = Rig(watchdog_timeout_s=0.5)
    try:
        records = synthetic_flight(1.0, attitude_hz=10)
        records += [(T0 + 3.0 + i, pack(heartbeat(), 1, seq=100 + i)) for i in range(3)]  # 2 s without heartbeat
        link = rig.replay(write_tlog(tmp_path / "gap.tlog", records), speed=1.0)
        link.start()
        wait_until(lambda: 1 in rig.fleet.ids() and rig.fleet.vehicle(1).link_state is LinkState.OK, 3, "vehicle OK")
        paused = link.pause()
        time.sleep(1.2)  # more than twice the watchdog time
        assert rig.fleet.vehicle(1).link_state is LinkState.OK, "a paused replay is not a lost link"
        assert link.status().frame == paused.frame and link.counters().received == paused.frame
        link.set_speed(5.0)
        link.play()
        wait_until(lambda: rig.fleet.vehicle(1).link_state is LinkState.LOST, 3, "the recorded silence shows LOST")
        wait_until(lambda: rig.fleet.vehicle(1).link_state is LinkState.OK, 3, "and recovery after it")
    finally:
        rig.close()


@needs_logs
@pytest.mark.slow
def test_seek_rebuilds_the_state_of_that_moment_both_ways(rig: Rig) -> None:
    view = pymavlink_view(DRONEKIT)
    link = rig.replay(DRONEKIT, speed=1.0)
    link.start()
    wait_until(lambda: 1 in rig.fleet.ids(), 5, "vehicle heard")
    statuses: list[object] = []
    link._on_status = statuses.append  # the service passes this callback
    modes = []
    for fraction in (0.47, 0.011, 0.3705, 0.9, 0.35):  # RTL, AUTO, LOITER armed, then back and forth
        status = link.seek(fraction=fraction)
        assert status.fraction == pytest.approx(fraction, abs=0.001)
        assert status.position_s == pytest.approx(fraction * link.index.duration_s, abs=0.5)
        cut = link.index.times_us[status.frame] / 1e6
        state = rig.fleet.vehicle(1).state
        assert_state_matches(state, last_before(view, 1, cut))
        texts = [m.text for m in view.messages if m.get_type() == "STATUSTEXT" and m._timestamp < cut]
        assert [t.text for t in state.statustexts] == texts[-50:]
        modes.append((state.mode, state.armed))
    assert modes[:3] == [("RTL", True), ("AUTO", False), ("LOITER", True)]
    assert statuses and statuses[-1].seeks == 5  # type: ignore[attr-defined]


def test_step_speed_and_refusals(rig: Rig, tmp_path: Path) -> None:
    path = write_tlog(tmp_path / "s.tlog", synthetic_flight(1.0, attitude_hz=10))
    link = rig.replay(path, speed=1.0, playing=False)
    link.start()
    status = link.step(3)
    assert (status.frame, status.playing, link.counters().received) == (3, False, 3)
    assert link.seek(time_s=0.5).frame == link.index.index_at(0.5)
    assert link.set_speed(None).speed is None and link.set_speed(100).speed == 100
    for bad_speed in (0.05, 150.0):
        with pytest.raises(LinkError, match=r"outside 0\.1-100"):
            link.set_speed(bad_speed)
    with pytest.raises(LinkError, match="outside this log's 0-"):
        link.seek(time_s=99.0)
    with pytest.raises(LinkError, match="exactly one of"):
        link.seek()
    with pytest.raises(LinkError, match="read-only replay"):
        link.send(mavlink.MAVLink_heartbeat_message(6, 8, 0, 0, 0, 3))
    link.play()
    wait_until(lambda: link.status().ended, 3, "end")
    assert link.status().fraction == 1.0 and not link.status().playing
    assert link.play().frame < 5, "play at the end starts again from the beginning"
