"""The dashboard's Missions panel in Chromium against the real program (PX4 simulator, real MAVLink on
loopback): an operator uploads a .waypoints file (a corrupt one refused with its line), downloads it
again, generates a survey and an orbit (the orbit of a target refused without one), uploads, starts
(a second click confirms) and sees the progress; a viewer sees the list and exports it but has no
controls; and a screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gcs.core.vehicle.mission import MissionType
from tests.conftest import wait_until
from tests.e2e.conftest import SCREENSHOTS, Program, sign_in, wait_js
from tests.mission_support import five_waypoints

pytestmark = pytest.mark.slow


def _note(page: Any, needle: str, timeout_ms: int = 30_000) -> str:
    try:
        wait_js(page, f"document.getElementById('missions-note')?.textContent.includes({needle!r})", timeout_ms)
    except Exception as exc:  # say what the pilot read instead
        raise AssertionError(f"the note never said {needle!r}; it says "
                             f"{page.locator('#missions-note').inner_text()!r}") from exc
    return str(page.locator("#missions-note").inner_text())


def _commands(page: Any) -> list[str]:
    return list(page.locator("#missions-body tr td:nth-child(2)").all_inner_texts())


def _home(program: Program) -> Any:
    wait_until(lambda: program.service.vehicle_state().home is not None, 15, "home position")
    return program.service.vehicle_state().home


def test_viewer_sees_the_mission_and_exports_it_but_has_no_controls(open_page: Any, program: Program) -> None:
    home = _home(program)
    program.service.upload_mission_file(five_waypoints(home.lat_deg, home.lon_deg, home.alt_msl_m), "x.waypoints",
                                        source="test")
    page = open_page()
    sign_in(page, program, "viewer")
    wait_js(page, "document.querySelectorAll('#missions-body tr').length === 7", 15_000)
    for control in ("#missions-file", "#missions-clear", "#missions-start", "#missions-generate"):
        assert page.locator(control).count() == 0, control
    with page.expect_download() as info:
        page.locator("#missions-export-wp").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert info.value.suggested_filename == "mission.waypoints" and text.startswith("QGC WPL 110")
    assert len(text.strip().splitlines()) == 9  # header, home, 7 items


def test_operator_uploads_a_file_generates_starts_and_follows(open_page: Any, program: Program,
                                                              tmp_path: Path) -> None:
    home = _home(program)
    page = open_page()
    sign_in(page, program, "operator")
    page.wait_for_selector("#missions:not([hidden]) #missions-file", state="attached")
    bad = tmp_path / "bad.waypoints"
    bad.write_text("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t1\t2\t3\t1\n2\t0\t3\t16\t0\t0\t0\t0\t1\t2\t3\t1\n")
    page.locator("#missions-file").set_input_files(str(bad))
    assert "line 3: item number 2 out of order (expected 1)" in _note(page, "bad.waypoints not uploaded")

    good = tmp_path / "five.waypoints"
    good.write_text(five_waypoints(home.lat_deg, home.lon_deg, home.alt_msl_m))
    page.locator("#missions-file").set_input_files(str(good))
    _note(page, "five.waypoints: uploaded 7 item(s)")
    assert len(program.service.download_mission().items) == 7  # it really is on the vehicle
    program.service.clear_mission(source="test")  # then gone: Download shows what the vehicle has
    page.locator("#missions-refresh").click()
    _note(page, "Downloaded 0 item(s)")
    assert page.locator("#missions-body tr").count() == 0
    page.locator("#missions-file").set_input_files(str(good))
    _note(page, "uploaded 7 item(s)")
    page.locator("#missions-refresh").click()
    _note(page, "Downloaded 7 item(s)")
    assert _commands(page) == ["Takeoff", *["Waypoint"] * 5, "Return to launch"]

    page.locator("#missions-gen-kind").select_option("orbit-target")
    page.locator("#missions-gen").click()
    assert "lock a target first" in _note(page, "Not generated")
    page.locator("#missions-gen-kind").select_option("survey")
    page.locator("#missions-gen-size").fill("40")
    page.locator("#missions-gen").click()
    _note(page, "Generated 12 item(s)")
    assert "generated, not uploaded" in page.locator("#missions-count").inner_text()
    assert len(program.service.download_mission().items) == 7  # a draft sends nothing
    page.locator("#missions-gen-kind").select_option("orbit")
    page.locator("#missions-gen-size").fill("8")
    page.locator("#missions-gen-alt").fill("6")
    page.locator("#missions-gen").click()
    _note(page, "Generated 13 item(s)")  # takeoff, ROI, 9 waypoints (closed circle), ROI none, RTL
    page.locator("#missions-upload").click()
    _note(page, "Uploaded 13 item(s)")
    assert program.service.download_mission().matches(program.service.missions()[MissionType.MISSION])

    program.service.arm()
    page.locator("#missions-start").click()
    _note(page, "Click again within 4 s")
    page.locator("#missions-start").click()
    _note(page, "mission started (MISSION)")
    wait_js(page, "document.querySelectorAll('#missions-body tr[data-state=reached]').length >= 3", 60_000)
    assert "reached 0, 2, 3" in page.locator("#missions-progress").inner_text()  # item 1 (the ROI) is no place
    assert page.locator("#missions-body tr[data-state='current']").count() == 1
    print(f"dashboard missions: {page.locator('#missions-progress').inner_text()}")
    if SCREENSHOTS.is_dir():
        page.locator("#missions").scroll_into_view_if_needed()
        page.locator("#missions").screenshot(path=str(SCREENSHOTS / "dashboard_missions.png"))
