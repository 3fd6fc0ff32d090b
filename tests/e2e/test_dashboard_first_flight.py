"""What a first flight taught (issue 19), in the dashboard: Chromium against the real program.

First steps for a newcomer, the flight-mode selector (the core's modes, the hold for modes that
fly, refused in a replay), no alarm for PX4's normal offboard sequencing, and a phone's 390 px.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import SHARED_DATA
from tests.e2e.conftest import PHONE, SCREENSHOTS, Program, running_program, sign_in, wait_js, wait_state
from tests.e2e.test_dashboard import hold

pytestmark = pytest.mark.slow

CODELEVER = SHARED_DATA / "tlogs" / "copter_real_2013_codelever.tlog"


def test_first_steps_on_the_ground_then_gone_once_tracking(open_page: Any, program: Program) -> None:
    service = program.service
    page = open_page()
    sign_in(page, program, "operator")
    page.wait_for_selector("#first-steps:not([hidden])")
    hint = page.locator("#first-steps").inner_text()
    assert hint.startswith("First steps") and "25 m ahead (north)" in hint and "take off" in hint, hint
    assert hint == service.action_availability().first_steps  # the core's words
    page.locator(".video-panel").screenshot(path="/tmp/kestrel_dashboard_first_steps.png")
    wait_state(lambda: service.vehicle_state().gps.has_fix, "GPS fix")
    service.start_tracking(280.0, 200.0, 80.0, 80.0)
    page.wait_for_selector("#first-steps[hidden]", state="attached")
    service.stop_tracking()
    page.wait_for_selector("#first-steps:not([hidden])")


def test_mode_selector_holds_for_modes_that_fly(open_page: Any, program: Program) -> None:
    service = program.service
    sim = service.simulators[0]
    page = open_page()
    sign_in(page, program, "operator")
    wait_js(page, "document.getElementById('mode-select').options.length > 0")
    names = page.evaluate("[...document.getElementById('mode-select').options].map(o => o.value)")
    assert names == [m.name for m in service.flight_modes().modes] and "MISSION" in names
    wait_state(lambda: service.vehicle_state().gps.has_fix, "GPS fix")
    if not service.vehicle_state().armed:
        service.arm()
    service.takeoff(8.0)
    wait_state(lambda: service.vehicle_state().global_position.alt_rel_m > 6.0, "climbed", 30)
    wait_state(lambda: sim.snapshot().mode == "LOITER", "takeoff done")

    page.locator("#mode-select").select_option("RTL")
    wait_js(page, "document.getElementById('btn-mode').hasAttribute('data-confirm')")  # armed: RTL flies
    assert "returns to launch" in page.locator("#mode-what").inner_text()
    page.locator("#btn-mode").click()  # a click is not the hold
    page.wait_for_timeout(600)
    assert sim.snapshot().mode != "RTL", "a click switched to RTL without the hold"
    hold(page, "#btn-mode")
    wait_state(lambda: sim.snapshot().mode == "RTL", "RTL after the hold")
    page.locator("#mode-select").select_option("LOITER")  # PX4 Hold: at once
    wait_js(page, "!document.getElementById('btn-mode').hasAttribute('data-confirm')"
                  " && !document.getElementById('btn-mode').disabled")
    page.locator("#btn-mode").click()
    wait_state(lambda: sim.snapshot().mode == "LOITER", "Hold at a click")
    page.locator(".controls").screenshot(path="/tmp/kestrel_dashboard_modes.png")


def test_setpoint_ignored_at_offboard_start_is_information(open_page: Any, program: Program) -> None:
    service = program.service
    page = open_page()
    sign_in(page, program, "operator")
    wait_state(lambda: service.vehicle_state().gps.has_fix, "GPS fix")
    if not service.vehicle_state().armed:
        service.arm()
    if service.commander.engaged_vehicle is not None:
        service.stop_offboard()
    page.wait_for_timeout(300)
    service.start_offboard()
    wait_js(page, "window.kestrel.streamEngaged === true")
    service.simulators[0].say("Setpoint ignored: not in OFFBOARD", 4)
    line = page.locator("#messages li", has_text="Setpoint ignored")
    line.first.wait_for()
    text = line.first.inner_text()
    assert "normal while the setpoint stream starts" in text, text
    level = line.first.get_attribute("data-level") or line.first.get_attribute("class") or ""
    assert "warn" not in level, level
    service.stop_offboard()


def test_phone_fits_390_px_and_the_sessions_table_scrolls_in_its_box(open_page: Any, program: Program) -> None:
    page = open_page(PHONE, phone=True)
    sign_in(page, program, "operator")
    page.wait_for_selector("#sessions:not([hidden])")
    wait_js(page, "document.querySelectorAll('#sessions-body tr').length > 0")
    widths = page.evaluate("""() => ({doc: document.documentElement.scrollWidth, body: document.body.scrollWidth,
        view: window.innerWidth})""")
    assert widths["doc"] <= widths["view"] and widths["body"] <= widths["view"], widths
    over = page.evaluate("""() => {
      const clipped = (e) => {  // inside a box that scrolls (or clips) sideways on its own
        for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
          if (getComputedStyle(p).overflowX !== 'visible') return true;
        }
        return false;
      };
      return [...document.querySelectorAll('body *')].filter(e => {
        const r = e.getBoundingClientRect();
        return e.offsetParent !== null && r.width > 0 && (r.right > window.innerWidth + 0.5 || r.left < -0.5)
          && !clipped(e);
      }).map(e => e.id || e.className || e.tagName).slice(0, 10);
    }""")
    assert over == [], f"wider than the 390 px screen: {over}"
    box = page.evaluate("""() => { const s = document.querySelector('.sessions-scroll');
        return s && {client: s.clientWidth, scroll: s.scrollWidth, overflow: getComputedStyle(s).overflowX}; }""")
    assert box is not None and box["overflow"] in ("auto", "scroll"), box
    page.screenshot(path=str(SCREENSHOTS / "dashboard_phone_390.png"), full_page=False)


@pytest.fixture(scope="module")
def replay_program(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Program]:
    if not CODELEVER.exists():
        pytest.skip(f"real tlog not found: {CODELEVER}")
    with running_program(
        tmp_path_factory.mktemp("replay"), demo=False, video=False, connect=(f"replay:{CODELEVER}",)
    ) as p:
        yield p


def test_mode_selector_is_refused_in_a_replay(open_page: Any, replay_program: Program) -> None:
    page = open_page(base_url=replay_program.url)
    sign_in(page, replay_program, "operator")
    wait_js(page, "document.getElementById('mode-select').options.length > 0")
    wait_js(page, "document.getElementById('btn-mode').title.includes('read-only replay')")
    assert page.locator("#btn-mode").is_disabled() and page.locator("#mode-select").is_disabled()
    assert page.locator("#first-steps").is_hidden()  # a replay needs no first steps
