"""The whole window over a real service flying the built-in PX4 simulator (offscreen)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialogButtonBox

from gcs.core.bus import Topics
from gcs.core.models import Autopilot
from tests.ui.confirm_support import hold_to_confirm

SCREENSHOT = "/tmp/kestrel_main.png"
WAIT_MS = 15_000


def click(qtbot: Any, window: Any, name: str) -> None:
    button = window.controls.button(name)
    assert button.isEnabled(), f"{name}: {button.toolTip()}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def wait_for_mode(qtbot: Any, window: Any, service: Any) -> None:
    def shown() -> bool:
        state = service.vehicle_state()
        text = window.hud.mode_label.text()
        return state.autopilot is Autopilot.PX4 and text == state.mode and text not in ("NO VEHICLE", "UNKNOWN")

    qtbot.waitUntil(shown, timeout=WAIT_MS)


def feed_virtual_camera(window: Any, service: Any) -> None:
    """Show one frame of the simulator's camera with the nearest target as a locked track."""
    from gcs.core.sim.virtual_camera import VirtualCamera

    camera = VirtualCamera(lambda: service.bus.latest(Topics.VEHICLE_STATE))
    frame = camera.capture(0.0)  # scene time 0: car-1 drives 25 m ahead of the start pose
    window.video.set_frame(frame.image, 1)
    window.video.set_video_state("ok")
    if frame.targets:
        window.video.set_track(frame.targets[-1].box, "locked")


def test_demo_flight_arm_takeoff_plots_and_screenshot(qtbot: Any, window: Any, service: Any) -> None:
    assert window.windowTitle() == "Kestrel GCS"
    wait_for_mode(qtbot, window, service)
    assert window.hud.armed_label.text() == "DISARMED"
    assert not window.controls.button("takeoff").isEnabled()
    assert "not armed" in window.controls.button("takeoff").toolTip()
    assert window.controls.button("abort").isEnabled()

    hold_to_confirm(qtbot, window.controls, "arm")
    qtbot.waitUntil(lambda: service.vehicle_state().armed, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.status_line.text() == "ARM accepted", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.hud.armed_label.text() == "ARMED", timeout=WAIT_MS)

    window.controls.altitude_spin.setValue(15.0)
    qtbot.waitUntil(lambda: window.controls.button("takeoff").isEnabled(), timeout=WAIT_MS)
    hold_to_confirm(qtbot, window.controls, "takeoff")
    qtbot.waitUntil(lambda: window.status_line.text() == "TAKEOFF accepted", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: service.vehicle_state().global_position.alt_rel_m > 2.0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: float(window.hud.altitude_label.text().split(" m rel")[0]) > 2.0, timeout=WAIT_MS)

    altitude = window.plots.series("global_position.alt_rel_m")
    grown = len(altitude.buffer)
    qtbot.waitUntil(lambda: len(altitude.buffer) > grown + 5, timeout=WAIT_MS)
    assert max(altitude.buffer.view()[1]) > 2.0
    window.plots.field_combo.setCurrentText("hud.climb_mps")
    window.plots.target_combo.setCurrentText("Altitude")
    qtbot.mouseClick(window.plots.add_button, Qt.MouseButton.LeftButton)
    climb = window.plots.series("hud.climb_mps")
    qtbot.waitUntil(lambda: len(climb.buffer) > 5, timeout=WAIT_MS)
    assert len(window.plots.plot_titles) == 8  # added to an existing plot

    # Disarming in flight asks first: a click is not a confirmation and leaves the vehicle armed.
    click(qtbot, window, "disarm")
    qtbot.wait(200)
    assert service.vehicle_state().armed
    assert any("DISARM not sent" in line for line, _level in window.messages.entries())

    qtbot.waitUntil(lambda: service.vehicle_state().global_position.alt_rel_m > 12.0, timeout=WAIT_MS)
    feed_virtual_camera(window, service)  # the car is in view from 12 m up
    window.resize(1440, 900)
    qtbot.wait(300)
    assert window.grab().save(SCREENSHOT)


def test_refused_command_shows_its_reason(qtbot: Any, make_service: Callable[..., Any],
                                          window_factory: Callable[..., Any]) -> None:
    service = make_service("px4", gps_fix_delay_s=600.0)  # PX4 refuses to arm without a fix
    window = window_factory(service)
    wait_for_mode(qtbot, window, service)
    hold_to_confirm(qtbot, window.controls, "arm")
    qtbot.waitUntil(lambda: window.status_line.text().startswith("ARM failed"), timeout=WAIT_MS)
    assert "DENIED" in window.status_line.text()
    assert window.status_line.level == "error"
    qtbot.waitUntil(lambda: any("no GPS fix" in text for text, _lvl in window.messages.entries()),
                    timeout=WAIT_MS)  # the vehicle's own STATUSTEXT explains it
    assert not service.vehicle_state().armed


def test_gui_thread_keeps_running_while_a_command_waits(qtbot: Any, make_service: Callable[..., Any],
                                                        window_factory: Callable[..., Any]) -> None:
    service = make_service("px4", link__command_timeout_s=0.3, link__command_retries=2)
    window = window_factory(service)
    wait_for_mode(qtbot, window, service)
    service.simulators[0].stop()  # nobody will answer: ARM waits 3 x 0.3 s for its ACK
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    hold_to_confirm(qtbot, window.controls, "arm")
    assert window.runner.is_busy("ARM")
    assert not window.controls.button("arm").isEnabled()  # no second ARM while one waits
    assert "waiting" in window.controls.button("arm").toolTip()
    qtbot.waitUntil(lambda: window.status_line.text().startswith("ARM failed"), timeout=WAIT_MS)
    timer.stop()
    assert "no answer" in window.status_line.text()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > 20 and max(gaps) < 0.5  # a blocked GUI thread would show one gap >= 0.9 s


def test_connect_dialog_validates_inline_and_connects(qtbot: Any, window: Any, service: Any) -> None:
    window.controls.actions_by_name["connect"].trigger()
    dialog = window.controls.connect_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.set_url("udpin:0.0.0.0:notaport")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.isVisible() and dialog.error_label.isVisible()
    assert "notaport" in dialog.error_label.text()
    links_before = len(service.links())
    dialog.set_url("udpin:127.0.0.1:0")
    assert not dialog.error_label.isVisible()  # rechecked as you type
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: len(service.links()) == links_before + 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.status_line.text() == "CONNECT accepted", timeout=WAIT_MS)
    assert service.config.current.link.recent_connections[0] == "udpin:127.0.0.1:0"


def test_abort_shortcut_and_help_dialog(qtbot: Any, window: Any, service: Any) -> None:
    wait_for_mode(qtbot, window, service)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.status_line.text().startswith("ABORT"), timeout=WAIT_MS)
    assert "Space" in window.controls.button("abort").toolTip()
    assert "Ctrl+Shift+A" in window.controls.button("arm").toolTip()  # shortcuts shown in tooltips
    qtbot.keyClick(window, Qt.Key.Key_F1)
    help_dialog = window.shortcuts_dialog
    assert help_dialog is not None and help_dialog.isVisible()
    rows = {help_dialog.table.item(r, 0).text(): help_dialog.table.item(r, 1).text()
            for r in range(help_dialog.table.rowCount())}
    assert rows["ABORT"].startswith("Space") and rows["Arm"] == "Ctrl+Shift+A"
    assert rows["Follow"] == "Ctrl+Shift+F" and rows["Smart"] == "Ctrl+Shift+M"
    assert rows["Track centre"] == "Ctrl+Shift+C" and rows["Stop tracking"].startswith("Ctrl+Shift+X")
    assert rows["Flight sessions"] == "Ctrl+Shift+S" and rows["Replay: play / pause"] == "Ctrl+Shift+Space"
    assert len(set(rows.values())) == len(rows), "two actions share a shortcut"
    help_dialog.close()


def test_tracking_buttons_say_why_they_are_off(qtbot: Any, window: Any, service: Any) -> None:
    """No video in this service (tests/conftest.py turns it off): every tracking action says so."""
    wait_for_mode(qtbot, window, service)
    tc = window.track_controls
    for name in ("track_centre", "smart"):
        assert not tc.button(name).isEnabled() and "no video" in tc.button(name).toolTip()
    follow = tc.button("follow")
    assert not follow.isEnabled() and "not armed" in follow.toolTip() and "Ctrl+Shift+F" in follow.toolTip()
    assert not tc.tracker_combo.isEnabled()
    qtbot.waitUntil(lambda: tc.profile_combo.count() == 3, timeout=WAIT_MS)
    index = tc.profile_combo.findData("yaw_only")
    tc.profile_combo.setCurrentIndex(index)
    tc.profile_combo.activated.emit(index)
    qtbot.waitUntil(lambda: service.follower_data().profile == "yaw_only", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.hud.follower_label.text() == "off · yaw_only",
                    timeout=WAIT_MS)
    assert window.video.banner == "NO VIDEO" and "Open source" in window.video.banner_reason


def test_run_gui_returns_after_run_for(make_service: Callable[..., Any]) -> None:
    from gcs.ui.application import run_gui

    service = make_service("px4")
    began = time.monotonic()
    assert run_gui(service, api_url=None, run_for=1.0) == 0
    assert time.monotonic() - began < 10
    assert (service.config.directory / "window.ini").exists()  # layout saved beside the settings
