"""Map tiles: an XYZ server through a disk cache, or a local MBTiles file; none means the grid.

Offline first. With no source configured there are no tiles and the faces draw a metric grid.
An XYZ source (``map.tile_url``, OpenStreetMap's template form) is fetched with ``urllib`` and kept
under ``<data dir>/tiles/<source>/z/x/y``; a cached tile younger than ``map.tile_cache_days`` is
served without asking the network, an older one is fetched again and, if that fails (offline, the
server down), still served. The cache is held under ``map.tile_cache_mb`` (every source's tiles
together): when a new tile takes it over, the tiles fetched longest ago are deleted down to
``EVICT_TO`` of the cap, so a long survey flight cannot fill the disk. After a failed fetch the
source waits ``RETRY_AFTER_S`` before asking the network again, so an offline map does not make
every pan wait on time-outs. An MBTiles file (``map.tile_mbtiles``: SQLite, TMS rows) is read
directly; its ``attribution`` metadata is shown when the config gives none.

Both faces get tiles through here (the GUI on a worker thread, the dashboard through
``/api/map/tiles/{z}/{x}/{y}``), so one cache serves both and the page needs no internet access
of its own. Calls block (network, disk): never from a GUI or event-loop thread.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

FETCH_TIMEOUT_S = 5.0
RETRY_AFTER_S = 30.0
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
SUBDOMAINS = "abc"
EVICT_TO = 0.9  # a full cache is trimmed to this fraction of its cap (not one tile per new tile)
TILE_SUFFIX = ".tile"
_CACHE_LOCK = threading.Lock()
_CACHE_BYTES: dict[Path, int] = {}  # cache root -> bytes on disk, shared by every source filling it


class TileSource(Protocol):
    kind: str
    attribution: str
    max_zoom: int

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile's image bytes (PNG or JPEG), or None when there is none to be had now."""

    def close(self) -> None: ...


def valid_tile(z: int, x: int, y: int, max_zoom: int) -> bool:
    return 0 <= z <= max_zoom and 0 <= x < 2**z and 0 <= y < 2**z


def image_type(data: bytes) -> str:
    """The media type of tile bytes (tiles are PNG or JPEG; WebP from some MBTiles)."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


class XyzSource:
    """An XYZ tile server behind a disk cache (thread-safe; blocking)."""

    kind = "xyz"

    def __init__(self, template: str, cache_dir: Path, *, attribution: str = "", max_zoom: int = 19,
                 max_age_days: float = 30.0, user_agent: str = "KestrelGCS/1.0",
                 max_cache_mb: float | None = None) -> None:
        self.template = template
        self.cache_root = cache_dir  # every source's folder: the cap counts them all
        self.max_cache_bytes = None if max_cache_mb is None else int(max_cache_mb * 1024 * 1024)
        self.evicted = 0  # tiles deleted to keep under the cap
        self.attribution = attribution or (OSM_ATTRIBUTION if "openstreetmap.org" in template else "")
        self.max_zoom = max_zoom
        self.max_age_s = max_age_days * 86400.0
        self.user_agent = user_agent
        self.cache_dir = cache_dir / hashlib.sha1(template.encode()).hexdigest()[:12]
        self._offline_until = 0.0
        self._lock = threading.Lock()
        self.fetched = 0  # tiles fetched from the network (tests and the HUD)
        self.served_from_cache = 0

    def _path(self, z: int, x: int, y: int) -> Path:
        return self.cache_dir / str(z) / str(x) / f"{y}{TILE_SUFFIX}"

    def url(self, z: int, x: int, y: int) -> str:
        s = SUBDOMAINS[(x + y) % len(SUBDOMAINS)]
        return self.template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y)).replace("{s}", s)

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if not valid_tile(z, x, y, self.max_zoom):
            return None
        path = self._path(z, x, y)
        cached: bytes | None = None
        try:
            cached = path.read_bytes()
            if time.time() - path.stat().st_mtime < self.max_age_s:
                self.served_from_cache += 1
                return cached
        except OSError:
            pass
        if time.monotonic() < self._offline_until:
            return cached
        data = self._fetch(z, x, y)
        if data is None:
            return cached
        self._store(path, data)
        return data

    def _fetch(self, z: int, x: int, y: int) -> bytes | None:
        request = urllib.request.Request(self.url(z, x, y), headers={"User-Agent": self.user_agent})
        try:
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:
                data: bytes = response.read()
        except urllib.error.HTTPError as exc:  # the server answered: that tile is missing, the server is up
            log.debug("tile %d/%d/%d: HTTP %s", z, x, y, exc.code)
            return None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            log.info("tile source unreachable (%s); cached tiles only for %.0f s", exc, RETRY_AFTER_S)
            self._offline_until = time.monotonic() + RETRY_AFTER_S
            return None
        if image_type(data) == "application/octet-stream":
            log.info("tile %d/%d/%d is not an image (%d bytes); not cached", z, x, y, len(data))
            return None
        self.fetched += 1
        return data

    def _store(self, path: Path, data: bytes) -> None:
        """Atomic: a reader never sees half a tile, a crash never leaves one."""
        try:
            old = path.stat().st_size if path.exists() else 0
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("tile not cached at %s: %s", path, exc)
            return
        if self.max_cache_bytes is not None:
            self._account(len(data) - old)

    def _tiles(self) -> list[tuple[float, int, Path]]:
        """Every cached tile of every source: (mtime, size, path)."""
        out = []
        for path in self.cache_root.rglob(f"*{TILE_SUFFIX}"):
            try:
                st = path.stat()
            except OSError:
                continue
            out.append((st.st_mtime, st.st_size, path))
        return out

    def cache_bytes(self) -> int:
        """What the cache holds on disk now (every source)."""
        return sum(size for _, size, _ in self._tiles())

    def _account(self, delta: int) -> None:
        cap = self.max_cache_bytes
        assert cap is not None
        root = self.cache_root
        with _CACHE_LOCK:
            held = _CACHE_BYTES.get(root)
            held = self.cache_bytes() if held is None else held + delta  # measured once, then counted
            _CACHE_BYTES[root] = held
            if held <= cap:
                return
            tiles = sorted(self._tiles())  # oldest first
            total = sum(size for _, size, _ in tiles)
            goal = int(cap * EVICT_TO)
            for _mtime, size, path in tiles:
                if total <= goal:
                    break
                try:
                    path.unlink()
                except OSError:
                    continue
                total -= size
                self.evicted += 1
            _CACHE_BYTES[root] = total
        log.info("tile cache over %.0f MB: the oldest tiles deleted (%d so far)", cap / 1048576, self.evicted)

    def close(self) -> None:
        return None


class MbtilesSource:
    """A local MBTiles file (SQLite; rows in TMS order, y flipped); one connection per thread."""

    kind = "mbtiles"

    def __init__(self, path: Path, *, attribution: str = "", max_zoom: int = 19) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"MBTiles file {path} does not exist")
        self.path = path
        self._local = threading.local()
        meta = dict(self._db().execute("SELECT name, value FROM metadata").fetchall())
        self.attribution = attribution or str(meta.get("attribution", ""))
        self.max_zoom = int(meta.get("maxzoom", max_zoom))
        self.name = str(meta.get("name", path.stem))

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = db
        return db

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if not valid_tile(z, x, y, self.max_zoom):
            return None
        row = self._db().execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, 2**z - 1 - y)).fetchone()
        return bytes(row[0]) if row else None

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
