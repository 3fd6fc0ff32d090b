"""Composition root: settings -> logging -> core service -> web API -> GUI or headless wait.

The only place that knows every part; everything else is handed what it needs. Shutdown
(window closed, Ctrl-C) goes through ``gcs.core.shutdown``: hold first if the vehicle is being
driven, then the API server, then the core.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from gcs.cli import has_display
from gcs.core.config import ConfigStore
from gcs.core.errors import GcsError
from gcs.core.faces import Faces
from gcs.core.service import GcsService
from gcs.core.shutdown import ShutdownReport
from gcs.core.shutdown import shutdown as shutdown_core
from gcs.logging_setup import configure_logging

log = logging.getLogger("gcs")
HEADLESS_MESSAGE = ("no display found: running headless (core + web API); no DISPLAY, WAYLAND_DISPLAY "
                    "or QT_QPA_PLATFORM is set (QT_QPA_PLATFORM=offscreen draws the window without a screen)")


@dataclass
class Running:
    """What ``start`` built: the core, the API server (or None) and the faces the GUI shows."""

    service: GcsService
    server: Any | None
    faces: Faces
    threads_before: set[threading.Thread] = field(default_factory=set)

    @property
    def api_url(self) -> str | None:
        return getattr(self.server, "url", None)


def api_client_count(app: Any) -> int:
    """Clients connected to the API's streams now (telemetry WS/SSE, video WS/MJPEG)."""
    runtime = getattr(app.state, "runtime", None)
    if runtime is None:
        return 0
    return sum(int(channel.get("clients", 0)) for channel in runtime.hub.stats().values())


def _start_api(service: GcsService, store: ConfigStore, args: argparse.Namespace, faces: Faces) -> Any | None:
    from embedded_api import ApiServer, create_app
    from embedded_api.auth import TokenAuthority, load_secret

    cfg = store.current.api
    if args.no_api or not cfg.enabled:
        log.info("web API disabled")
        return None
    authority = TokenAuthority(load_secret(store.directory))
    app = create_app(service, authority)
    server = ApiServer(app, host=args.api_host or cfg.host, port=cfg.port if args.api_port is None else args.api_port)
    server.start()
    faces.add("api", server.url, lambda: api_client_count(app))
    return server


def wants_headless(args: argparse.Namespace) -> bool:
    """--headless, or nowhere for Qt to draw: no display and no platform chosen."""
    if args.headless:
        return True
    return not has_display() and not os.environ.get("QT_QPA_PLATFORM")


def start(args: argparse.Namespace, store: ConfigStore) -> Running:
    """Start the core, its links and video, and the API server (the caller shuts it down)."""
    running = Running(GcsService(store), None, Faces(), set(threading.enumerate()))
    service = running.service
    try:
        service.start(video=not args.no_video and args.video is None)
        if args.video is not None and not args.no_video:
            try:
                service.start_video(args.video)
            except GcsError as exc:  # a bad --video is a clear error, but flying still works
                log.error("video %s not started: %s", args.video, exc)
        if args.demo:
            service.start_demo(args.flavour)
        for url in args.connect:
            try:
                service.connect(url)
            except GcsError as exc:  # one bad --connect (an unreadable tlog, a busy port) is not the end
                log.error("--connect %s not opened: %s", url, exc)
        for url in args.out:
            service.add_forward(url)
        running.server = _start_api(service, store, args, running.faces)
    except BaseException:
        shutdown(running)
        raise
    if running.api_url:
        log.info("web API at %s  (docs %s/docs; token: gcs token create --role operator)",
                 running.api_url, running.api_url)
    return running


def shutdown(running: Running) -> ShutdownReport:
    """Hold first if driving the vehicle, then stop the API server and close the core."""
    return shutdown_core(running.service, running.server, started_threads=running.threads_before)


def run(args: argparse.Namespace) -> int:
    store = ConfigStore(args.config)
    cfg = store.load()
    log_file = Path(platformdirs.user_log_dir("kestrel-gcs")) / "gcs.log" if cfg.logging.file else None
    configure_logging(args.log_level or cfg.logging.level, log_file)
    if store.load_warning:
        log.warning("config: %s", store.load_warning)
    headless = wants_headless(args)
    if headless and not args.headless:
        log.warning(HEADLESS_MESSAGE)
    try:
        running = start(args, store)
    except (GcsError, RuntimeError) as exc:  # RuntimeError: the API could not bind its port
        log.error("%s", exc)
        return 2
    try:
        if headless:
            _wait_for_signal(args.run_for)
            return 0
        from gcs.ui.application import run_gui

        return run_gui(running.service, api_url=running.api_url, run_for=args.run_for, faces=running.faces)
    finally:
        shutdown(running)
        log.info("stopped")


def run_relay(args: argparse.Namespace) -> int:
    """``gcs relay``: the core without links or video, fed by the broker, behind the same API."""
    store = ConfigStore(args.config)
    cfg = store.load()
    log_file = Path(platformdirs.user_log_dir("kestrel-gcs")) / "relay.log" if cfg.logging.file else None
    configure_logging(args.log_level or cfg.logging.level, log_file)
    running = Running(GcsService(store), None, Faces(), set(threading.enumerate()))
    try:
        running.service.start(video=False, relay=True)
        running.service.start_relay(args.mqtt, commands=args.commands, prefix=args.prefix)
        running.server = _start_api(running.service, store, args, running.faces)
    except (GcsError, RuntimeError) as exc:
        log.error("%s", exc)
        shutdown(running)
        return 2
    if running.api_url:
        log.info("relay: web API at %s", running.api_url)
    try:
        _wait_for_signal(args.run_for)
        return 0
    finally:
        shutdown(running)
        log.info("stopped")


def _wait_for_signal(run_for: float | None) -> None:
    """Block the main thread until SIGINT/SIGTERM (or ``run_for`` seconds, for smoke tests)."""
    done = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %d: shutting down", signum)
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    log.info("running headless; Ctrl-C to stop")
    done.wait(run_for)
