"""What every command toolbar shares: actions with shortcuts, the core's word on what is available,
and the rule that a button that cannot act now is disabled with a tooltip saying why.

Availability is not decided here: the core publishes it (``gcs.core.availability``, one rule book
for the GUI, the dashboard and the API) and ``on_availability`` hands it to the toolbar, which adds
only what this window knows (a command of its own still waiting for its answer, no frame shown yet).
``QtCommandToolbar`` refreshes every action's enabled state and tooltip from the subclass's
``unavailable_reason(name)`` whenever any input changes, touching only what changed. Actions that
need the pilot's confirmation go through ``self.confirm`` (hold the button, or press the shortcut
twice; see ``qt_confirm``). Calls go through the ``QtCommandRunner``, never the GUI thread.
GUI thread only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar, QWidget

from gcs.core.availability import NO_VEHICLE, Availability
from gcs.ui.qt_confirm import QtConfirmGesture
from gcs.ui.qt_runner import QtCommandRunner

if TYPE_CHECKING:
    from gcs.core.service import GcsService


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
        self._availability: Availability | None = None  # None: nothing heard from the core yet
        self.confirm = QtConfirmGesture(self)
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
    def on_availability(self, availability: Availability) -> None:
        """The core's availability of every action for the active vehicle (it publishes changes)."""
        self._availability = availability
        self._update_enabled()

    # ---- enabling --------------------------------------------------------------------------

    def core_reason(self, name: str) -> str | None:
        """Why the core says action ``name`` (a ``gcs.core.availability.ACTIONS`` name) cannot be taken."""
        if self._availability is None:
            return NO_VEHICLE
        return self._availability.why_not(name)

    def core_confirms(self, name: str) -> bool:
        """Whether the core asks for the pilot's confirmation of ``name`` now."""
        return self._availability is not None and name in self._availability.confirm

    def attach_confirm(self, name: str, label: str, core_name: Any) -> None:
        """Confirm the action ``name`` whenever the core asks for ``core_name()`` (a name, or a callable)."""
        spec = next(s for s in self.specs if s.name == name)
        button = self.widgetForAction(self.actions_by_name[name])
        assert button is not None, name
        wanted = core_name if callable(core_name) else (lambda: core_name)
        self.confirm.attach(name, label, keys_text(spec), button,  # type: ignore[arg-type]
                            lambda: self.core_confirms(wanted()), getattr(self, f"_do_{name}"))

    def _confirmed(self, name: str, core_name: str) -> None:
        """An action's ``triggered`` (its shortcut): confirm first when the core asks, else do it now."""
        if self.core_confirms(core_name):
            self.confirm.key_press(name)
        else:
            getattr(self, f"_do_{name}")()

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
