"""The flight-log half of GcsService (a mixin, so service.py stays one screenful of composition):
replay of a tlog, recordings and flight sessions, telemetry ingest, and offline analysis
(a tlog's inventory; the shipped detector over a recorded video).

Each method delegates to ``gcs.core.logs`` or ``gcs.core.tracking.detectors.scan``; the logic
lives there, so the GUI, the API and its jobs share it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gcs.core.bus import MessageBus, Topics
from gcs.core.config import ConfigStore
from gcs.core.errors import LinkError, RecordingError
from gcs.core.logs import (
    FlightEvent,
    FlightRecorder,
    FlightSession,
    RecordingStatus,
    ReplayLink,
    ReplayStatus,
    SessionStore,
    import_tlog,
)
from gcs.core.logs.ingest import INGEST_TOPIC, IngestLog, IngestWritten, ingest_dir
from gcs.core.logs.summary import Progress, summarize_tlog
from gcs.core.mavlink_env import enum_name, mavlink
from gcs.core.models import CommandResult
from gcs.core.tracking.detectors import create_detector
from gcs.core.tracking.detectors.scan import scan_video
from gcs.core.vehicle.commands import command_name
from gcs.core.vehicle.link import Link

_INGEST_LOG_LOCK = threading.Lock()  # makes each service's IngestLog once, however many requests race


class LogsFacade:
    """Mixed into GcsService, which sets the bus, config, links, sessions and recorder used here."""

    bus: MessageBus
    config: ConfigStore
    sessions: SessionStore | None
    recorder: FlightRecorder | None
    _links: dict[str, Link]
    _links_lock: threading.Lock
    _ingest_log: IngestLog | None = None

    # ---- replay (a tlog opened with connect("replay:PATH")) --------------------------------

    def _publish_replay(self, status: ReplayStatus) -> None:
        self.bus.publish(Topics.REPLAY, status)

    def _publish_replayed_ack(self, ack: Any) -> None:
        """A COMMAND_ACK in the log: shown like a live command's outcome, marked as replayed."""
        result = enum_name("MAV_RESULT", ack.result)
        accepted = ack.result in (mavlink.MAV_RESULT_ACCEPTED, mavlink.MAV_RESULT_IN_PROGRESS)
        self.bus.publish(
            Topics.COMMAND_RESULT,
            CommandResult(command_name(ack.command), accepted, result, "replayed from the log"),
        )

    def _replay(self, link_id: str | None) -> ReplayLink:
        """That replay, or the newest one when ``link_id`` is None."""
        with self._links_lock:
            replays = [link for link in self._links.values() if isinstance(link, ReplayLink)]
        for replay in reversed(replays):
            if link_id is None or replay.link_id == link_id:
                return replay
        raise LinkError(f"no replay {link_id!r} open" if link_id else "no replay open: connect replay:PATH first")

    def replay_play(self, link_id: str | None = None) -> ReplayStatus:
        return self._replay(link_id).play()

    def replay_pause(self, link_id: str | None = None) -> ReplayStatus:
        return self._replay(link_id).pause()

    def replay_seek(
        self, *, time_s: float | None = None, fraction: float | None = None, link_id: str | None = None
    ) -> ReplayStatus:
        """Go to ``time_s`` seconds from the log's start or a ``fraction`` of it; the state is rebuilt."""
        return self._replay(link_id).seek(time_s=time_s, fraction=fraction)

    def replay_speed(self, speed: float | None, link_id: str | None = None) -> ReplayStatus:
        """0.1x to 100x; None plays as fast as possible."""
        return self._replay(link_id).set_speed(speed)

    def replay_step(self, count: int = 1, link_id: str | None = None) -> ReplayStatus:
        return self._replay(link_id).step(count)

    def replay_status(self, link_id: str | None = None) -> ReplayStatus:
        return self._replay(link_id).status()

    # ---- recordings and flight sessions ----------------------------------------------------

    def _sessions(self) -> SessionStore:
        if self.sessions is None:
            raise RecordingError("flight sessions are not available (the database could not be opened; see the log)")
        return self.sessions

    def recordings(self) -> list[RecordingStatus]:
        return self.recorder.statuses() if self.recorder is not None else []

    def flight_sessions(self, limit: int = 100, offset: int = 0) -> list[FlightSession]:
        """Newest first."""
        return self._sessions().sessions(limit, offset)

    def flight_session(self, session_id: int) -> FlightSession:
        return self._sessions().get(session_id)

    def flight_session_events(self, session_id: int) -> list[FlightEvent]:
        return self._sessions().events(session_id)

    def import_tlog(self, path: str) -> FlightSession:
        """Add a session for an existing tlog (reads the whole file: seconds for a long flight)."""
        session = import_tlog(
            self._sessions(), Path(path), watchdog_timeout_s=self.config.current.link.watchdog_timeout_s
        )
        self.bus.publish(Topics.SESSIONS, session.id)
        return session

    def add_session_video(self, path: str, session_id: int | None = None) -> None:
        """Attach a video recording to a session (default: the active vehicle's open session)."""
        if session_id is None:
            session_id = self.recorder.session_of(None) if self.recorder is not None else None
            if session_id is None:
                raise RecordingError("no flight session is being recorded for the active vehicle")
        self._sessions().add_video(session_id, path)
        self.bus.publish(Topics.SESSIONS, session_id)

    # ---- telemetry ingest (edge devices, companion computers) ------------------------------

    def ingest_records(self, records: Sequence[Mapping[str, Any]]) -> IngestWritten:
        """Keep checked records (JSONL under <data dir>/ingest), then publish each on INGEST_TOPIC.

        All or nothing: DiskFull (free disk below logging.min_free_disk_mb) stores and publishes none.
        """
        with _INGEST_LOG_LOCK:
            if self._ingest_log is None:
                self._ingest_log = IngestLog(ingest_dir(), lambda: int(self.config.current.logging.min_free_disk_mb))
            ingest_log = self._ingest_log
        written = ingest_log.append(records, time.time())
        for record in records:
            self.bus.publish(INGEST_TOPIC, record)
        return written

    # ---- offline analysis ------------------------------------------------------------------

    def summarize_tlog(self, path: str | Path, progress: Progress | None = None) -> dict[str, Any]:
        """Message counts by type, systems, duration and vehicle of a tlog (reads the whole file)."""
        return summarize_tlog(Path(path), progress)

    def detect_in_video(
        self, path: str | Path, *, backend: str | None = None, every: int = 1, progress: Progress | None = None
    ) -> dict[str, Any]:
        """Run the configured detector (default: the shipped demo model) over a recorded video.

        Loads its own detector (seconds), so smart mode's is never shared across threads.
        ``backend`` defaults to ``tracking.backend``; onnxruntime needs no torch.
        """
        cfg = self.config.current.tracking
        detector = create_detector(
            backend or cfg.backend,
            cfg.model_path or None,
            confidence=cfg.confidence,
            image_size=cfg.image_size,
            device=cfg.device,
            classes=cfg.classes,
        )
        return scan_video(Path(path), detector, every=every, progress=progress)
