"""How the docks give way so the window fits a 1024x700 laptop in every dock arrangement.

A QMainWindow's minimum height is the sum of what is stacked: the toolbars, a dock in the top
area (it spans the whole width), the central video or the right column beside it, the status bar.
With the plots docked above the video that was 946 px: the HUD held at its full height (384 px, so
it reads at a glance without scrolling), the plots at 245, the Missions tab at 324 (a tab's minimum
is its largest page's), the messages at 118, over 145 px of bars. So:

- every dock's content but the HUD's sits in a ``QtDockScroll``: the dock keeps at most ``DOCK_MIN_W``
  of the content's minimum width (two docks side by side beside the 320 px video must fit 1024: the
  Map's editor row alone wants 362) and only ``DOCK_MIN_H`` of height (``PLOTS_MIN_H`` for the plots:
  one readable row), and scrolls when squeezed below its content;
- the HUD's ``QtFitScroll`` is held at the HUD's full height only as far as the window can afford
  it: ``refit(window)`` (after every dock move) caps it so the window's minimum height stays within
  ``FIT_HEIGHT``; in the default arrangement nothing is capped and the HUD never scrolls at 1024x700.
GUI thread only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QMainWindow, QScrollArea, QWidget

FIT_HEIGHT = 700  # the smallest laptop screen the window is made for (1024x700)
DOCK_MIN_W = 330  # left + right docks (2 x 330) + the video (320) + separators fit 1024 px
DOCK_MIN_H = 80  # a squeezed dock's content: still a few lines, scrolled
PLOTS_MIN_H = 150  # the plots squeezed: one row of plots still readable (the HUD gives way before them)
HUD_MIN_H = 110  # the HUD capped: its mode line and the top of the attitude ball, the rest scrolled


class QtFitScroll(QScrollArea):
    """The HUD's scroll area: never shorter than the HUD at its width (wrapped lines included) unless
    ``cap`` says the window cannot afford it; the messages below give way first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cap: int | None = None

    def need(self) -> int:
        widget = self.widget()
        if widget is None:
            return 0
        return max(widget.minimumSizeHint().height(), widget.heightForWidth(self.viewport().width()))

    def refit(self) -> None:
        need = self.need()
        if need <= 0:
            return
        want = need if self.cap is None else max(HUD_MIN_H, min(need, self.cap))
        if want != self.minimumHeight():
            self.setMinimumHeight(want)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.refit()


class QtDockScroll(QScrollArea):
    """A dock's content that scrolls rather than hold the window taller than the screen."""

    def __init__(self, content: QWidget, min_height: int = DOCK_MIN_H, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(content)
        wide = content.minimumSizeHint().width() > DOCK_MIN_W
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded if wide
                                          else Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(min(DOCK_MIN_W, content.minimumSizeHint().width()))
        self.setMinimumHeight(min(min_height, max(0, content.minimumSizeHint().height())))


def refit(window: QMainWindow, hud: QtFitScroll) -> int:
    """Cap the HUD's height so the window's minimum height stays within FIT_HEIGHT; returns that minimum."""
    hud.cap = None
    hud.refit()
    layout = window.layout()
    layout.invalidate()
    height = window.minimumSizeHint().height()
    if height > FIT_HEIGHT:
        hud.cap = hud.minimumHeight() - (height - FIT_HEIGHT)
        hud.refit()
        layout.invalidate()
        height = window.minimumSizeHint().height()
    layout.activate()  # the window's own minimum size follows now, not at the next layout pass
    return height
