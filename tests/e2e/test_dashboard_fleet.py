"""The fleet in the browser: two GCS (each its own simulator) and one `gcs relay` through a Mosquitto.

A Chromium on the relay's dashboard sees both vehicles, from both GCS, climb; the broker is killed
(the relay shows both links lost, the GCS fly on untouched) and restarted: both GCS reconnect by
themselves and the page's view recovers without a reload. The relay is the real program
(``python -m gcs relay``) in a process of its own; the GCS are GcsServices in this process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gcs.core.models import LinkState
from gcs.core.tokens import Role, TokenAuthority
from tests.conftest import ROOT, wait_until
from tests.e2e.conftest import DESKTOP, SCREENSHOTS, wait_js
from tests.integration.mqtt_support import HAVE_MOSQUITTO, Broker, fleet_gcs, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_MOSQUITTO, reason="Mosquitto is not installed (scripts/setup.sh installs it)"),
]
SECRET = "fleet-e2e-secret-" + "q" * 32


def row(page: Any, sysid: int) -> dict[str, str] | None:
    return page.evaluate(  # type: ignore[no-any-return]
        """(id) => { const tr = document.querySelector(`#fleet-rows tr[data-sysid="${id}"]`);
        if (!tr) return null; const c = tr.children;
        return {gcs: c[1].textContent, mode: c[2].textContent, alt: c[4].textContent, pos: c[5].textContent,
                link: c[6].textContent}; }""",
        sysid,
    )


def alt(page: Any, sysid: int) -> float:
    r = row(page, sysid)
    try:
        return float(r["alt"].split()[0]) if r else -1.0
    except ValueError:
        return -1.0


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("KESTREL_API_SECRET", SECRET)
    monkeypatch.setenv("KESTREL_DATA_DIR", str(tmp_path / "data"))
    broker = Broker(tmp_path)
    broker.start()
    services: list[Any] = []
    relay: subprocess.Popen[bytes] | None = None
    try:
        for gcs, flavour, sysid in (("alpha", "px4", 1), ("bravo", "ardupilot", 2)):
            services.append(fleet_gcs(tmp_path / gcs, broker.url, gcs, flavour, sysid, fleet__mqtt_rate_hz=5.0))
        port = free_port()
        env = {**os.environ, "KESTREL_CONFIG_DIR": str(tmp_path / "relay"), "KESTREL_DATA_DIR": str(tmp_path / "rd"),
               "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}  # fmt: skip
        log = (tmp_path / "relay.log").open("wb")
        relay = subprocess.Popen([sys.executable, "-m", "gcs", "relay", "--mqtt", broker.url, "--api-port", str(port)],
                                 cwd=ROOT, env=env, stdout=log, stderr=log)  # fmt: skip
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(f"{url}/api/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, 60, "the relay's API answering")
        yield {"broker": broker, "alpha": services[0], "bravo": services[1], "url": url, "relay": relay}
    finally:
        if relay is not None and relay.poll() is None:
            relay.send_signal(signal.SIGTERM)
            try:
                relay.wait(15)
            except subprocess.TimeoutExpired:
                relay.kill()
        for service in services:
            service.close()
        broker.stop()


def test_a_browser_on_the_relay_sees_both_gcs_vehicles_fly_through_a_broker_restart(
    chromium: Any, fleet: dict[str, Any]
) -> None:
    alpha, bravo, broker = fleet["alpha"], fleet["bravo"], fleet["broker"]
    lost: list[Any] = []
    for service in (alpha, bravo):
        service.fleet.add_link_listener(lambda sid, st, why: lost.append((sid, why)) if st is LinkState.LOST else None)
    viewer = TokenAuthority(SECRET).create(Role.VIEWER, subject="fleet-viewer")
    context = chromium.new_context(viewport=DESKTOP, base_url=fleet["url"])
    errors: list[str] = []
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/")
        page.locator("#tab-token").click()
        page.locator("#token-input").fill(viewer)
        page.locator("#login-button").click()
        page.wait_for_selector("#conn[data-state='live']")
        wait_js(page, "document.querySelectorAll('#fleet-rows tr').length === 2")
        assert row(page, 1)["gcs"] == "alpha" and row(page, 2)["gcs"] == "bravo"

        for service in (alpha, bravo):
            wait_until(lambda s=service: s.vehicle_state().gps.has_fix, 15, "GPS fix")
            assert service.arm().success and service.takeoff(8.0).success
        wait_until(lambda: alt(page, 1) > 4 and alt(page, 2) > 4, 40, "both vehicles climbing on the relay's page")
        start_pos = row(page, 1)["pos"]
        page.screenshot(path=str(SCREENSHOTS / "dashboard_fleet.png"))

        broker.kill()
        wait_until(lambda: not alpha.fleet_publisher.connected and not bravo.fleet_publisher.connected, 20,
                   "both GCS notice the broker is gone")  # fmt: skip
        wait_until(lambda: row(page, 1)["link"] == "lost" and row(page, 2)["link"] == "lost", 20,
                   "the relay's page shows both links lost")  # fmt: skip
        for service in (alpha, bravo):
            assert service.vehicle_state().global_position.alt_rel_m > 4
        assert alpha.vehicle_state().link.state is LinkState.OK and bravo.vehicle_state().link.state is LinkState.OK

        broker.start()
        wait_until(lambda: alpha.fleet_publisher.connected and bravo.fleet_publisher.connected, 30,
                   "both GCS reconnect by themselves")  # fmt: skip
        wait_until(lambda: row(page, 1)["link"] == "ok" and row(page, 2)["link"] == "ok", 40,
                   "the relay's view recovers without a reload")  # fmt: skip
        assert alt(page, 1) > 4 and alt(page, 2) > 4
        assert row(page, 1)["pos"] != "\u2013" and start_pos != "\u2013"  # an en dash: no position
        assert not lost, f"a GCS lost its vehicle: {lost}"
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
