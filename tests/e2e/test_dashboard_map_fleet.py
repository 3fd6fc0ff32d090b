"""The dashboard's map on a relay (Chromium): fleet vehicles seen only through the MQTT broker.

Two GCS publish their own simulators through a real Mosquitto; a relay (GcsService behind a real
uvicorn) serves the page, whose map draws both where the broker says, labelled with id and GCS;
when one GCS goes away its vehicle stays where it was last, faded and labelled lost.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import SCREENSHOTS, Program, sign_in, wait_js
from tests.integration.mqtt_support import HAVE_MOSQUITTO
from tests.map_fleet_support import RelayedFleet, relayed_fleet

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_MOSQUITTO, reason="Mosquitto is not installed (scripts/setup.sh installs it)"),
]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayedFleet]:
    root: Path = tmp_path_factory.mktemp("e2e-map-fleet")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KESTREL_CONFIG_DIR", str(root / "config"))
        env.setenv("KESTREL_DATA_DIR", str(root / "data"))
        env.delenv("KESTREL_API_SECRET", raising=False)
        with relayed_fleet(root / "fleet") as fleet:
            yield fleet


@pytest.fixture(scope="module")
def program(fleet: RelayedFleet) -> Iterator[Program]:
    from embedded_api import ApiServer, create_app
    from embedded_api.auth import TokenAuthority, load_secret
    from embedded_api.settings import ApiSettings

    authority = TokenAuthority(load_secret(fleet.folder / "relay"))
    settings = ApiSettings(keepalive_s=1.0, ws_auth_timeout_s=2.0)
    app = create_app(fleet.relay, authority, settings)
    server = ApiServer(app, host="127.0.0.1", port=0)
    server.start()
    try:
        yield Program(server.url, fleet.relay, authority, app, server, server.port, settings)
    finally:
        server.stop()


def _label(page: Any, sysid: int) -> dict[str, Any] | None:
    return page.evaluate(  # type: ignore[no-any-return]
        """(id) => { const v = (window.kestrel.map.snapshot?.vehicles || []).find((x) => x.system_id === id);
        if (!v) return null;
        const tips = [...document.querySelectorAll('.leaflet-tooltip.map-label')]
          .filter((t) => t.textContent.startsWith(`${id} `) && t.style.opacity !== "0");  // not one fading out
        return {text: tips.map((t) => t.textContent).join('|'), opacity: tips.map((t) => t.style.opacity).join('|'),
                link: v.link, origin: v.origin, lat: v.lat_deg, lon: v.lon_deg}; }""",
        sysid,
    )


def test_fleet_vehicles_from_the_broker_with_their_gcs_and_faded_when_stale(
        open_page: Any, program: Program, fleet: RelayedFleet) -> None:
    page = open_page()
    sign_in(page, program, "viewer")
    page.locator("#map-panel").scroll_into_view_if_needed()
    wait_js(page, "document.querySelectorAll('.map-vehicle').length === 2")
    wait_js(page, "[...document.querySelectorAll('.leaflet-tooltip.map-label')]"
                  ".some((t) => t.textContent.includes('· bravo'))")
    bravo = _label(page, 2)
    assert bravo is not None and bravo["origin"] == "bravo" and bravo["link"] == "ok"
    wait_js(page, "window.kestrel.map.snapshot.time_s > Date.now() / 1000 - 2", timeout=10_000)  # the stream's
    assert bravo["text"].startswith("2 ") and "· bravo" in bravo["text"] and "lost" not in bravo["text"]
    assert "· alpha" in (_label(page, 1) or {})["text"]
    truth = fleet.gcs["bravo"].vehicle_state().global_position
    assert math.hypot(bravo["lat"] - truth.lat_deg, bravo["lon"] - truth.lon_deg) < 1e-5, "where the broker says"
    others = page.locator(".map-vehicle:not(.active)")
    assert others.count() == 1 and page.locator(".map-vehicle.stale").count() == 0
    page.evaluate("() => { const s = window.kestrel.map.snapshot; const a = s.vehicles.find((v) => v.system_id === 1);"
                  " const b = s.vehicles.find((v) => v.system_id === 2);"
                  " window.kestrel.map.follow = false;"
                  " window.kestrel.map.map.setView([(a.lat_deg + b.lat_deg) / 2, (a.lon_deg + b.lon_deg) / 2], 18,"
                  " {animate: false}); }")
    page.wait_for_timeout(500)
    page.locator("#map-panel").screenshot(path=str(SCREENSHOTS / "dashboard_map_fleet.png"))

    fleet.gone("bravo")
    wait_js(page, "document.querySelectorAll('.map-vehicle.stale').length === 1", timeout=20_000)
    page.wait_for_timeout(600)
    stale = _label(page, 2)
    assert stale is not None and stale["link"] == "lost" and " lost " in stale["text"] + " "
    assert stale["opacity"] == "0.4", "its label faded"
    icon_opacity = page.evaluate("() => getComputedStyle(document.querySelector('.map-vehicle.stale')).opacity")
    assert float(icon_opacity) == pytest.approx(0.4), "its arrow faded"
    assert math.hypot(stale["lat"] - bravo["lat"], stale["lon"] - bravo["lon"]) < 5e-5, "where it was last"
    assert page.locator(".map-vehicle.active.stale").count() == 0, "alpha is still heard"
    page.locator("#map-panel").screenshot(path=str(SCREENSHOTS / "dashboard_map_fleet_stale.png"))
