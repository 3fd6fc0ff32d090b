"""The program's faces (the web API, later others) and how many clients each serves right now.

The GUI shows "API http://127.0.0.1:8080 · 2 clients" without knowing anything about the web
side: the composition root registers each face with its address and a cheap counting function
(for the API: the stream hub's connected WebSocket/SSE/MJPEG clients), and the GUI polls
``snapshot()`` off its own thread once a second. Qt-free and web-free; thread-safe.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FaceInfo:
    name: str  # "api"
    address: str | None  # "http://127.0.0.1:8080", None when it has none
    clients: int | None  # connected clients now; None when the count could not be read


class Faces:
    """A registry of faces: ``add`` at start-up, ``snapshot`` from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faces: dict[str, tuple[str | None, Callable[[], int]]] = {}

    def add(self, name: str, address: str | None, count_clients: Callable[[], int]) -> None:
        with self._lock:
            self._faces[name] = (address, count_clients)

    def remove(self, name: str) -> None:
        with self._lock:
            self._faces.pop(name, None)

    def address(self, name: str) -> str | None:
        with self._lock:
            entry = self._faces.get(name)
        return entry[0] if entry else None

    def snapshot(self) -> tuple[FaceInfo, ...]:
        """Every face with its current client count (a count that raises reads as None)."""
        with self._lock:
            faces = list(self._faces.items())
        out: list[FaceInfo] = []
        for name, (address, count) in faces:
            try:
                clients: int | None = int(count())
            except Exception:
                log.debug("face %s: client count unavailable", name, exc_info=True)
                clients = None
            out.append(FaceInfo(name, address, clients))
        return tuple(out)
