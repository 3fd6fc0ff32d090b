"""The program's life as a pilot sees it: the API's clients in the HUD, and closing the window
while following (the vehicle holds, every thread ends).

Real parts only: ``gcs.app.start`` builds the core and a real uvicorn on a loopback port; the
WebSocket clients are real ``websockets`` clients; the vehicle is the built-in simulator over UDP.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from websockets.sync.client import connect as ws_connect

from gcs.app import Running, shutdown, start
from gcs.cli import build_parser
from gcs.core.config import ConfigStore
from gcs.core.sim import SimConfig, SimVehicle

WAIT_MS = 20_000


def start_program(config_dir: Path, *cli: str, **config: Any) -> Running:
    """What ``gcs`` does before it opens the window, with a private config."""
    store = ConfigStore(config_dir / "config.yaml")
    store.load()
    for key, value in config.items():
        section, _, param = key.partition("__")
        store.set(section, param, value, source="test")
    return start(build_parser().parse_args(["--api-port", "0", *cli]), store)


def viewer_token(config_dir: Path) -> str:
    from embedded_api.auth import Role, TokenAuthority, load_secret

    return TokenAuthority(load_secret(config_dir)).create(Role.VIEWER, ttl_hours=1, subject="test")


def test_hud_shows_the_api_address_and_its_clients(qtbot: Any, config_dir: Path) -> None:
    running = start_program(config_dir, "--no-video", video__enabled=False)
    clients: list[Any] = []
    with contextlib.ExitStack() as stack:
        stack.callback(shutdown, running)
        stack.callback(lambda: [ws.close() for ws in clients])
        from gcs.ui.qt_main_window import QtMainWindow

        window = QtMainWindow(running.service, api_url=running.api_url, faces=running.faces)
        qtbot.addWidget(window)
        window.show()
        url = running.api_url
        assert url is not None and url.startswith("http://127.0.0.1:")
        qtbot.waitUntil(lambda: window.hud.api_text == f"{url} · 0 clients", timeout=WAIT_MS)
        assert url in window.hud.api_label.text()

        ws_url = url.replace("http://", "ws://") + "/ws/telemetry?token=" + viewer_token(config_dir)
        for _ in range(2):
            ws = stack.enter_context(ws_connect(ws_url, open_timeout=10))
            assert '"history"' in str(ws.recv(timeout=10))[:200]  # really streaming
            clients.append(ws)
        qtbot.waitUntil(lambda: window.hud.api_text == f"{url} · 2 clients", timeout=WAIT_MS)
        clients.pop().close()
        qtbot.waitUntil(lambda: window.hud.api_text == f"{url} · 1 client", timeout=WAIT_MS)
        clients.pop().close()
        qtbot.waitUntil(lambda: window.hud.api_text == f"{url} · 0 clients", timeout=WAIT_MS)
        window.close()


def speed(sim: SimVehicle) -> float:
    snap = sim.snapshot()
    return math.hypot(snap.vn, snap.ve)


def fly_and_follow(service: Any, outcome: list[str]) -> None:
    """Pilot thread: take off, put the car in view, track it, follow it."""
    from gcs.core.tracking.types import TrackState

    def wait(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(what)
            time.sleep(0.05)

    try:
        service.wait_for_vehicle(15.0)
        wait(lambda: service.vehicle_state().gps.has_fix, 15, "GPS fix")
        service.arm()
        service.takeoff(20.0)
        wait(lambda: service.vehicle_state().global_position.alt_rel_m > 19.0, 60, "climb to 20 m")
        service.start_video()  # the scene restarts: car-1 drives into view
        wait(lambda: service.latest_frame() is not None, 15, "first frame")
        source = service.vision._require()[0].source
        truth = {t.target_id: t.box for t in source.camera.targets_in_image(source.scene_time_s())}
        service.start_tracking(*truth["car-1"])
        wait(lambda: service.tracker_data().state is TrackState.LOCKED, 15, "lock on car-1")
        service.start_following()
        outcome.append("following")
    except Exception as exc:  # noqa: BLE001 - the test fails with this text
        outcome.append(f"{type(exc).__name__}: {exc}")


@pytest.mark.slow
def test_closing_the_window_while_following_holds_then_stops_everything(config_dir: Path, qapp: Any) -> None:
    from gcs.ui.application import run_gui
    from gcs.ui.qt_main_window import QtMainWindow

    # The vehicle outlives the program, as a real one does. Its offboard-loss failsafe is set to
    # 60 s, so only our explicit hold can explain it stopping within seconds.
    sim = SimVehicle(SimConfig(flavour="px4", offboard_timeout_s=60.0))
    sim.start()
    before = set(threading.enumerate())
    running = start_program(config_dir, "--connect", f"udpout:127.0.0.1:{sim.port}",
                            video__enabled=True, follow__profile="hold_distance")
    outcome: list[str] = []
    pilot = threading.Thread(target=fly_and_follow, args=(running.service, outcome), name="test-pilot")
    pilot.start()
    marks: dict[str, float] = {}
    trace: list[str] = []  # the tracker's and the follower's states as they changed, for a failure's message

    def close_when_moving() -> None:
        window = next((w for w in QApplication.topLevelWidgets() if isinstance(w, QtMainWindow)), None)
        follower = running.service.follower_data()
        following = outcome == ["following"] and follower.active
        target = running.service.tracker_data()
        word = (f"{target.state.value}{f' ({target.reason})' if target.reason else ''}, follower "
                f"{'active' if follower.active else 'off'}{f' ({follower.reasons})' if follower.reasons else ''}")
        if not trace or trace[-1].split("] ", 1)[1].rsplit(", ", 1)[0] != word:
            trace.append(f"[{time.monotonic():.1f}] {word}, {speed(sim):.1f} m/s")
        if following:
            marks.setdefault("following", time.monotonic())
        if window is not None and (outcome and outcome != ["following"]):
            window.close()  # the flight failed: end the GUI, the assert below says why
        elif window is not None and "following" in marks and not following:
            window.close()  # the follow ended before the vehicle moved (fail-closed): the assert says why
        elif window is not None and following and speed(sim) > 1.0:
            marks["speed"] = speed(sim)
            marks["closed"] = time.monotonic()
            window.close()
        else:
            QTimer.singleShot(100, close_when_moving)

    QTimer.singleShot(100, close_when_moving)
    try:
        assert run_gui(running.service, api_url=running.api_url, faces=running.faces, run_for=150) == 0
    finally:
        report = shutdown(running)
        done = time.monotonic()
        pilot.join(5)
    try:
        assert outcome == ["following"], outcome
        assert "closed" in marks, f"the vehicle never moved while following: {trace[-12:]}"
        assert report.hold is not None and report.hold.acknowledged, report.hold
        assert report.hold.mode == "LOITER"
        assert report.threads_left == (), f"threads left running: {report.threads_left}"
        ours = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
        assert ours == [], ours
        took = done - marks["closed"]
        print(f"moving at {marks['speed']:.1f} m/s; hold acknowledged after {report.hold.elapsed_s:.2f} s; "
              f"window closed -> every thread gone in {took:.2f} s "
              f"(hold {report.hold_s:.2f}, API {report.api_s:.2f}, core {report.core_s:.2f})")
        assert took < 2.0 * 3, "shutdown must take ~2 s (x3 allowed for a loaded machine)"

        # The vehicle: in hold, decelerating to a stop, and no setpoint reached it after shutdown.
        last = sim.received_setpoints()[-1].time_s
        assert marks["closed"] < report.began_s
        assert last <= report.began_s + report.hold_s + 0.1, "a setpoint was sent after the hold"
        deadline = time.monotonic() + 15
        while speed(sim) > 0.3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sim.snapshot().mode == "LOITER"
        assert speed(sim) <= 0.3, f"still moving at {speed(sim):.1f} m/s"
        assert sim.received_setpoints()[-1].time_s == last  # nothing since
    finally:
        sim.stop()


def test_closing_while_a_command_waits_still_ends_every_thread(qtbot: Any, config_dir: Path) -> None:
    """ARM is waiting for an ACK that will never come (the vehicle went silent) when the window closes."""
    from gcs.ui.qt_main_window import QtMainWindow

    before = set(threading.enumerate())
    running = start_program(config_dir, "--demo", "--no-video", link__command_timeout_s=1.0,
                            link__command_retries=5)
    try:
        running.service.wait_for_vehicle(15.0)
        window = QtMainWindow(running.service, api_url=running.api_url, faces=running.faces)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.controls.actions_by_name["arm"].isEnabled(), timeout=WAIT_MS)
        running.service.simulators[0].stop()
        window.controls.actions_by_name["arm"].trigger()  # the shortcut twice: confirmed
        window.controls.actions_by_name["arm"].trigger()
        qtbot.waitUntil(lambda: window.runner.is_busy("ARM"), timeout=WAIT_MS)
        window.close()
    finally:
        report = shutdown(running)
    assert report.hold is None  # nothing was being driven: no hold asked
    assert report.threads_left == (), report.threads_left  # the ARM worker ended with the link
    assert [t.name for t in threading.enumerate() if t not in before and t.is_alive()] == []
