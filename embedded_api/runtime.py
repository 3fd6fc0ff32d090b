"""ApiRuntime: what one app instance owns besides its routes (hub, feed, limiter, jobs, counters).

Made by ``create_app`` and kept on ``app.state.runtime``; ``close()`` (called by ``ApiServer.stop``)
cancels the bus subscription, ends every stream and stops the job workers. uvicorn runs with
``lifespan="off"`` (see server.py), so nothing here depends on startup/shutdown events.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embedded_api.auth import TokenAuthority
from embedded_api.jobs import JobRunner
from embedded_api.limits import SocketGate
from embedded_api.protocol import GuardedH11Protocol
from embedded_api.ratelimit import ClientKeys, RateLimiter
from embedded_api.settings import ApiSettings, default_tlog_dir
from embedded_api.stream import Channel, StreamHub, TelemetryFeed
from embedded_api.stream.telemetry_feed import MAP, TELEMETRY
from gcs.core.fleet.summary import vehicle_summaries
from gcs.core.logs.ingest import INGEST_TOPIC
from gcs.core.service import GcsService

__all__ = ["INGEST_TOPIC", "ApiRuntime", "IngestCounters", "tlog_roots"]


@dataclass
class IngestCounters:
    batches: int = 0
    records: int = 0
    refused: int = 0
    bytes: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    last_device: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_dict(self) -> dict[str, Any]:
        with self.lock:
            return {
                "batches": self.batches,
                "records": self.records,
                "refused": self.refused,
                "bytes": self.bytes,
                "by_kind": dict(self.by_kind),
                "last_device": self.last_device,
            }


def tlog_roots(service: GcsService, settings: ApiSettings) -> tuple[Path, ...]:
    if settings.tlog_roots:
        return settings.tlog_roots
    configured = service.config.get("logging", "tlog_dir")
    return (Path(configured).expanduser() if configured else default_tlog_dir(),)


class ApiRuntime:
    def __init__(self, service: GcsService, authority: TokenAuthority, settings: ApiSettings) -> None:
        self.settings = settings
        self.hub = StreamHub()
        self.telemetry: Channel = self.hub.add_channel(
            Channel(
                "telemetry",
                throttled=(TELEMETRY, MAP),
                unkept=(MAP,),
                ring_size=settings.ring_size,
                ring_rate_hz=settings.ring_telemetry_hz,
                queue_size=settings.stream_queue_size,
            )
        )
        self.feed = TelemetryFeed(service.bus, self.telemetry, lambda: _fleet_lines(service))
        self.limiter = RateLimiter(lambda: int(service.config.get("api", "rate_limit_per_minute")))
        self.keys = ClientKeys(authority)
        self.jobs = JobRunner(
            service, tlog_roots(service, settings), workers=settings.job_workers, keep=settings.jobs_kept
        )
        self.ingest = IngestCounters()
        self.body_refusals: dict[int, int] = {}  # status -> bodies refused by limits.py
        self.websockets = SocketGate(settings.max_websockets)
        self.webrtc: Any = None  # the WebRtcHub, made by the first signalling socket (routes/webrtc.py)
        self._closed = False

    def body_refused(self, path: str, status: int) -> None:
        """A body refused before its route saw it (limits.py) still counts for that route."""
        with self.ingest.lock:
            self.body_refusals[status] = self.body_refusals.get(status, 0) + 1
            if path == "/api/ingest":
                self.ingest.refused += 1

    def refusals(self) -> dict[str, Any]:
        """What the hostile-client limits refused so far (``/stats``)."""
        with self.ingest.lock:
            bodies = {str(code): n for code, n in sorted(self.body_refusals.items())}
        return {
            "bodies_by_status": bodies,
            "websockets_open": self.websockets.open,
            "websockets_refused": self.websockets.refused,
            "late_request_heads": GuardedH11Protocol.timed_out,
        }

    def webrtc_stats(self) -> dict[str, Any] | None:
        """The WebRTC peers' figures (None until a signalling socket has opened)."""
        return self.webrtc.stats() if self.webrtc is not None else None

    def begin_shutdown(self) -> None:
        """End every stream (SSE, WebSocket, job) so the server's connections can finish."""
        self.hub.close()
        self.jobs.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.webrtc is not None:
            self.webrtc.close()
        self.feed.close()
        self.hub.close()
        self.jobs.close()


def _fleet_lines(service: GcsService) -> list[dict[str, Any]] | None:
    """Every vehicle's line for the stream's ``fleet`` status: on a relay, or with several vehicles."""
    if service.fleet_relay is None and len(service.vehicle_ids()) < 2:
        return None
    return vehicle_summaries(service)
