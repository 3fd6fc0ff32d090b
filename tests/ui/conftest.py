"""Fixtures of the GUI tests: a real core (service + built-in PX4 simulator), never mocks.

``make_service`` comes from ``tests/conftest.py``: a started ``GcsService`` over a private config
folder, the simulator on an ephemeral UDP port, closed at teardown. Tests run offscreen
(``QT_QPA_PLATFORM=offscreen`` unless the caller chose another platform).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def delete_closed_widgets(qapp: Any) -> Iterator[None]:
    """After each test (and after pytest-qt closed its widgets), delete them now, on this thread.

    Otherwise a closed window lives until a garbage collection, which may run on any core
    thread; PySide then defers the C++ delete to the main thread and runs it from whatever Python
    call comes next, even inside a paint, where deleting the window deadlocked or crashed.
    """
    yield
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


@pytest.fixture
def service(make_service: Callable[..., Any]) -> Any:
    """A started service with one PX4 demo vehicle already heard."""
    return make_service("px4")


@pytest.fixture
def window_factory(qapp: Any, qtbot: Any, make_service: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """Build shown main windows; each is closed (timers stopped) before any service is
    (it depends on ``make_service``, so it is torn down first)."""
    from gcs.ui.application import apply_dark_theme
    from gcs.ui.qt_main_window import QtMainWindow

    apply_dark_theme(qapp)  # as run_gui does, so screenshots show what the pilot sees
    made: list[QtMainWindow] = []

    def make(service: Any, api_url: str | None = "http://127.0.0.1:8080", faces: Any = None) -> QtMainWindow:
        win = QtMainWindow(service, api_url=api_url, faces=faces)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitExposed(win)
        made.append(win)
        return win

    yield make
    for win in made:
        win.close()
        assert not win.plots._timer.isActive(), "the plot timer outlived its window"
        assert not win.video_panel.feed._thread.is_alive(), "the frame poller outlived its window"


@pytest.fixture
def window(window_factory: Callable[..., Any], service: Any) -> Any:
    return window_factory(service)
