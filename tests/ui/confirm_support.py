"""The pilot's confirmation gesture, as a test performs it: press a button and hold it until it sends."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

WAIT_MS = 15_000


def hold_to_confirm(qtbot: Any, toolbar: Any, name: str) -> None:
    """Press ``name``'s button, keep it down until the fill is full (the command is sent), release."""
    button = toolbar.button(name)
    assert button.isEnabled(), f"{name}: {button.toolTip()}"
    qtbot.mousePress(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: toolbar.confirm.progress(name) >= 1.0, timeout=WAIT_MS)
    qtbot.mouseRelease(button, Qt.MouseButton.LeftButton)


def press_briefly(qtbot: Any, toolbar: Any, name: str, held_ms: int = 300) -> float:
    """Press and release too soon; returns how far the fill had got while held."""
    button = toolbar.button(name)
    assert button.isEnabled(), f"{name}: {button.toolTip()}"
    qtbot.mousePress(button, Qt.MouseButton.LeftButton)
    qtbot.wait(held_ms)
    progress = float(toolbar.confirm.progress(name))
    qtbot.mouseRelease(button, Qt.MouseButton.LeftButton)
    return progress
