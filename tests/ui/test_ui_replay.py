"""The replay bar and the flight sessions dialog over a real tlog (a 2013 ArduCopter flight)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from gcs.ui.qt_replay import SLIDER_STEPS, clock

TLOGS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "tlogs"
TLOG = TLOGS / "copter_real_2013_codelever.tlog"
WAIT_MS = 15_000
REPLAY_SHOT = "/tmp/kestrel_gui_replay.png"
JUST_FLOWN_SHOT = "/tmp/kestrel_gui_replay_just_flown.png"
JUST_FLOWN_BAR_SHOT = "/tmp/kestrel_gui_replay_just_flown_bar.png"

needs_tlog = pytest.mark.skipif(not TLOG.exists(), reason=f"{TLOG} is not on this machine")


def logged(window: Any, text: str) -> bool:
    """A message-log line ends with ``text`` (the status line may already show a log message)."""
    return any(line.endswith(text) for line, _level in window.messages.entries())


def test_clock() -> None:
    assert clock(0) == "00:00" and clock(61.4) == "01:01" and clock(3725) == "1:02:05" and clock(-3) == "00:00"


@needs_tlog
def test_replay_bar_appears_and_seeks(qtbot: Any, make_service: Callable[..., Any],
                                      window_factory: Callable[..., Any]) -> None:
    service = make_service(None)  # no live vehicle: the log's vehicle becomes the active one
    window = window_factory(service)
    bar = window.replay_bar
    assert not bar.isVisible()
    service.connect("replay:" + str(TLOG))
    qtbot.waitUntil(lambda: bar.isVisible() and bar.status is not None, timeout=WAIT_MS)
    assert TLOG.name in bar.title_label.full_text()
    qtbot.waitUntil(lambda: window.hud.mode_label.text() not in ("NO VEHICLE", "UNKNOWN"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bar.note_label.text() == "", timeout=WAIT_MS)  # the active vehicle is the log's
    assert re.fullmatch(r"\d\d:\d\d / 09:31", bar.time_label.text()), bar.time_label.text()
    assert bar.play_button.text() == "Pause"  # a replay starts playing
    qtbot.waitUntil(lambda: "replayed log" in window.controls.button("land").toolTip(), timeout=WAIT_MS)
    assert not window.controls.button("land").isEnabled()  # a recording cannot be commanded
    assert window.controls.button("abort").isEnabled()

    duration = service.replay_status().duration_s
    slider = bar.slider
    slider.setSliderDown(True)  # what a drag does: press, move, release
    slider.setSliderPosition(SLIDER_STEPS // 2)
    assert bar.time_label.text().startswith(clock(duration / 2))  # the time follows the handle at once
    assert service.replay_status().position_s < duration / 4  # ...but nothing is sent until release
    slider.setSliderDown(False)
    qtbot.waitUntil(lambda: logged(window, "SEEK accepted"), timeout=WAIT_MS)
    position = service.replay_status().position_s
    assert duration / 2 - 2 <= position <= duration / 2 + 5, position
    qtbot.waitUntil(lambda: bar.status.seeks >= 1 and abs(slider.value() - SLIDER_STEPS // 2) <= 10,
                    timeout=WAIT_MS)

    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)  # pause
    qtbot.waitUntil(lambda: not service.replay_status().playing, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bar.play_button.text() == "Play", timeout=WAIT_MS)
    index = bar.speed_combo.findText("10x")
    bar.speed_combo.setCurrentIndex(index)
    bar.speed_combo.activated.emit(index)
    qtbot.waitUntil(lambda: service.replay_status().speed == 10.0, timeout=WAIT_MS)
    window.resize(1440, 900)
    qtbot.wait(200)
    assert window.grab().save(REPLAY_SHOT)

    bar.close_button.click()
    qtbot.waitUntil(lambda: not bar.isVisible() and not service.links(), timeout=WAIT_MS)


@needs_tlog
def test_sessions_dialog_lists_an_imported_tlog_and_replays_it(qtbot: Any, make_service: Callable[..., Any],
                                                               window_factory: Callable[..., Any]) -> None:
    service = make_service(None)
    window = window_factory(service)
    window.menu_actions["sessions"].trigger()
    dialog = window.sessions_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.loads >= 1, timeout=WAIT_MS)
    assert dialog.table.rowCount() == 0 and not dialog.open_button.isEnabled()
    assert "select a session" in dialog.open_button.toolTip()

    dialog.import_path(str(TLOG))
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=WAIT_MS)
    cells = [dialog.table.item(0, c).text() for c in range(dialog.table.columnCount())]
    assert cells[1] == "09:31" and cells[6] == TLOG.name and cells[5].startswith("import")
    assert cells[3].endswith(" m") and cells[4].endswith(("m", "km"))
    qtbot.waitUntil(lambda: logged(window, "IMPORT accepted"), timeout=WAIT_MS)

    dialog.table.selectRow(0)
    assert dialog.open_button.isEnabled()
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.replay_bar.isVisible(), timeout=WAIT_MS)
    assert any(c.kind == "replay" for c in service.links())
    dialog.grab().save("/tmp/kestrel_gui_sessions.png")
    dialog.close()


def test_replaying_the_flight_just_flown_shows_its_vehicle_beside_the_live_one(
        qtbot: Any, make_service: Callable[..., Any], window_factory: Callable[..., Any], tmp_path: Path) -> None:
    """Fly the built-in PX4 sim (recorded), then replay its tlog while it is still connected as system 1."""
    service = make_service("px4", logging__tlog_dir=str(tmp_path / "tlogs"))
    window = window_factory(service)
    window.resize(1440, 900)
    qtbot.waitUntil(lambda: service.vehicle_state().gps.has_fix, timeout=WAIT_MS)
    service.arm()
    service.takeoff(5.0)
    qtbot.waitUntil(lambda: service.vehicle_state().global_position.alt_rel_m > 3, timeout=30_000)
    qtbot.wait(1000)  # a few records more, flushed twice a second
    path = service.recordings()[0].tlog_path
    assert path and Path(path).name.endswith("_sys1_px4_quadrotor.tlog")
    lines_before = len(window.messages.entries())

    window.open_replay(path)
    bar = window.replay_bar
    qtbot.waitUntil(lambda: bar.isVisible() and bar.show_button.isVisible(), timeout=WAIT_MS)
    assert service.vehicle_ids() == [1, 250] and service.active_vehicle_id == 1  # the live one keeps the HUD
    assert bar.note_label.full_text() == (
        "Showing vehicle 1; this log plays as vehicle 250 (its system 1 is the live vehicle)")
    assert window.hud.vehicle_combo.isEnabled(), "the HUD's vehicle list offers both"
    qtbot.wait(300)
    assert window.width() == 1440, "a long file name does not widen the window"
    assert bar.slider.width() >= 300, f"the seek slider is {bar.slider.width()} px"
    assert bar.grab().save(JUST_FLOWN_BAR_SHOT)

    qtbot.mouseClick(bar.show_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: service.active_vehicle_id == 250, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not bar.note_row.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: service.replay_status().ended, timeout=WAIT_MS)
    replayed = service.vehicle_state(250)
    assert replayed.autopilot.value == "px4" and replayed.armed  # the flight as it was recorded
    qtbot.waitUntil(lambda: window.hud.mode_label.text() == replayed.mode, timeout=WAIT_MS)
    assert "replayed log" in window.controls.button("land").toolTip()

    new_lines = [text.split("  ", 1)[1] for text, _level in window.messages.entries()[lines_before:]]
    replay_lines = [line for line in new_lines if "replayed from the log" in line]
    assert any(line.startswith("COMPONENT_ARM_DISARM accepted (replayed") for line in replay_lines), new_lines
    assert len(replay_lines) == len(set(replay_lines)), f"identical lines: {replay_lines}"
    assert not any("SET_MESSAGE_INTERVAL" in line for line in replay_lines)
    assert window.width() == 1440
    assert window.grab().save(JUST_FLOWN_SHOT)

    window.open_replay(str(TLOG.parent / "missing.tlog"))
    qtbot.waitUntil(lambda: window.status_line.text().startswith("REPLAY refused"), timeout=WAIT_MS)
    assert "missing.tlog" in window.status_line.text()
