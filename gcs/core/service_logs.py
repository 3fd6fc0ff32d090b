"""The flight-log half of GcsService (a mixin, so service.py stays one screenful of composition):
replay of a tlog, recordings and flight sessions, telemetry ingest, and offline analysis
(a tlog's inventory; the shipped detector over a recorded video).

Each method delegates to ``gcs.core.logs`` or ``gcs.core.tracking.detectors.scan``; the logic
lives there, so the GUI, the API and its jobs share it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gcs.core.bus import MessageBus, Topics
from gcs.core.config import ConfigStore
from gcs.core.errors import LinkError, RecordingError, VehicleNotFound
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
from gcs.core.replay_conflicts import OpenReplay, plan_replay
from gcs.core.tracking.detectors import create_detector
from gcs.core.tracking.detectors.scan import scan_video
from gcs.core.vehicle.commands import command_name
from gcs.core.vehicle.connection import ConnectionSpec, LinkKind
from gcs.core.vehicle.fleet import Fleet
from gcs.core.vehicle.link import Link, LinkCounters

log = logging.getLogger(__name__)

HOUSEKEEPING_COMMANDS = frozenset({  # a GCS asking for telemetry: not shown when replayed
    mavlink.MAV_CMD_SET_MESSAGE_INTERVAL,
    mavlink.MAV_CMD_REQUEST_MESSAGE,
    mavlink.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES,
    mavlink.MAV_CMD_REQUEST_PROTOCOL_VERSION,
    mavlink.MAV_CMD_REQUEST_CAMERA_INFORMATION,
})
_INGEST_LOG_LOCK = threading.Lock()  # makes each service's IngestLog once, however many requests race


class LogsFacade:
    """Mixed into GcsService, which sets the bus, config, links, sessions and recorder used here."""

    bus: MessageBus
    config: ConfigStore
    sessions: SessionStore | None
    recorder: FlightRecorder | None
    fleet: Fleet
    _links: dict[str, Link]
    _links_lock: threading.Lock
    _add_link: Callable[[Link], None]
    disconnect: Callable[[str], None]
    _ingest_log: IngestLog | None = None

    # ---- replay (a tlog opened with connect("replay:PATH")) --------------------------------

    def _publish_replay(self, status: ReplayStatus) -> None:
        self.bus.publish(Topics.REPLAY, status)

    def _publish_replayed_ack(self, ack: Any) -> None:
        """A COMMAND_ACK in the log: shown like a live command's outcome, named and marked as replayed.

        The ACKs of a ground station asking for telemetry (message intervals, one-off messages) are
        not the pilot's commands: a log of our own flight opens with ten of them in a few ms.
        """
        if ack.command in HOUSEKEEPING_COMMANDS:
            return
        name, result = command_name(ack.command), enum_name("MAV_RESULT", ack.result)
        accepted = ack.result in (mavlink.MAV_RESULT_ACCEPTED, mavlink.MAV_RESULT_IN_PROGRESS)
        text = f"{name} accepted" if accepted else f"{name} refused: {result}"
        self.bus.publish(
            Topics.COMMAND_RESULT,
            CommandResult(name, accepted, result, f"{text} (replayed from the log, vehicle {ack.get_srcSystem()})"),
        )

    def _open_replay(self, spec: ConnectionSpec, link_id: str) -> LinkCounters:
        """Open a tlog as a replay link; refused if a system id in it already replays from another log
        (``replay_conflicts.plan_replay``); a live vehicle's id in it is shown under a stand-in id."""
        replay = ReplayLink(
            spec, self.fleet, link_id=link_id, on_status=self._publish_replay,
            on_command_ack=self._publish_replayed_ack,
        )
        try:
            with self._links_lock:
                replays = [link for link in self._links.values() if isinstance(link, ReplayLink)]
            open_replays = [
                OpenReplay(r.link_id, str(r.index.path), r.log_vehicle_ids,
                           tuple(r.system_map.get(i, i) for i in r.log_vehicle_ids))
                for r in replays
            ]
            fleet = self.fleet
            live = [sysid for sysid in fleet.ids() if fleet.vehicle(sysid).link.spec.kind is not LinkKind.REPLAY]
            replay.system_map = plan_replay(spec.device, replay.log_vehicle_ids, open_replays, live,
                                            reserved=(self.config.current.link.source_system,))
        except (LinkError, VehicleNotFound):
            replay.close()
            raise
        for log_id, shown in replay.system_map.items():
            log.info("%s: system %d of the log is a live vehicle now: replayed as vehicle %d",
                     Path(spec.device).name, log_id, shown)
        self._add_link(replay)
        return replay.counters()

    def replay_close(self, link_id: str | None = None) -> str:
        """Close that replay (default: the newest); its vehicles go with it. Returns its link id."""
        replay = self._replay(link_id)
        self.disconnect(replay.link_id)
        return replay.link_id

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
