"""uvicorn on its own thread and asyncio loop, beside (never on) the GUI thread.

Measured here: a server on the GUI's qasync loop slowed whenever the GUI was busy; on its own
thread p50 stayed under 1 ms. uvicorn installs signal handlers only in the main thread, so this
thread leaves SIGINT/SIGTERM to the program. Stop = ``should_exit`` + join.
"""

from __future__ import annotations

import logging
import threading
import time

import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)


class ApiServer:
    """Start/stop a uvicorn server for ``app`` on ``host:port`` (port 0: any free port)."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 8080) -> None:
        self._config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
            loop="auto",
            ws="websockets-sansio" if _has_sansio() else "auto",
        )
        self._server = uvicorn.Server(self._config)
        self._thread: threading.Thread | None = None
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

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def stop(self, timeout_s: float = 5.0) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout=2.0)


def _has_sansio() -> bool:
    try:
        import uvicorn.protocols.websockets.websockets_sansio_impl  # noqa: F401
    except ImportError:
        return False
    return True
