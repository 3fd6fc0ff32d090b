"""ApiSettings: the knobs of the web face that are not user settings (those live in ``api.*`` config).

The user-facing ones (host, port, CORS origins, rate limit) come from the config store; these are
limits and timings the program (or a test) chooses when it builds the app. A typed object rather
than a dict, so a misspelt option is an error at the call site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import platformdirs


def default_tlog_dir() -> Path:
    """Where tlogs are kept when ``logging.tlog_dir`` is empty: the user data folder."""
    return Path(platformdirs.user_data_dir("kestrel-gcs")) / "tlogs"


@dataclass(frozen=True)
class ApiSettings:
    """Limits and timings of the embedded API; every default suits a real deployment."""

    # Folders whose tlogs jobs may read (relative paths only, never outside these). Empty: the
    # configured ``logging.tlog_dir`` (or the user data folder).
    tlog_roots: tuple[Path, ...] = ()
    # Streams
    stream_queue_size: int = 64  # events waiting per client before the oldest is dropped
    ring_size: int = 600  # recent events kept for history and Last-Event-ID resume
    ring_telemetry_hz: float = 2.0  # telemetry kept in that ring at most this often
    default_rate_hz: int = 10  # telemetry rate of a client that does not ask (?rate=1..50)
    keepalive_s: float = 15.0  # SSE comment after this much silence (proxies close idle streams)
    ws_auth_timeout_s: float = 5.0  # a WebSocket without ?token= must authenticate this fast
    # Protobuf ingest
    ingest_max_bytes: int = 1_000_000
    ingest_max_records: int = 1000
    # Jobs
    job_workers: int = 2
    jobs_kept: int = 100  # finished jobs remembered for GET /api/jobs/{id}
    # Responses larger than this are gzip-compressed for clients that accept it
    gzip_min_bytes: int = 1024
    extra: dict[str, str] = field(default_factory=dict)  # reserved for later faces (video, tracking)
