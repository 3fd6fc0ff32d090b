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
    # Hostile clients (see embedded_api/limits.py and server.py): bodies are bounded before they
    # are read, each phase of a request by time, and connections by count.
    json_max_bytes: int = 64 * 1024  # JSON commands and settings
    login_max_bytes: int = 4 * 1024  # POST /api/auth/login, before any password work
    param_file_max_bytes: int = 1_000_000  # POST /api/params/diff and /apply: a parameter file's text
    json_max_depth: int = 32  # nesting of objects/arrays in a JSON body
    body_timeout_s: float = 10.0  # the whole body must have arrived by then (slowloris bodies: 408)
    head_timeout_s: float = 10.0  # a request line + headers must have arrived by then (408, closed)
    header_max_bytes: int = 16 * 1024  # request line + headers (h11 refuses more: 400, closed)
    keep_alive_s: int = 5  # an idle keep-alive connection is closed after this
    max_connections: int = 1000  # HTTP + WebSocket connections; past it, requests get 503
    max_websockets: int = 600  # open WebSockets; past it, the handshake gets 503
    ws_max_message_bytes: int = 64 * 1024  # a bigger client message closes the socket (1009)
    ws_ping_interval_s: float = 10.0  # a peer that answers no ping for interval+timeout is dropped
    ws_ping_timeout_s: float = 10.0
    authority_check_s: float = 0.5  # an open stream re-checks its account this often
    # WebRTC: the addresses ICE gathers host candidates on; empty: every interface plus 127.0.0.1.
    # ("127.0.0.1",) keeps a test's browser and server on loopback (and drops its other candidates).
    webrtc_host_addresses: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)  # reserved for later faces (video, tracking)
