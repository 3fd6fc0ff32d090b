"""The dashboard's status strip in Chromium against the real program (PX4 simulator, API on uvicorn):
mode, battery, GPS and link, the alerts the core raises as chips coloured by level, Ack for operators,
viewers see them without Ack, and the SSE fallback carries them too.

Saves /tmp/kestrel_dashboard_alerts.png (critical and low battery) and /tmp/kestrel_dashboard_alerts_acked.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gcs.core.alerts import AlertKind
from tests.e2e.conftest import DESKTOP, PHONE, Program, running_program, sign_in, wait_js, wait_state

pytestmark = pytest.mark.slow
SHOT = "/tmp/kestrel_dashboard_alerts.png"
ACKED_SHOT = "/tmp/kestrel_dashboard_alerts_acked.png"
PHONE_SHOT = "/tmp/kestrel_dashboard_alerts_phone.png"


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Program]:
    """Its own program without video: these tests drive the simulator's battery and GPS."""
    with running_program(tmp_path_factory.mktemp("e2e-alerts"), video=False) as program:
        yield program


def chips(page: Any) -> list[dict[str, str]]:
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('#alert-chips .alert-chip')].map(c =>
                 ({text: c.textContent, level: c.dataset.level, kind: c.dataset.kind, acked: c.dataset.acked || ''}))"""
        )
    )


def test_operator_sees_battery_alerts_coloured_and_acks_them(open_page: Any, program: Program) -> None:
    sim = program.service.simulators[0]
    page = open_page(DESKTOP)
    sign_in(page, program, "operator")
    wait_js(page, "document.getElementById('s-gps').textContent.startsWith('GPS 3D')")
    assert page.locator("#no-alerts").is_visible() and page.locator("#alerts-ack").is_disabled()
    assert page.locator("#s-battery").inner_text().startswith("BAT 100%")
    strip_top = page.locator("#status-strip").bounding_box()["y"]
    assert strip_top < page.locator("#app").bounding_box()["y"], "the strip is at the top, above the flight view"

    sim.set_battery_pct(12.0)
    wait_js(page, "document.querySelectorAll('#alert-chips .alert-chip').length === 2")
    critical, low = chips(page)
    assert (critical["kind"], critical["level"]) == ("battery_critical", "bad")
    assert critical["text"].startswith("Battery critical: 12%")
    assert (low["kind"], low["level"]) == ("battery_low", "warn")
    wait_js(page, "document.getElementById('s-battery').dataset.level === 'bad'")
    assert page.locator("#alerts-ack").inner_text() == "Ack (2)"
    assert page.locator("#status-strip").get_attribute("data-level") == "bad"
    colour = page.evaluate("getComputedStyle(document.querySelector('.alert-chip')).backgroundColor")
    assert colour == "rgb(248, 81, 73)"  # --bad
    assert "alert raised: Battery critical" in page.locator("#messages").inner_text()
    page.screenshot(path=SHOT)

    page.locator("#alerts-ack").click()
    wait_js(page, "[...document.querySelectorAll('.alert-chip')].every(c => c.dataset.acked === 'true')")
    assert all(a.acknowledged and a.active for a in program.service.alerts())
    assert page.locator("#alerts-ack").is_disabled() and len(chips(page)) == 2  # still true: still shown
    assert all(c["text"].startswith("✓") for c in chips(page))
    page.screenshot(path=ACKED_SHOT)

    sim.set_battery_pct(90.0)
    wait_js(page, "document.querySelectorAll('#alert-chips .alert-chip').length === 0")
    assert page.locator("#no-alerts").is_visible() and program.service.alerts() == []


def test_viewer_sees_alerts_without_ack_and_an_operator_elsewhere_clears_them(
    open_page: Any, program: Program
) -> None:
    sim = program.service.simulators[0]
    page = open_page(PHONE, phone=True)
    sign_in(page, program, "viewer", query="?transport=sse")  # the SSE stream carries alerts too
    assert page.locator("#alerts-ack").count() == 0, "Ack is an operator's"
    sim.set_gps_fix(False)
    wait_js(page, "[...document.querySelectorAll('.alert-chip')].some(c => c.dataset.kind === 'gps_lost')")
    wait_js(page, "document.getElementById('s-gps').dataset.level === 'bad'")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the strip wraps on a phone"
    page.screenshot(path=PHONE_SHOT)
    sim.set_gps_fix(True)
    wait_js(page, "[...document.querySelectorAll('.alert-chip')].some(c => c.textContent.includes('(cleared)'))")
    wait_state(lambda: [a.kind for a in program.service.alerts()] == [AlertKind.GPS_LOST], "gps_lost waits for ack")
    (alert,) = program.service.alerts()
    reply = httpx.post(f"{program.url}/api/alerts/{alert.id}/ack", headers=program.headers("operator"))
    assert reply.status_code == 200
    wait_js(page, "document.querySelectorAll('#alert-chips .alert-chip').length === 0")
    assert "alert acknowledged by api:e2e-operator" in page.locator("#messages").inner_text()
