"""The settings editor, generated from ``ConfigStore.fields()``: one tab per section.

Each field gets the editor its type asks for (spin box with the schema's bounds, combo for
choices, check box, line edit, one-item-per-line list) and a ⟳ marker when it only applies after
a restart. Apply hands every changed field of a section to ``ConfigStore.update`` (all or none);
a refusal shows the store's message ("safety.min_altitude_m = 100.0 ... is refused: ...") and
leaves the settings untouched. History and backups live in the last two tabs.

GUI thread only. Applying writes the small settings file synchronously (an atomic local write
of a few KB); nothing here touches the network or waits for another thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gcs.core.errors import ConfigError
from gcs.ui.qt_config_history import QtConfigBackups, QtConfigHistory

if TYPE_CHECKING:
    from gcs.core.config import ConfigStore, FieldInfo

RESTART_MARK = " ⟳"
INT_LIMIT = 2_000_000_000
FLOAT_DECIMALS = 3


def make_editor(info: FieldInfo) -> QWidget:
    """A widget for one setting, bounded as the schema says."""
    if info.choices:
        combo = QComboBox()
        combo.addItems(list(info.choices))
        return combo
    if info.type == "bool":
        return QCheckBox()
    if info.type == "int":
        spin = QSpinBox()
        spin.setRange(int(info.minimum if info.minimum is not None else -INT_LIMIT),
                      int(info.maximum if info.maximum is not None else INT_LIMIT))
        return spin
    if info.type == "float":
        dspin = QDoubleSpinBox()
        dspin.setDecimals(FLOAT_DECIMALS)
        low = float(info.minimum) if info.minimum is not None else -1e9
        high = float(info.maximum) if info.maximum is not None else 1e9
        dspin.setRange(low, high)
        dspin.setSingleStep(0.05 if high - low <= 2 else 0.1 if high - low <= 20 else 1.0)
        return dspin
    if info.type == "list[str]":
        text = QPlainTextEdit()
        text.setPlaceholderText("one per line")
        text.setFixedHeight(64)
        return text
    return QLineEdit()


def editor_value(widget: QWidget) -> Any:
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        return widget.value()
    if isinstance(widget, QPlainTextEdit):
        return [line.strip() for line in widget.toPlainText().splitlines() if line.strip()]
    assert isinstance(widget, QLineEdit)
    return widget.text()


def set_editor_value(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QComboBox):
        widget.setCurrentText(str(value))
    elif isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(value))
    elif isinstance(widget, QDoubleSpinBox):
        widget.setValue(float(value))
    elif isinstance(widget, QPlainTextEdit):
        widget.setPlainText("\n".join(str(v) for v in value))
    elif isinstance(widget, QLineEdit):
        widget.setText(str(value))


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) < 0.5 * 10.0 ** -FLOAT_DECIMALS
    return bool(a == b)


class QtConfigEditor(QWidget):
    """Tabs of settings generated from the schema, with Apply/Revert, history and backups."""

    applied = Signal(object)  # list of dotted keys changed by Apply

    def __init__(self, config: ConfigStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config = config
        self._editors: dict[str, tuple[FieldInfo, QWidget, QLabel]] = {}
        self.tabs = QTabWidget()
        sections: dict[str, list[FieldInfo]] = {}
        for info in config.fields():
            sections.setdefault(info.section, []).append(info)
        for section, infos in sections.items():
            self.tabs.addTab(self._section_page(infos), section.capitalize())
        self.history = QtConfigHistory(config)
        self.backups = QtConfigBackups(config)
        self.backups.restored.connect(self._on_restored)
        self.tabs.addTab(self.history, "History")
        self.tabs.addTab(self.backups, "Backups")

        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #e5484d; font-weight: bold;")
        self.info_label = QLabel("")
        self.info_label.setWordWrap(True)
        self.apply_button = QPushButton("Apply")
        self.apply_button.clicked.connect(self.apply)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Show the settings in force again, dropping unapplied edits")
        self.revert_button.clicked.connect(self.reload)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel(f"{RESTART_MARK.strip()} applies after a restart"))
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.info_label)
        layout.addLayout(buttons)
        self.reload()

    def _section_page(self, infos: list[FieldInfo]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        for info in infos:
            editor = make_editor(info)
            label = QLabel(info.name + (RESTART_MARK if info.apply == "restart" else ""))
            bounds = ""
            if info.minimum is not None or info.maximum is not None:
                bounds = f"\nRange: {info.minimum if info.minimum is not None else '…'} to " \
                         f"{info.maximum if info.maximum is not None else '…'}"
            tip = f"{info.key}: {info.description}{bounds}\nDefault: {info.default!r}"
            if info.apply == "restart":
                tip += "\nNeeds a restart to take effect"
            label.setToolTip(tip)
            editor.setToolTip(tip)
            editor.setObjectName(info.key)
            form.addRow(label, editor)
            self._editors[info.key] = (info, editor, label)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        return scroll

    # ---- GUI thread ------------------------------------------------------------------------

    def editor(self, key: str) -> QWidget:
        """The widget editing ``section.param``."""
        return self._editors[key][1]

    def pending_changes(self) -> dict[str, dict[str, Any]]:
        """{section: {param: value}} of every editor that differs from the settings in force."""
        current = self._config.current
        changes: dict[str, dict[str, Any]] = {}
        for info, editor, _label in self._editors.values():
            value = editor_value(editor)
            if not same_value(value, getattr(getattr(current, info.section), info.name)):
                changes.setdefault(info.section, {})[info.name] = value
        return changes

    @Slot()
    def apply(self) -> bool:
        """Apply every pending change, section by section; False (and the message shown) if refused."""
        changed: list[str] = []
        for section, values in self.pending_changes().items():
            try:
                self._config.update(section, values, source="gui")
            except ConfigError as exc:
                self.error_label.setText(f"Not applied: {exc}")
                self._show_restart_info()
                return False
            changed.extend(f"{section}.{name}" for name in values)
        self.error_label.setText("")
        self.reload()
        if changed:
            self.applied.emit(changed)
        return True

    @Slot()
    def reload(self) -> None:
        """Show the settings in force in every editor."""
        current = self._config.current
        for info, editor, _label in self._editors.values():
            set_editor_value(editor, getattr(getattr(current, info.section), info.name))
        self.history.refresh()
        self.backups.refresh()
        self._show_restart_info()

    @Slot(object)
    def on_config_changed(self, changes: Any) -> None:
        """Settings changed elsewhere (API, restore): show the new values of those keys."""
        current = self._config.current
        for key in changes or {}:
            entry = self._editors.get(key)
            if entry is not None:
                info, editor, _label = entry
                set_editor_value(editor, getattr(getattr(current, info.section), info.name))
        self.history.refresh()
        self.backups.refresh()
        self._show_restart_info()

    @Slot(str)
    def _on_restored(self, message: str) -> None:
        self.reload()
        self.error_label.setText("" if message.startswith("Restored") else message)
        if message.startswith("Restored"):
            self.info_label.setText(message)

    def _show_restart_info(self) -> None:
        pending = self._config.restart_pending()
        self.info_label.setText(f"Restart to apply: {', '.join(pending)}" if pending else "")
