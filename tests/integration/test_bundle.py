"""The packaged app: build it with PyInstaller and use it as a pilot would, with no Python beside it.

Builds pyinstaller.spec (tools/build_bundle.py) into a temporary folder (~3 min on two cores),
checks that torch and ultralytics stayed out, then launches ``kestrel-gcs --demo --headless``
with no Python environment variables, on free ports and private config/data dirs, and checks:
``/api/health`` answers with the demo vehicle's link OK; a WebSocket client receives telemetry
of that vehicle; WebRTC works on the bundle's own aiortc and PyAV (an aiortc peer here gets
H.264 pictures, and VP8 ones when it asks, each decoded with its capture stamp); a REST takeoff
shows in that telemetry; smart mode works on the bundle's own
onnxruntime with the shipped ONNX model (a click on a car the camera sees locks it); SIGTERM
stops the program cleanly; and the window opens on the bundled Qt (offscreen). Slow, but part of the
default test run (and so of CI).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from websockets.sync.client import connect

from gcs.core.tracking.detectors import Detector
from gcs.core.video.stamp import read_stamp
from tests.conftest import wait_until
from tools.build_bundle import build, folder_size

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The one-folder build's executable (built once for this module; KESTREL_TEST_BUNDLE reuses one)."""
    prebuilt = os.environ.get("KESTREL_TEST_BUNDLE")
    if prebuilt:
        yield Path(prebuilt)
        return
    root = tmp_path_factory.mktemp("bundle")
    yield build(root / "dist", root / "work", log_file=root / "pyinstaller.log")
    shutil.rmtree(root / "dist", ignore_errors=True)  # ~500 MB; pytest keeps its last three runs' tmp dirs
    shutil.rmtree(root / "work", ignore_errors=True)


def _bundle_env(home: Path) -> dict[str, str]:
    """A user's environment: no venv, no PYTHONPATH, no display; private settings and data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "QT_", "KESTREL_"))}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env["PATH"] = "/usr/bin:/bin"
    env["KESTREL_CONFIG_DIR"] = str(home / "config")
    env["KESTREL_DATA_DIR"] = str(home / "data")
    return env


class Running:
    """The launched bundle: its base URL, an operator token, and its log so far."""

    def __init__(self, proc: subprocess.Popen[bytes], url: str, token: str, log: Path) -> None:
        self.proc, self.url, self.token, self.log_path = proc, url, token, log

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, headers={"Authorization": f"Bearer {self.token}"}, timeout=10)

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.post(self.url + path, json=body, headers={"Authorization": f"Bearer {self.token}"}, timeout=30)


@pytest.fixture
def running(bundle: Path, tmp_path: Path) -> Iterator[Running]:
    env = _bundle_env(tmp_path)
    made = subprocess.run([str(bundle), "token", "create", "--role", "operator"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    port = _free_port()
    log = tmp_path / "kestrel.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(bundle), "--demo", "--headless", "--api-port", str(port)], env=env,
                                cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    app = Running(proc, f"http://127.0.0.1:{port}", token, log)
    try:
        yield app
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_the_bundle_leaves_torch_out_and_ships_the_onnx_model(bundle: Path) -> None:
    internal = bundle.parent / "_internal"
    for heavy in ("torch", "torchvision", "ultralytics"):
        assert not (internal / heavy).exists(), f"{heavy} must not be bundled"
    assert (internal / "onnxruntime").is_dir()
    assert (internal / "resources" / "models" / "kestrel_demo_yolov8n.onnx").is_file()
    assert (internal / "embedded_api" / "web" / "index.html").is_file(), "the dashboard must be bundled"
    assert folder_size(bundle.parent) < 1_500_000_000, "the one-folder bundle grew past 1.5 GB"


def _health_ok(app: Running) -> bool:
    try:
        r = httpx.get(app.url + "/api/health", timeout=2)
    except httpx.HTTPError:
        return False
    return r.status_code == 200 and r.json().get("vehicles", {}).get("1") == "ok"


def _telemetry(app: Running, want: Any, timeout_s: float) -> dict[str, Any]:
    """The first WebSocket telemetry message whose data satisfies ``want`` (history skipped)."""
    ws_url = "ws" + app.url.removeprefix("http") + f"/ws/telemetry?token={app.token}&rate=10&history=0"
    deadline = time.monotonic() + timeout_s
    seen = 0
    with connect(ws_url, open_timeout=20) as ws:
        while time.monotonic() < deadline:
            message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("type") == "telemetry":
                seen += 1
                if want(message["data"]):
                    return message["data"]  # type: ignore[no-any-return]
    raise AssertionError(f"no matching telemetry within {timeout_s:.0f} s ({seen} telemetry messages seen)")


async def _webrtc_pictures(app: Running, codec: str | None, frames: int = 5) -> tuple[str, list[int | None]]:
    """Negotiate with the bundle over /ws/webrtc_signaling as a browser would; (codec, decoded stamps)."""
    import websockets
    from aiortc import RTCPeerConnection, RTCSessionDescription

    from embedded_api.webrtc.ice import use_host_addresses

    use_host_addresses(("127.0.0.1",))  # this peer on loopback, like the bundle's own candidates
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    stamps: list[int | None] = []
    done = asyncio.Event()
    readers: list[asyncio.Task[None]] = []

    @pc.on("track")
    def _on_track(track: Any) -> None:
        async def read() -> None:
            while len(stamps) < frames:
                stamps.append(read_stamp((await track.recv()).to_ndarray(format="bgr24")))
            done.set()

        readers.append(asyncio.ensure_future(read()))

    url = "ws" + app.url.removeprefix("http") + f"/ws/webrtc_signaling?token={app.token}"
    async with websockets.connect(url, open_timeout=20) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello  # not refused: aiortc imports in the bundle
        await pc.setLocalDescription(await pc.createOffer())
        await ws.send(json.dumps({"type": "offer", "sdp": pc.localDescription.sdp, "codec": codec}))
        answer = json.loads(await ws.recv())
        assert answer["type"] == "answer", answer
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        async with asyncio.timeout(60):
            await done.wait()
        await pc.close()
    return str(answer["codec"]), stamps


@functools.cache
def _detector() -> Detector:
    from gcs.core.tracking.detectors.factory import create_detector

    return create_detector("onnxruntime")


def _car_in_snapshot(app: Running) -> tuple[float, float] | None:
    """Centre of a car in the bundle's current video frame, found by the shipped model here."""
    r = app.get("/api/video/snapshot")
    if r.status_code != 200:
        return None
    frame = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR)
    cars = [d for d in _detector().detect(frame) if d.label == "car"]
    if not cars:
        return None
    box = cars[0].box
    return box.x + box.w / 2, box.y + box.h / 2


def test_bundle_serves_health_telemetry_and_smart_mode_then_stops(running: Running) -> None:
    app = running
    wait_until(lambda: _health_ok(app), 120, "/api/health with the demo vehicle's link OK")
    assert app.proc.poll() is None
    health = httpx.get(app.url + "/api/health", timeout=5).json()
    assert health["status"] == "ok" and health["active_vehicle"] == 1
    assert "<html" in httpx.get(app.url + "/", timeout=10).text.lower(), "the dashboard is served"
    docs_js = httpx.get(app.url + "/docs/static/swagger-ui-bundle.js", timeout=10)
    assert docs_js.status_code == 200 and len(docs_js.content) > 100_000, "the offline API docs assets are bundled"

    first = _telemetry(app, lambda d: d.get("system_id") == 1, 30)
    assert first["armed"] is False

    for wish, want in ((None, "H264"), ("vp8", "VP8")):  # H.264 from the encoder's packets; VP8 by PyAV's libvpx
        codec, stamps = asyncio.run(_webrtc_pictures(app, wish))
        assert codec == want and len(stamps) == 5 and all(s is not None for s in stamps), (codec, stamps)
        assert len(set(stamps)) > 1, stamps  # pictures advance

    wait_until(lambda: app.get("/api/telemetry").json()["gps"]["fix_type"] >= 3, 30, "GPS fix")
    assert app.post("/api/vehicle/arm").status_code == 200
    assert app.post("/api/vehicle/takeoff", {"altitude_m": 20}).status_code == 200
    climbing = _telemetry(app, lambda d: d["armed"] and d["global_position"]["alt_rel_m"] > 5, 60)
    assert climbing["armed"] is True

    on = app.post("/commands/toggle_smart_mode")
    assert on.status_code == 200 and on.json()["smart_mode"] is True
    wait_until(lambda: "detector ready: kestrel_demo_yolov8n.onnx on onnxruntime" in app.log(), 60,
               "the bundled onnxruntime detector loaded")
    assert "ultralytics" not in app.log().lower()

    wait_until(lambda: app.get("/api/telemetry").json()["global_position"]["alt_rel_m"] > 18, 60, "climb to 20 m")
    assert app.post("/api/video/reconnect").status_code == 200  # the scene restarts: a car drives into view
    _detector()  # loaded before the first snapshot, so the car has not driven on by the click

    def click_a_car() -> bool:
        """Snapshot, find a car, click it; True once the bundle locks. A car that drove on
        between snapshot and click (a loaded machine) gets the click refused: try again."""
        found = _car_in_snapshot(app)
        if found is None:
            return False
        click = app.post("/commands/smart_click", {"x": found[0], "y": found[1]})
        assert click.status_code in (200, 422), click.text  # 422: refused with its reason, click again
        return click.status_code == 200 and click.json()["outcome"] == "locked"

    wait_until(click_a_car, 60, "a smart click on a car in the bundle's video locks it", interval_s=0.5)
    tracked = app.get("/telemetry/tracker_data").json()
    assert tracked["tracker"] == "smart"

    app.proc.send_signal(signal.SIGTERM)
    assert app.proc.wait(timeout=20) == 0
    assert app.log().rstrip().endswith("stopped")


def test_bundle_opens_its_window_with_the_bundled_qt(bundle: Path, tmp_path: Path) -> None:
    """The window path: Qt and its platform plugins come from the bundle (offscreen here, as in CI)."""
    env = _bundle_env(tmp_path)
    env["QT_QPA_PLATFORM"] = "offscreen"
    done = subprocess.run([str(bundle), "--demo", "--api-port", "0", "--run-for", "6"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "window shown (offscreen)" in output
    assert "running headless" not in output
    assert output.rstrip().endswith("stopped")
