"""The status bar's fleet compression label: hidden without compression, one part per vehicle with it."""

from __future__ import annotations

from typing import Any

from gcs.ui.qt_fleet_label import QtFleetLabel

STATS = {"4": {"readings": 120, "fields_total": 2280, "fields_sent": 640, "transmitted": 640, "skipped": 1640,
               "skipped_pct": 71.9, "keyframes": 2, "bytes_sent": 8000, "bytes_uncompressed": 25000, "ratio": 0.32,
               "max_error": {"alt_rel_m": 0.099, "lat_deg": 9e-7}}}  # fmt: skip


def test_label_shows_ratio_and_skipped_per_vehicle(qtbot: Any) -> None:
    label = QtFleetLabel()
    qtbot.addWidget(label)
    label.show_stats(None)
    assert label.isHidden()
    label.show_stats(STATS)
    assert not label.isHidden()
    assert label.text() == "fleet link #4 0.32 · 72% skipped"
    assert "alt_rel_m 0.099" in label.toolTip() and "1640 skipped" in label.toolTip()
    label.show_stats({})
    assert label.isHidden()
