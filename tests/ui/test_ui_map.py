"""The Map dock (pytest-qt, offscreen) over a real service flying the built-in simulator.

The vehicle is drawn where telemetry says; with no tile source the ground is the metric grid; a
click on the map sends the goto only once confirmed (hold the button, or the shortcut twice) and the
simulated vehicle really flies there; with the loopback tile server as the source, tiles are drawn
and the target estimate lands on the true car; a mission, fence and rally points uploaded to the simulator
are painted (numbered waypoints, the current one highlighted). Screenshots go to docs/screenshots (looked at).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from gcs.core.map.geo import local, offset
from gcs.core.tracking.types import TrackState
from gcs.ui.qt_map_layers import ACTIVE
from gcs.ui.qt_map_mission import CURRENT, FENCE_IN, RALLY, WAYPOINT
from tests.conftest import ROOT
from tests.map_mission_support import KEEP_OUT, upload_plan
from tests.map_tiles_support import TileServer

WAIT_MS = 20_000
SHOTS = ROOT / "docs" / "screenshots"


def _show_map(qtbot: Any, window: Any) -> Any:
    window.resize(1600, 1000)
    window.map_dock.show()
    window.map_dock.raise_()
    panel = window.map_panel
    qtbot.waitUntil(lambda: panel.view.isVisible() and panel.view.snapshot is not None
                    and panel.view.snapshot.vehicle() is not None
                    and panel.view.snapshot.vehicle().has_position, timeout=WAIT_MS)
    return panel


def _fly(qtbot: Any, service: Any, alt: float) -> None:
    qtbot.waitUntil(lambda: service.vehicle_state().gps.has_fix, timeout=WAIT_MS)
    service.arm()
    service.takeoff(alt)
    qtbot.waitUntil(lambda: service.vehicle_state().global_position.alt_rel_m > alt - 1.0, timeout=WAIT_MS)


def _near(colour: QColor, want: QColor, tol: int = 40) -> bool:
    return all(abs(a - b) <= tol for a, b in ((colour.red(), want.red()), (colour.green(), want.green()),
                                              (colour.blue(), want.blue())))


def test_vehicle_drawn_where_telemetry_says_on_the_grid(qtbot: Any, window: Any, service: Any) -> None:
    panel = _show_map(qtbot, window)
    view = panel.view
    assert view.snapshot.tiles.kind == "grid"
    qtbot.wait(600)  # a few more snapshots
    state = service.vehicle_state()
    at = view.screen_point(state.global_position.lat_deg, state.global_position.lon_deg)
    assert abs(at.x() - view.width() / 2) < 3 and abs(at.y() - view.height() / 2) < 3, "centred on it"
    image = view.grab().toImage()
    hits = sum(_near(image.pixelColor(round(at.x()) + dx, round(at.y()) + dy), ACTIVE)
               for dx in range(-4, 5) for dy in range(-4, 5))
    assert hits >= 10, "the vehicle's arrow is painted at its telemetry position"
    # pan away: the vehicle is drawn where it is, off centre, and Centre brings it back
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    qtbot.mouseMove(view, QPoint(260, 240))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(260, 240))
    assert not view.follow and not panel.centre_button.isChecked() and view.pending is None, "a drag is no click"
    moved = view.screen_point(state.global_position.lat_deg, state.global_position.lon_deg)
    assert abs(moved.x() - at.x() - 60) < 3 and abs(moved.y() - at.y() - 40) < 3
    panel.centre_button.click()
    assert view.follow
    assert "Unavailable: not armed" in panel.fly_button.toolTip() or not panel.fly_button.isEnabled()
    view.grab().save(str(SHOTS / "gui_map_grid.png"))


def test_click_to_fly_sends_the_goto_only_after_confirmation(qtbot: Any, window: Any, service: Any) -> None:
    panel = _show_map(qtbot, window)
    view = panel.view
    sim = service.simulators[0]
    _fly(qtbot, service, 12.0)
    qtbot.waitUntil(lambda: panel._reason is None, timeout=WAIT_MS)
    home = service.vehicle_state().home
    goal = offset(home.lat_deg, home.lon_deg, 30.0, 20.0)
    panel.centre_button.setChecked(False)
    view.zoom = 18.0  # the default is 17.5
    view.center = goal
    p = view.screen_point(goal.lat_deg, goal.lon_deg)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(round(p.x()), round(p.y())))
    assert view.pending is not None and panel.fly_button.isEnabled()
    n, e = local(goal.lat_deg, goal.lon_deg, view.pending.lat_deg, view.pending.lon_deg)
    assert math.hypot(n, e) < 1.0, "the click is where the map said"
    assert "Fly to" in panel.info.text() and "hold the button" in panel.info.text()

    qtbot.mousePress(panel.fly_button, Qt.MouseButton.LeftButton)  # released too soon
    qtbot.wait(300)
    qtbot.mouseRelease(panel.fly_button, Qt.MouseButton.LeftButton)
    panel.fly_action.trigger()  # the shortcut once: armed, lapses
    qtbot.waitUntil(lambda: "FLY HERE not sent: not confirmed" in panel.info.text(), timeout=WAIT_MS)
    assert not window.runner.is_busy("GOTO") and service.map_state().goto is None
    start = sim.snapshot()
    assert math.hypot(start.vn, start.ve) < 0.5, "nothing was sent: the vehicle still hovers"

    qtbot.mousePress(panel.fly_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.confirm.progress("goto") >= 1.0, timeout=WAIT_MS)
    qtbot.mouseRelease(panel.fly_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: service.map_state().goto is not None, timeout=WAIT_MS)

    def off() -> float:
        s = sim.snapshot()
        n, e = local(goal.lat_deg, goal.lon_deg, s.lat_deg, s.lon_deg)
        return math.hypot(n, e)

    qtbot.waitUntil(lambda: off() < 2.0, timeout=40_000)
    panel.centre_button.setChecked(True)
    qtbot.wait(500)
    view.grab().save(str(SHOTS / "gui_map_goto.png"))


def test_tiles_from_the_local_server_and_the_estimate_on_the_true_car(
        qtbot: Any, window_factory: Callable[..., Any], make_service: Callable[..., Any]) -> None:
    with TileServer() as server:
        service = make_service("px4", video__enabled=True, follow__profile="hold_distance",
                               map__tile_url=server.template, map__tile_attribution="test tiles © Kestrel",
                               safety__geofence_radius_m=120.0)
        window = window_factory(service)
        panel = _show_map(qtbot, window)
        view = panel.view
        _fly(qtbot, service, 20.0)
        service.start_video()
        qtbot.waitUntil(lambda: service.latest_frame() is not None, timeout=WAIT_MS)
        source = service.vision._require()[0].source
        camera = source.camera
        truth = {t.target_id: t.box for t in camera.targets_in_image(source.scene_time_s())}
        service.start_tracking(*truth["car-1"])
        qtbot.waitUntil(lambda: service.tracker_data().state is TrackState.LOCKED, timeout=WAIT_MS)
        service.start_following()
        qtbot.wait(4000)
        qtbot.waitUntil(lambda: view.snapshot.target is not None and view.snapshot.target.state == "locked"
                        and view.snapshot.setpoint is not None, timeout=WAIT_MS)
        assert view.snapshot.tiles.kind == "xyz" and panel.tiles.loaded > 0 and server.requests
        est = service.map_state().target
        car = next(t for t in camera.target_states(source.scene_time_s() - est.age_s) if t.target_id == "car-1")
        lat0, lon0 = camera._origin
        true = offset(lat0, lon0, car.north_m, car.east_m)
        drawn = view.screen_point(est.lat_deg, est.lon_deg)
        real = view.screen_point(true.lat_deg, true.lon_deg)
        px = math.hypot(drawn.x() - real.x(), drawn.y() - real.y())
        assert px * view.metres_per_px() < 0.10 * est.slant_range_m, "the estimate is drawn on the car"
        qtbot.wait(500)  # tiles of the last pan
        path = SHOTS / "gui_map.png"
        view.grab().save(str(path))
        window.grab().save(str(Path("/tmp") / "kestrel_gui_map_window.png"))
        assert path.stat().st_size > 10_000


def test_the_mission_fence_and_rally_uploaded_to_the_simulator_are_drawn(qtbot: Any, window: Any,
                                                                          service: Any) -> None:
    panel = _show_map(qtbot, window)
    view = panel.view
    qtbot.waitUntil(lambda: service.vehicle_state().home is not None, timeout=WAIT_MS)
    plan = upload_plan(service)
    current = plan.first_seq + 2  # the third waypoint
    service.set_mission_current(current)
    qtbot.waitUntil(lambda: view.snapshot.mission.current_seq == current and len(view.snapshot.mission.items) == 5
                    and len(view.snapshot.mission.rally) == 2, timeout=WAIT_MS)
    mission = view.snapshot.mission
    assert [w.number for w in mission.items] == list(range(plan.first_number, plan.first_number + 5))
    assert [(len(p.points), p.inclusion) for p in mission.polygons] == [(4, True)]
    assert [(c.inclusion, c.radius_m) for c in mission.circles] == [(False, KEEP_OUT[2])]
    view.zoom = 18.5
    qtbot.wait(400)
    image = view.grab().toImage()
    dpr = image.devicePixelRatio()

    def hits(lat: float, lon: float, colour: QColor, radius: int) -> int:
        at = view.screen_point(lat, lon)
        return sum(_near(image.pixelColor(round((at.x() + dx) * dpr), round((at.y() + dy) * dpr)), colour)
                   for dx in range(-radius, radius + 1) for dy in range(-radius, radius + 1))

    for n, (lat, lon) in enumerate(plan.waypoints):
        is_current = n == 2
        want = CURRENT if is_current else WAYPOINT
        assert hits(lat, lon, want, 8) >= 40, f"waypoint {n + 1} painted {'current' if is_current else 'plain'}"
        if not is_current:
            assert hits(lat, lon, CURRENT, 8) == 0, f"waypoint {n + 1} is not highlighted"
    for r in mission.rally:
        assert hits(r.lat_deg, r.lon_deg, RALLY, 6) >= 30, "rally point painted"
    c = mission.circles[0]
    centre = view.screen_point(c.lat_deg, c.lon_deg)
    inside = image.pixelColor(round(centre.x() * dpr), round((centre.y() + 10) * dpr))  # clear of the waypoints
    assert inside.red() > inside.green() + 40, f"the keep-out circle is filled red ({inside.name()})"
    assert hits(*mission.polygons[0].points[0], FENCE_IN, 2) >= 3, "the inclusion fence's corner painted green"
    view.grab().save(str(SHOTS / "gui_map_mission.png"))
