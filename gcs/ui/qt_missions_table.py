"""The Missions dock's table: one row per item as the vehicle numbers it (command, position, altitude,
frame, progress), the altitude (or a fence circle's radius) editable in its cell and nothing else.
GUI thread only."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from gcs.core.vehicle.mission import Mission, MissionType
from gcs.core.vehicle.mission.draft import CIRCLES
from gcs.ui.qt_missions_edit import row_texts

COLUMNS = ("#", "Command", "Latitude", "Longitude", "Alt (m)", "Frame", "Progress")
ALT_COLUMN = 4
CURRENT = QColor("#1f6feb")
REACHED = QColor("#3fb950")
ALT_RANGE_M = (-1000.0, 10000.0)


def make_mission_table() -> QTableWidget:
    """The empty table: whole rows selected one at a time, cells edited on a double-click or F2."""
    table = QTableWidget(0, len(COLUMNS))
    table.setHorizontalHeaderLabels(list(COLUMNS))
    table.verticalHeader().setVisible(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
    header = table.horizontalHeader()
    for column in range(len(COLUMNS)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    return table


def fill_mission_table(table: QTableWidget, mission: Mission, kind: MissionType, current: int | None,
                       reached: tuple[int, ...]) -> None:
    """Show ``mission`` (a list of ``kind``), the vehicle's current item bold and blue, reached ones green.

    Only the altitude cell of an item with a position or an altitude is editable; on a fence only a
    circle's (its radius)."""
    table.setRowCount(len(mission.items))
    for row, item in enumerate(mission.items):
        seq = mission.seq_offset + row
        state = "current" if seq == current else "reached" if seq in reached else ""
        circle = item.command in CIRCLES
        for column, text in enumerate((str(seq), *row_texts(item), state)):
            cell = QTableWidgetItem(text)
            if column != ALT_COLUMN or not (item.has_position or item.z) or (kind is MissionType.FENCE and not circle):
                cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
            elif circle:
                cell.setToolTip("Double-click to type a new radius in metres")
            else:
                cell.setToolTip("Double-click to type a new altitude")
            if state == "current":
                cell.setForeground(CURRENT)
                font = QFont(cell.font())
                font.setBold(True)
                cell.setFont(font)
            elif state == "reached" and column == len(COLUMNS) - 1:
                cell.setForeground(REACHED)
            table.setItem(row, column, cell)


def parse_altitude(text: str) -> float:
    """An altitude typed in a cell ("25", "25 m"), in metres; ValueError outside -1000..10000 or not a number."""
    alt = float(text.strip().removesuffix("m").strip())
    if not ALT_RANGE_M[0] <= alt <= ALT_RANGE_M[1]:
        raise ValueError(f"{alt:g} m is outside {ALT_RANGE_M[0]:g} to {ALT_RANGE_M[1]:g} m")
    return alt
