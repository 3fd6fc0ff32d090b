"""Recording every live link against the built-in simulator: tlogs pymavlink reads, sessions, kill -9."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gcs.core.bus import Topics
from gcs.core.logs import EventKind
from gcs.core.mavlink_env import mavlink
from gcs.core.models import CommandResult
from gcs.core.service import GcsService
from tests.conftest import ROOT, wait_until
from tests.logs_support import read_with_pymavlink

pytestmark = pytest.mark.slow
ServiceFactory = Callable[..., GcsService]

CHILD = """
import time
from gcs.core.config import ConfigStore
from gcs.core.service import GcsService
store = ConfigStore()
store.load()
service = GcsService(store)
service.start()
service.start_demo("px4", port=0)
while not any(r.tlog_path for r in service.recordings()):
    time.sleep(0.05)
print("RECORDING", service.recordings()[0].tlog_path, flush=True)
time.sleep(120)
"""


def test_live_link_records_a_tlog_pymavlink_reads_with_our_count(make_service: ServiceFactory, tmp_path: Path) -> None:
    tlogs = tmp_path / "my-tlogs"
    service: GcsService = make_service("px4", logging__tlog_dir=str(tlogs))
    wait_until(lambda: any(r.session_id for r in service.recordings()), 5, "a session and a tlog opened")
    wait_until(lambda: service.vehicle_state().gps.has_fix, 5, "GPS fix")
    service.arm()
    time.sleep(1.0)
    status = service.recordings()[0]
    path = Path(status.tlog_path or "")
    assert status.recording and status.error is None and path.parent == tlogs
    assert re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_sys1_px4_quadrotor\.tlog", path.name), path.name
    assert service.bus.latest(Topics.RECORDING).tlog_path == str(path)

    service.disconnect(status.link_id)  # ends the session and the file
    assert status.session_id is not None
    session = service.flight_session(status.session_id)
    view = read_with_pymavlink(path)
    assert (view.good, view.bad) == (session.messages, 0) and session.messages > 50
    assert (session.vehicle_ids, session.autopilot, session.vehicle_type) == ((1,), "px4", "QUADROTOR")
    assert session.ended_s is not None and not session.recovered and session.tlog_path == str(path)
    ours = [m for m in view.messages if m.get_srcSystem() == 255]
    assert any(m.get_type() == "COMMAND_LONG" and m.command == mavlink.MAV_CMD_COMPONENT_ARM_DISARM for m in ours)
    assert any(m.get_type() == "HEARTBEAT" and m.get_srcSystem() == 1 and m.base_mode & 128 for m in view.messages)
    kinds = [e.kind for e in service.flight_session_events(session.id)]
    assert kinds[0] is EventKind.MODE and EventKind.ARMED in kinds

    # our own file replays through the live path like any other tlog
    results: list[CommandResult] = []
    service.subscribe(Topics.COMMAND_RESULT, lambda _t, r: results.append(r))
    service.connect(f"replay:{path}")
    service.replay_speed(None)
    wait_until(lambda: service.replay_status().ended, 10, "our tlog replayed")
    assert service.vehicle_state().armed
    replayed = [r for r in results if "replayed from the log" in r.message]
    assert any(r.message.startswith("COMPONENT_ARM_DISARM accepted") for r in replayed), "the replay shows the command"
    assert not any(r.command == "SET_MESSAGE_INTERVAL" for r in replayed), "telemetry requests are not the pilot's"
    assert len(service.flight_sessions()) == 1, "a replay is not recorded again"


def test_kill_9_loses_at_most_a_second_and_the_next_start_closes_the_session(
    make_service: ServiceFactory, config_dir: Path, data_dir: Path
) -> None:
    env = dict(os.environ, KESTREL_CONFIG_DIR=str(config_dir), KESTREL_DATA_DIR=str(data_dir))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("RECORDING "), f"child said {line!r}"
        path = Path(line.split(" ", 1)[1].strip())
        time.sleep(2.0)
        killed_at = time.time()
        child.kill()
        child.wait(5)
    finally:
        if child.poll() is None:
            child.kill()
    view = read_with_pymavlink(path)
    assert view.bad == 0, "the file ends between records"
    last = view.messages[-1]._timestamp
    assert killed_at - last < 1.0, f"lost {killed_at - last:.2f} s of telemetry"

    service: GcsService = make_service(None)
    sessions = service.flight_sessions()
    assert len(sessions) == 1
    session = sessions[0]
    assert session.recovered and session.ended_s == pytest.approx(last, abs=1e-6)
    assert session.messages == view.good and session.vehicle_ids == (1,)
    assert service.flight_session_events(session.id)[-1].kind is EventKind.NOTE


@pytest.mark.skipif(shutil.disk_usage("/tmp").free >= 100_000 * 2**20, reason="more than 100 GB free: cannot refuse")
def test_too_little_free_disk_refuses_the_log_and_says_so(make_service: ServiceFactory, data_dir: Path) -> None:
    service: GcsService = make_service("px4", logging__min_free_disk_mb=100_000)
    wait_until(lambda: any(r.session_id for r in service.recordings()), 5, "session opened")
    status = service.recordings()[0]
    assert not status.recording and status.tlog_path is None
    assert status.error is not None and "below the 100000 MB set in logging.min_free_disk_mb" in status.error
    assert not list((data_dir / "tlogs").glob("*.tlog")) if (data_dir / "tlogs").exists() else True
    assert status.session_id is not None
    wait_until(lambda: bool(service.flight_session_events(status.session_id or 0)), 3, "events saved")
    first = service.flight_session_events(status.session_id)[0]
    assert first.kind is EventKind.NOTE and "MB free" in first.text
