"""Hold-to-confirm for the actions that need the pilot's confirmation (arm, takeoff, follow, disarm in flight).

The gesture is the dashboard's too (``gcs.core.availability.CONFIRM_HOLD_S`` / ``CONFIRM_REPEAT_S``):

- mouse (or touch): press the button and hold it; a fill grows across the button and the command
  is sent when it is full (1 s). Released early, or dragged off the button, nothing is sent and the
  status line says how to confirm;
- keyboard: the shortcut once arms the button (it shows a full outline and the status line says
  "press again"); the same shortcut again within 2 s sends the command; otherwise it lapses.

``QtConfirmGesture`` filters the button's mouse events only while its ``needs()`` says the action
needs confirming (otherwise the button clicks as usual), so the QAction's ``triggered`` then comes
from the shortcut alone and the toolbar hands it to ``key_press``. GUI thread only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QAbstractButton, QWidget

from gcs.core.availability import CONFIRM_HOLD_S, CONFIRM_REPEAT_S

TICK_MS = 25
FILL = QColor(255, 179, 0, 140)  # amber, see-through so the button's text stays readable
OUTLINE = QColor(255, 179, 0)


class _Fill(QWidget):
    """The growing fill drawn over a button while it is held (never takes the mouse)."""

    def __init__(self, button: QAbstractButton) -> None:
        super().__init__(button)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.progress = 0.0
        self.armed = False  # the keyboard's first press: waiting for the second
        self.hide()

    def show_state(self, progress: float, armed: bool) -> None:
        self.progress, self.armed = progress, armed
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.setVisible(progress > 0.0 or armed)
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self.progress > 0.0:
            painter.fillRect(QRect(0, 0, round(self.width() * min(self.progress, 1.0)), self.height()), FILL)
        if self.armed:
            painter.setPen(QPen(OUTLINE, 2, Qt.PenStyle.DashLine))
            painter.drawRect(self.rect().adjusted(1, 1, -2, -2))
        painter.end()


@dataclass
class _Target:
    name: str
    label: str  # what the status line calls it: "ARM"
    keys: str  # its shortcut as written: "Ctrl+Shift+A"
    button: QAbstractButton
    needs: Callable[[], bool]
    run: Callable[[], None]
    fill: _Fill
    held_since: float | None = None
    done: bool = False  # sent during this press: the release is swallowed too
    armed_until: float | None = None  # keyboard: the second press must come before this


class QtConfirmGesture(QObject):
    """Confirmation for several buttons; ``notice`` tells the pilot what happened (text, level)."""

    notice = Signal(str, str)

    def __init__(self, parent: QObject | None = None, *, hold_s: float = CONFIRM_HOLD_S,
                 repeat_s: float = CONFIRM_REPEAT_S) -> None:
        super().__init__(parent)
        self.hold_s = hold_s
        self.repeat_s = repeat_s
        self._targets: dict[str, _Target] = {}
        self._by_button: dict[QObject, _Target] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    def attach(self, name: str, label: str, keys: str, button: QAbstractButton,
               needs: Callable[[], bool], run: Callable[[], None]) -> None:
        """Confirm ``name`` on ``button`` whenever ``needs()``; ``run()`` sends it once confirmed."""
        target = _Target(name, label, keys, button, needs, run, _Fill(button))
        self._targets[name] = target
        self._by_button[button] = target
        button.installEventFilter(self)

    # ---- state, for the toolbars and tests -------------------------------------------------

    def progress(self, name: str) -> float:
        """How far the hold of ``name`` has got as shown (0..1; 1 once sent, until the release)."""
        target = self._targets[name]
        if target.done:
            return 1.0
        return target.fill.progress if target.held_since is not None else 0.0

    def _elapsed(self, target: _Target) -> float:
        return 0.0 if target.held_since is None else (time.monotonic() - target.held_since) / self.hold_s

    def is_armed(self, name: str) -> bool:
        """The shortcut was pressed once and the second press is awaited."""
        until = self._targets[name].armed_until
        return until is not None and time.monotonic() < until

    def hint(self, name: str) -> str:
        target = self._targets[name]
        return f"hold the button {self.hold_s:g} s, or press {target.keys} twice within {self.repeat_s:g} s"

    # ---- keyboard --------------------------------------------------------------------------

    def key_press(self, name: str) -> None:
        """The action's shortcut was pressed: arm the first time, send the second time within ``repeat_s``."""
        target = self._targets[name]
        if self.is_armed(name):
            target.armed_until = None
            self._show(target)
            target.run()
            return
        target.armed_until = time.monotonic() + self.repeat_s
        self._show(target)
        self.notice.emit(f"Press {target.keys} again within {self.repeat_s:g} s to {target.label} "
                         f"(or hold the button)", "warning")
        QTimer.singleShot(round(self.repeat_s * 1000) + 20, lambda: self._lapse(target))

    def _lapse(self, target: _Target) -> None:
        if target.armed_until is None:
            return
        left = target.armed_until - time.monotonic()
        if left > 0:  # a coarse QTimer may fire up to 5 % early: without this the notice was never shown
            QTimer.singleShot(math.ceil(left * 1000) + 5, lambda: self._lapse(target))
            return
        target.armed_until = None
        self._show(target)
        self.notice.emit(f"{target.label} not sent: not confirmed ({self.hint(target.name)})", "warning")

    # ---- mouse -----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        target = self._by_button.get(watched)
        if target is None:
            return False
        kind = event.type()
        if kind == QEvent.Type.Resize:
            target.fill.setGeometry(target.button.rect())
            return False
        if not isinstance(event, QMouseEvent) or event.button() not in (Qt.MouseButton.LeftButton,
                                                                         Qt.MouseButton.NoButton):
            return False
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            if target.held_since is None and not target.done:
                if not (target.button.isEnabled() and target.needs()):
                    return False  # an ordinary click
                self._begin(target)
            return True
        if kind == QEvent.Type.MouseMove and target.held_since is not None:
            if not target.button.rect().contains(event.position().toPoint()):
                self._cancel(target, "moved off the button")
            return True
        if kind == QEvent.Type.MouseButtonRelease and (target.held_since is not None or target.done):
            if target.held_since is not None:
                self._cancel(target, "released too soon")
            target.done = False
            self._show(target)
            return True
        return False

    def _begin(self, target: _Target) -> None:
        target.held_since = time.monotonic()
        target.armed_until = None
        self.notice.emit(f"Hold to {target.label}…", "info")
        self._show(target)
        self._timer.start()

    def _cancel(self, target: _Target, why: str) -> None:
        target.held_since = None
        self._show(target)
        self.notice.emit(f"{target.label} not sent: {why} ({self.hint(target.name)})", "warning")

    def _tick(self) -> None:
        held = [t for t in self._targets.values() if t.held_since is not None]
        if not held:
            self._timer.stop()
        for target in held:
            if not (target.button.isEnabled() and target.needs()):
                self._cancel(target, "no longer available")
            elif self._elapsed(target) >= 1.0:
                target.held_since = None
                target.done = True
                self._show(target)
                target.run()
            else:
                self._show(target)

    def _show(self, target: _Target) -> None:
        target.fill.show_state(min(0.999, self._elapsed(target)), self.is_armed(target.name))
