"""Tiles for the Qt map: fetched off the GUI thread from the core's tile source, kept as pixmaps.

``QtTileLoader.pixmap(z, x, y)`` answers at once with what is in memory (or None) and, the first
time, asks the core (``GcsService.map_tile``, which reads the disk cache, the network or an
MBTiles file) on a small worker pool; ``tile_ready`` then fires on the GUI thread and the map
repaints. A tile the source does not have is remembered as missing for ``MISSING_RETRY_S`` so a
repaint does not ask again at once. GUI thread only, except the workers.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QPixmap

log = logging.getLogger(__name__)

Key = tuple[int, int, int]
MEMORY_TILES = 400
MISSING_RETRY_S = 20.0


class QtTileLoader(QObject):
    tile_ready = Signal()  # a tile arrived: repaint

    _loaded = Signal(object, object)  # internal, from a worker: key, bytes | None

    def __init__(self, fetch: Callable[[int, int, int], bytes | None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="map-tiles")
        self._pixmaps: OrderedDict[Key, QPixmap] = OrderedDict()
        self._pending: set[Key] = set()
        self._missing: dict[Key, float] = {}
        self._generation = 0  # a new source: answers for the old one are dropped
        self._closed = False
        self.loaded = 0
        self._loaded.connect(self._on_loaded, Qt.ConnectionType.QueuedConnection)

    def reset(self) -> None:
        """The tile source changed: forget every tile."""
        self._generation += 1
        self._pixmaps.clear()
        self._pending.clear()
        self._missing.clear()

    def pixmap(self, z: int, x: int, y: int) -> QPixmap | None:
        key = (z, x, y)
        pix = self._pixmaps.get(key)
        if pix is not None:
            self._pixmaps.move_to_end(key)
            return pix
        missing = self._missing.get(key)
        if key not in self._pending and not self._closed and (missing is None or time.monotonic() > missing):
            self._pending.add(key)
            generation = self._generation

            def work() -> None:
                data: bytes | None = None
                try:
                    data = self._fetch(z, x, y)
                except OSError as exc:
                    log.info("tile %s not read: %s", key, exc)
                with contextlib.suppress(RuntimeError):  # the loader went with the window
                    self._loaded.emit((generation, key), data)

            self._pool.submit(work)
        return None

    @Slot(object, object)
    def _on_loaded(self, tagged: tuple[int, Key], data: bytes | None) -> None:
        generation, key = tagged
        if generation != self._generation or self._closed:
            return
        self._pending.discard(key)
        pix = QPixmap()
        if data is None or not pix.loadFromData(data):
            self._missing[key] = time.monotonic() + MISSING_RETRY_S
            return
        self._pixmaps[key] = pix
        self.loaded += 1
        while len(self._pixmaps) > MEMORY_TILES:
            self._pixmaps.popitem(last=False)
        self.tile_ready.emit()

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
