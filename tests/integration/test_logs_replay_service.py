"""A tlog opened through the service (``replay:PATH``) looks like a live vehicle to everything downstream."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gcs.core.bus import Topics
from gcs.core.errors import CommandRejected, LinkError
from gcs.core.logs import ReplayStatus
from gcs.core.mavlink_env import mavutil
from gcs.core.models import LinkState
from gcs.core.service import GcsService
from tests.conftest import wait_until
from tests.logs_support import TLOG_DIR, last_before, read_with_pymavlink

CODELEVER = TLOG_DIR / "copter_real_2013_codelever.tlog"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CODELEVER.exists(), reason=f"real tlogs not found in {TLOG_DIR}"),
]


def test_replay_feeds_the_same_fleet_bus_and_state_as_a_live_link(make_service: Callable[..., GcsService]) -> None:
    service: GcsService = make_service(None)
    states: list[object] = []
    service.subscribe(Topics.VEHICLE_STATE, lambda _t, s: states.append(s))
    counters = service.connect(f"replay:{CODELEVER}")
    assert counters.kind == "replay" and counters.link_id.startswith("replay")
    state = service.wait_for_vehicle(5.0)
    assert state.autopilot.value == "ardupilot"
    wait_until(lambda: service.vehicle_state().link.state is LinkState.OK, 3, "link OK")
    with pytest.raises(CommandRejected, match="refused: read-only replay"):
        service.arm()

    status = service.replay_speed(None)
    assert status.speed is None
    wait_until(lambda: service.replay_status().ended, 20, "replayed to the end")
    view = read_with_pymavlink(CODELEVER)
    last = last_before(view, 1)
    final = service.vehicle_state()
    assert final.mode == mavutil.mode_string_v10(last["HEARTBEAT"])
    assert final.global_position.lat_deg == pytest.approx(last["GLOBAL_POSITION_INT"].lat / 1e7, abs=1e-9)
    assert final.battery.voltage_v == pytest.approx(last["SYS_STATUS"].voltage_battery / 1000, abs=1e-6)
    assert len(states) > 1000, "plots and API streams got the states as they came"
    latest = service.bus.latest(Topics.REPLAY)
    assert isinstance(latest, ReplayStatus) and latest.ended and latest.fraction == 1.0
    assert service.links()[0].received == view.good
    assert service.recordings() == [] and service.flight_sessions() == [], "a replay is not recorded"


def test_replay_controls_through_the_service(make_service: Callable[..., GcsService], tmp_path: Path) -> None:
    service: GcsService = make_service(None)
    with pytest.raises(LinkError, match="no replay open"):
        service.replay_pause()
    service.connect(f"replay:{CODELEVER}")
    service.wait_for_vehicle(5.0)
    paused = service.replay_pause()
    assert not paused.playing
    seek = service.replay_seek(time_s=300.0)
    assert seek.position_s == pytest.approx(300.0, abs=0.5) and not seek.playing
    assert service.replay_step(10).frame == seek.frame + 10
    half = service.replay_seek(fraction=0.5)
    assert half.position_s == pytest.approx(half.duration_s / 2, abs=0.5)
    assert service.replay_speed(4.0).speed == 4.0
    playing = service.replay_play()
    assert playing.playing
    wait_until(lambda: service.replay_status().position_s > half.position_s + 1.0, 3, "playing at 4x")
    assert service.vehicle_state().link.state is not LinkState.LOST

    empty = tmp_path / "empty.tlog"
    empty.write_bytes(b"")
    with pytest.raises(LinkError, match=r"empty\.tlog is empty"):
        service.connect(f"replay:{empty}")
    with pytest.raises(LinkError, match="No such file"):
        service.connect(f"replay:{tmp_path / 'missing.tlog'}")
    assert len(service.links()) == 1


def test_a_replay_never_feeds_a_live_vehicle_of_the_same_system_id(make_service: Callable[..., GcsService]) -> None:
    """The log's system 1 plays as a stand-in vehicle beside the live system 1, which keeps its own data."""
    service: GcsService = make_service("px4")  # the simulator is system 1, like the recorded copter
    service.wait_for_vehicle(5.0)
    service.connect(f"replay:{CODELEVER}")
    service.replay_speed(None)
    wait_until(lambda: service.replay_status().ended, 20, "replayed to the end")
    state = service.vehicle_state(1)
    assert state.autopilot.value == "px4" and service.vehicle_ids() == [1, 250]
    assert state.link.state is LinkState.OK
    replayed = service.vehicle_state(250)
    last = last_before(read_with_pymavlink(CODELEVER), 1)
    assert replayed.autopilot.value == "ardupilot" and replayed.mode == mavutil.mode_string_v10(last["HEARTBEAT"])
    assert replayed.global_position.lat_deg == pytest.approx(last["GLOBAL_POSITION_INT"].lat / 1e7, abs=1e-9)
