"""Start the desktop GUI: a QApplication on a qasync event loop, the dark theme, the main window.

``run_gui`` runs on the main thread and returns when the window closes (or after ``run_for``
seconds, for smoke tests). The caller owns the service: it was started before and is closed
after. With the ``gcs.ui`` logger at DEBUG (or ``KESTREL_GUI_WATCHDOG=1``), a watchdog logs
every stall of the GUI thread longer than 50 ms.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING

import qasync
from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from gcs.ui.qt_main_window import QtMainWindow

if TYPE_CHECKING:
    from gcs.core.faces import Faces
    from gcs.core.service import GcsService

log = logging.getLogger(__name__)

STALL_LIMIT_S = 0.050
WATCHDOG_PERIOD_MS = 20


class QtStallWatchdog(QObject):
    """Logs when the GUI thread did not run a 20 ms timer for longer than the limit (GUI thread)."""

    def __init__(self, limit_s: float = STALL_LIMIT_S, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.limit_s = limit_s
        self.worst_s = 0.0
        self._last = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start(WATCHDOG_PERIOD_MS)

    @Slot()
    def _on_tick(self) -> None:
        now = time.monotonic()
        late = now - self._last - WATCHDOG_PERIOD_MS / 1000.0
        self._last = now
        self.worst_s = max(self.worst_s, late)
        if late > self.limit_s:
            log.warning("GUI thread stalled for %.0f ms", late * 1000)

    def stop(self) -> None:
        self._timer.stop()


def apply_dark_theme(app: QApplication) -> None:
    """Fusion with a dark, high-contrast palette that stays readable outdoors."""
    app.setStyle("Fusion")
    p = QPalette()
    base, window, text = QColor(24, 26, 29), QColor(36, 39, 43), QColor(226, 229, 233)
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, window)
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor(50, 54, 60))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor(48, 52, 58))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor(255, 90, 90))
    p.setColor(QPalette.ColorRole.Link, QColor(108, 182, 255))
    p.setColor(QPalette.ColorRole.Highlight, QColor(42, 130, 218))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(130, 135, 145))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(110, 114, 120))
    app.setPalette(p)


def _install_interrupt(window: QtMainWindow) -> QTimer | None:
    """Ctrl-C / SIGTERM close the window; a 200 ms timer lets Python see the signal."""
    if threading.current_thread() is not threading.main_thread():
        return None
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signum, _frame: QTimer.singleShot(0, window.close))
    wake = QTimer(window)
    wake.timeout.connect(lambda: None)
    wake.start(200)
    return wake


def run_gui(service: GcsService, *, api_url: str | None, run_for: float | None = None,
            faces: Faces | None = None) -> int:
    """Show the main window over a started ``service`` until it closes; returns the exit code."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Kestrel GCS")
    app.setOrganizationName("Kestrel")
    apply_dark_theme(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    layout_file = service.config.directory / "window.ini"
    settings = QSettings(str(layout_file), QSettings.Format.IniFormat)
    window = QtMainWindow(service, api_url=api_url, faces=faces, settings=settings)
    watchdog = None
    if log.isEnabledFor(logging.DEBUG) or os.environ.get("KESTREL_GUI_WATCHDOG") == "1":
        watchdog = QtStallWatchdog(parent=window)
    closed = loop.create_future()
    window.closed.connect(lambda: closed.done() or closed.set_result(None))
    _install_interrupt(window)
    if run_for is not None:
        QTimer.singleShot(int(run_for * 1000), window.close)
    window.show()
    log.info("window shown (%s)", app.platformName())
    try:
        with loop:
            loop.run_until_complete(closed)
    finally:
        asyncio.set_event_loop(None)  # the qasync loop is closed now; leave no stale current loop
        if watchdog is not None:
            watchdog.stop()
            log.info("worst GUI stall %.0f ms", watchdog.worst_s * 1000)
        window.deleteLater()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return 0
