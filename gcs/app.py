"""Composition root: settings -> logging -> core service -> web API -> GUI or headless wait.

The only place that knows every part; everything else is handed what it needs.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

import platformdirs

from gcs.cli import has_display
from gcs.core.config import ConfigStore
from gcs.core.errors import GcsError
from gcs.core.service import GcsService
from gcs.logging_setup import configure_logging

log = logging.getLogger("gcs")


def _start_api(service: GcsService, store: ConfigStore, args: argparse.Namespace) -> object | None:
    from embedded_api import ApiServer, create_app
    from embedded_api.auth import TokenAuthority, load_secret

    cfg = store.current.api
    if args.no_api or not cfg.enabled:
        log.info("web API disabled")
        return None
    authority = TokenAuthority(load_secret(store.directory))
    server = ApiServer(
        create_app(service, authority),
        host=args.api_host or cfg.host,
        port=cfg.port if args.api_port is None else args.api_port,
    )
    server.start()
    return server


def run(args: argparse.Namespace) -> int:
    store = ConfigStore(args.config)
    cfg = store.load()
    log_file = Path(platformdirs.user_log_dir("kestrel-gcs")) / "gcs.log" if cfg.logging.file else None
    configure_logging(args.log_level or cfg.logging.level, log_file)
    if store.load_warning:
        log.warning("config: %s", store.load_warning)
    headless = bool(args.headless)
    if not headless and not has_display():
        log.info("no display found: running headless (core + web API); set DISPLAY for the window")
        headless = True

    service = GcsService(store)
    server = None
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
            service.connect(url)
        for url in args.out:
            service.add_forward(url)
        server = _start_api(service, store, args)
        api_url = getattr(server, "url", None)
        if api_url:
            log.info("web API at %s  (docs %s/docs; token: gcs token create --role operator)", api_url, api_url)
        if headless:
            _wait_for_signal(args.run_for)
        else:
            from gcs.ui.application import run_gui

            return run_gui(service, api_url=api_url, run_for=args.run_for)
    except GcsError as exc:
        log.error("%s", exc)
        return 2
    except RuntimeError as exc:  # the API could not bind its port
        log.error("%s", exc)
        return 2
    finally:
        if server is not None:
            server.stop()  # type: ignore[attr-defined]
        service.close()
        log.info("stopped")
    return 0


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
