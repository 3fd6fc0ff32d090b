"""Confirmations in the window: arm, takeoff, disarm in flight and follow are sent only once confirmed.

A real service flying the built-in PX4 simulator over UDP, the window offscreen. The gesture: press
and hold the button (a fill grows; sent when full), or press the keyboard shortcut twice within 2 s.
A click, a short press or one shortcut press sends nothing: the simulated vehicle stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, Qt

from tests.ui.confirm_support import hold_to_confirm, press_briefly

WAIT_MS = 15_000
MID_HOLD_SHOT = "/tmp/kestrel_gui_hold_to_confirm.png"


def logged(window: Any, text: str) -> bool:
    """A message-log line says ``text`` (the status line may have moved on to a vehicle message)."""
    return any(text in line for line, _level in window.messages.entries())


def ready(qtbot: Any, window: Any, service: Any) -> None:
    qtbot.waitUntil(lambda: service.vehicle_state().gps.has_fix, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.controls.button("arm").isEnabled(), timeout=WAIT_MS)


def test_arm_only_after_the_hold_or_the_shortcut_twice(qtbot: Any, window: Any, service: Any) -> None:
    ready(qtbot, window, service)
    controls = window.controls
    arm = controls.button("arm")
    assert "hold 1 s to confirm" in arm.toolTip()

    qtbot.mouseClick(arm, Qt.MouseButton.LeftButton)  # a plain click
    assert press_briefly(qtbot, controls, "arm", 400) > 0.2  # the fill was growing while held
    qtbot.wait(300)
    assert not service.vehicle_state().armed and not window.runner.is_busy("ARM")
    assert logged(window, "ARM not sent: released too soon")

    # dragged off the button before the fill is full: nothing either
    qtbot.mousePress(arm, Qt.MouseButton.LeftButton)
    qtbot.wait(300)
    qtbot.mouseMove(arm, QPoint(arm.width() + 40, arm.height() // 2))
    qtbot.mouseRelease(arm, Qt.MouseButton.LeftButton, pos=QPoint(arm.width() + 40, arm.height() // 2))
    qtbot.wait(900)
    assert not service.vehicle_state().armed
    assert logged(window, "ARM not sent: moved off the button")

    # the shortcut once arms the button and says so; it lapses after 2 s
    action = controls.actions_by_name["arm"]
    action.trigger()
    assert controls.confirm.is_armed("arm") and logged(window, "Press Ctrl+Shift+A again within 2 s to ARM")
    qtbot.waitUntil(lambda: logged(window, "ARM not sent: not confirmed"), timeout=WAIT_MS)
    assert not service.vehicle_state().armed and not controls.confirm.is_armed("arm")
    action.trigger()  # twice within 2 s: sent
    action.trigger()
    qtbot.waitUntil(lambda: service.vehicle_state().armed, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not arm.isEnabled() and "already armed" in arm.toolTip(), timeout=WAIT_MS)


def test_takeoff_and_disarm_in_flight_wait_for_the_hold(qtbot: Any, window: Any, service: Any) -> None:
    ready(qtbot, window, service)
    controls = window.controls
    hold_to_confirm(qtbot, controls, "arm")
    qtbot.waitUntil(lambda: controls.button("takeoff").isEnabled(), timeout=WAIT_MS)
    controls.altitude_spin.setValue(6.0)

    press_briefly(qtbot, controls, "takeoff")
    qtbot.wait(800)
    assert service.vehicle_state().global_position.alt_rel_m < 0.3 and service.vehicle_state().landed_state != "IN_AIR"

    qtbot.mousePress(controls.button("takeoff"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controls.confirm.progress("takeoff") > 0.5, timeout=WAIT_MS)
    window.resize(1440, 900)
    assert controls.grab().save(MID_HOLD_SHOT)  # the fill half-way across TAKEOFF
    qtbot.waitUntil(lambda: controls.confirm.progress("takeoff") >= 1.0, timeout=WAIT_MS)
    qtbot.mouseRelease(controls.button("takeoff"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: service.vehicle_state().global_position.alt_rel_m > 4.0, timeout=30_000)

    # In flight a disarm must be confirmed: a click, a short press, one shortcut press send nothing.
    disarm = controls.button("disarm")
    assert disarm.isEnabled()
    qtbot.mouseClick(disarm, Qt.MouseButton.LeftButton)
    press_briefly(qtbot, controls, "disarm")
    controls.actions_by_name["disarm"].trigger()
    qtbot.wait(500)
    assert service.vehicle_state().armed
    qtbot.waitUntil(lambda: logged(window, "DISARM not sent: not confirmed"), timeout=WAIT_MS)
    hold_to_confirm(qtbot, controls, "disarm")  # confirmed: the motors stop (forced) and it falls
    qtbot.waitUntil(lambda: not service.vehicle_state().armed, timeout=WAIT_MS)


def test_follow_disabled_with_the_core_reason_no_gps_then_critical_battery(
        qtbot: Any, make_service: Callable[..., Any], window_factory: Callable[..., Any]) -> None:
    service = make_service("px4")
    window = window_factory(service)
    follow = window.track_controls.button("follow")
    sim = service.simulators[0]
    qtbot.waitUntil(lambda: "not armed" in follow.toolTip(), timeout=WAIT_MS)
    assert not follow.isEnabled() and "Unavailable: not armed (arm and take off first)" in follow.toolTip()
    qtbot.waitUntil(lambda: service.vehicle_state().gps.has_fix, timeout=WAIT_MS)
    service.arm()
    service.takeoff(3.0)
    qtbot.waitUntil(lambda: service.vehicle_state().global_position.alt_rel_m > 1.5, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "no video" in follow.toolTip(), timeout=WAIT_MS)  # flying, nothing to follow

    sim.set_gps_fix(False)
    qtbot.waitUntil(lambda: "Unavailable: no GPS fix" in follow.toolTip(), timeout=WAIT_MS)
    assert not follow.isEnabled()
    assert "no GPS fix" in window.controls.button("offboard_start").toolTip()
    sim.set_gps_fix(True)
    sim.set_battery_pct(8.0)
    qtbot.waitUntil(lambda: "Unavailable: battery critical" in follow.toolTip(), timeout=WAIT_MS)
    assert not follow.isEnabled()
