"""The flight-session index: one SQLite file (stdlib ``sqlite3``) of sessions, their events and videos.

A session is a row opened when a vehicle is first heard on a link (or when a tlog is imported) and
closed with its end time when the link closes. Figures (vehicles, max altitude, distance) and
events are saved about once a second while it runs, so a crash leaves a row with no end time;
``gcs.core.logs.analysis.recover_open_sessions`` closes such rows on the next start from what the
tlog holds. WAL journaling keeps readers (the API, the GUI) from blocking the writer.

One connection serves every thread, behind a lock; every ``sqlite3.Error`` becomes a
``RecordingError`` that names the database file.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gcs.core.errors import RecordingError
from gcs.core.logs.stats import EventKind, FlightEvent, FlightStats

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_s REAL NOT NULL,
    ended_s REAL,                      -- NULL while the session runs (or after a crash)
    updated_s REAL,                    -- last time figures were saved
    source TEXT NOT NULL,              -- live | import
    link_url TEXT NOT NULL DEFAULT '',
    tlog_path TEXT NOT NULL DEFAULT '',
    vehicle_ids TEXT NOT NULL DEFAULT '',
    autopilot TEXT NOT NULL DEFAULT 'unknown',
    vehicle_type TEXT NOT NULL DEFAULT 'unknown',
    max_alt_m REAL,
    distance_m REAL NOT NULL DEFAULT 0,
    messages INTEGER NOT NULL DEFAULT 0,
    recovered INTEGER NOT NULL DEFAULT 0,
    pid INTEGER
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    time_s REAL NOT NULL,
    system_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    severity INTEGER
);
CREATE INDEX IF NOT EXISTS events_by_session ON events(session_id, time_s);
CREATE TABLE IF NOT EXISTS videos (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    added_s REAL NOT NULL
);
"""
SQLITE_INT_MAX = 2**63 - 1  # SQLite INTEGER is 64-bit signed; a larger Python int raises OverflowError
_COLUMNS = (
    "id, started_s, ended_s, updated_s, source, link_url, tlog_path, vehicle_ids, autopilot, "
    "vehicle_type, max_alt_m, distance_m, messages, recovered, pid"
)


@dataclass(frozen=True)
class FlightSession:
    """One flight session as the API and GUI list it."""

    id: int
    started_s: float
    ended_s: float | None
    source: str  # "live" or "import"
    link_url: str
    tlog_path: str
    vehicle_ids: tuple[int, ...]
    autopilot: str
    vehicle_type: str
    max_alt_m: float | None
    distance_m: float
    messages: int
    recovered: bool  # closed on a later start after the program died mid-session
    videos: tuple[str, ...] = ()
    updated_s: float | None = None
    pid: int | None = None

    @property
    def is_open(self) -> bool:
        return self.ended_s is None

    @property
    def duration_s(self) -> float:
        end = self.ended_s if self.ended_s is not None else (self.updated_s or self.started_s)
        return max(0.0, end - self.started_s)


class SessionStore:
    """Thread-safe access to the sessions database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except (sqlite3.Error, OSError) as exc:
            raise RecordingError(f"cannot open the flight-session database {path}: {exc}") from exc

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise RecordingError(f"flight-session database {self.path}: {exc}") from exc

    # ---- writing ---------------------------------------------------------------------------

    def create(
        self, started_s: float, *, source: str, link_url: str = "", tlog_path: str = "", pid: int | None = None
    ) -> int:
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO sessions (started_s, updated_s, source, link_url, tlog_path, pid) VALUES (?,?,?,?,?,?)",
                (started_s, started_s, source, link_url, tlog_path, pid),
            )
            session_id = cursor.lastrowid
        assert session_id is not None
        return session_id

    def save(
        self,
        session_id: int,
        stats: FlightStats,
        events: list[FlightEvent],
        *,
        messages: int,
        ended_s: float | None = None,
        replace_events: bool = False,
        recovered: bool = False,
    ) -> None:
        """Store the figures, append ``events`` (or replace them all) and optionally close the session."""
        autopilot, vehicle_type = stats.identity()
        vehicles = ",".join(str(v) for v in stats.vehicle_ids)
        with self._tx() as db:
            db.execute(
                "UPDATE sessions SET updated_s=COALESCE(?, updated_s), vehicle_ids=?, autopilot=?, vehicle_type=?,"
                " max_alt_m=?, distance_m=?, messages=?, ended_s=COALESCE(?, ended_s),"
                " recovered=MAX(recovered, ?) WHERE id=?",
                (stats.last_s, vehicles, autopilot, vehicle_type, stats.max_alt_m, stats.distance_m,
                 messages, ended_s, int(recovered), session_id),
            )
            if replace_events:
                db.execute("DELETE FROM events WHERE session_id=?", (session_id,))
            db.executemany(
                "INSERT INTO events (session_id, time_s, system_id, kind, text, severity) VALUES (?,?,?,?,?,?)",
                [(session_id, e.time_s, e.system_id, e.kind.value, e.text, e.severity) for e in events],
            )

    def close_session(self, session_id: int, ended_s: float, *, recovered: bool = False, note: str = "") -> None:
        """Close a session that has no better figures (its tlog is gone or unreadable)."""
        with self._tx() as db:
            db.execute(
                "UPDATE sessions SET ended_s=?, recovered=MAX(recovered, ?) WHERE id=?",
                (ended_s, int(recovered), session_id),
            )
            if note:
                db.execute(
                    "INSERT INTO events (session_id, time_s, system_id, kind, text) VALUES (?,?,?,?,?)",
                    (session_id, ended_s, 0, EventKind.NOTE.value, note),
                )

    def add_video(self, session_id: int, path: str) -> None:
        self.get(session_id)
        with self._tx() as db:
            db.execute(
                "INSERT INTO videos (session_id, path, added_s) VALUES (?,?,?)", (session_id, path, time.time())
            )

    # ---- reading ---------------------------------------------------------------------------

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise RecordingError(f"flight-session database {self.path}: {exc}") from exc

    def _sessions(self, where: str, args: tuple[Any, ...]) -> list[FlightSession]:
        rows = self._query(f"SELECT {_COLUMNS} FROM sessions {where}", args)
        if not rows:
            return []
        ids = [row[0] for row in rows]
        marks = ",".join("?" * len(ids))
        videos: dict[int, list[str]] = {}
        for session_id, path in self._query(
            f"SELECT session_id, path FROM videos WHERE session_id IN ({marks}) ORDER BY id", tuple(ids)
        ):
            videos.setdefault(session_id, []).append(path)
        return [_session(row, videos.get(row[0], [])) for row in rows]

    def sessions(self, limit: int = 100, offset: int = 0) -> list[FlightSession]:
        """Newest first. An offset past every row (however large) is simply an empty page."""
        limit, offset = min(limit, SQLITE_INT_MAX), min(offset, SQLITE_INT_MAX)
        return self._sessions("ORDER BY started_s DESC, id DESC LIMIT ? OFFSET ?", (limit, offset))

    def get(self, session_id: int) -> FlightSession:
        if not -SQLITE_INT_MAX <= session_id <= SQLITE_INT_MAX:  # no row can have it (and SQLite can't take it)
            raise RecordingError(f"no flight session {session_id}")
        found = self._sessions("WHERE id=?", (session_id,))
        if not found:
            raise RecordingError(f"no flight session {session_id}")
        return found[0]

    def open_sessions(self) -> list[FlightSession]:
        return self._sessions("WHERE ended_s IS NULL ORDER BY id", ())

    def find_by_tlog(self, tlog_path: str) -> FlightSession | None:
        found = self._sessions("WHERE tlog_path=? ORDER BY id LIMIT 1", (tlog_path,))
        return found[0] if found else None

    def events(self, session_id: int) -> list[FlightEvent]:
        self.get(session_id)
        rows = self._query(
            "SELECT time_s, system_id, kind, text, severity FROM events WHERE session_id=? ORDER BY time_s, id",
            (session_id,),
        )
        return [FlightEvent(t, sysid, EventKind(kind), text, severity) for t, sysid, kind, text, severity in rows]

    def close(self) -> None:
        with self._lock:
            try:
                self._db.close()
            except sqlite3.Error as exc:
                log.warning("closing %s: %s", self.path, exc)


def _session(row: tuple[Any, ...], videos: list[str]) -> FlightSession:
    (sid, started, ended, updated, source, url, tlog, vehicles, autopilot, vtype, max_alt, distance, messages,
     recovered, pid) = row
    return FlightSession(
        id=sid,
        started_s=started,
        ended_s=ended,
        source=source,
        link_url=url,
        tlog_path=tlog,
        vehicle_ids=tuple(int(v) for v in vehicles.split(",") if v),
        autopilot=autopilot,
        vehicle_type=vtype,
        max_alt_m=max_alt,
        distance_m=distance,
        messages=messages,
        recovered=bool(recovered),
        videos=tuple(videos),
        updated_s=updated,
        pid=pid,
    )
