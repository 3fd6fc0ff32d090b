"""Editing the mission on the map of the main window, over a real service and the built-in simulator:
the Missions dock's "Edit on map" shows its draft on the map, a click adds a waypoint where the map's
projection puts that pixel, a drag moves it, the dock's table follows at once (and the map follows the
table), no click turns into a goto while editing, and the uploaded list is what the simulator holds;
on ArduPilot a geofence polygon clicked and a keep-out circle added, and a rally point, uploaded as
their own lists and read back identical."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from gcs.core.map.geo import LatLon, distance_m
from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.mission import MissionType
from gcs.ui.qt_missions_table import ALT_COLUMN
from tests.conftest import wait_until

pytestmark = pytest.mark.slow
SCREENSHOT = str(Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "gui_map_edit.png")
M = mavlink
LEFT = Qt.MouseButton.LeftButton


def _drag(view: Any, start: QPoint, end: QPoint) -> None:
    """A press, moves in small steps and a release, as a hand drags (qtbot.mouseMove sends no buttons)."""
    def send(kind: Any, at: QPoint, buttons: Any) -> None:
        event = QMouseEvent(kind, QPointF(at), QPointF(view.mapToGlobal(at)), LEFT, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(view, event)

    send(QMouseEvent.Type.MouseButtonPress, start, LEFT)
    for k in range(1, 11):
        send(QMouseEvent.Type.MouseMove, start + (end - start) * k / 10, LEFT)
    send(QMouseEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def test_click_adds_drag_moves_upload_holds(window_factory: Any, service: Any, qtbot: Any) -> None:
    win = window_factory(service)
    missions, panel = win.missions_panel, win.map_panel
    view = panel.view
    wait_until(lambda: service.vehicle_state().home is not None, 15, "home position")
    qtbot.waitUntil(lambda: view.snapshot is not None and view.snapshot.vehicle() is not None, timeout=5000)
    win.map_dock.raise_()
    panel.edit_button.setChecked(False)
    qtbot.waitUntil(lambda: view.width() > 200, timeout=3000)
    view.set_follow(False)  # the map stays put under the clicks

    qtbot.mouseClick(view, LEFT, pos=QPoint(60, 60))  # not editing: a click waits to be flown to
    assert view.pending is not None and "Fly to" in panel.info.text()

    missions.adder.alt.setValue(22)
    missions.map_button.setChecked(True)  # the dock's toggle turns the map's on
    assert panel.edit_button.isChecked() and panel.editing
    assert view.pending is None and not panel.fly_button.isEnabled()
    first, second = QPoint(view.width() // 2 - 60, view.height() // 2 - 40), QPoint(view.width() // 2 + 50, 50)
    want = [view.geo_at(QPointF(first)), view.geo_at(QPointF(second))]
    qtbot.mouseClick(view, LEFT, pos=first)
    qtbot.mouseClick(view, LEFT, pos=second)
    assert view.pending is None  # no goto while editing
    items = missions.items()
    assert [i.command for i in items] == [M.MAV_CMD_NAV_WAYPOINT] * 2 and [i.z for i in items] == [22.0, 22.0]
    for item, point in zip(items, want, strict=True):
        assert distance_m(LatLon(item.x, item.y), point) < 1.0
    assert missions.table.rowCount() == 2 and "edited, not uploaded" in missions.draft_label.text()
    assert missions.table.item(0, 2).text() == f"{want[0].lat_deg:.7f}"
    assert len(view.edit_points or ()) == 2 and "Editing the mission (2 item(s)" in panel.info.text()

    target = QPoint(first.x() + 70, first.y() + 90)
    _drag(view, first, target)
    moved = view.geo_at(QPointF(target))
    assert distance_m(LatLon(missions.items()[0].x, missions.items()[0].y), moved) < 1.0
    assert missions.table.item(0, 3).text() == f"{missions.items()[0].y:.7f}"  # the table followed at once
    assert distance_m(LatLon(missions.items()[1].x, missions.items()[1].y), want[1]) < 1.0  # the other stays
    shown = view.screen_point(view.edit_points[0].lat_deg, view.edit_points[0].lon_deg)
    assert abs(shown.x() - target.x()) < 1 and abs(shown.y() - target.y()) < 1
    assert view.pending is None

    missions.set_altitude(1, "30")  # and the other way: the table's edit reaches the map's draft
    assert panel._draft is missions.draft and missions.draft.items[1].z == 30.0
    win.missions_dock.raise_()  # the pilot turns to the Missions tab, deletes the first, and back
    missions.table.selectRow(0)
    qtbot.waitUntil(missions.delete_button.isEnabled, timeout=2000)
    qtbot.mouseClick(missions.delete_button, LEFT)
    assert len(view.edit_points or ()) == 1
    win.map_dock.raise_()
    qtbot.mouseClick(view, LEFT, pos=first)  # back where it was: 2 items again, the new one last
    assert len(missions.items()) == 2 and missions.items()[1].z == 22.0
    edited = missions.items()

    qtbot.mouseClick(missions.upload_button, LEFT)
    qtbot.waitUntil(lambda: "Uploaded 2 item(s)" in missions.status_label.text(), timeout=8000)
    held = service.download_mission()
    assert len(held.items) == 2 and all(a.matches(b) for a, b in zip(held.items, edited, strict=True))
    print(f"map edit: {[(round(i.x, 7), round(i.y, 7), i.z) for i in held.items]}")

    for p in (QPoint(view.width() // 2 - 90, view.height() // 2 + 20), QPoint(view.width() // 2 + 10, 90)):
        qtbot.mouseClick(view, LEFT, pos=p)  # two more, left unsent, for the screenshot
    win.resize(1440, 900)
    qtbot.waitUntil(lambda: win.width() == 1440, timeout=3000)
    win.resizeDocks([win.map_dock], [620], Qt.Orientation.Horizontal)
    qtbot.wait(300)
    assert win.grab().save(SCREENSHOT)

    panel.edit_button.setChecked(False)  # editing off: the dock's toggle follows, clicks fly again
    assert not missions.map_button.isChecked() and view.edit_points is None
    qtbot.mouseClick(view, LEFT, pos=first)
    assert view.pending is not None and ALT_COLUMN == 4


def _fence_editor(window_factory: Any, make_service: Any, qtbot: Any) -> tuple[Any, Any]:
    """The ArduPilot simulator's window with its map shown, not following, and the fence list chosen."""
    service = make_service("ardupilot")
    win = window_factory(service)
    view = win.map_panel.view
    wait_until(lambda: service.vehicle_state().home is not None, 15, "home position")
    qtbot.waitUntil(lambda: view.snapshot is not None and view.snapshot.vehicle() is not None, timeout=5000)
    win.map_dock.raise_()
    qtbot.waitUntil(lambda: view.width() > 200, timeout=3000)
    view.set_follow(False)
    win.missions_panel.show_kind(MissionType.FENCE)
    return service, win


def test_fence_and_rally_edited_on_the_map_ardupilot(window_factory: Any, make_service: Any, qtbot: Any) -> None:
    service, win = _fence_editor(window_factory, make_service, qtbot)
    missions, panel = win.missions_panel, win.map_panel
    view = panel.view
    offered = [missions.adder.kind.itemText(n) for n in range(missions.adder.kind.count())]
    assert offered == ["Fence vertex (stay inside)", "Fence vertex (keep out)", "Fence circle (stay inside)",
                       "Fence circle (keep out)"]
    assert not missions.start_button.isEnabled()
    missions.map_button.setChecked(True)
    cx, cy = view.width() // 2, view.height() // 2
    corners = [QPoint(cx - 80, cy - 60), QPoint(cx + 80, cy - 60), QPoint(cx + 80, cy + 60), QPoint(cx - 80, cy + 60)]
    for corner in corners:
        qtbot.mouseClick(view, LEFT, pos=corner)
    vertices = missions.items()
    assert [i.command for i in vertices] == [M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION] * 4
    assert [i.param1 for i in vertices] == [4.0] * 4  # each vertex says how many the polygon has
    assert "Editing the fence (4 item(s)" in panel.info.text()
    _drag(view, corners[2], QPoint(cx + 110, cy + 80))
    assert distance_m(LatLon(missions.items()[2].x, missions.items()[2].y), view.geo_at(QPointF(cx + 110, cy + 80))) < 1
    missions.adder.choose("Fence circle (keep out)")
    missions.adder.radius.setValue(12)
    win.missions_dock.raise_()
    qtbot.mouseClick(missions.adder.button, LEFT)
    qtbot.waitUntil(lambda: len(missions.items()) == 5, timeout=3000)
    circle = missions.items()[4]
    assert circle.command == M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION and circle.param1 == 12.0
    assert missions.table.item(4, ALT_COLUMN).text() == "r 12"
    fence = missions.draft.mission
    qtbot.mouseClick(missions.upload_button, LEFT)
    qtbot.waitUntil(lambda: "Uploaded 5 item(s)" in missions.status_label.text(), timeout=8000)
    held = service.download_mission(MissionType.FENCE)
    assert held.matches(fence), (held, fence)

    missions.show_kind(MissionType.RALLY)
    assert missions.items() == () or all(i.command == M.MAV_CMD_NAV_RALLY_POINT for i in missions.items())
    win.map_dock.raise_()
    qtbot.mouseClick(view, LEFT, pos=QPoint(cx + 30, cy - 90))
    rally = missions.draft.mission
    assert [(i.command, i.z) for i in rally.items] == [(M.MAV_CMD_NAV_RALLY_POINT, 15.0)]
    assert "Editing the rally (1 item(s)" in panel.info.text()
    missions.upload()
    qtbot.waitUntil(lambda: "Uploaded 1 item(s)" in missions.status_label.text(), timeout=8000)
    assert service.download_mission(MissionType.RALLY).matches(rally)
    missions.show_kind(MissionType.FENCE)  # the fence is back as uploaded, the mission untouched
    qtbot.waitUntil(lambda: len(missions.items()) == 5, timeout=3000)
    missions.show_kind(MissionType.MISSION)
    qtbot.waitUntil(lambda: missions.items() == (), timeout=3000)
    print(f"fence {len(held.items)} items, rally {len(rally.items)} uploaded and read back (ArduPilot)")


def test_two_polygons_clicked_and_a_radius_edited_ardupilot(window_factory: Any, make_service: Any,
                                                           qtbot: Any) -> None:
    """A stay-inside polygon, then "keep-out" chosen and a second polygon clicked inside it; a circle's
    radius typed in the table (a bad one refused); uploaded and read back with each polygon's count."""
    service, win = _fence_editor(window_factory, make_service, qtbot)
    missions, panel = win.missions_panel, win.map_panel
    view = panel.view
    assert missions.polygon_chooser.isVisibleTo(missions)
    missions.map_button.setChecked(True)
    cx, cy = view.width() // 2, view.height() // 2
    for dx, dy in ((-90, -70), (90, -70), (90, 70), (-90, 70)):
        qtbot.mouseClick(view, LEFT, pos=QPoint(cx + dx, cy + dy))
    missions.polygon_chooser.choose(False)  # keep out: the next clicks start a red polygon
    assert "a vertex to a new keep-out polygon" in panel.info.text()
    for dx, dy in ((-30, -20), (30, -20), (0, 30)):
        qtbot.mouseClick(view, LEFT, pos=QPoint(cx + dx, cy + dy))
    items = missions.items()
    assert [i.command for i in items] == [M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION] * 4 + [
        M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION] * 3
    assert [i.param1 for i in items] == [4.0] * 4 + [3.0] * 3
    assert [(d.polygon, d.keep_out) for d in view.edit_points or ()] == [(0, False)] * 4 + [(1, True)] * 3
    assert missions.table.item(4, 1).text() == "Fence vertex (keep out, of 3)"
    missions.polygon_chooser.new_button.click()  # a second keep-out right after the first would merge
    qtbot.mouseClick(view, LEFT, pos=QPoint(cx + 120, cy + 90))
    assert "would join it" in panel.info.text() and len(missions.items()) == 7

    win.missions_dock.raise_()
    missions.adder.choose("Fence circle (stay inside)")
    missions.adder.radius.setValue(50)
    missions.table.clearSelection()
    qtbot.mouseClick(missions.adder.button, LEFT)
    qtbot.waitUntil(lambda: len(missions.items()) == 8, timeout=3000)
    assert missions.table.item(7, ALT_COLUMN).flags() & Qt.ItemFlag.ItemIsEditable
    missions.set_altitude(7, "r 80")  # the radius typed in its cell
    assert missions.items()[7].param1 == 80.0 and missions.table.item(7, ALT_COLUMN).text() == "r 80"
    for bad in ("0", "-5", "nan", "wide"):
        missions.set_altitude(7, bad)
        assert "refused" in missions.status_label.text() and missions.items()[7].param1 == 80.0
        assert missions.table.item(7, ALT_COLUMN).text() == "r 80"
    fence = missions.draft.mission
    qtbot.mouseClick(missions.upload_button, LEFT)
    qtbot.waitUntil(lambda: "Uploaded 8 item(s)" in missions.status_label.text(), timeout=8000)
    held = service.download_mission(MissionType.FENCE)
    assert held.matches(fence), (held, fence)
    inside, out = M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
    assert [(i.command, i.param1) for i in held.items] == [(inside, 4.0)] * 4 + [(out, 3.0)] * 3 + [
        (M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION, 80.0)]
    print(f"two polygons + circle: {[(i.command, i.param1) for i in held.items]} read back (ArduPilot)")
