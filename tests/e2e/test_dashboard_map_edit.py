"""Editing the mission on the dashboard's map in Chromium against the real program (PX4 simulator, real
MAVLink on loopback): an operator's "Edit on map" makes the list a draft, a click on the map adds a
waypoint where Leaflet's projection puts that pixel, a dragged marker moves it, the Missions table
follows, no click becomes a goto, and the upload is what the simulator holds; a viewer has no toggle
and a click adds nothing."""

from __future__ import annotations

from typing import Any

import pytest

from gcs.core.map.geo import LatLon, distance_m
from tests.conftest import wait_until
from tests.e2e.conftest import SCREENSHOTS, Program, sign_in, wait_js

pytestmark = pytest.mark.slow


def _rows(page: Any) -> list[tuple[float, float, str]]:
    """Latitude, longitude and altitude of each row of the Missions table."""
    rows = page.locator("#missions-body tr").all()
    return [(float(r.locator("td:nth-child(3)").inner_text()), float(r.locator("td:nth-child(4)").inner_text()),
             r.locator("td:nth-child(5)").inner_text()) for r in rows]


def _geo(page: Any, x: float, y: float) -> LatLon:
    lat, lon = page.evaluate("([x, y]) => { const p = window.kestrel.map.map.containerPointToLatLng([x, y]);"
                             " return [p.lat, p.lng]; }", [x, y])
    return LatLon(lat, lon)


def _ready(page: Any, program: Program, role: str) -> Any:
    wait_until(lambda: program.service.vehicle_state().home is not None, 15, "home position")
    sign_in(page, program, role)
    page.wait_for_selector("#missions:not([hidden]) #missions-refresh", state="attached")
    wait_js(page, "document.querySelector('.map-vehicle.active') !== null", 15_000)
    page.evaluate("() => { window.kestrel.map.follow = false; }")  # the map stays put under the clicks
    page.locator("#map-panel").scroll_into_view_if_needed()
    return page.locator("#map").bounding_box()


def test_viewer_has_no_edit_toggle_and_a_click_adds_nothing(open_page: Any, program: Program) -> None:
    page = open_page()
    box = _ready(page, program, "viewer")
    assert page.locator("#missions-map-edit").count() == 0
    page.mouse.click(box["x"] + 80, box["y"] + 80)
    page.wait_for_timeout(300)
    assert page.locator(".map-draft").count() == 0 and page.locator("#missions-body tr").count() == 0


def test_operator_clicks_drags_and_uploads(open_page: Any, program: Program) -> None:
    page = open_page()
    box = _ready(page, program, "operator")
    page.mouse.click(box["x"] + 60, box["y"] + 60)  # not editing: a click waits to be flown to
    wait_js(page, "window.kestrel.map.pending !== null")
    page.locator("#missions-map-alt").fill("22")
    page.locator("#missions-map-alt").dispatch_event("change")
    page.locator("#missions-map-edit").click()
    assert page.locator("#missions-map-edit").get_attribute("aria-pressed") == "true"
    assert page.evaluate("() => window.kestrel.map.pending") is None and page.locator("#map-fly").is_hidden()
    page.locator("#map-panel").scroll_into_view_if_needed()
    box = page.locator("#map").bounding_box()

    first, second = (box["width"] / 2 - 70, box["height"] / 2 - 50), (box["width"] / 2 + 60, 60.0)
    want = [_geo(page, *first), _geo(page, *second)]
    for x, y in (first, second):
        page.mouse.click(box["x"] + x, box["y"] + y)
    wait_js(page, "document.querySelectorAll('#missions-body tr').length === 2", 5000)
    rows = _rows(page)
    for (lat, lon, alt), point in zip(rows, want, strict=True):
        assert distance_m(LatLon(lat, lon), point) < 1.0 and alt == "22 m"
    assert page.locator(".map-draft").count() == 2
    assert "edited, not uploaded" in page.locator("#missions-count").inner_text()
    assert page.evaluate("() => window.kestrel.map.pending") is None  # no goto while editing

    target = (first[0] + 80, first[1] + 70)
    page.mouse.move(box["x"] + first[0], box["y"] + first[1])
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(box["x"] + first[0] + (target[0] - first[0]) * k / 10,
                        box["y"] + first[1] + (target[1] - first[1]) * k / 10)
    page.mouse.up()
    moved = _geo(page, *target)
    wait_js(page, f"document.querySelector('#missions-body tr td:nth-child(3)').textContent === "
                  f"{format(moved.lat_deg, '.7f')!r}", 5000)
    rows = _rows(page)
    assert distance_m(LatLon(rows[0][0], rows[0][1]), moved) < 1.0
    assert distance_m(LatLon(rows[1][0], rows[1][1]), want[1]) < 1.0 and len(rows) == 2
    assert page.evaluate("() => window.kestrel.map.pending") is None

    page.locator("#missions-upload").click()
    wait_js(page, "document.getElementById('missions-note').textContent.includes('Uploaded 2 item(s)')", 30_000)
    held = program.service.download_mission().items
    assert len(held) == 2
    for item, (lat, lon, _alt) in zip(held, rows, strict=True):
        assert abs(item.x - lat) < 2e-7 and abs(item.y - lon) < 2e-7 and item.z == 22.0
    print(f"dashboard map edit: {[(round(i.x, 7), round(i.y, 7), i.z) for i in held]}")
    wait_js(page, "document.querySelectorAll('.map-draft').length === 2", 5000)  # editing goes on from the upload
    page.locator("#map-panel").scroll_into_view_if_needed()
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 90, box["y"] + box["height"] / 2 + 40)  # one more, unsent
    wait_js(page, "document.querySelectorAll('.map-draft').length === 3", 5000)
    if SCREENSHOTS.is_dir():
        page.locator("#map-panel").screenshot(path=str(SCREENSHOTS / "dashboard_map_edit.png"))
    page.locator("#missions-map-edit").click()  # editing off: clicks fly again
    page.locator("#map-panel").scroll_into_view_if_needed()
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + 60, box["y"] + 60)
    wait_js(page, "window.kestrel.map.pending !== null")
    assert page.locator(".map-draft").count() == 0
