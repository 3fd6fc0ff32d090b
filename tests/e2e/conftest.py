"""Browser tests of the dashboard: Debian's Chromium driven by Playwright against a real program.

One program per module: a real GcsService flying the built-in PX4 simulator, its virtual camera
on, and the API (with the dashboard at /) on a uvicorn loopback port. The browser is the system
Chromium (``apt-get install chromium``), never one Playwright downloads. Playwright's sync API
marks the main thread's asyncio loop as running while it is started, so the browser is started
per module here and stopped with it (pytest-playwright's session-long fixtures would leave that
loop "running" for every later test that calls ``asyncio.run``).

Without /usr/bin/chromium or the playwright package every test here is skipped, saying which.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, wait_until

CHROMIUM = Path(os.environ.get("KESTREL_E2E_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # WebRTC: real host candidates instead of random .local names (no mDNS multicast, and a
    # loopback-only server could not resolve them anyway); the server listens on 127.0.0.1 only.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
E2E_DIR = Path(__file__).resolve().parent


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return f"Debian chromium is not installed ({CHROMIUM}): apt-get install -y chromium"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed: pip install playwright (never `playwright install`)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = missing_browser()
    if reason is None:
        return
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class Program:
    """The program under test, as the browser sees it."""

    url: str
    service: Any
    authority: Any
    app: Any
    server: Any
    port: int
    settings: Any
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, role: str) -> str:
        from embedded_api.auth import Role

        if role not in self._tokens:
            self._tokens[role] = self.authority.create(Role.parse(role), ttl_hours=1, subject=f"e2e-{role}")
        return self._tokens[role]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role)}"}

    def restart_api(self, down_s: float = 1.5) -> None:
        """Stop the web face and start a new one on the same port (what a program restart looks like)."""
        import time

        from embedded_api import ApiServer, create_app

        self.server.stop()
        time.sleep(down_s)
        self.app = create_app(self.service, self.authority, self.settings)
        self.server = ApiServer(self.app, host="127.0.0.1", port=self.port)
        self.server.start()


@contextlib.contextmanager
def running_program(
    root: Path, *, demo: bool = True, video: bool = True, connect: tuple[str, ...] = ()
) -> Iterator[Program]:
    """A real GcsService (the PX4 simulator and virtual camera unless told otherwise) behind the API."""
    from embedded_api import ApiServer, create_app
    from embedded_api.auth import TokenAuthority, load_secret
    from embedded_api.settings import ApiSettings
    from gcs.core.config import ConfigStore
    from gcs.core.service import GcsService

    config_dir = root / "config"
    config_dir.mkdir()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KESTREL_CONFIG_DIR", str(config_dir))
        env.setenv("KESTREL_DATA_DIR", str(root / "data"))
        env.delenv("KESTREL_API_SECRET", raising=False)
        store = ConfigStore(config_dir / "config.yaml")
        store.load()
        store.set("video", "enabled", video, source="test")
        # Smart mode through onnxruntime and the shipped ONNX model: no torch import in the program
        # (what the packaged app uses, and it keeps ultralytics' background import out of these tests).
        store.set("tracking", "backend", "onnxruntime", source="test")
        service = GcsService(store)
        service.start()
        try:
            if demo:
                service.start_demo("px4", port=0, gps_fix_delay_s=0.0)
            for url in connect:
                service.connect(url)
            service.wait_for_vehicle(10.0)
            authority = TokenAuthority(load_secret(config_dir))
            settings = ApiSettings(keepalive_s=1.0, ws_auth_timeout_s=2.0, webrtc_host_addresses=("127.0.0.1",))
            app = create_app(service, authority, settings)
            server = ApiServer(app, host="127.0.0.1", port=0)
            server.start()
            program = Program(server.url, service, authority, app, server, server.port, settings)
            try:
                yield program
            finally:
                program.server.stop()
        finally:
            service.close()


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Program]:
    """The program the dashboard is tested against: PX4 simulator, virtual camera, API."""
    with running_program(tmp_path_factory.mktemp("e2e")) as program:
        yield program


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """The system Chromium under Playwright's sync API, for this module only."""
    from playwright.sync_api import sync_playwright

    executable = CHROMIUM if CHROMIUM.exists() else Path(shutil.which("chromium") or CHROMIUM)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_page(chromium: Any, program: Program) -> Iterator[Callable[..., Any]]:
    """Factory: a fresh browser context (own local storage) with a page; errors on the page fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def factory(viewport: dict[str, int] = DESKTOP, *, phone: bool = False, base_url: str | None = None) -> Any:
        context = chromium.new_context(
            viewport=viewport,
            device_scale_factor=2 if phone else 1,
            is_mobile=phone,
            has_touch=phone,
            base_url=base_url or program.url,
            accept_downloads=True,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield factory
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def sign_in(page: Any, program: Program, role: str, query: str = "") -> None:
    """Open the dashboard, paste the token like a user, and wait until telemetry is live."""
    page.goto(f"/{query}")
    page.locator("#tab-token").click()
    page.locator("#token-input").fill(program.token(role))
    page.locator("#login-button").click()
    wait_live(page)


def sign_in_password(page: Any, username: str, password: str, query: str = "") -> None:
    """Open the dashboard and sign in with a user name and password like a user."""
    page.goto(f"/{query}")
    page.locator("#tab-password").click()
    page.locator("#login-user").fill(username)
    page.locator("#login-password").fill(password)
    page.locator("#password-button").click()


def wait_live(page: Any) -> None:
    """Telemetry is live and the first values are on screen."""
    page.wait_for_selector("#conn[data-state='live']")
    wait_js(page, "document.getElementById('t-mode').textContent !== '\\u2013'")  # no longer the dash


def wait_js(page: Any, expression: str, timeout: float | None = None) -> None:
    """Wait until a JavaScript expression is true on the page.

    Passed as a function, not a bare expression: Playwright evaluates a bare string with eval(),
    which the dashboard's Content-Security-Policy (rightly) forbids.
    """
    page.wait_for_function(f"() => ({expression})", timeout=timeout)


def frames_seen(page: Any) -> int:
    return int(page.evaluate("window.kestrel.video.frames"))


def canvas_stats(page: Any) -> dict[str, float]:
    """Mean and spread of the picture shown (the canvas for WebSocket frames, the <video> under it for
    WebRTC, the <img> for MJPEG), and a coarse fingerprint of it."""
    return dict(
        page.evaluate(
            """() => {
            const mode = window.kestrel.video.mode;
            const shown = mode === 'webrtc' ? document.getElementById('rtc-video')
              : mode === 'mjpeg' ? document.getElementById('mjpeg') : document.getElementById('video');
            const c = document.createElement('canvas');
            c.width = shown.videoWidth || shown.naturalWidth || shown.width;
            c.height = shown.videoHeight || shown.naturalHeight || shown.height;
            c.getContext('2d').drawImage(shown, 0, 0);
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let sum = 0, sq = 0, n = 0;
            const grid = [];
            for (let i = 0; i < d.length; i += 4 * 7) {
              const v = (d[i] + d[i + 1] + d[i + 2]) / 3;
              sum += v; sq += v * v; n++;
            }
            for (let gy = 0; gy < 12; gy++) for (let gx = 0; gx < 16; gx++) {
              const x = Math.floor((gx + 0.5) * c.width / 16), y = Math.floor((gy + 0.5) * c.height / 12);
              const o = 4 * (y * c.width + x);
              grid.push(d[o], d[o + 1], d[o + 2]);
            }
            const mean = sum / n;
            return {mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)), width: c.width, height: c.height, grid};
        }"""
        )
    )


def wait_state(predicate: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    wait_until(predicate, timeout_s, what, interval_s=0.1)
