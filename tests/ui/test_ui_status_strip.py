"""The status strip at the top of the window over the real simulator: battery, GPS, link and mode,
the alerts the core raises as coloured chips, and Ack (offscreen, pytest-qt).

Saves /tmp/kestrel_gui_alerts.png (a critical and a low battery) and /tmp/kestrel_gui_alerts_acked.png.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from gcs.core.alerts import AlertKind
from gcs.ui.qt_status_strip import AMBER, RED

SHOT = "/tmp/kestrel_gui_alerts.png"
ACKED_SHOT = "/tmp/kestrel_gui_alerts_acked.png"
WAIT_MS = 15_000


def visible_chips(window: Any) -> list[Any]:
    return [chip for chip in window.status_strip.chips if chip.isVisible()]


def test_strip_sits_on_top_and_shows_the_vehicle(qtbot: Any, window: Any, service: Any) -> None:
    strip = window.status_strip
    qtbot.waitUntil(lambda: strip.gps_label.text().startswith("GPS 3D"), timeout=WAIT_MS)
    assert strip.battery_label.text().startswith("BAT 100%")
    assert strip.link_label.text().startswith("LINK ok")
    assert "disarmed" in strip.mode_label.text()
    top = window.status_bar_top.mapTo(window, window.status_bar_top.rect().topLeft()).y()
    below = window.controls.mapTo(window, window.controls.rect().topLeft()).y()
    assert top < below, "the strip is above the vehicle controls"
    assert strip.alerts_label.isVisible() and strip.alerts_label.text() == "No alerts"
    assert not strip.ack_button.isEnabled()


def test_battery_alerts_show_coloured_and_ack_marks_them_then_they_go(qtbot: Any, window: Any, service: Any) -> None:
    strip = window.status_strip
    sim = service.simulators[0]
    qtbot.waitUntil(lambda: strip.gps_label.text().startswith("GPS 3D"), timeout=WAIT_MS)
    sim.set_battery_pct(12.0)
    qtbot.waitUntil(lambda: len(visible_chips(window)) == 2, timeout=WAIT_MS)
    critical, low = visible_chips(window)
    assert critical.text().startswith("Battery critical: 12%") and f"background: {RED}" in critical.styleSheet()
    assert low.text().startswith("Battery low: 12%") and f"background: {AMBER}" in low.styleSheet()
    qtbot.waitUntil(lambda: "12%" in strip.battery_label.text(), timeout=WAIT_MS)
    assert f"color: {RED}" in strip.battery_label.styleSheet()
    assert strip.ack_button.text() == "Ack (2)" and not strip.alerts_label.isVisible()
    qtbot.waitUntil(lambda: any("Alert raised: Battery critical: 12%" in text and level == "error"
                                for text, level in window.messages.entries()), timeout=WAIT_MS)
    window.repaint()
    assert window.grab().save(SHOT)

    qtbot.mouseClick(strip.ack_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: all(a.acknowledged for a in service.alerts()), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: all(c.text().startswith("✓") for c in visible_chips(window)), timeout=WAIT_MS)
    assert len(visible_chips(window)) == 2, "still true: still shown, marked acknowledged"
    assert "background" not in visible_chips(window)[0].styleSheet()
    assert not strip.ack_button.isEnabled()
    window.repaint()
    assert window.grab().save(ACKED_SHOT)

    sim.set_battery_pct(90.0)
    qtbot.waitUntil(lambda: not visible_chips(window), timeout=WAIT_MS)
    assert strip.alerts_label.isVisible() and service.alerts() == []


def test_a_cleared_alert_waits_for_ack(qtbot: Any, window: Any, service: Any) -> None:
    strip = window.status_strip
    sim = service.simulators[0]
    qtbot.waitUntil(lambda: strip.gps_label.text().startswith("GPS 3D"), timeout=WAIT_MS)
    sim.set_gps_fix(False)
    qtbot.waitUntil(lambda: any("GPS fix lost" in c.text() for c in visible_chips(window)), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: f"color: {RED}" in strip.gps_label.styleSheet(), timeout=WAIT_MS)
    sim.set_gps_fix(True)
    qtbot.waitUntil(lambda: any("(cleared)" in c.text() for c in visible_chips(window)), timeout=WAIT_MS)
    assert [a.kind for a in service.alerts()] == [AlertKind.GPS_LOST]
    qtbot.mouseClick(strip.ack_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not visible_chips(window), timeout=WAIT_MS)
    assert service.alerts() == [] and strip.alerts_label.text() == "No alerts"
