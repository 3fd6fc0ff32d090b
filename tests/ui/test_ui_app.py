"""The window as an application: stall watchdog, saved layout, `gcs --demo` wherever Qt can draw,
and the rules every button follows (disabled ones say why, every shortcut is written down)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt, QTimer
from PySide6.QtGui import QKeySequence

from tests.conftest import ROOT

WAIT_MS = 15_000


# ---- the stall watchdog (debug builds) ----------------------------------------------------------

def test_watchdog_logs_a_gui_stall_over_50_ms(qtbot: Any, caplog: pytest.LogCaptureFixture) -> None:
    from gcs.ui.application import QtStallWatchdog

    watchdog = QtStallWatchdog()
    caplog.set_level(logging.WARNING, logger="gcs.ui.application")
    qtbot.wait(200)
    assert not [r for r in caplog.records if "stalled" in r.getMessage()], "no stall yet, nothing logged"
    QTimer.singleShot(0, lambda: time.sleep(0.15))  # the GUI thread blocked for 150 ms
    qtbot.waitUntil(lambda: any("stalled" in r.getMessage() for r in caplog.records), timeout=5000)
    watchdog.stop()
    stall = next(r.getMessage() for r in caplog.records if "stalled" in r.getMessage())
    ms = float(stall.split("for ")[1].split(" ms")[0])
    assert 100 <= ms < 1000, stall
    assert watchdog.worst_s >= 0.1


def test_run_gui_turns_the_watchdog_on_for_debug(make_service: Callable[..., Any], monkeypatch: Any,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    from gcs.ui.application import run_gui

    service = make_service(None)
    caplog.set_level(logging.INFO, logger="gcs.ui.application")
    QTimer.singleShot(500, lambda: time.sleep(0.2))
    run_gui(service, api_url=None, run_for=1.5)
    assert not any("stalled" in r.getMessage() for r in caplog.records), "INFO build: no watchdog"
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="gcs.ui.application")  # what `gcs --log-level DEBUG` does
    QTimer.singleShot(500, lambda: time.sleep(0.2))
    run_gui(service, api_url=None, run_for=1.5)
    messages = [r.getMessage() for r in caplog.records]
    assert any("GUI thread stalled" in m for m in messages), messages
    assert any(m.startswith("worst GUI stall") for m in messages)


# ---- window layout ---------------------------------------------------------------------------

def test_dock_layout_and_sizes_are_restored(qtbot: Any, service: Any, tmp_path: Path) -> None:
    from gcs.ui.qt_main_window import QtMainWindow

    ini = str(tmp_path / "window.ini")
    first = QtMainWindow(service, settings=QSettings(ini, QSettings.Format.IniFormat))
    qtbot.addWidget(first)
    first.resize(790, 760)  # inside the offscreen screen (800x800): Qt fits a restored window to its screen
    first.show()
    qtbot.waitExposed(first)
    default = (first.hud_dock.width(), first.plots_dock.height())
    first.removeDockWidget(first.plots_dock)
    first.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, first.plots_dock)  # plots moved above the video
    first.plots_dock.show()
    first.messages_dock.hide()  # messages closed
    first.resizeDocks([first.hud_dock], [default[0] + 90], Qt.Orientation.Horizontal)  # the splitters dragged
    first.resizeDocks([first.plots_dock], [180], Qt.Orientation.Vertical)
    qtbot.wait(100)
    sizes = (first.hud_dock.width(), first.plots_dock.height())
    assert abs(sizes[0] - default[0]) > 20 and abs(sizes[1] - default[1]) > 20, (default, sizes)
    first.close()

    second = QtMainWindow(service, settings=QSettings(ini, QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    qtbot.wait(100)
    # Qt fits a restored window to its screen (offscreen: 800x800); with the plots above the video the
    # window cannot be shorter than ~946 px (open under issue 19), so compare within the screen.
    screen = second.screen().availableGeometry()
    fitted = (min(first.width(), screen.width()), min(first.height(), screen.height()))
    assert abs(second.width() - fitted[0]) <= 10 and abs(second.height() - fitted[1]) <= 30, (second.size(), fitted)
    assert second.dockWidgetArea(second.plots_dock) == Qt.DockWidgetArea.TopDockWidgetArea
    assert not second.messages_dock.isVisible() and second.hud_dock.isVisible()
    assert abs(second.hud_dock.width() - sizes[0]) <= 4 and abs(second.plots_dock.height() - sizes[1]) <= 4
    second.close()

    fresh = QtMainWindow(service, settings=QSettings(str(tmp_path / "other.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(fresh)
    assert fresh.dockWidgetArea(fresh.plots_dock) == Qt.DockWidgetArea.BottomDockWidgetArea  # defaults
    fresh.close()


# ---- `gcs --demo` wherever Qt can draw -------------------------------------------------------

def run_gcs(config_dir: Path, env_changes: dict[str, str | None], seconds: float = 3.0) -> str:
    env = dict(os.environ)
    env.update({"KESTREL_CONFIG_DIR": str(config_dir), "PYTHONPATH": str(ROOT)})
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    out = subprocess.run(
        [sys.executable, "-m", "gcs", "--demo", "--no-video", "--api-port", "0", "--log-level", "INFO",
         "--run-for", str(seconds)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


@pytest.mark.slow
def test_demo_opens_the_window_offscreen_without_a_display(config_dir: Path) -> None:
    output = run_gcs(config_dir, {"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": "offscreen"})
    assert "window shown (offscreen)" in output, output
    assert "headless" not in output
    assert "shutdown in" in output and "stopped" in output


@pytest.mark.slow
def test_demo_without_display_or_platform_runs_headless_and_says_so(config_dir: Path) -> None:
    output = run_gcs(config_dir, {"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None}, 1.0)
    assert "no display found: running headless" in output and "QT_QPA_PLATFORM" in output, output
    assert "window shown" not in output


# ---- buttons: disabled ones say why, shortcuts are written down ----------------------------------

def all_actions(window: Any) -> dict[str, Any]:
    return {**window.controls.actions_by_name, **window.track_controls.actions_by_name}


def assert_disabled_ones_say_why(window: Any) -> int:
    disabled = 0
    for name, action in all_actions(window).items():
        tip = action.toolTip()
        if action.isEnabled():
            assert "Unavailable" not in tip, (name, tip)
        else:
            disabled += 1
            reason = tip.split("Unavailable: ", 1)[-1] if "Unavailable: " in tip else ""
            assert len(reason) > 5, f"{name} is disabled without saying why: {tip!r}"
    return disabled


def test_disabled_buttons_say_why(qtbot: Any, make_service: Callable[..., Any],
                                  window_factory: Callable[..., Any]) -> None:
    lonely = window_factory(make_service(None))  # no vehicle at all
    assert assert_disabled_ones_say_why(lonely) >= 8
    assert "no vehicle connected" in lonely.controls.actions_by_name["arm"].toolTip()
    service = make_service("px4")
    window = window_factory(service)
    qtbot.waitUntil(lambda: window.hud.mode_label.text() not in ("NO VEHICLE", "UNKNOWN"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.controls.actions_by_name["arm"].isEnabled(), timeout=WAIT_MS)
    assert assert_disabled_ones_say_why(window) >= 6  # disarmed: takeoff, land, follow... say "not armed"
    assert "not armed" in window.controls.actions_by_name["land"].toolTip()
    assert window.controls.abort_button.isEnabled()  # ABORT never is


def test_every_action_shows_its_shortcut_in_tooltip_and_help(qtbot: Any, window: Any) -> None:
    from gcs.ui.qt_controls import ACTIONS, keys_text
    from gcs.ui.qt_track_controls import TRACK_ACTIONS

    actions = all_actions(window)
    window._on_show_shortcuts()
    table = window.shortcuts_dialog.table
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    for spec in (*ACTIONS, *TRACK_ACTIONS):
        keys = keys_text(spec)
        assert keys and keys in actions[spec.name].toolTip(), (spec.name, actions[spec.name].toolTip())
        assert rows[spec.title] == keys
        assert actions[spec.name].shortcut() == QKeySequence(spec.keys[0])
    for name, action in window.menu_actions.items():
        if not action.shortcut().isEmpty():
            keys = action.shortcut().toString()
            assert keys in action.toolTip() and keys in rows.values(), name
    window.shortcuts_dialog.close()


# ---- clicks on the video at any window size ----------------------------------------------------

@pytest.mark.parametrize("size", [(1440, 900), (1100, 1060), (1900, 700), (1000, 600)])  # none exactly 4:3
def test_click_maps_to_frame_pixels_at_any_window_size(qtbot: Any, window: Any, size: tuple[int, int]) -> None:
    view = window.video
    window.resize(*size)
    frame = np.zeros((480, 640, 3), np.uint8)
    view.set_frame(frame, 1)
    qtbot.wait(50)
    rect = view.frame_rect()
    assert rect.width() > 100 and abs(rect.width() / rect.height() - 640 / 480) < 0.01  # aspect kept
    assert rect.x() > 1 or rect.y() > 1, "the frame is letterboxed in the view"
    clicks: list[tuple[float, float]] = []
    view.clicked.connect(lambda x, y: clicks.append((x, y)))
    for fx, fy in ((320.0, 240.0), (20.0, 460.0), (600.0, 30.0)):
        p = view.frame_to_widget(fx, fy)
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(round(p.x()), round(p.y())))
        x, y = clicks[-1]
        one_px = 640 / rect.width()  # a widget pixel, in frame pixels
        assert abs(x - fx) <= one_px and abs(y - fy) <= one_px, (size, (fx, fy), (x, y))
