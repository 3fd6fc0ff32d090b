"""uvicorn on its own thread and asyncio loop, beside (never on) the GUI thread.

Measured here: a server on the GUI's qasync loop slowed whenever the GUI was busy; on its own
thread p50 stayed under 1 ms. uvicorn installs signal handlers only in the main thread, so this
thread leaves SIGINT/SIGTERM to the program. Stop: the app's streams are ended first (an open
SSE response would otherwise hold uvicorn's graceful shutdown), then ``should_exit`` + join, then
the app's runtime (bus subscription, job workers) is closed.

Listening on anything but a loopback address is the caller's explicit choice (``api.host`` or
``--api-host``); it is logged as a warning, and every route but health needs a token anyway.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
import time

import uvicorn
from fastapi import FastAPI

from embedded_api.protocol import guarded_protocol
from embedded_api.settings import ApiSettings

log = logging.getLogger(__name__)

_TOKEN_IN_URL = re.compile(r"(token=)[^&\s\"']+")


class RedactTokens(logging.Filter):
    """uvicorn logs each WebSocket's path with its query string: never let a ``?token=`` reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any("token=" in str(a) for a in record.args):
            record.args = tuple(_TOKEN_IN_URL.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str) and "token=" in record.msg:
            record.msg = _TOKEN_IN_URL.sub(r"\1***", record.msg)
        return True


_REDACT = RedactTokens()


class ApiServer:
    """Start/stop a uvicorn server for ``app`` on ``host:port`` (port 0: any free port)."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 8080) -> None:
        runtime = getattr(app.state, "runtime", None)
        limits: ApiSettings = runtime.settings if runtime is not None else ApiSettings()
        self._config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
            loop="auto",
            # Hostile clients: uvicorn's own bounds, set from ApiSettings (see protocol.py for the
            # head deadline it lacks, and limits.py for the bodies).
            http=guarded_protocol(limits.head_timeout_s),
            h11_max_incomplete_event_size=limits.header_max_bytes,
            timeout_keep_alive=limits.keep_alive_s,
            limit_concurrency=limits.max_connections,
            ws_max_size=limits.ws_max_message_bytes,
            ws_ping_interval=limits.ws_ping_interval_s,
            ws_ping_timeout=limits.ws_ping_timeout_s,
            ws="websockets-sansio" if _has_sansio() else "auto",
            # Compression would be done per client per message (measured: a quarter of the API
            # thread's time with 200 telemetry sockets) and undo encode-once; frames are small.
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=3,  # a client that ignores the end of its stream is cut off
        )
        self._server = uvicorn.Server(self._config)
        self._thread: threading.Thread | None = None
        self._app = app
        for name in ("uvicorn.error", "uvicorn.access"):
            if _REDACT not in logging.getLogger(name).filters:
                logging.getLogger(name).addFilter(_REDACT)
        self.host = host
        self.port = port

    def start(self, timeout_s: float = 10.0) -> None:
        """Start serving; returns once the socket is listening (RuntimeError if it could not)."""
        self._thread = threading.Thread(target=self._server.run, name="api-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"API server could not start on {self.host}:{self.port} (see log)")
            if time.monotonic() > deadline:
                raise RuntimeError(f"API server did not start within {timeout_s} s")
            time.sleep(0.02)
        for server in self._server.servers:
            for sock in server.sockets:
                self.port = int(sock.getsockname()[1])
                break
        log.info("API listening on %s (docs at %s/docs)", self.url, self.url)
        if not is_loopback(self.host):
            log.warning("API bound to %s: reachable from the network; every route but health needs a token", self.host)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def stop(self, timeout_s: float = 5.0) -> None:
        """End the streams first (an open SSE response would hold uvicorn's shutdown), then serve no more."""
        runtime = getattr(self._app.state, "runtime", None)
        if runtime is not None:
            runtime.begin_shutdown()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout=2.0)
        if runtime is not None:
            runtime.close()


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; False for 0.0.0.0, :: and every other address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _has_sansio() -> bool:
    try:
        import uvicorn.protocols.websockets.websockets_sansio_impl  # noqa: F401
    except ImportError:
        return False
    return True
