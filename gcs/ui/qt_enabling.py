"""What every command toolbar shares: actions with shortcuts, the vehicle they act on, and the
rule that a button that cannot act now is disabled with a tooltip saying why.

``QtCommandToolbar`` keeps the active vehicle's state (``on_state``/``on_vehicles``), whether it is
a read-only replay (``set_read_only``), and refreshes every action's enabled state and tooltip
from the subclass's ``unavailable_reason(name)`` whenever any input changes (up to 30 Hz, so it
touches only what changed). Calls go through the ``QtCommandRunner``, never the GUI thread.
GUI thread only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar, QWidget

from gcs.core.models import LinkState, VehicleState
from gcs.ui.qt_runner import QtCommandRunner

if TYPE_CHECKING:
    from gcs.core.service import GcsService

NO_VEHICLE = "no vehicle connected (File > Connect, or start with --demo)"
LINK_LOST = "link lost: the vehicle is not heard"


@dataclass(frozen=True)
class ActionSpec:
    name: str
    title: str
    keys: tuple[str, ...]
    description: str


def keys_text(spec: ActionSpec) -> str:
    """The shortcuts of an action as the platform writes them ("Ctrl+Shift+A")."""
    return ", ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in spec.keys)


def action_tooltip(spec: ActionSpec, reason: str | None) -> str:
    """"Arm (Ctrl+Shift+A): Arm the motors" and, when it cannot act, "Unavailable: <why>"."""
    tip = f"{spec.title.rstrip('…')} ({keys_text(spec)}): {spec.description}"
    return tip + (f"\nUnavailable: {reason}" if reason else "")


class QtCommandToolbar(QToolBar):
    """A toolbar of ``specs``; each action calls ``self._on_<name>``. Subclasses say why not."""

    specs: tuple[ActionSpec, ...] = ()
    checkable: tuple[str, ...] = ()

    def __init__(self, title: str, object_name: str, service: GcsService, runner: QtCommandRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setObjectName(object_name)
        self.setIconSize(QSize(16, 16))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self._service = service
        self._runner = runner
        self._state: VehicleState | None = None
        self._link_lost = False
        self._read_only: str | None = None  # why the active vehicle cannot be commanded (a replay)
        self.actions_by_name: dict[str, QAction] = {}
        for spec in self.specs:
            action = QAction(spec.title, self)
            action.setShortcuts([QKeySequence(k) for k in spec.keys])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setCheckable(spec.name in self.checkable)
            action.triggered.connect(getattr(self, f"_on_{spec.name}"))
            self.actions_by_name[spec.name] = action

    def _name_buttons(self) -> None:
        """Object names for the action buttons (tests, style sheets); they never take focus."""
        for name, action in self.actions_by_name.items():
            button = self.widgetForAction(action)
            if button is not None:
                button.setObjectName(f"{name}_button")
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def shortcut_rows(self) -> list[tuple[str, str, str]]:
        """(title, keys, description) of every action, for the Help dialog."""
        return [(spec.title, keys_text(spec), spec.description) for spec in self.specs]

    # ---- inputs (GUI thread) ---------------------------------------------------------------

    @Slot(object)
    def on_state(self, state: VehicleState) -> None:
        self._state = state
        self._link_lost = state.link.state in (LinkState.LOST, LinkState.CLOSED)
        self._update_enabled()

    @Slot(object)
    def on_vehicles(self, ids: Any) -> None:
        if not ids:
            self._state = None
            self._update_enabled()

    def set_read_only(self, reason: str | None) -> None:
        """The active vehicle is a recording (``reason`` says so) or, with None, a live one again."""
        if reason != self._read_only:
            self._read_only = reason
            self._update_enabled()

    # ---- enabling --------------------------------------------------------------------------

    def vehicle_reason(self) -> str | None:
        """Why no command can go to the active vehicle now (none, a replay, link lost), or None."""
        if self._state is None:
            return NO_VEHICLE
        if self._read_only:
            return self._read_only
        if self._link_lost:
            return LINK_LOST
        return None

    def unavailable_reason(self, name: str) -> str | None:
        """Why the action ``name`` cannot act now, or None when it can (subclasses)."""
        raise NotImplementedError

    @Slot()
    def _update_enabled(self) -> None:
        """Refresh every action, then whatever else the toolbar shows (``_refresh_extras``)."""
        self._apply_enabled()
        self._refresh_extras()

    def _refresh_extras(self) -> None:
        """Subclasses: combo boxes, busy text, checked states (plain method, not a slot)."""

    def _apply_enabled(self) -> None:
        """Enable each action that can act and write why into the tooltip of each that cannot."""
        for spec in self.specs:
            action = self.actions_by_name[spec.name]
            reason = self.unavailable_reason(spec.name)
            tip = action_tooltip(spec, reason)
            if action.isEnabled() != (reason is None):  # runs at 30 Hz: touch only what changed
                action.setEnabled(reason is None)
            if action.toolTip() != tip:
                action.setToolTip(tip)

    def _busy_text(self, labels: Any) -> str:
        busy = [label for label in labels if self._runner.is_busy(label)]
        return f"waiting: {', '.join(busy)}" if busy else ""
