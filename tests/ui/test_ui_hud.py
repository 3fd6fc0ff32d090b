"""The HUD: values and warning colours from real VehicleState snapshots, and the vehicle selector."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gcs.core.models import Attitude, Battery, Gps, Hud, LinkState, LinkStatus, VehicleState
from gcs.ui.qt_hud import AMBER, RED, QtHud, battery_colour

WAIT_MS = 15_000


def test_battery_colours() -> None:
    assert battery_colour(None) is None
    assert battery_colour(80) is None
    assert battery_colour(29.9) == AMBER
    assert battery_colour(14.9) == RED


def test_hud_shows_a_state(qtbot: Any) -> None:
    hud = QtHud()
    qtbot.addWidget(hud)
    hud.set_state(VehicleState(
        system_id=1, mode="POSCTL", armed=True, attitude=Attitude(roll_rad=0.2, pitch_rad=-0.1),
        hud=Hud(groundspeed_mps=4.2, airspeed_mps=4.0, heading_deg=271.0), battery=Battery(15.1, None, 12.0),
        gps=Gps(fix_type=3, satellites=11), link=LinkStatus(LinkState.OK, messages_per_s=87.0, packet_loss_pct=0.5)))
    assert hud.mode_label.text() == "POSCTL" and hud.armed_label.text() == "ARMED"
    assert "GS 4.2" in hud.speed_label.text() and hud.heading_label.text() == "271°"
    assert hud.battery_label.text() == "15.10 V · 12 %" and RED in hud.battery_label.styleSheet()
    assert hud.gps_label.text().startswith("3D fix · 11 sats")
    assert hud.link_label.text() == "OK · 87 msg/s · 0.5 % loss"
    assert round(hud.attitude.roll_deg) == 11
    hud.set_link_event({"system_id": 1, "state": "lost", "reason": "no heartbeat for 3.0 s"})
    assert hud.link_label.text().startswith("LOST") and RED in hud.link_label.styleSheet()
    hud.set_api_url("http://127.0.0.1:8080")
    assert "127.0.0.1:8080" in hud.api_label.text()


def test_vehicle_selector_switches_the_active_vehicle(qtbot: Any, window: Any, service: Any) -> None:
    service.start_demo("px4", port=0)  # a second simulated vehicle: system id 2
    combo = window.hud.vehicle_combo
    qtbot.waitUntil(lambda: combo.count() == 2 and combo.isEnabled(), timeout=WAIT_MS)
    active = service.active_vehicle_id
    other = 2 if active == 1 else 1
    combo.activated.emit(combo.findData(other))  # what a pick in the list emits
    qtbot.waitUntil(lambda: service.active_vehicle_id == other, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.link_summary.text().startswith(f"vehicle {other}"), timeout=WAIT_MS)
    assert combo.currentData() == other


def test_hud_vehicle_combo_hidden_choice_with_one_vehicle(window_factory: Callable[..., Any], service: Any,
                                                          qtbot: Any) -> None:
    window = window_factory(service)
    qtbot.waitUntil(lambda: window.hud.vehicle_combo.count() == 1, timeout=WAIT_MS)
    assert not window.hud.vehicle_combo.isEnabled()  # nothing to choose
