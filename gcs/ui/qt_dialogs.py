"""Small dialogs: Connect (a connection string with recent ones, checked as you type) and the
keyboard shortcut list. GUI thread only; neither touches the network.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gcs.core.errors import LinkError
from gcs.core.vehicle.connection import parse_connection_string

EXAMPLES = ("udpin:0.0.0.0:14550", "tcp:127.0.0.1:5760", "udpout:192.168.1.10:14550", "/dev/ttyUSB0,57600")


def connection_problem(url: str) -> str | None:
    """Why ``url`` is not a valid connection string, or None when it is (pure, instant)."""
    try:
        parse_connection_string(url)
    except LinkError as exc:
        return str(exc)
    return None


class QtConnectDialog(QDialog):
    """Ask for a MAVLink connection string; OK only closes the dialog for a valid one."""

    def __init__(self, recent: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to a vehicle")
        self.setMinimumWidth(460)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        seen: list[str] = []
        for url in (*recent, *EXAMPLES):
            if url not in seen:
                seen.append(url)
        self.combo.addItems(seen)
        if recent:
            self.combo.insertSeparator(len(recent))
        self.combo.setToolTip("MAVProxy-style connection string; the list starts with the recent ones")
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #e5484d;")
        self.error_label.setVisible(False)
        help_text = QLabel("Examples: " + ", ".join(EXAMPLES) + ". Listening on UDP 14550 is what QGC does.")
        help_text.setWordWrap(True)
        help_text.setStyleSheet("color: #8a8f98;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Connect")
        self.buttons.accepted.connect(self._on_accept)
        self.buttons.rejected.connect(self.reject)
        line_edit = self.combo.lineEdit()
        if line_edit is not None:
            line_edit.textChanged.connect(self._on_text_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Connection string"))
        layout.addWidget(self.combo)
        layout.addWidget(self.error_label)
        layout.addWidget(help_text)
        layout.addWidget(self.buttons)

    @property
    def url(self) -> str:
        return self.combo.currentText().strip()

    def set_url(self, url: str) -> None:
        self.combo.setEditText(url)

    @Slot(str)
    def _on_text_changed(self, _text: str) -> None:
        if self.error_label.isVisible():
            self._check()

    def _check(self) -> bool:
        problem = connection_problem(self.url)
        self.error_label.setText(problem or "")
        self.error_label.setVisible(problem is not None)
        return problem is None

    @Slot()
    def _on_accept(self) -> None:
        if self._check():
            self.accept()


class QtShortcutsDialog(QDialog):
    """A table of every action with its keyboard shortcut and what it does."""

    def __init__(self, rows: Sequence[tuple[str, str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(620, 420)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut", "What it does"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, (title, keys, description) in enumerate(rows):
            for c, text in enumerate((title, keys, description)):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(r, c, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
