"""The dashboard on a bad network: WebSockets refused on the way, and the program going away and coming back.

The program runs as a real separate process (`python -m gcs --headless --demo --video virtual`)
on a fixed loopback port, so "the program restarts" is exactly that: the process is killed
(SIGKILL, no goodbye on any socket) and started again on the same port with the same config dir
(so the same signing secret, and the page's token stays good). Refused WebSockets are made by
Playwright's ``page.route_web_socket``: the browser's socket to /ws/... is closed before it ever
reaches the program, as a proxy that does not pass WebSockets would.

Figures (printed; run with -s): how long the page takes to notice the program is gone, and to be
live again once the program answers; and how long the fallbacks take to deliver data.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import DESKTOP, wait_js, wait_state

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ProgramProcess:
    """`gcs --headless --demo --video virtual` as its own process, restartable on the same port."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config_dir = root / "config"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "KESTREL_CONFIG_DIR": str(self.config_dir),
            "KESTREL_DATA_DIR": str(root / "data"),
            "QT_QPA_PLATFORM": "offscreen",
        }
        self.env.pop("KESTREL_API_SECRET", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._tokens: dict[str, str] = {}
        with pytest.MonkeyPatch.context() as env:
            env.setenv("KESTREL_CONFIG_DIR", str(self.config_dir))
            from gcs.core.config import ConfigStore

            store = ConfigStore(self.config_dir / "config.yaml")
            store.load()
            store.set("link", "demo_port", free_port(), source="test")  # never 14550: other programs may use it
            store.set("video", "enabled", True, source="test")

    def start(self, timeout_s: float = 60.0) -> tuple[float, float]:
        """Start the program; returns the wall-clock times its API first answered (/health/live), and
        answered ready (/health/ready: the vehicle heard)."""
        self.starts += 1
        log = open(self.root / f"program-{self.starts}.log", "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gcs", "--headless", "--demo", "--video", "virtual", "--api-port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        up_at = 0.0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the program exited with {self.proc.returncode}: see {log.name}")
            with contextlib.suppress(httpx.HTTPError):
                if not up_at and httpx.get(f"{self.url}/health/live", timeout=1.0).status_code == 200:
                    up_at = time.time()
                if up_at and httpx.get(f"{self.url}/health/ready", timeout=1.0).status_code == 200:
                    return up_at, time.time()
            time.sleep(0.05)
        raise AssertionError(f"the program did not answer on {self.url} within {timeout_s} s")

    def kill(self) -> float:
        """SIGKILL: the program vanishes without closing anything; returns the wall-clock time."""
        assert self.proc is not None
        at = time.time()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        return at

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def token(self, role: str) -> str:
        from embedded_api.auth import Role, TokenAuthority, load_secret

        if role not in self._tokens:
            authority = TokenAuthority(load_secret(self.config_dir))  # the file the program made
            self._tokens[role] = authority.create(Role.parse(role), ttl_hours=1, subject=f"e2e-net-{role}")
        return self._tokens[role]


@pytest.fixture(scope="module")
def program_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProgramProcess]:
    program = ProgramProcess(tmp_path_factory.mktemp("net"))
    program.start()
    try:
        yield program
    finally:
        program.stop()


@pytest.fixture
def net_page(chromium: Any, program_process: ProgramProcess) -> Iterator[Any]:
    context = chromium.new_context(viewport=DESKTOP, base_url=program_process.url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def sign_in(page: Any, program: ProgramProcess, role: str, query: str = "?video=ws") -> float:
    """Paste a token and press the button; returns the wall-clock time of the press.

    Video over its WebSocket unless told otherwise: this program's WebRTC would gather on every
    interface (it is the real ``gcs``, not the loopback-only test server)."""
    page.goto(f"/{query}")
    page.locator("#tab-token").click()
    page.locator("#token-input").fill(program.token(role))
    at = time.time()
    page.locator("#login-button").click()
    return at


def refuse(route: Any) -> None:
    """What a proxy without WebSocket support looks like to the page: the socket closes at once."""
    route.close(code=1011, reason="refused by the test")


def messages(page: Any) -> str:
    return str(page.locator("#messages").inner_text())


def mjpeg_picture(page: Any) -> dict[str, float]:
    """Size and pixel spread of the MJPEG <img> as shown (drawn into a scratch canvas)."""
    return dict(
        page.evaluate(
            """() => {
            const img = document.getElementById('mjpeg');
            const c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const ctx = c.getContext('2d');
            ctx.drawImage(img, 0, 0);
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            let sum = 0, sq = 0, n = 0;
            for (let i = 0; i < d.length; i += 4 * 13) {
              const v = (d[i] + d[i + 1] + d[i + 2]) / 3;
              sum += v; sq += v * v; n++;
            }
            const mean = sum / Math.max(1, n);
            const std = Math.sqrt(Math.max(0, sq / Math.max(1, n) - mean * mean));
            return {width: c.width, height: c.height, mean, std};
        }"""
        )
    )


def test_refused_websockets_fall_back_to_sse_and_mjpeg_by_themselves(
    net_page: Any, program_process: ProgramProcess
) -> None:
    page = net_page
    refused: list[str] = []

    def handler(route: Any) -> None:
        refused.append(route.url)
        refuse(route)

    # every socket refused, WebRTC's signalling too: "auto" goes WebRTC -> WebSocket -> MJPEG
    page.route_web_socket(re.compile(r"/ws/(telemetry|video_feed|webrtc_signaling)"), handler)
    pressed = sign_in(page, program_process, "viewer", query="")

    # Telemetry: over SSE, said in the bar and in the messages; values keep coming.
    page.wait_for_selector("#conn[data-state='live']")
    wait_js(page, "document.getElementById('conn-text').textContent.includes('SSE')")
    telemetry_s = time.time() - pressed
    assert "using server-sent events (/sse/telemetry)" in messages(page)
    count = page.evaluate("window.kestrel.telemetryCount")
    wait_js(page, f"window.kestrel.telemetryCount > {count + 5}")
    wait_js(page, "document.getElementById('t-mode').textContent !== '\\u2013'")

    # Video: the MJPEG stream in the <img>, a real picture, said on screen.
    wait_js(page, "document.getElementById('mjpeg').naturalWidth === 640")
    video_s = time.time() - pressed
    assert page.locator("#video-transport").inner_text() == "MJPEG"
    wait_js(page, "document.getElementById('messages').textContent.includes('showing the MJPEG stream')")
    picture = mjpeg_picture(page)
    assert (picture["width"], picture["height"]) == (640, 480)
    assert picture["std"] > 8.0 and 20.0 < picture["mean"] < 235.0, f"the picture looks blank: {picture}"
    wait_js(page, "document.getElementById('video-status').textContent === ''")

    assert any("/ws/telemetry" in u for u in refused) and any("/ws/video_feed" in u for u in refused)
    assert any("/ws/webrtc_signaling" in u for u in refused)
    assert "WebRTC unavailable" in messages(page)
    print(f"\n[network] WebSockets refused: telemetry live over SSE {telemetry_s:.1f} s and video over MJPEG "
          f"{video_s:.1f} s after sign-in ({len(refused)} refused sockets)")


def test_only_the_refused_stream_falls_back(net_page: Any, program_process: ProgramProcess) -> None:
    page = net_page
    page.route_web_socket(re.compile(r"/ws/telemetry"), refuse)
    sign_in(page, program_process, "viewer")
    wait_js(page, "document.getElementById('conn-text').textContent.includes('SSE')")
    wait_js(page, "window.kestrel.video.frames >= 5")  # video still over its WebSocket, drawn on the canvas
    assert page.locator("#video-transport").inner_text() == "WebSocket"
    assert "showing the MJPEG stream" not in messages(page)


def test_the_program_goes_away_the_page_says_offline_and_recovers_by_itself(
    net_page: Any, program_process: ProgramProcess
) -> None:
    page = net_page
    sign_in(page, program_process, "operator")
    page.wait_for_selector("#conn[data-state='live']")
    wait_js(page, "window.kestrel.video.frames >= 3")
    wait_js(page, "document.getElementById('t-mode').textContent !== '\\u2013'")
    mode_before = page.locator("#t-mode").inner_text()

    killed_at = program_process.kill()
    page.wait_for_selector("#conn[data-state='offline']", timeout=15_000)
    wait_js(page, "document.getElementById('banner').textContent.startsWith('Offline: the program at')")
    detected_at = page.evaluate("window.kestrel.offlineSince") / 1000.0
    banner = page.locator("#banner").inner_text()
    assert "does not answer" in banner and "Values shown are from" in banner, banner
    assert page.locator("#t-mode").inner_text() == mode_before  # the last values stay, marked as old
    page.wait_for_timeout(3000)  # away long enough for the page to back off
    assert page.locator("#conn").get_attribute("data-state") == "offline"

    restarting_at = time.time()
    answered_at, ready_at = program_process.start()
    wait_js(page, "document.getElementById('banner').textContent.startsWith('Reconnected after')", timeout=30_000)
    live_at = page.evaluate("window.kestrel.reconnectedAt") / 1000.0
    page.wait_for_selector("#conn[data-state='live']")
    count = page.evaluate("window.kestrel.telemetryCount")
    wait_js(page, f"window.kestrel.telemetryCount > {count + 5}")
    frames = page.evaluate("window.kestrel.video.frames")
    wait_js(page, f"window.kestrel.video.frames > {frames + 5}", timeout=30_000)
    video_at = time.time()
    wait_js(page, "document.getElementById('video-status').textContent === ''")
    assert "reconnected to the program after" in messages(page)

    # The controls work against the new program (whatever the new vehicle answers, the page says it):
    # the new program's word on what is available (its vehicle is on the ground, disarmed), and ABORT,
    # which is always available.
    wait_js(page, "document.getElementById('btn-hold').title.includes('Unavailable: not armed')")
    page.locator("#abort").click()
    wait_js(page, "/^ABORT[: ]/.test(document.getElementById('action-result').textContent)"
                  " && !document.getElementById('action-result').textContent.includes('sending')")
    result = page.locator("#action-result").inner_text()
    assert result.startswith(("ABORT: accepted", "ABORT refused: ")), result  # reached the new program either way
    wait_state(lambda: httpx.get(f"{program_process.url}/api/health", timeout=2).status_code == 200, "still up")

    detect_s, recover_s = detected_at - killed_at, live_at - answered_at
    assert detect_s >= 0 and recover_s >= -0.5
    print(f"\n[network] program killed: page offline after {detect_s:.2f} s; program's API back -> page live "
          f"{recover_s:.2f} s later, video frames flowing {video_at - answered_at:.1f} s later (the program took "
          f"{answered_at - restarting_at:.1f} s to serve, {ready_at - restarting_at:.1f} s to hear its vehicle)")


def test_the_network_drops_and_comes_back(net_page: Any, program_process: ProgramProcess) -> None:
    """The browser loses the network (Chromium's offline mode) while the program carries on."""
    page = net_page
    sign_in(page, program_process, "viewer")
    page.wait_for_selector("#conn[data-state='live']")
    wait_js(page, "window.kestrel.video.frames >= 3")

    dropped_at = time.time()
    page.context.set_offline(True)
    page.wait_for_selector("#conn[data-state='offline']", timeout=30_000)
    detected_at = page.evaluate("window.kestrel.offlineSince") / 1000.0
    assert page.locator("#banner").inner_text().startswith("Offline: this device has lost its network")
    page.wait_for_timeout(2000)

    back_at = time.time()
    page.context.set_offline(False)
    wait_js(page, "document.getElementById('banner').textContent.startsWith('Reconnected after')", timeout=30_000)
    live_at = page.evaluate("window.kestrel.reconnectedAt") / 1000.0
    count = page.evaluate("window.kestrel.telemetryCount")
    wait_js(page, f"window.kestrel.telemetryCount > {count + 5}")
    frames = page.evaluate("window.kestrel.video.frames")
    wait_js(page, f"window.kestrel.video.frames > {frames + 5}", timeout=30_000)
    print(f"\n[network] browser offline: page said so after {detected_at - dropped_at:.2f} s; "
          f"network back -> page live {live_at - back_at:.2f} s later, video {time.time() - back_at:.1f} s later")


def test_a_silent_drop_on_the_way_is_noticed_and_recovered(net_page: Any, program_process: ProgramProcess) -> None:
    """Both sockets stay open but nothing passes any more (a route in the middle died): the page must
    notice from the silence alone, say so, and come back on fresh sockets once the way is clear."""
    page = net_page
    blackhole = {"on": False}

    def relay(route: Any) -> None:
        server = route.connect_to_server()
        route.on_message(lambda message: None if blackhole["on"] else server.send(message))
        server.on_message(lambda message: None if blackhole["on"] else route.send(message))

    page.route_web_socket(re.compile(r"/ws/(telemetry|video_feed)"), relay)
    sign_in(page, program_process, "viewer")
    page.wait_for_selector("#conn[data-state='live']")
    wait_js(page, "window.kestrel.video.frames >= 3")
    assert page.locator("#video-transport").inner_text() == "WebSocket"

    blackhole["on"] = True
    dropped_at = time.time()
    page.wait_for_selector("#conn:not([data-state='live'])", timeout=30_000)
    noticed_at = time.time()
    wait_js(page, "document.getElementById('banner').textContent.includes('no data from the program')")
    wait_js(page, "document.getElementById('video-status').textContent.startsWith('Video connection lost')")
    blackhole["on"] = False  # the way is clear again: only new sockets are relayed from here
    cleared_at = time.time()
    wait_js(page, "document.getElementById('banner').textContent.startsWith('Reconnected')", timeout=30_000)
    live_at = page.evaluate("window.kestrel.reconnectedAt") / 1000.0
    frames = page.evaluate("window.kestrel.video.frames")
    wait_js(page, f"window.kestrel.video.frames > {frames + 5}", timeout=30_000)
    assert page.locator("#video-transport").inner_text() == "WebSocket"  # a drop is not a reason to fall back
    print(f"\n[network] silent drop: noticed after {noticed_at - dropped_at:.1f} s (silence limit 6 s); "
          f"way clear -> live {max(0.0, live_at - cleared_at):.1f} s later, "
          f"video {time.time() - cleared_at:.1f} s later")
