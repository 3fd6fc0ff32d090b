"""The dashboard's parameters panel in Chromium against the real program (PX4 simulator): the list
with progress and search for everyone, edit with the documented-range confirmation and the
vehicle's refusal for operators, a file's diff before it is applied, and a screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import SCREENSHOTS, Program, sign_in, wait_js

pytestmark = pytest.mark.slow


def _loaded(page: Any) -> None:
    page.wait_for_selector("#params[data-state='complete']", timeout=30_000)


def _note(page: Any, needle: str) -> str:
    try:  # an apply waits for each parameter's echo (up to 4 s each on a loaded machine)
        wait_js(page, f"document.getElementById('params-note').textContent.includes({needle!r})", 30_000)
    except Exception as exc:  # say what the pilot read instead
        raise AssertionError(f"the note never said {needle!r}; it says "
                             f"{page.locator('#params-note').inner_text()!r}") from exc
    return str(page.locator("#params-note").inner_text())


def test_operator_searches_edits_confirms_and_is_refused(open_page: Any, program: Program) -> None:
    page = open_page()
    sign_in(page, program, "operator")
    _loaded(page)
    assert "loaded in" in page.locator("#params-progress-text").inner_text()
    page.locator("#params-search").fill("mpc_xy_vel")
    names = page.locator("#params-body tr").evaluate_all("rows => rows.map(r => r.dataset.name)")
    assert "MPC_XY_VEL_MAX" in names and all("MPC_XY_VEL" in n for n in names)

    page.locator("#params-body tr[data-name='MPC_XY_VEL_MAX']").click()
    page.locator("#params-value").fill("9")
    page.locator("#params-set").click()
    _note(page, "confirmed by the vehicle")
    assert program.service.param("MPC_XY_VEL_MAX").param.value == 9.0
    row = page.locator("#params-body tr[data-name='MPC_XY_VEL_MAX']")
    assert "9" in row.inner_text() and "m/s" in row.inner_text() and "0 .. 20" in row.inner_text()

    page.locator("#params-value").fill("24")
    page.locator("#params-set").click()
    assert "documented range" in _note(page, "not set")
    assert program.service.param("MPC_XY_VEL_MAX").param.value == 9.0  # nothing sent yet
    page.locator("#params-anyway").click()
    _note(page, "= 24 (confirmed")
    page.locator("#params-value").fill("44")
    page.locator("#params-set").click()
    _note(page, "documented range")
    page.locator("#params-anyway").click()
    assert "out of range" in _note(page, "kept 24")
    if SCREENSHOTS.is_dir():
        page.locator("#params").screenshot(path=str(SCREENSHOTS / "dashboard_params.png"))


def test_a_file_is_compared_then_applied(open_page: Any, program: Program, tmp_path: Path) -> None:
    page = open_page()
    sign_in(page, program, "operator")
    _loaded(page)
    file = tmp_path / "tuned.parm"
    file.write_text("RTL_RETURN_ALT,41\nMIS_TAKEOFF_ALT 3.5\nNOT_HERE 1\n", encoding="utf-8")
    page.locator("#params-file").set_input_files(str(file))
    _note(page, "2 change(s)")
    diff = page.locator("#params-diff").inner_text()
    assert "RTL_RETURN_ALT:" in diff and "-> 41" in diff and "not on this vehicle: NOT_HERE" in diff
    assert program.service.param("RTL_RETURN_ALT").param.value != 41.0  # a diff sends nothing
    page.locator("#params-apply").click()
    _note(page, "applied 2")
    assert program.service.param("RTL_RETURN_ALT").param.value == 41.0
    assert program.service.param("MIS_TAKEOFF_ALT").param.value == 3.5


def test_viewer_sees_the_list_and_exports_but_cannot_edit(open_page: Any, program: Program) -> None:
    page = open_page()
    sign_in(page, program, "viewer")
    _loaded(page)
    assert page.locator("#params-body tr").count() > 50
    assert page.locator("#params-edit").count() == 0 and page.locator("#params-file").count() == 0
    with page.expect_download() as info:
        page.locator("#params-export-parm").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert info.value.suggested_filename == "vehicle.parm" and "MPC_XY_VEL_MAX" in text
