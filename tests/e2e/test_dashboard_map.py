"""The dashboard's map in Chromium (Leaflet vendored into the page) over a real program.

A viewer sees the map (the grid, the vehicle where telemetry says) and no way to fly from it; an
operator's click marks a point and "Fly here" sends the goto only after the hold (a click sends
nothing, on the ground it is disabled with the program's reason) and the simulator flies there;
with a tile source (a loopback tile server) the tiles come through /api/map/tiles and the target
estimate lies on the true car; a mission, fence and rally points uploaded to the simulator are drawn
(the current item highlighted, moved by the stream, the lists fetched again when one changes).
Screenshots to docs/screenshots, looked at.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from gcs.core.map.geo import local, offset
from gcs.core.tracking.types import TrackState
from gcs.core.vehicle.mission import MissionType
from tests.e2e.conftest import PHONE, SCREENSHOTS, Program, running_program, sign_in, wait_js, wait_state
from tests.e2e.test_dashboard import ensure_flying, hold
from tests.map_mission_support import upload_plan
from tests.map_tiles_support import TileServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Program]:
    with running_program(tmp_path_factory.mktemp("e2e-map")) as program:
        yield program


def _page_point(page: Any, lat: float, lon: float) -> tuple[float, float]:
    """Page coordinates of a latitude/longitude on the Leaflet map."""
    box = page.locator("#map").bounding_box()
    x, y = page.evaluate("([lat, lon]) => { const p = window.kestrel.map.map.latLngToContainerPoint([lat, lon]);"
                         " return [p.x, p.y]; }", [lat, lon])
    return box["x"] + x, box["y"] + y


def _marker_offsets(page: Any, waypoints: list[tuple[float, float]]) -> list[float]:
    """How far (px) each waypoint marker's centre is from its latitude/longitude on the map, all read in
    one evaluation (a pan between two reads would move one and not the other)."""
    return [float(d) for d in page.evaluate(
        """(points) => {
          const map = window.kestrel.map.map, at = document.getElementById("map").getBoundingClientRect();
          const marks = [...document.querySelectorAll(".map-wp")];
          if (marks.length !== points.length) return points.map(() => Infinity);
          return marks.map((el, i) => {
            const r = el.getBoundingClientRect(), p = map.latLngToContainerPoint(points[i]);
            return Math.hypot(at.left + p.x - (r.left + r.width / 2), at.top + p.y - (r.top + r.height / 2));
          });
        }""", [list(w) for w in waypoints])]


def _vehicle_on_page(page: Any) -> tuple[float, float]:
    """The active vehicle marker's centre, read in one evaluation: the page redraws the marker at every
    map event (4 Hz), so a locator resolved before a redraw measures a detached element (None)."""
    for _ in range(20):
        at = page.evaluate("() => { const r = document.querySelector('.map-vehicle.active')?.getBoundingClientRect();"
                           " return r ? [r.left + r.width / 2, r.top + r.height / 2] : null; }")
        if at is not None:
            return float(at[0]), float(at[1])
        page.wait_for_timeout(100)
    raise AssertionError("no active vehicle marker on the map")


def test_viewer_sees_the_map_on_the_grid_and_cannot_fly(open_page: Any, program: Program) -> None:
    page = open_page(PHONE, phone=True)
    sign_in(page, program, "viewer")
    page.locator("#map-panel").scroll_into_view_if_needed()
    wait_js(page, "document.querySelector('.map-vehicle.active') !== null")
    assert page.locator("#map").get_attribute("data-tiles") == "grid"
    assert page.locator("#map-grid").inner_text().startswith("grid ")
    assert page.locator(".leaflet-control-scale").count() == 1 and page.locator(".map-north").count() == 1
    assert page.locator("#map-goto").count() == 0, "a viewer has no Fly here"
    gp = program.service.vehicle_state().global_position
    want = _page_point(page, gp.lat_deg, gp.lon_deg)
    got = _vehicle_on_page(page)
    assert math.hypot(want[0] - got[0], want[1] - got[1]) < 6, "the vehicle is drawn where telemetry says"
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the map widened the phone page to {width} px"
    page.locator("#map-panel").screenshot(path=str(SCREENSHOTS / "dashboard_map_phone.png"))


def test_operator_click_to_fly_only_after_the_hold(open_page: Any, program: Program) -> None:
    service = program.service
    sim = service.simulators[0]
    page = open_page()
    sign_in(page, program, "operator")
    wait_js(page, "document.querySelector('.map-vehicle.active') !== null")
    if not service.vehicle_state().armed:  # on the ground: the point can be marked, not flown to
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
        page.wait_for_selector("#map-fly:not([hidden])")
        wait_js(page, "document.getElementById('map-goto').disabled")
        assert "Unavailable: not armed" in (page.locator("#map-goto").get_attribute("title") or "")
        page.locator("#map-cancel").click()
    ensure_flying(program, 12.0)
    wait_js(page, "!document.getElementById('map-goto').disabled || document.getElementById('map-fly').hidden")
    home = service.vehicle_state().home
    goal = offset(home.lat_deg, home.lon_deg, 25.0, -20.0)
    page.evaluate("() => window.kestrel.map.map.setZoom(18, {animate: false})")
    page.wait_for_timeout(300)
    x, y = _page_point(page, goal.lat_deg, goal.lon_deg)
    page.mouse.click(x, y)
    page.wait_for_selector("#map-fly:not([hidden])")
    pending = page.evaluate("() => window.kestrel.map.pending")
    n, e = local(goal.lat_deg, goal.lon_deg, pending["lat_deg"], pending["lon_deg"])
    assert math.hypot(n, e) < 2.0, "the marked point is where the map was clicked"
    assert "Fly to" in page.locator("#map-info").inner_text()
    wait_js(page, "!document.getElementById('map-goto').disabled")
    page.locator("#map-goto").click()  # a click is not the hold
    page.wait_for_timeout(600)
    assert service.map_state().goto is None, "a click sent nothing"
    hold(page, "#map-goto")
    wait_state(lambda: service.map_state().goto is not None, "the goto sent after the hold")

    def off() -> float:
        s = sim.snapshot()
        n, e = local(goal.lat_deg, goal.lon_deg, s.lat_deg, s.lon_deg)
        return math.hypot(n, e)

    wait_state(lambda: off() < 2.0, "the simulator at the clicked point", 40)
    page.wait_for_timeout(800)
    page.locator("#map-panel").screenshot(path="/tmp/kestrel_dashboard_map_goto.png")


def test_tiles_from_the_program_and_the_estimate_on_the_true_car(open_page: Any, program: Program) -> None:
    service = program.service
    with TileServer() as server:
        service.config.set("map", "tile_url", server.template, source="test")
        service.config.set("map", "tile_attribution", "test tiles © Kestrel", source="test")
        service.config.set("safety", "geofence_radius_m", 150.0, source="test")
        ensure_flying(program, 12.0)
        home = service.vehicle_state().home
        # back over home, 20 m up, facing north (where car-1 starts): 10 m south of it, then north to it
        for north in (-10.0, 0.0):
            over = offset(home.lat_deg, home.lon_deg, north, 0.0)
            service.goto(over.lat_deg, over.lon_deg, 20.0)

            def there(p: Any = over) -> bool:
                gp = service.vehicle_state().global_position
                return gp.alt_rel_m > 19.0 and math.hypot(*local(p.lat_deg, p.lon_deg, gp.lat_deg, gp.lon_deg)) < 1.5

            wait_state(there, f"{north} m north of home", 40)
        wait_state(lambda: abs(math.remainder(service.vehicle_state().attitude.yaw_rad, 2 * math.pi)) < 0.3,
                   "facing north", 10)
        service.start_video()
        wait_state(lambda: service.latest_frame() is not None, "a frame")
        source = service.vision._require()[0].source
        camera = source.camera
        truth = {t.target_id: t.box for t in camera.targets_in_image(source.scene_time_s())}
        if "car-1" not in truth:
            pytest.skip(f"car-1 not in view from here: {sorted(truth)}")
        service.start_tracking(*truth["car-1"])
        wait_state(lambda: service.tracker_data().state is TrackState.LOCKED, "locked on car-1")
        service.start_following()  # keeps car-1 in view (and shows the setpoint arrow)
        page = open_page()
        sign_in(page, program, "operator")
        wait_js(page, "document.querySelectorAll('#map img.leaflet-tile-loaded').length > 0")
        assert server.requests and all("/tiles/" in r for r in server.requests)
        assert "test tiles © Kestrel" in page.locator(".leaflet-control-attribution").inner_text()
        wait_js(page, "window.kestrel.map.snapshot?.target?.state === 'locked'", timeout=30_000)
        est = page.evaluate("() => window.kestrel.map.snapshot.target")
        car = next(t for t in camera.target_states(source.scene_time_s() - est["age_s"] - 0.3)
                   if t.target_id == "car-1")
        lat0, lon0 = camera._origin
        n, e = local(lat0, lon0, est["lat_deg"], est["lon_deg"])
        err = math.hypot(n - car.north_m, e - car.east_m)
        assert err < 0.10 * est["slant_range_m"] + 2.0, f"estimate {err:.1f} m from the car"
        assert page.locator(".map-target").count() == 1
        page.wait_for_timeout(1000)
        page.screenshot(path=str(SCREENSHOTS / "dashboard_map.png"))
        service.stop_following()
        service.stop_tracking()
        service.config.set("map", "tile_url", "", source="test")


def test_the_mission_fence_and_rally_uploaded_to_the_simulator_are_drawn(open_page: Any, program: Program) -> None:
    service = program.service
    wait_state(lambda: service.vehicle_state().home is not None, "a home position")
    plan = upload_plan(service)
    service.set_mission_current(plan.first_seq + 2)  # the third waypoint, labelled 4
    page = open_page()
    sign_in(page, program, "viewer")
    page.locator("#map-panel").scroll_into_view_if_needed()
    wait_js(page, "document.querySelectorAll('.map-wp').length === 5")
    wait_js(page, "document.querySelector('.map-wp.current')?.textContent === '4'")
    labels = page.evaluate("() => [...document.querySelectorAll('.map-wp')].map((e) => e.textContent)")
    assert labels == [str(n) for n in range(plan.first_number, plan.first_number + 5)]
    # the markers outlive the 4 Hz map snapshots (rebuilt they closed a waypoint's tooltip under the
    # mouse, and a marker measured here vanished between two calls: 2 runs in 5)
    page.evaluate("() => { document.querySelector('.map-wp').dataset.seen = '1'; }")
    page.wait_for_timeout(1200)
    assert page.evaluate("() => document.querySelector('.map-wp').dataset.seen") == "1"
    offsets = _marker_offsets(page, plan.waypoints)
    for _ in range(25):  # the map follows the flying vehicle: a pan may be under way
        if max(offsets) < 6:
            break
        page.wait_for_timeout(200)
        offsets = _marker_offsets(page, plan.waypoints)
    assert max(offsets) < 6, f"each waypoint is drawn where it is: {offsets} px off"
    assert page.locator(".map-mission-path").count() == 1
    assert page.locator(".map-fence-in").count() == 1 and page.locator(".map-fence-out").count() == 1
    assert page.locator(".map-rally").count() == 2 and page.locator(".map-fence-return").count() == 1
    page.locator("#map-panel").screenshot(path=str(SCREENSHOTS / "dashboard_map_mission.png"))

    service.set_mission_current(plan.first_seq)  # the stream's events move the highlight
    wait_js(page, "document.querySelector('.map-wp.current')?.textContent === '2'")
    service.clear_mission(MissionType.RALLY)  # a changed list: the page fetches the lists again
    wait_js(page, "document.querySelectorAll('.map-rally').length === 0")
    assert page.locator(".map-wp").count() == 5
