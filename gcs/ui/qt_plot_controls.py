"""The control column left of the telemetry plots: rolling window, pause/auto, add and remove fields.

Split from ``qt_plots`` so that module is only the plots; this one only builds and lays out the
widgets. ``QtTelemetryPlots`` connects their signals and keeps the combos in step with its plots.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gcs.ui.plot_data import telemetry_fields

NEW_PLOT = "New plot"
CONTROLS_WIDTH = 180  # px: the control column left of the plots


class QtPlotControls(QWidget):
    """The widgets of the control column (unconnected: the plots own what they do)."""

    def __init__(self, window_s: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_spin = QDoubleSpinBox()
        self.window_spin.setRange(5, 600)
        self.window_spin.setDecimals(0)
        self.window_spin.setSuffix(" s")
        self.window_spin.setValue(window_s)
        self.window_spin.setToolTip("Rolling window: how many seconds the plots show")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Freeze the time axis (data keeps recording); zooming pauses too")
        self.auto_button = QPushButton("Auto")
        self.auto_button.setToolTip("Follow the newest data again and fit every y axis")
        self.field_combo = QComboBox()
        self.field_combo.setEditable(True)
        self.field_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.field_combo.addItems(list(telemetry_fields()))
        self.field_combo.setCurrentText("hud.climb_mps")
        completer = self.field_combo.completer()
        if completer is not None:
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.field_combo.setToolTip("Any numeric field the vehicle sends (type to search)")
        for combo in (self.field_combo,):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        self.target_combo = QComboBox()
        self.target_combo.setToolTip("Plot to add the field to")
        self.add_button = QPushButton("Add to plot")
        self.series_combo = QComboBox()
        self.series_combo.setToolTip("Plotted fields")
        for combo in (self.target_combo, self.series_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        self.remove_button = QPushButton("Remove field")
        self.setFixedWidth(CONTROLS_WIDTH)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        window_row = QHBoxLayout()
        window_row.addWidget(QLabel("Window"))
        window_row.addWidget(self.window_spin, 1)
        view_row = QHBoxLayout()
        view_row.addWidget(self.pause_button)
        view_row.addWidget(self.auto_button)
        column.addLayout(window_row)
        column.addLayout(view_row)
        column.addSpacing(6)
        column.addWidget(QLabel("Add field"))
        column.addWidget(self.field_combo)
        column.addWidget(self.target_combo)
        column.addWidget(self.add_button)
        column.addSpacing(6)
        column.addWidget(QLabel("Plotted"))
        column.addWidget(self.series_combo)
        column.addWidget(self.remove_button)
        column.addStretch(1)

    def refresh(self, plot_titles: list[str], series_names: list[str]) -> None:
        """Offer the current plots as targets (plus a new one) and the plotted fields for removal."""
        self.target_combo.clear()
        self.target_combo.addItems([*plot_titles, NEW_PLOT])
        self.series_combo.clear()
        self.series_combo.addItems(series_names)
        self.remove_button.setEnabled(bool(series_names))


__all__ = ["CONTROLS_WIDTH", "NEW_PLOT", "QtPlotControls"]
