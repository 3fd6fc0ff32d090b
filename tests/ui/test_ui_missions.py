"""The Missions dock of the main window over a real service and the built-in simulator (real MAVLink on
loopback): a file loaded (a corrupt one refused with its line), edited (altitude, move, delete, add),
uploaded, downloaded identical, started and followed (current item, reached items); on ArduPilot a
refusal in the vehicle's words, a generated survey, and a list uploaded by another face shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.exceptions import TimeoutError as QtTimeout

from gcs.core.mavlink_env import mavlink
from gcs.ui.qt_missions import QtMissionsPanel
from gcs.ui.qt_missions_table import ALT_COLUMN
from tests.conftest import wait_until
from tests.mission_support import five_waypoints

pytestmark = pytest.mark.slow
SCREENSHOT = str(Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "gui_missions.png")
M = mavlink
LEFT = Qt.MouseButton.LeftButton


def _panel(win: Any) -> QtMissionsPanel:
    win.missions_dock.raise_()
    return win.missions_panel


def _home(service: Any) -> Any:
    wait_until(lambda: service.vehicle_state().home is not None, 15, "home position")
    return service.vehicle_state().home


def _status(qtbot: Any, panel: QtMissionsPanel, expect: str, timeout: int = 8000) -> str:
    try:
        qtbot.waitUntil(lambda: expect in panel.status_label.text(), timeout=timeout)
    except QtTimeout:
        raise AssertionError(f"status: {panel.status_label.text()!r}, wanted {expect!r}") from None
    return panel.status_label.text()


def _column(panel: QtMissionsPanel, column: int) -> list[str]:
    return [panel.table.item(r, column).text() for r in range(panel.table.rowCount())]


def test_load_edit_upload_download_start_and_follow(window_factory: Any, service: Any, qtbot: Any,
                                                    tmp_path: Path) -> None:
    win = window_factory(service)
    panel = _panel(win)
    home = _home(service)
    bad = tmp_path / "bad.waypoints"
    bad.write_text("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t1\t2\t3\n", encoding="utf-8")
    panel.load_from(str(bad))
    assert "line 2: expected 12 tab-separated fields, found 11" in _status(qtbot, panel, "Not a usable mission file")
    assert panel.table.rowCount() == 0

    good = tmp_path / "five.waypoints"
    good.write_text(five_waypoints(home.lat_deg, home.lon_deg, home.alt_msl_m), encoding="utf-8")
    panel.load_from(str(good))
    _status(qtbot, panel, "Loaded 7 item(s)")
    assert _column(panel, 1) == ["Takeoff", *["Waypoint"] * 5, "Return to launch"]
    assert _column(panel, 0)[0] == "0"  # PX4 numbers from 0 (ArduPilot from 1: home is 0)
    assert "edited, not uploaded" in panel.draft_label.text()

    panel.set_altitude(1, "18")  # typed into the cell
    assert panel.items()[1].z == 18.0 and _column(panel, ALT_COLUMN)[1] == "18"
    panel.set_altitude(2, "high")
    assert "'high' is not an altitude" in panel.status_label.text() and panel.items()[2].z == 11.0
    panel.table.selectRow(5)
    qtbot.mouseClick(panel.delete_button, LEFT)  # the fifth waypoint
    panel.table.selectRow(1)
    qtbot.mouseClick(panel.down_button, LEFT)  # the first two waypoints swap
    assert [round(i.z) for i in panel.items()] == [10, 11, 18, 12, 13, 0]
    panel.table.selectRow(4)
    panel.adder.choose("Waypoint")
    qtbot.mouseClick(panel.adder.button, LEFT)
    qtbot.waitUntil(lambda: len(panel.items()) == 7, timeout=3000)
    assert panel.items()[5].command == M.MAV_CMD_NAV_WAYPOINT and panel.items()[5].z == 15.0
    edited = panel.items()

    qtbot.mouseClick(panel.upload_button, LEFT)
    _status(qtbot, panel, "Uploaded 7 item(s)")
    assert "as on the vehicle" in panel.draft_label.text()
    panel.set_altitude(1, "40")  # an edit, then Download puts the vehicle's list back
    qtbot.mouseClick(panel.download_button, LEFT)
    _status(qtbot, panel, "Downloaded 7 item(s)")
    assert len(panel.items()) == len(edited) and all(a.matches(b) for a, b in zip(panel.items(), edited, strict=True))

    service.arm()
    qtbot.mouseClick(panel.start_button, LEFT)
    box = panel.confirm_box
    assert box is not None and box.isVisible() and "Start the mission now?" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), LEFT)
    _status(qtbot, panel, "mission started (MISSION)")
    qtbot.waitUntil(lambda: "reached 0, 1" in panel.progress_label.text(), timeout=60000)
    states = _column(panel, 6)
    assert states[:2] == ["reached", "reached"] and "current" in states, states
    print(f"GUI missions: {panel.progress_label.text()}")
    win.resize(1440, 900)  # the window opens within the (offscreen) screen; the screenshot is a laptop's
    qtbot.waitUntil(lambda: win.width() == 1440, timeout=3000)
    win.resizeDocks([win.missions_dock], [620], Qt.Orientation.Horizontal)
    qtbot.wait(200)
    assert win.grab().save(SCREENSHOT)


def test_ardupilot_refusal_survey_and_another_faces_upload(window_factory: Any, make_service: Any, qtbot: Any
                                                          ) -> None:
    service = make_service("ardupilot")
    win = window_factory(service)
    panel = _panel(win)
    home = _home(service)
    panel.generator.choose("orbit-target")
    qtbot.mouseClick(panel.generator.button, LEFT)
    assert "lock a target first" in _status(qtbot, panel, "Not generated")

    panel.adder.choose("Waypoint")
    qtbot.mouseClick(panel.adder.button, LEFT)
    qtbot.waitUntil(lambda: len(panel.items()) == 1, timeout=3000)
    assert _column(panel, 0) == ["1"]  # ArduPilot's home is item 0
    qtbot.mouseClick(panel.upload_button, LEFT)
    _status(qtbot, panel, "Uploaded 1 item(s)")
    service.arm()
    qtbot.mouseClick(panel.start_button, LEFT)
    qtbot.mouseClick(panel.confirm_box.button(QMessageBox.StandardButton.Yes), LEFT)
    text = _status(qtbot, panel, "The vehicle did not start the mission: the vehicle refused")
    assert "Missing Takeoff Cmd" in text, text

    panel.generator.choose("survey")
    panel.generator.size_spin.setValue(40)
    qtbot.mouseClick(panel.generator.button, LEFT)
    _status(qtbot, panel, "Generated 12 item(s)")  # takeoff, 5 legs x 2 ends, RTL
    assert _column(panel, 0)[0] == "1" and _column(panel, 1)[-1] == "Return to launch"
    qtbot.mouseClick(panel.clear_button, LEFT)
    _status(qtbot, panel, "mission is cleared")
    assert panel.table.rowCount() == 0

    service.upload_mission_file(five_waypoints(home.lat_deg, home.lon_deg, home.alt_msl_m), "x.waypoints",
                                source="api:alice")  # the dashboard's upload shows here
    qtbot.waitUntil(lambda: panel.table.rowCount() == 7, timeout=5000)
    assert "as on the vehicle" in panel.draft_label.text()
