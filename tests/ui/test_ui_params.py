"""The parameter editor over a real service flying the PX4 simulator: download progress, search,
edit with the type check, the confirmation outside the documented range, the vehicle's refusal,
a file's diff with ticks, and saving."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.exceptions import TimeoutError as QtTimeout

from gcs.core.vehicle.params import parse
from gcs.ui.qt_params import QtParamsDialog
from gcs.ui.qt_runner import QtCommandRunner

pytestmark = pytest.mark.slow
SCREENSHOT = str(Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "gui_params.png")


@pytest.fixture
def dialog(qtbot: Any, service: Any) -> Iterator[QtParamsDialog]:
    runner = QtCommandRunner()
    widget = QtParamsDialog(service, runner)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.reject()
    runner.shutdown()


def _set(qtbot: Any, dialog: QtParamsDialog, name: str, value: str, expect: str) -> None:
    dialog.search.setText(name)
    assert dialog.select(name)
    dialog.value_edit.setText(value)
    qtbot.mouseClick(dialog.set_button, Qt.MouseButton.LeftButton)
    try:
        qtbot.waitUntil(lambda: expect in dialog.status_label.text(), timeout=5000)
    except QtTimeout:
        raise AssertionError(f"status: {dialog.status_label.text()!r}, wanted {expect!r}") from None


def test_download_search_edit_confirm_refuse(qtbot: Any, dialog: QtParamsDialog) -> None:
    qtbot.waitUntil(lambda: "parameters in" in dialog.status_label.text(), timeout=15000)
    assert dialog.progress.value() == dialog.progress.maximum() > 700
    assert dialog.table.rowCount() == dialog.progress.maximum()

    dialog.search.setText("mpc_xy_vel")
    assert dialog.shown_names() and all("MPC_XY_VEL" in n for n in dialog.shown_names())
    dialog.search.setText("geofence")  # a word of the description finds GF_*
    assert {"GF_ACTION", "GF_MAX_HOR_DIST"} <= set(dialog.shown_names())

    _set(qtbot, dialog, "MPC_XY_VEL_MAX", "8", "confirmed by the vehicle")
    qtbot.waitUntil(lambda: dialog.value_of("MPC_XY_VEL_MAX") == "8", timeout=3000)
    assert dialog.table.item(0, 2).text() == "m/s" and dialog.table.item(0, 3).text() == "0 .. 20"

    _set(qtbot, dialog, "BAT1_N_CELLS", "2.5", "not set")
    assert "integer" in dialog.status_label.text()

    _set(qtbot, dialog, "MPC_XY_VEL_MAX", "25", "needs confirmation")
    box = dialog.confirm_box
    assert box is not None and box.isVisible() and "documented range" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.value_of("MPC_XY_VEL_MAX") == "25", timeout=5000)

    _set(qtbot, dialog, "MPC_XY_VEL_MAX", "45", "needs confirmation")
    qtbot.mouseClick(dialog.confirm_box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not set" in dialog.status_label.text(), timeout=5000)
    assert "kept 25" in dialog.status_label.text() and "out of range" in dialog.status_label.text()
    dialog.search.setText("speed")  # descriptions match too: MPC_* speeds, MPC_LAND_SPEED, ...
    assert dialog.select("MPC_XY_VEL_MAX")
    assert dialog.grab().save(SCREENSHOT)


def test_a_file_is_diffed_then_only_the_ticked_are_applied(qtbot: Any, dialog: QtParamsDialog,
                                                             tmp_path: Path) -> None:
    qtbot.waitUntil(lambda: "parameters in" in dialog.status_label.text(), timeout=15000)
    total = dialog.progress.maximum()
    file = tmp_path / "tuned.parm"
    file.write_text("MPC_XY_VEL_MAX 10\nRTL_RETURN_ALT,33\nBAT1_N_CELLS 2.5\nNOT_HERE 1\n", encoding="utf-8")
    dialog.load_from(str(file))
    qtbot.waitUntil(lambda: dialog.diff_table.rowCount() == 3, timeout=5000)
    assert "not on this vehicle: NOT_HERE" in dialog.status_label.text()
    assert dialog.ticked() == ["MPC_XY_VEL_MAX", "RTL_RETURN_ALT"]  # 2.5 for an integer: not ticked
    rtl = [dialog.diff_table.item(r, 1).text() for r in range(3)].index("RTL_RETURN_ALT")
    dialog.diff_table.item(rtl, 0).setCheckState(Qt.CheckState.Unchecked)  # keep the vehicle's RTL_RETURN_ALT
    before = dialog.value_of("RTL_RETURN_ALT")
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Applied 1 parameter" in dialog.status_label.text(), timeout=5000)
    qtbot.waitUntil(lambda: dialog.value_of("MPC_XY_VEL_MAX") == "10", timeout=3000)
    assert dialog.value_of("RTL_RETURN_ALT") == before

    saved = tmp_path / "vehicle.params"
    dialog.save_to(str(saved))
    qtbot.waitUntil(lambda: "Saved to" in dialog.status_label.text(), timeout=5000)
    entries = {e.name: e.value for e in parse(saved.read_text(encoding="utf-8"))}
    assert len(entries) == total and entries["MPC_XY_VEL_MAX"] == 10.0


def test_the_window_menu_opens_the_editor(window_factory: Any, service: Any, qtbot: Any) -> None:
    win = window_factory(service)
    win.menu_actions["params"].trigger()
    assert win.params_dialog is not None and win.params_dialog.isVisible()
    qtbot.waitUntil(lambda: "parameters in" in win.params_dialog.status_label.text(), timeout=15000)
    win.params_dialog.reject()
