"""The window's map on a relay: fleet vehicles seen only through the MQTT broker (pytest-qt, offscreen).

Two GCS publish their own simulators through a real Mosquitto; the relay's window draws both
where the broker says, each labelled with its id and the GCS it flies from; when one GCS goes away
its vehicle is drawn faded where it was last, labelled lost.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor

from gcs.core.map.geo import LatLon
from gcs.ui.qt_map_layers import ACTIVE, OTHER, vehicle_label
from tests.conftest import ROOT
from tests.integration.mqtt_support import HAVE_MOSQUITTO
from tests.map_fleet_support import relayed_fleet

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_MOSQUITTO, reason="Mosquitto is not installed (scripts/setup.sh installs it)"),
]
WAIT_MS = 20_000
SHOTS = ROOT / "docs" / "screenshots"


def _hits(view: Any, image: Any, lat: float, lon: float, colour: QColor, tol: int = 40) -> int:
    at = view.screen_point(lat, lon)
    dpr = image.devicePixelRatio()
    count = 0
    for dx in range(-5, 6):
        for dy in range(-5, 6):
            c = image.pixelColor(round((at.x() + dx) * dpr), round((at.y() + dy) * dpr))
            count += all(abs(a - b) <= tol for a, b in ((c.red(), colour.red()), (c.green(), colour.green()),
                                                       (c.blue(), colour.blue())))
    return count


def test_fleet_vehicles_from_the_broker_are_drawn_with_their_gcs_and_faded_when_stale(
        qtbot: Any, window_factory: Callable[..., Any], config_dir: Path, tmp_path: Path) -> None:
    with relayed_fleet(tmp_path / "fleet") as fleet:
        window = window_factory(fleet.relay)
        window.resize(1600, 1000)
        window.map_dock.show()
        window.map_dock.raise_()
        view = window.map_panel.view

        def drawn(sysid: int) -> Any:
            return view.snapshot.vehicle(sysid) if view.snapshot is not None else None

        qtbot.waitUntil(lambda: drawn(1) is not None and drawn(2) is not None and drawn(2).has_position
                        and drawn(2).link == "ok", timeout=WAIT_MS)
        view.zoom = 18.5
        one, two = view.snapshot.vehicle(1), view.snapshot.vehicle(2)
        view.set_follow(False)  # both in the middle of the picture, the labels clear of the edge
        view.center = LatLon((one.lat_deg + two.lat_deg) / 2, (one.lon_deg + two.lon_deg) / 2 - 8e-5)
        qtbot.wait(600)
        snap = view.snapshot
        alpha, bravo = snap.vehicle(1), snap.vehicle(2)
        assert (alpha.origin, bravo.origin) == ("alpha", "bravo") and alpha.active and not bravo.active
        assert vehicle_label(bravo).startswith("2 ") and "· bravo" in vehicle_label(bravo)
        image = view.grab().toImage()
        assert _hits(view, image, alpha.lat_deg, alpha.lon_deg, ACTIVE) >= 10, "alpha drawn (active, yellow)"
        assert _hits(view, image, bravo.lat_deg, bravo.lon_deg, OTHER) >= 10, "bravo drawn where the broker says"
        truth = fleet.gcs["bravo"].vehicle_state().global_position
        assert math.hypot(bravo.lat_deg - truth.lat_deg, bravo.lon_deg - truth.lon_deg) < 1e-5
        view.grab().save(str(SHOTS / "gui_map_fleet.png"))

        fleet.gone("bravo")
        qtbot.waitUntil(lambda: drawn(2) is not None and drawn(2).stale, timeout=WAIT_MS)
        qtbot.wait(600)
        stale = view.snapshot.vehicle(2)
        assert " lost " in vehicle_label(stale) and stale.last_heard_s is not None and stale.last_heard_s >= 3.0
        assert math.hypot(stale.lat_deg - bravo.lat_deg, stale.lon_deg - bravo.lon_deg) < 5e-5, "where it was last"
        image = view.grab().toImage()
        assert _hits(view, image, stale.lat_deg, stale.lon_deg, OTHER, tol=25) == 0, "no longer drawn at full colour"
        at = view.screen_point(stale.lat_deg, stale.lon_deg)
        faded = image.pixelColor(round(at.x() * image.devicePixelRatio()), round(at.y() * image.devicePixelRatio()))
        assert faded.lightness() > 70, f"but still there, faded ({faded.name()})"
        assert _hits(view, image, alpha.lat_deg, alpha.lon_deg, ACTIVE) >= 10, "alpha still drawn at full colour"
        view.grab().save(str(SHOTS / "gui_map_fleet_stale.png"))
