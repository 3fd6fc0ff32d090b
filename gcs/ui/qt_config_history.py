"""The settings editor's History and Backups tabs. GUI thread only; both read small local files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gcs.core.errors import ConfigError

if TYPE_CHECKING:
    from gcs.core.config import ConfigStore

HISTORY_ROWS = 200


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))


class QtConfigHistory(QWidget):
    """The newest setting changes: when, which key, old -> new, and who changed it."""

    def __init__(self, config: ConfigStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config = config
        self.table = _table(["Time (UTC)", "Setting", "Old", "New", "Changed by"])
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(row)

    @Slot()
    def refresh(self) -> None:
        entries = self._config.history(HISTORY_ROWS)
        _fill(self.table, [[str(e.get("time", "")).replace("T", " ")[:23], str(e.get("key", "")),
                            repr(e.get("old")), repr(e.get("new")), str(e.get("source", ""))] for e in entries])


class QtConfigBackups(QWidget):
    """Saved copies of the settings file; "Restore backup" brings the selected one back."""

    restored = Signal(str)  # a line for the pilot: "Restored ..." or why not

    def __init__(self, config: ConfigStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config = config
        self.table = _table(["Backup", "Saved (UTC)", "Size"])
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.restore_button = QPushButton("Restore backup")
        self.restore_button.setToolTip("Replace the settings with the selected backup (the current file is backed up)")
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self._on_restore_clicked)
        self.confirm: QMessageBox | None = None
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(row)

    @Slot()
    def refresh(self) -> None:
        backups = self._config.backups()
        _fill(self.table, [[b.id, f"{b.time:%Y-%m-%d %H:%M:%S}", f"{b.size} B"] for b in backups])
        self._on_selection()

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.text() if item is not None else None

    @Slot()
    def _on_selection(self) -> None:
        self.restore_button.setEnabled(self.selected_id() is not None)

    @Slot()
    def _on_restore_clicked(self) -> None:
        backup_id = self.selected_id()
        if backup_id is None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Restore settings",
                          f"Replace the settings in force with backup {backup_id}?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: self.restore(backup_id)
                             if result == QMessageBox.StandardButton.Yes else None)
        self.confirm = box
        box.open()

    def restore(self, backup_id: str) -> bool:
        """Bring back ``backup_id``; the outcome goes out on ``restored``."""
        self.confirm = None
        try:
            self._config.restore(backup_id, source="gui")
        except ConfigError as exc:
            self.restored.emit(f"Backup {backup_id} not restored: {exc}")
            return False
        self.restored.emit(f"Restored settings from backup {backup_id}")
        return True
