"""The settings editor, generated from ``ConfigStore.fields()``: one tab per section.

Each field gets its name in words with its unit ("Setpoint lifetime (s)", ``FieldInfo.label``), its
description under it, the editor its type asks for (spin box, combo for choices, check box, line
edit, one-item-per-line list) and a ⟳ marker when it only applies after a restart. Spin boxes
are NOT clamped to the schema's bounds: a clamped box silently turned a typed 9 into 5, so the
pilot never learnt the value was refused. Instead every edit is checked at once by the core's own
validation (``ConfigStore.check``, the words the web editor and the API show) and a refusal is
written in red under that field. Apply (or OK) hands every changed field of a section to
``ConfigStore.update`` (all or none); a refusal shows the store's message and leaves the settings
untouched (OK then stays open). Close drops unapplied edits. History and backups are the last tabs.

GUI thread only. Applying writes the small settings file synchronously (an atomic local write
of a few KB); nothing here touches the network or waits for another thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal, Slot
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

from gcs.core.config.fields import human_label
from gcs.core.errors import ConfigError
from gcs.ui.qt_config_history import QtConfigBackups, QtConfigHistory

if TYPE_CHECKING:
    from gcs.core.config import ConfigStore, FieldInfo

RESTART_MARK = " ⟳"
INT_LIMIT = 2_000_000_000  # spin boxes span their type, not the schema's bounds (see the module docstring)
FLOAT_LIMIT = 1e9
REFUSED_STYLE = "border: 1px solid #e5484d;"
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
        spin.setRange(-INT_LIMIT, INT_LIMIT)
        return spin
    if info.type == "float":
        dspin = QDoubleSpinBox()
        dspin.setDecimals(FLOAT_DECIMALS)
        dspin.setRange(-FLOAT_LIMIT, FLOAT_LIMIT)
        low = float(info.minimum) if info.minimum is not None else -FLOAT_LIMIT
        high = float(info.maximum) if info.maximum is not None else FLOAT_LIMIT
        dspin.setSingleStep(0.05 if high - low <= 2 else 0.1 if high - low <= 20 else 1.0)
        return dspin
    if info.type == "list[str]":
        text = QPlainTextEdit()
        text.setPlaceholderText("one per line")
        text.setFixedHeight(64)
        return text
    return QLineEdit()


def changed_signal(widget: QWidget) -> Any:
    """The signal an editor emits on every edit."""
    if isinstance(widget, QComboBox):
        return widget.currentTextChanged
    if isinstance(widget, QCheckBox):
        return widget.toggled
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        return widget.valueChanged
    if isinstance(widget, QPlainTextEdit):
        return widget.textChanged
    assert isinstance(widget, QLineEdit)
    return widget.textChanged


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
    done = Signal()  # OK (applied) or Close: the dialog around the editor hides

    def __init__(self, config: ConfigStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config = config
        self._editors: dict[str, tuple[FieldInfo, QWidget, QLabel]] = {}
        self._refusals: dict[str, QLabel] = {}  # key -> the red line under its editor
        self.tabs = QTabWidget()
        sections: dict[str, list[FieldInfo]] = {}
        for info in config.fields():
            sections.setdefault(info.section, []).append(info)
        for section, infos in sections.items():
            self.tabs.addTab(self._section_page(infos), human_label(section))
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
        self.ok_button = QPushButton("OK")
        self.ok_button.setToolTip("Apply the changes and close (stays open if a value is refused)")
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self._on_ok)
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Close; changes not applied are dropped")
        self.close_button.clicked.connect(self.done)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel(f"{RESTART_MARK.strip()} applies after a restart"))
        buttons.addStretch(1)
        for button in (self.revert_button, self.apply_button, self.close_button, self.ok_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.info_label)
        layout.addLayout(buttons)
        self.reload()

    def _section_page(self, infos: list[FieldInfo]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for info in infos:
            editor = make_editor(info)
            label = QLabel(info.label + (RESTART_MARK if info.apply == "restart" else ""))
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
            description = QLabel(info.description + bounds.replace("\n", ". "))
            description.setWordWrap(True)
            description.setStyleSheet("color: #8a8f98; font-size: 11px;")
            refused = QLabel("")
            refused.setObjectName(f"{info.key}.refused")
            refused.setWordWrap(True)
            refused.setStyleSheet("color: #e5484d;")
            refused.hide()
            cell = QWidget()
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 4)
            column.setSpacing(1)
            column.addWidget(editor)
            column.addWidget(description)
            column.addWidget(refused)
            form.addRow(label, cell)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            self._editors[info.key] = (info, editor, label)
            self._refusals[info.key] = refused
            changed_signal(editor).connect(lambda *_a, key=info.key: self._on_edited(key))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        return scroll

    # ---- GUI thread ------------------------------------------------------------------------

    def editor(self, key: str) -> QWidget:
        """The widget editing ``section.param``."""
        return self._editors[key][1]

    def label(self, key: str) -> str:
        """The name shown for ``section.param`` ("Setpoint lifetime (s)")."""
        return self._editors[key][2].text()

    def refusal(self, key: str) -> str:
        """The refusal shown under ``section.param`` now ("" when its value is acceptable)."""
        label = self._refusals[key]
        return label.text() if not label.isHidden() else ""

    def _on_edited(self, key: str) -> None:
        """Check the edited value at once with the core's rules and say why under the field if refused."""
        info, editor, _label = self._editors[key]
        value = editor_value(editor)
        current = getattr(getattr(self._config.current, info.section), info.name)
        why = None if same_value(value, current) else self._config.check(info.section, {info.name: value})
        refused = self._refusals[key]
        refused.setText(why or "")
        refused.setVisible(bool(why))
        editor.setStyleSheet(REFUSED_STYLE if why else "")

    @Slot()
    def _on_ok(self) -> None:
        if self.apply():
            self.done.emit()

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
        self.error_label.setText("")
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
