"""The settings editor over a real ConfigStore: bounds from the schema, refusals shown, history, restore."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QPlainTextEdit, QSpinBox

from gcs.core.config import ConfigStore
from gcs.ui.qt_config_editor import RESTART_MARK, QtConfigEditor


@pytest.fixture
def store(tmp_path: Path) -> ConfigStore:
    config = ConfigStore(tmp_path / "config.yaml")
    config.load()
    return config


@pytest.fixture
def editor(qtbot: Any, store: ConfigStore) -> QtConfigEditor:
    widget = QtConfigEditor(store)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_editors_follow_the_schema(editor: QtConfigEditor, store: ConfigStore) -> None:
    tabs = [editor.tabs.tabText(i) for i in range(editor.tabs.count())]
    assert tabs[:2] == ["Link", "Video"] and tabs[-2:] == ["History", "Backups"]
    speed = editor.editor("safety.max_speed_mps")
    assert isinstance(speed, QDoubleSpinBox)
    assert speed.value() == 8.0 and speed.maximum() > 25.0  # not clamped: a value beyond 25 is refused, visibly
    assert isinstance(editor.editor("link.command_retries"), QSpinBox)
    assert isinstance(editor.editor("tracking.tracker"), QComboBox)
    assert isinstance(editor.editor("safety.hold_on_link_loss"), QCheckBox)
    assert isinstance(editor.editor("link.recent_connections"), QPlainTextEdit)
    labels = {info.key: info.name + label.text()[len(info.label):] for info, _w, label in editor._editors.values()}
    assert labels["link.stream_rate_hz"].endswith(RESTART_MARK)  # needs a restart
    assert not labels["safety.max_speed_mps"].endswith(RESTART_MARK)  # applies live
    assert editor.pending_changes() == {}


def test_refused_values_show_the_message_and_change_nothing(editor: QtConfigEditor, store: ConfigStore) -> None:
    before = store.path.read_bytes() if store.path.exists() else None
    editor.editor("safety.min_altitude_m").setValue(100.0)  # each within its own bounds...
    editor.editor("safety.max_altitude_m").setValue(50.0)  # ...but min >= max is refused
    assert editor.apply() is False
    text = editor.error_label.text()
    assert "min_altitude_m" in text and "max_altitude_m" in text and "refused" in text
    assert store.current.safety.min_altitude_m == 3 and store.current.safety.max_altitude_m == 120

    editor.reload()
    too_many = "\n".join(f"udpin:0.0.0.0:{14550 + i}" for i in range(11))  # the bound is 10 items
    editor.editor("link.recent_connections").setPlainText(too_many)
    assert editor.apply() is False
    assert "link.recent_connections" in editor.error_label.text()
    assert "at most 10" in editor.error_label.text()
    assert store.current.link.recent_connections == []
    assert (store.path.read_bytes() if store.path.exists() else None) == before  # file untouched


def test_apply_history_and_restore(qtbot: Any, editor: QtConfigEditor, store: ConfigStore) -> None:
    editor.editor("safety.max_speed_mps").setValue(6.5)
    editor.editor("tracking.tracker").setCurrentText("KCF")
    with qtbot.waitSignal(editor.applied) as blocker:
        assert editor.apply() is True
    assert sorted(blocker.args[0]) == ["safety.max_speed_mps", "tracking.tracker"]
    assert store.current.safety.max_speed_mps == 6.5 and store.current.tracking.tracker == "KCF"
    assert editor.error_label.text() == ""
    keys = {editor.history.table.item(r, 1).text() for r in range(editor.history.table.rowCount())}
    assert {"safety.max_speed_mps", "tracking.tracker"} <= keys

    editor.editor("link.stream_rate_hz").setValue(20)
    assert editor.apply()
    assert "link.stream_rate_hz" in editor.info_label.text()  # restart pending
    backups = editor.backups
    assert backups.table.rowCount() >= 1
    backups.table.selectRow(0)  # the newest: the file just before the stream rate change
    assert backups.restore_button.isEnabled()
    with qtbot.waitSignal(backups.restored) as restored:
        assert backups.restore(str(backups.selected_id()))
    assert restored.args[0].startswith("Restored")
    assert store.current.link.stream_rate_hz == 10.0 and store.current.safety.max_speed_mps == 6.5
    assert editor.editor("link.stream_rate_hz").value() == 10.0


def test_out_of_range_value_is_refused_under_the_field_in_the_cores_words(
        editor: QtConfigEditor, store: ConfigStore) -> None:
    """It used to be swallowed: the spin box clamped a typed 9 to its maximum 5 and said nothing."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    box = editor.editor("safety.setpoint_lifetime_s")
    box.setFocus()
    box.selectAll()
    QTest.keyClicks(box, "9")
    QTest.keyClick(box, Qt.Key.Key_Tab)
    assert box.value() == 9.0, "the typed value is kept, not clamped"
    expected = store.check("safety", {"setpoint_lifetime_s": 9.0})
    assert expected == "safety.setpoint_lifetime_s = 9.0 is refused: must be <= 5"  # the web editor's words
    assert editor.refusal("safety.setpoint_lifetime_s") == expected
    assert editor.apply() is False and expected in editor.error_label.text()
    assert store.current.safety.setpoint_lifetime_s == 0.5
    box.setValue(1.0)
    assert editor.refusal("safety.setpoint_lifetime_s") == ""


def test_labels_are_words_with_units_and_descriptions(editor: QtConfigEditor) -> None:
    from PySide6.QtWidgets import QLabel

    assert editor.label("safety.setpoint_lifetime_s") == "Setpoint lifetime (s)"
    assert editor.label("safety.max_speed_mps") == "Max speed (m/s)"
    assert editor.label("video.rtp_port").startswith("RTP port")
    shown = [w.text() for w in editor.findChildren(QLabel) if not w.isHidden()]  # written out, not only a tooltip
    assert "Horizontal speed no command may exceed. Range: 0.5 to 25" in shown


def test_ok_applies_and_closes_close_drops(qtbot: Any, editor: QtConfigEditor, store: ConfigStore) -> None:
    closed: list[bool] = []
    editor.done.connect(lambda: closed.append(True))
    editor.editor("safety.max_speed_mps").setValue(30.0)  # refused: OK stays open
    editor.ok_button.click()
    assert closed == [] and "refused" in editor.error_label.text()
    editor.editor("safety.max_speed_mps").setValue(6.0)
    editor.ok_button.click()
    assert closed == [True] and store.current.safety.max_speed_mps == 6.0
    editor.editor("safety.max_speed_mps").setValue(7.0)
    editor.close_button.click()
    assert closed == [True, True] and store.current.safety.max_speed_mps == 6.0
