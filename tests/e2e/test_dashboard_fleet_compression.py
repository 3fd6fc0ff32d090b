"""The fleet link's compression in the browser: a GCS compressing its fleet link (fleet.mqtt_compression)
through a real Mosquitto, and a Chromium on that GCS's own dashboard.

The fleet panel shows, for the one vehicle, what the broker carries against every field (ratio,
fields skipped, readings, bytes) and the field closest to its tolerance, within it; the numbers
move on as the vehicle climbs, from the stream's ``compression_stats`` messages (no reload). A relay's
dashboard lists the vehicle and shows the same figures, relayed from the sender.
"""

from __future__ import annotations

from typing import Any

from gcs.core.tokens import Role
from tests.conftest import wait_until
from tests.e2e.conftest import DESKTOP, SCREENSHOTS, wait_js
from tests.integration.fleet_support import FLEET_MARKS, FleetRig, broker_fixture, fleet_fixture  # noqa: F401

pytestmark = FLEET_MARKS


def compression_row(page: Any, sysid: int) -> dict[str, Any] | None:
    return page.evaluate(  # type: ignore[no-any-return]
        """(id) => { const tr = document.querySelector(`#fleet-compression-rows tr[data-sysid="${id}"]`);
        if (!tr) return null; const c = (name) => tr.querySelector(`.${name}`);
        return {ratio: c("ratio").textContent, skipped: c("skipped").textContent, readings: c("readings").textContent,
                bytes: c("bytes").textContent, error: c("error").textContent, level: c("error").dataset.level,
                title: tr.title, shown: !document.getElementById("fleet").hidden
                       && !document.getElementById("fleet-compression").hidden}; }""",
        sysid,
    )


def test_the_fleet_panel_shows_the_compressed_links_statistics(chromium: Any, fleet: FleetRig) -> None:
    alpha = fleet.gcs("alpha", "px4", 4, fleet__mqtt_compression=True, fleet__mqtt_rate_hz=10.0)
    server = fleet.api(alpha)
    wait_until(lambda: alpha.fleet_publisher.connected, 10, "the GCS on the broker")
    context = chromium.new_context(viewport=DESKTOP, base_url=server.url)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/")
        page.locator("#tab-token").click()
        page.locator("#token-input").fill(fleet.token(Role.VIEWER, "compression-viewer"))
        page.locator("#login-button").click()
        page.wait_for_selector("#conn[data-state='live']")
        wait_js(page, "document.querySelector('#fleet-compression-rows tr[data-sysid=\"4\"]') !== null")
        first = compression_row(page, 4)
        assert first is not None and first["shown"], first
        assert page.locator("#fleet-compression").is_visible()

        wait_until(lambda: alpha.vehicle_state().gps.has_fix, 10, "GPS fix")
        assert alpha.arm().success and alpha.takeoff(8.0).success
        wait_until(lambda: alpha.vehicle_state().global_position.alt_rel_m > 5, 40, "climbing")

        def moved_on() -> bool:
            row = compression_row(page, 4)
            return row is not None and int(row["readings"]) > int(first["readings"]) + 20

        wait_until(moved_on, 10, "the statistics updating on the page while the vehicle climbs")
        row = compression_row(page, 4)
        stats = (alpha.compression_stats() or {})["4"]
        ratio = float(row["ratio"])
        assert 0 < ratio < 1 and abs(ratio - stats["ratio"]) < 0.1, (row, stats["ratio"])
        assert 0 < float(row["skipped"].split()[0]) < 100
        sent, total = (int(n) for n in row["bytes"].split()[0:3:2])
        assert 0 < sent < total
        assert row["level"] == "ok" and "(tol " in row["error"], row  # the closest field, within its tolerance
        assert "skipped" in row["title"] and "alt_rel_m" in row["title"]
        wait_js(page, "document.querySelectorAll('#fleet-rows tr').length === 0")  # one vehicle: no fleet list
        assert not page.locator("#fleet-list").is_visible()
        page.locator("#fleet").screenshot(path=str(SCREENSHOTS / "dashboard_fleet_compression.png"))

        # a relay's viewer: the vehicle in the fleet list, and the sender's figures relayed
        _relay, relay_server = fleet.relay()
        remote = context.new_page()
        remote.set_default_timeout(20_000)
        remote.on("pageerror", lambda exc: errors.append(str(exc)))
        remote.goto(f"{relay_server.url}/")
        remote.locator("#tab-token").click()
        remote.locator("#token-input").fill(fleet.token(Role.VIEWER, "relay-viewer"))
        remote.locator("#login-button").click()
        remote.wait_for_selector("#conn[data-state='live']")
        wait_js(remote, "document.querySelector('#fleet-rows tr[data-sysid=\"4\"]') !== null")
        wait_js(remote, "document.querySelector('#fleet-compression-rows tr[data-sysid=\"4\"]') !== null")
        relayed = compression_row(remote, 4)
        assert relayed is not None and relayed["shown"] and 0 < float(relayed["ratio"]) < 1, relayed
        assert remote.locator("#fleet-list").is_visible()
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
