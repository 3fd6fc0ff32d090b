"""What a first flight taught (issue 19): the rough edges a new pilot met, each shown on the real window.

Real GcsService over the built-in PX4 simulator (and its virtual camera where a track is needed);
the tests press keys, read what the window shows and what the core did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gcs.core.tracking.types import TrackState

WAIT_MS = 15_000


@pytest.fixture
def tracking(make_service: Callable[..., Any], window_factory: Callable[..., Any], qtbot: Any) -> tuple[Any, Any]:
    """A window over the PX4 sim with the virtual camera and a box tracked in the image centre."""
    service = make_service("px4", video__enabled=True)
    window = window_factory(service)
    qtbot.waitUntil(lambda: window.video.frame_size is not None, timeout=WAIT_MS)
    service.start_tracking(280.0, 200.0, 80.0, 80.0)
    qtbot.waitUntil(lambda: service.tracker_data().state is not TrackState.IDLE, timeout=WAIT_MS)
    return service, window


def test_esc_closing_a_dialog_keeps_the_track_and_stops_it_only_on_the_video(
        qtbot: Any, tracking: tuple[Any, Any]) -> None:
    service, window = tracking
    assert "Esc" not in [k.toString() for k in window.track_controls.actions_by_name["track_stop"].shortcuts()]
    window.menu_actions["settings"].trigger()
    dialog = window.config_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT_MS)
    QTest.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    qtbot.wait(500)
    assert service.tracker_data().state is not TrackState.IDLE, "Esc in a dialog dropped the lock"

    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    window.messages.setFocus()
    QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Escape)  # elsewhere in the window: nothing
    qtbot.wait(300)
    assert service.tracker_data().state is not TrackState.IDLE

    window.video.setFocus()
    qtbot.waitUntil(window.video.hasFocus, timeout=WAIT_MS)
    QTest.keyClick(window.video, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: service.tracker_data().state is TrackState.IDLE, timeout=WAIT_MS)


def _target(state: TrackState, box: Any = None, reason: str = "", tracker: str = "smart") -> Any:
    from gcs.core.tracking.types import TrackedTarget

    return TrackedTarget(box, state, 0.9 if box else 0.0, 1, 0.0, 640, 480, tracker, 5.0, 30.0, reason)


@pytest.fixture
def view(qtbot: Any) -> Any:
    import numpy as np

    from gcs.ui.qt_video import QtVideoView

    widget = QtVideoView()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_frame(np.full((480, 640, 3), 90, np.uint8), 1)
    widget.set_video_state("ok")
    return widget


@pytest.mark.parametrize("corner", [(560.0, 2.0), (560.0, 420.0), (2.0, 2.0)])
def test_smart_badge_never_hides_the_track_label(view: Any, corner: tuple[float, float]) -> None:
    """Wherever the box is (top-right under the old badge, bottom-right by the new one), both show."""
    from gcs.core.tracking.types import BBox

    view.set_badge("SMART")
    view.set_target(_target(TrackState.LOCKED, BBox(corner[0], corner[1], 70.0, 50.0)))
    rects = view.overlay_rects()
    assert not rects["track_tag"].intersects(rects["badge"]), rects
    shot = view.grab().toImage()
    centre = rects["track_tag"].center()
    colour = shot.pixelColor(round(centre.x()) - 2, round(rects["track_tag"].top()) + 2)
    assert colour.green() > 150 and colour.blue() < 150, "the LOCKED tag is drawn in its own green"


def test_lost_label_is_plain_and_fades(view: Any, qtbot: Any) -> None:
    from gcs.core.tracking.types import BBox

    view.set_target(_target(TrackState.LOCKED, BBox(300.0, 200.0, 60.0, 40.0)))
    view.set_target(_target(TrackState.LOST, None,
                            "lost after 1.0 s (30 frames) searching: target left the frame (its box stopped)"))
    assert view.track_text == "target lost (left the view)"
    assert view.overlay_rects()["track_tag"].width() > 0
    assert view.track_label_opacity() == 1.0
    view._lost_since -= 5.0  # as if five seconds went by: fading
    assert 0.0 < view.track_label_opacity() < 1.0
    view._lost_since -= 2.0  # seven seconds: gone
    assert view.track_label_opacity() == 0.0 and "track_tag" not in view.overlay_rects()
    view.set_target(_target(TrackState.LOST, None, "lost after 1.0 s (30 frames) searching: tracker reported failure"))
    assert view.track_label_opacity() == 0.0, "still the same loss: it does not come back"
    view.set_target(_target(TrackState.SEARCHING, None, "implausible jump"))
    assert view.track_text == "searching (the box jumped away)"


def test_hud_names_the_smart_tracker_after_switching(qtbot: Any, make_service: Callable[..., Any],
                                                      window_factory: Callable[..., Any]) -> None:
    service = make_service("px4", video__enabled=True)
    window = window_factory(service)
    qtbot.waitUntil(lambda: window.video.frame_size is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "CSRT" in window.hud.tracker_label.text(), timeout=WAIT_MS)
    smart = window.track_controls.actions_by_name["smart"]
    qtbot.waitUntil(smart.isEnabled, timeout=WAIT_MS)
    smart.trigger()
    qtbot.waitUntil(lambda: window.track_controls.smart_mode, timeout=30_000)
    qtbot.waitUntil(lambda: window.hud.tracker_label.text().startswith("idle · smart"), timeout=WAIT_MS)
    assert "CSRT" not in window.hud.tracker_label.text()
    assert window.video.overlay_rects().get("badge") is not None


def test_plots_keep_legends_off_the_curves_volts_in_volts_and_units_on_every_plot(
        qtbot: Any, window: Any, service: Any) -> None:
    plots = window.plots
    qtbot.waitUntil(lambda: len(plots.series("battery.voltage_v").buffer) > 20, timeout=WAIT_MS)
    qtbot.wait(300)  # a few redraws
    for slot in plots._plots:
        assert slot.item.legend is None, f"{slot.title}: a legend box inside the plot covers the curves"
        assert not slot.item.getAxis("left").label.isVisible(), f"{slot.title}: the unit label sits over the ticks"
    assert "&#9632;roll<" in plots.title_text("Roll / pitch") and "&#9632;pitch<" in plots.title_text("Roll / pitch")
    assert "&#9632;cmd<" in plots.title_text("Forward: cmd vs actual")  # same leaf: the group tells them apart
    assert "&#9632;x<" in plots.title_text("Tracker error")
    assert "(V)" in plots.title_text("Battery")
    assert "±1 = frame edge" in plots.title_text("Tracker error")
    battery = next(s for s in plots._plots if s.title == "Battery")
    low, high = battery.item.viewRange()[1]
    volts = plots.series("battery.voltage_v").buffer.last()[1]
    assert high - low >= 1.0, f"the battery axis spans {high - low:.4f} V around {volts:.2f} V (millivolt ticks)"
    assert low < volts < high


def test_setpoint_ignored_at_offboard_start_is_not_an_alarm(qtbot: Any, window: Any, service: Any) -> None:
    """PX4 takes OFFBOARD only after setpoints stream: "Setpoint ignored: not in OFFBOARD" then is normal."""
    qtbot.waitUntil(lambda: service.vehicle_state().gps.has_fix, timeout=WAIT_MS)
    service.arm()
    service.start_offboard()
    qtbot.waitUntil(lambda: window.hud.setpoints_label.text().startswith("streaming"), timeout=WAIT_MS)
    sim = service.simulators[0]
    sim.say("Setpoint ignored: not in OFFBOARD", 4)  # MAV_SEVERITY_WARNING, as a firmware would send it

    def line(text: str) -> list[tuple[str, str]]:
        return [(t, level) for t, level in window.messages.entries() if text in t]

    qtbot.waitUntil(lambda: bool(line("Setpoint ignored")), timeout=WAIT_MS)
    text, level = line("Setpoint ignored")[-1]
    assert level == "info" and "normal while the setpoint stream starts" in text, (text, level)
    assert "Setpoint ignored" not in window.status_line.text()

    window.messages.offboard_start.window_s = 0.2  # long after the start the same words do warn
    qtbot.wait(400)
    sim.say("Setpoint ignored: not in OFFBOARD (later)", 4)
    qtbot.waitUntil(lambda: bool(line("(later)")), timeout=WAIT_MS)
    assert line("(later)")[-1][1] == "warning"
    service.stop_offboard()


def test_mode_selector_lists_the_flavours_modes_and_confirms_the_ones_that_fly(
        qtbot: Any, window: Any, service: Any) -> None:
    from tests.ui.confirm_support import hold_to_confirm, press_briefly

    controls = window.controls
    combo = controls.mode_combo
    qtbot.waitUntil(lambda: combo.count() > 0 and controls.chosen_mode == service.vehicle_state().mode,
                    timeout=WAIT_MS)
    names = [combo.itemData(i) for i in range(combo.count())]
    assert names == [m.name for m in service.flight_modes().modes]
    assert {"MISSION", "RTL", "LAND", "POSCTL", "LOITER", "OFFBOARD"} <= set(names)  # PX4's own table
    qtbot.waitUntil(lambda: service.vehicle_state().gps.has_fix, timeout=WAIT_MS)
    service.arm()
    service.takeoff(8.0)
    qtbot.waitUntil(lambda: service.vehicle_state().global_position.alt_rel_m > 6.0, timeout=WAIT_MS)
    sim = service.simulators[0]

    controls.choose_mode("RTL")
    qtbot.waitUntil(lambda: controls.button("mode").isEnabled(), timeout=WAIT_MS)
    qtbot.waitUntil(controls._mode_needs_confirm, timeout=WAIT_MS)  # armed: RTL flies by itself
    assert press_briefly(qtbot, controls, "mode") < 1.0
    qtbot.wait(500)
    assert sim.snapshot().mode != "RTL", "a click (released early) must not switch to RTL"
    hold_to_confirm(qtbot, controls, "mode")
    qtbot.waitUntil(lambda: sim.snapshot().mode == "RTL", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: controls.chosen_mode == "RTL", timeout=WAIT_MS)

    controls.choose_mode("LOITER")  # PX4 Hold: stops the vehicle, never confirmed
    assert not controls._mode_needs_confirm()
    qtbot.waitUntil(lambda: controls.button("mode").isEnabled(), timeout=WAIT_MS)
    qtbot.mouseClick(controls.button("mode"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sim.snapshot().mode == "LOITER", timeout=WAIT_MS)


def test_mode_selector_is_refused_in_a_replay(qtbot: Any, make_service: Callable[..., Any],
                                              window_factory: Callable[..., Any]) -> None:
    from tests.ui.test_ui_replay import TLOG

    if not TLOG.exists():
        pytest.skip(f"{TLOG} is not on this machine")
    service = make_service(None)
    window = window_factory(service)
    service.connect("replay:" + str(TLOG))
    controls = window.controls
    qtbot.waitUntil(lambda: controls.mode_combo.count() > 0, timeout=WAIT_MS)
    assert "STABILIZE" in [controls.mode_combo.itemData(i) for i in range(controls.mode_combo.count())]  # ArduCopter
    qtbot.waitUntil(lambda: "read-only replay" in controls.mode_combo.toolTip(), timeout=WAIT_MS)
    assert not controls.mode_combo.isEnabled()
    assert not controls.button("mode").isEnabled() and "read-only replay" in controls.button("mode").toolTip()
    from gcs.core.errors import CommandRejected

    with pytest.raises(CommandRejected, match="read-only"):
        service.set_mode("RTL")


def test_first_steps_tell_a_newcomer_what_to_do_and_go_away(qtbot: Any, tracking: tuple[Any, Any]) -> None:
    """On the ground: arm, take off, where the cars drive; once tracking: nothing."""
    service, window = tracking
    service.stop_tracking()
    qtbot.waitUntil(lambda: window.video.hint.startswith("First steps"), timeout=WAIT_MS)
    hint = window.video.hint
    assert "take off" in hint and "25 m ahead (north)" in hint and "Arm" in hint, hint
    rect = window.video.hint_rect()
    assert rect is not None and window.video.frame_rect().contains(rect)
    window.video.grab().save("/tmp/kestrel_gui_first_steps.png")
    qtbot.waitUntil(lambda: service.vehicle_state().gps.has_fix, timeout=WAIT_MS)
    service.arm()
    service.takeoff(6.0)
    qtbot.waitUntil(lambda: window.video.hint.startswith("Click a target"), timeout=20_000)
    service.start_tracking(280.0, 200.0, 80.0, 80.0)
    qtbot.waitUntil(lambda: window.video.hint == "", timeout=WAIT_MS)
    assert window.video.hint_rect() is None
