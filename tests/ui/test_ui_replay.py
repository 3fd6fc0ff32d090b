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
    assert TLOG.name in bar.title_label.text()
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


@needs_tlog
def test_replaying_a_log_of_a_live_system_id_asks_first(qtbot: Any, make_service: Callable[..., Any],
                                                        window_factory: Callable[..., Any]) -> None:
    """The 2013 flight is system 1, like the live demo vehicle: the pilot is told, and decides."""
    from gcs.core.replay_conflicts import replay_conflict, tlog_vehicle_ids

    assert tlog_vehicle_ids(TLOG) == (1,)
    assert replay_conflict(TLOG, [2, 3]) is None
    service = make_service("px4")
    window = window_factory(service)
    qtbot.waitUntil(lambda: window.hud.mode_label.text() not in ("NO VEHICLE", "UNKNOWN"), timeout=WAIT_MS)

    window.open_replay(str(TLOG))
    qtbot.waitUntil(lambda: window.replay_opener.prompt is not None, timeout=WAIT_MS)
    prompt = window.replay_opener.prompt
    assert prompt.isVisible() and "system id 1" in prompt.text() and "live vehicle" in prompt.text()
    prompt.reject()  # Cancel
    qtbot.waitUntil(lambda: window.status_line.text().startswith("REPLAY cancelled"), timeout=WAIT_MS)
    assert "system id 1" in window.status_line.text() and window.status_line.level == "warning"
    assert not any(c.kind == "replay" for c in service.links())

    window.open_replay(str(TLOG))
    qtbot.waitUntil(lambda: window.replay_opener.prompt is not None, timeout=WAIT_MS)
    prompt = window.replay_opener.prompt
    anyway = next(b for b in prompt.buttons() if b.text() == "Replay anyway")
    qtbot.mouseClick(anyway, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(c.kind == "replay" for c in service.links()), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: logged(window, "REPLAY accepted"), timeout=WAIT_MS)
    assert service.active_vehicle_id == 1 and service.vehicle_state().autopilot.value == "px4"  # still the live one

    window.open_replay(str(TLOG.parent / "missing.tlog"))
    qtbot.waitUntil(lambda: window.status_line.text().startswith("REPLAY refused"), timeout=WAIT_MS)
    assert "missing.tlog" in window.status_line.text()
