"""Run blocking core calls off the GUI thread and hand their outcome back to it.

Every ``GcsService`` command may wait seconds for a COMMAND_ACK, so the GUI never calls one
directly: ``QtCommandRunner.submit("ARM", service.arm)`` runs it on a small worker pool and
emits ``finished(CommandOutcome)`` on the GUI thread. The pool's threads are plain Python
threads; the only thing they do with Qt is emit a signal, which Qt queues to the GUI thread.

Reads that widgets need (tracker list, flight sessions, open links) go through ``query``: a
separate small pool, so a command waiting seconds for an ACK never delays them; the result goes
to a callback on the GUI thread and never to the status line. A query whose key is still running
is not submitted again (a 1 Hz poll cannot pile up behind a slow call).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from gcs.core.errors import CommandError, GcsError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandOutcome:
    """What became of one submitted call; ``error`` is None when it returned normally."""

    label: str
    value: Any
    error: BaseException | None
    elapsed_s: float

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def published_by_core(self) -> bool:
        """True when the core already announced this outcome on ``Topics.COMMAND_RESULT``."""
        return isinstance(self.error, CommandError) or (self.error is None and _is_command_result(self.value))

    def describe(self) -> str:
        """One line for the status bar: "ARM failed: no vehicle with system id 3"."""
        if self.error is None:
            return f"{self.label} done"
        if isinstance(self.error, GcsError):
            return f"{self.label} failed: {self.error}"
        return f"{self.label} failed with an internal error: {type(self.error).__name__}: {self.error}"


def _is_command_result(value: Any) -> bool:
    return hasattr(value, "command") and hasattr(value, "success") and hasattr(value, "result")


class QtCommandRunner(QObject):
    """A worker pool for blocking core calls; create, use and ``shutdown()`` on the GUI thread."""

    started = Signal(str)  # label, when a call was submitted
    finished = Signal(object)  # CommandOutcome, on the GUI thread
    busy_changed = Signal()  # the set of running labels changed

    _done = Signal(object)  # internal: emitted on a worker thread
    _answered = Signal(str, object, object, object)  # internal: key, callback, value, error

    def __init__(self, max_workers: int = 4, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="gui-command")
        self._query_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gui-query")
        self._running: Counter[str] = Counter()
        self._queries: set[str] = set()
        self._closed = False
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._answered.connect(self._on_answered, Qt.ConnectionType.QueuedConnection)

    def submit(self, label: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Run ``fn(*args, **kwargs)`` on a worker (GUI thread); False once shut down."""
        if self._closed:
            return False
        begun = time.monotonic()

        def work() -> Any:
            return fn(*args, **kwargs)

        def on_done(future: Future[Any]) -> None:  # worker thread (or GUI thread if cancelled)
            error = None if future.cancelled() else future.exception()
            value = None if future.cancelled() or error is not None else future.result()
            if future.cancelled():
                error = GcsError("cancelled: the window is closing")
            try:
                self._done.emit(CommandOutcome(label, value, error, time.monotonic() - begun))
            except RuntimeError:  # the runner was deleted with the window while this ran
                log.debug("%s finished after the window closed", label)

        self._running[label] += 1
        future = self._pool.submit(work)
        future.add_done_callback(on_done)
        self.started.emit(label)
        self.busy_changed.emit()
        return True

    def query(self, key: str, fn: Callable[[], Any],
              callback: Callable[[Any, BaseException | None], None]) -> bool:
        """Run ``fn()`` on the query pool; ``callback(value, error)`` then runs on the GUI thread.

        False (and nothing submitted) when ``key`` is still running or the runner is shut down.
        """
        if self._closed or key in self._queries:
            return False
        self._queries.add(key)

        def work() -> None:
            value: Any = None
            error: BaseException | None = None
            try:
                value = fn()
            except Exception as exc:  # noqa: BLE001 - handed to the GUI thread, which shows or logs it
                error = exc
            try:
                self._answered.emit(key, callback, value, error)
            except RuntimeError:  # the runner was deleted with the window while this ran
                log.debug("query %s answered after the window closed", key)

        self._query_pool.submit(work)
        return True

    @Slot(str, object, object, object)
    def _on_answered(self, key: str, callback: Any, value: Any, error: Any) -> None:
        self._queries.discard(key)
        if self._closed:
            return
        if error is not None and not isinstance(error, GcsError):
            log.error("query %s raised unexpectedly", key, exc_info=error)
        callback(value, error)

    def is_busy(self, label: str | None = None) -> bool:
        """Whether ``label`` (or anything, when None) is running now."""
        if label is None:
            return any(self._running.values())
        return self._running[label] > 0

    @Slot(object)
    def _on_done(self, outcome: CommandOutcome) -> None:
        self._running[outcome.label] -= 1
        if self._running[outcome.label] <= 0:
            del self._running[outcome.label]
        if outcome.error is not None and not isinstance(outcome.error, GcsError):
            log.error("%s raised unexpectedly", outcome.label, exc_info=outcome.error)
        if not self._closed:
            self.finished.emit(outcome)
            self.busy_changed.emit()

    def shutdown(self) -> None:
        """Cancel queued calls and stop taking new ones; running ones finish in the background."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._query_pool.shutdown(wait=False, cancel_futures=True)
