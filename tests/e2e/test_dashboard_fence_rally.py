"""Geofence and rally points in the dashboard's Missions panel and on its map, in Chromium against the
real program flying the ArduPilot simulator (real MAVLink on loopback): an operator shows the geofence,
clicks a polygon on the map (each vertex carrying the vertex count), adds a keep-out circle with a
radius, deletes a vertex, uploads it as its own list (kind=fence); then a rally point; both read back
identical from the simulator; a viewer sees the lists but cannot edit them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.config import SimConfig
from gcs.core.sim.vehicle import SimVehicle
from gcs.core.vehicle.mission import MissionType
from tests.conftest import wait_until
from tests.e2e.conftest import Program, running_program, sign_in, wait_js

pytestmark = pytest.mark.slow
M = mavlink


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Program]:
    """The program listening (udpin) for an ArduPilot simulator of its own."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sim = SimVehicle(SimConfig(flavour="ardupilot", system_id=1, targets=(("127.0.0.1", port),), gps_fix_delay_s=0.0))
    sim.start()
    try:
        with running_program(tmp_path_factory.mktemp("e2e-fence"), demo=False, video=False,
                             connect=(f"udpin:127.0.0.1:{port}",)) as program:
            yield program
    finally:
        sim.stop()


def _ready(page: Any, program: Program, role: str) -> Any:
    wait_until(lambda: program.service.vehicle_state().home is not None, 15, "home position")
    sign_in(page, program, role)
    page.wait_for_selector("#missions:not([hidden]) #missions-kind", state="attached")
    wait_js(page, "document.querySelector('.map-vehicle.active') !== null", 15_000)
    page.evaluate("() => { window.kestrel.map.follow = false; }")
    return page


def _box(page: Any) -> Any:
    page.locator("#map").evaluate("(e) => e.scrollIntoView({ block: 'center' })")  # clear of the sticky top bar
    return page.locator("#map").bounding_box()


def _click(page: Any, x: float, y: float) -> None:
    """A click at a point of the map (the page moves as the table above it grows)."""
    box = _box(page)
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_timeout(50)


def _cells(page: Any, column: int) -> list[str]:
    return list(page.locator(f"#missions-body tr td:nth-child({column})").all_inner_texts())


def _rows_read(page: Any, count: int) -> None:
    """The table re-rendered with the vehicle's copy after an upload (read mid-render it is short)."""
    wait_js(page, f"document.querySelectorAll('#missions-body tr').length === {count}", 10_000)


def _note(page: Any, needle: str) -> None:
    wait_js(page, f"document.getElementById('missions-note').textContent.includes({needle!r})", 30_000)


def test_operator_edits_fence_and_rally_on_the_map_viewer_only_sees(open_page: Any, program: Program) -> None:
    page = _ready(open_page(), program, "operator")
    page.locator("#missions-kind").select_option("fence")
    assert page.locator("#missions-start").is_hidden() and page.locator("#missions-generate").is_hidden()
    assert page.locator("#missions-circle").is_visible()
    page.locator("#missions-map-edit").click()
    box = _box(page)
    cx, cy = box["width"] / 2, box["height"] / 2
    for dx, dy in ((-90, -70), (90, -70), (90, 70), (-90, 70), (0, 100)):
        _click(page, cx + dx, cy + dy)
    wait_js(page, "document.querySelectorAll('#missions-body tr').length === 5", 5000)
    assert all(c.startswith("Fence polygon vertex inclusion") for c in _cells(page, 2))
    assert "Editing the fence (5 item(s)" in page.locator("#map-info").inner_text()
    page.locator("#missions-body tr:nth-child(5) .missions-del").click()  # the fifth vertex, deleted
    wait_js(page, "document.querySelectorAll('#missions-body tr').length === 4", 5000)
    page.locator("#missions-circle-kind").select_option("out")
    page.locator("#missions-circle-r").fill("12")
    page.locator("#missions-circle-add").click()
    wait_js(page, "document.querySelectorAll('#missions-body tr').length === 5", 10_000)
    assert page.locator("#missions-body tr:nth-child(5) .missions-radius").input_value() == "12"  # editable
    assert page.locator(".map-draft").count() == 5
    page.locator("#missions-upload").click()
    _note(page, "Uploaded 5 item(s): the vehicle has this fence")
    fence = program.service.download_mission(MissionType.FENCE).items
    assert [i.command for i in fence] == [M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION] * 4 + [
        M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION]
    assert [i.param1 for i in fence] == [4.0, 4.0, 4.0, 4.0, 12.0]  # the count follows the deletion
    _rows_read(page, 5)
    lats = [float(t) for t in _cells(page, 3)[:4]]
    assert all(abs(i.x - lat) < 2e-7 for i, lat in zip(fence[:4], lats, strict=True))

    page.locator("#missions-kind").select_option("rally")
    page.locator("#missions-map-alt").fill("25")
    page.locator("#missions-map-alt").dispatch_event("change")
    _click(page, cx + 40, cy - 100)
    wait_js(page, "document.querySelectorAll('#missions-body tr').length === 1", 5000)
    assert _cells(page, 2) == ["Rally point"] and _cells(page, 5) == ["25 m"]
    page.locator("#missions-upload").click()
    _note(page, "Uploaded 1 item(s): the vehicle has this rally")
    rally = program.service.download_mission(MissionType.RALLY).items
    assert [(i.command, i.z) for i in rally] == [(M.MAV_CMD_NAV_RALLY_POINT, 25.0)]
    assert program.service.download_mission().items == ()  # the mission untouched
    page.locator("#missions-kind").select_option("fence")  # the fence as uploaded
    wait_js(page, "document.querySelectorAll('#missions-body tr').length === 5", 5000)
    assert "rally" not in page.locator("#missions-note").inner_text()  # the rally's note does not stay under the fence
    shots = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if shots.is_dir():
        page.locator("#missions").screenshot(path=str(shots / "dashboard_fence_edit.png"))
    print(f"dashboard fence {[(round(i.x, 7), round(i.y, 7), i.param1) for i in fence]}, rally {rally[0].z} m")

    viewer = _ready(open_page(), program, "viewer")
    viewer.locator("#missions-kind").select_option("fence")
    wait_js(viewer, "document.querySelectorAll('#missions-body tr').length === 5", 10_000)
    for control in ("#missions-map-edit", "#missions-circle", ".missions-del", "#missions-upload"):
        assert viewer.locator(control).count() == 0, control


def test_two_polygons_clicked_keep_out_red_and_a_radius_edited(open_page: Any, program: Program) -> None:
    """A stay-inside polygon, "keep-out" chosen and three more clicks (a second polygon, red on the map),
    a circle's radius typed anew (0 refused); uploaded to the ArduPilot simulator and read back with
    each polygon's own count."""
    program.service.clear_mission(MissionType.FENCE)
    page = _ready(open_page(), program, "operator")
    page.locator("#missions-kind").select_option("fence")
    assert page.locator("#missions-polygon").is_visible()
    page.locator("#missions-map-edit").click()
    box = _box(page)
    cx, cy = box["width"] / 2, box["height"] / 2
    for dx, dy in ((-90, -70), (90, -70), (90, 70), (-90, 70)):
        _click(page, cx + dx, cy + dy)
    page.locator("#missions-polygon-kind").select_option("out")
    assert "a vertex to a new keep-out polygon" in page.locator("#map-info").inner_text()
    for dx, dy in ((-30, -20), (30, -20), (0, 30)):
        _click(page, cx + dx, cy + dy)
    wait_js(page, "document.querySelectorAll('#missions-body tr').length === 7", 5000)
    assert page.locator(".map-draft-keepout").count() == 1
    page.locator("#missions-polygon-new").click()  # a second keep-out touching the first: refused
    _click(page, cx + 120, cy + 90)
    assert "would join it" in page.locator("#map-info").inner_text()
    page.locator("#missions-circle-kind").select_option("in")
    page.locator("#missions-circle-r").fill("50")
    page.locator("#missions-circle-add").click()
    wait_js(page, "document.querySelectorAll('#missions-body tr').length === 8", 10_000)
    typed = "(e, v) => { e.value = v; e.dispatchEvent(new Event('change', { bubbles: true })); }"
    page.locator("#missions-body tr:nth-child(8) .missions-radius").evaluate(typed, "80")  # typed, then Enter
    _note(page, "Radius 80 m")
    page.locator("#missions-body tr:nth-child(8) .missions-radius").evaluate(typed, "0")
    _note(page, "Radius refused: 0 is not a radius")
    assert page.locator("#missions-body tr:nth-child(8) .missions-radius").input_value() == "80"
    page.locator("#missions-upload").click()
    _note(page, "Uploaded 8 item(s): the vehicle has this fence")
    fence = program.service.download_mission(MissionType.FENCE).items
    inside, out = M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
    assert [(i.command, i.param1) for i in fence] == [(inside, 4.0)] * 4 + [(out, 3.0)] * 3 + [
        (M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION, 80.0)]
    _rows_read(page, 8)
    lats = [float(t) for t in _cells(page, 3)[:7]]
    assert all(abs(i.x - lat) < 2e-7 for i, lat in zip(fence[:7], lats, strict=True))
    print(f"dashboard two polygons + circle: {[(i.command, i.param1) for i in fence]}")
