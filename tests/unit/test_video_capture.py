"""CaptureWorker on real clips, a real MJPEG-over-HTTP server on loopback and a dead URL."""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from gcs.core.bus import MessageBus
from gcs.core.video.capture import HEALTH_TOPIC, CaptureWorker
from gcs.core.video.frames import HealthEvent, VideoHealth
from gcs.core.video.sources import SourceOptions
from tests.conftest import wait_until

VIDEO = Path(__file__).resolve().parents[2].parent / "shared/data/video"
BAD_FRAMECOUNT = "opencv_tree_bad_framecount.avi"


def clip(name: str) -> Path:
    path = VIDEO / name
    if not path.is_file():
        pytest.skip(f"test clip {path} is missing (shared data not mounted)")
    return path


class MjpegServer:
    """multipart/x-mixed-replace JPEG stream on 127.0.0.1, like an IP camera; can be killed."""

    def __init__(self, port: int = 0, fps: float = 30.0) -> None:
        self.fps = fps
        self._port = port
        self._server: http.server.ThreadingHTTPServer | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._alive = threading.Event()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def start(self) -> MjpegServer:
        """Serve (again, on the same port after a kill)."""
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with owner._lock:
                    owner._conns.add(self.connection)
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                n = 0
                try:
                    while owner._alive.is_set():
                        image = np.full((240, 320, 3), (n * 7) % 255, np.uint8)
                        cv2.putText(image, str(n), (20, 120), cv2.FONT_HERSHEY_SIMPLEX, 2, (0, 0, 255), 3)
                        jpeg = cv2.imencode(".jpg", image)[1].tobytes()
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                         + str(len(jpeg)).encode() + b"\r\n\r\n" + jpeg + b"\r\n")
                        n += 1
                        time.sleep(1.0 / owner.fps)
                except OSError:
                    pass  # the client went away, or we were killed

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        self._port = self.port
        self._alive.set()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def kill(self) -> None:
        """Like the camera losing power: the listener and every open stream go away at once."""
        self._alive.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._conns.clear()


@pytest.fixture
def mjpeg() -> Iterator[MjpegServer]:
    server = MjpegServer().start()
    yield server
    server.kill()


def states(worker: CaptureWorker) -> list[VideoHealth]:
    return [e.state for e in worker.health_events()]


def test_real_clip_captures_frames_of_its_size_and_reports_ok() -> None:
    bus = MessageBus()
    seen: list[HealthEvent] = []
    bus.subscribe(HEALTH_TOPIC, lambda _t, ev: seen.append(ev))
    with CaptureWorker(str(clip("opencv_vtest_first30s.avi")), bus=bus) as worker:
        frame = worker.wait_newer(0, timeout=5.0)
        assert frame is not None and (frame.width, frame.height) == (768, 576)
        assert frame.image.shape == (576, 768, 3) and not frame.image.flags.writeable
        nxt = worker.wait_newer(frame.seq, timeout=2.0)
        assert nxt is not None and nxt.seq > frame.seq and nxt.capture_time_s >= frame.capture_time_s
        stats = worker.stats()
        assert (stats.width, stats.height) == (768, 576) and stats.nominal_fps == pytest.approx(10.0)
        assert worker.health is VideoHealth.OK
    assert [e.state for e in seen] == [VideoHealth.RECONNECTING, VideoHealth.OK, VideoHealth.STOPPED]
    assert "768x576" in seen[1].reason
    assert worker.wait_newer(10**6, timeout=5.0) is None  # stopped: returns at once


def test_slot_keeps_only_the_newest_and_counts_drops() -> None:
    options = SourceOptions(speed=4.0)
    with CaptureWorker(str(clip("opencv_cup.mp4")), options=options) as worker:
        first = worker.wait_newer(0, timeout=5.0)
        assert first is not None
        time.sleep(0.5)  # ~50 frames arrive while nobody looks
        latest = worker.latest()
        assert latest is not None and latest.seq > first.seq + 10
        assert worker.stats().dropped >= latest.seq - first.seq - 2
        assert worker.latest() is latest  # no newer frame yet: the same object, nothing copied


def test_bad_framecount_file_loops_without_a_crash() -> None:
    options = SourceOptions(loop=True, speed=8.0)  # 68 real frames at 120 fps: a loop every ~0.6 s
    with CaptureWorker(str(clip(BAD_FRAMECOUNT)), options=options) as worker:
        wait_until(lambda: worker.stats().captured > 150, 6.0, "two loops of the 68-frame file")
        assert worker.health is VideoHealth.OK
        assert states(worker) == [VideoHealth.RECONNECTING, VideoHealth.OK]


def test_bad_framecount_file_stops_cleanly_without_loop() -> None:
    options = SourceOptions(loop=False, speed=8.0)
    worker = CaptureWorker(str(clip(BAD_FRAMECOUNT)), options=options).start()
    try:
        wait_until(lambda: worker.health is VideoHealth.STOPPED, 6.0, "STOPPED at the real end of file")
        assert worker.stats().captured == 68
        assert worker.finished
        assert "end of file" in worker.health_events()[-1].reason
        started = time.monotonic()
        assert worker.wait_newer(68, timeout=5.0) is None  # returns at once: nothing will come
        assert time.monotonic() - started < 1.0
    finally:
        worker.stop()
    assert states(worker) == [VideoHealth.RECONNECTING, VideoHealth.OK, VideoHealth.STOPPED]


def test_rate_far_below_nominal_is_degraded() -> None:
    # A healthy 10 fps clip judged against twice its rate looks like a starving source.
    with CaptureWorker(str(clip("opencv_vtest_first30s.avi")), min_fps_ratio=2.0, fps_window_s=0.5) as worker:
        wait_until(lambda: worker.health is VideoHealth.DEGRADED, 4.0, "DEGRADED for low frame rate")
        assert "nominal 10.0" in worker.health_events()[-1].reason


def test_reconnect_reopens_now() -> None:
    with CaptureWorker("virtual", options=SourceOptions(width=160, height=120)) as worker:
        wait_until(lambda: worker.health is VideoHealth.OK, 5.0, "virtual source OK")
        worker.reconnect()
        wait_until(lambda: worker.stats().reconnects == 1 and worker.health is VideoHealth.OK, 3.0,
                   "reopened and OK again")
        assert states(worker)[-2:] == [VideoHealth.RECONNECTING, VideoHealth.OK]
        assert worker.health_events()[-2].reason == "reconnect requested"


def test_mjpeg_stream_survives_its_server_dying_and_coming_back(mjpeg: MjpegServer) -> None:
    options = SourceOptions(open_timeout_s=2.0, read_timeout_s=1.0)
    worker = CaptureWorker(mjpeg.url, options=options, stale_after_s=0.5, reconnect_after_s=1.0,
                           initial_backoff_s=0.25, max_backoff_s=1.0).start()
    try:
        first = worker.wait_newer(0, timeout=5.0)
        assert first is not None and (first.width, first.height) == (320, 240)
        wait_until(lambda: worker.stats().captured >= 10, 3.0, "frames from the MJPEG stream")
        assert worker.health is VideoHealth.OK

        killed = time.monotonic()
        mjpeg.kill()
        wait_until(lambda: worker.health is VideoHealth.DEGRADED, 2.0, "DEGRADED after the server died")
        degraded_after = time.monotonic() - killed
        wait_until(lambda: worker.health is VideoHealth.RECONNECTING, 3.0, "RECONNECTING")
        reconnecting_after = time.monotonic() - killed
        assert 0.3 <= degraded_after <= 1.5 and reconnecting_after <= 2.5
        assert states(worker)[-2:] == [VideoHealth.DEGRADED, VideoHealth.RECONNECTING]
        time.sleep(1.0)  # a few failed reopens (connection refused) with backoff
        assert states(worker)[-1] is VideoHealth.RECONNECTING

        mjpeg.start()  # the camera is back, on the same port
        before = worker.stats().captured
        wait_until(lambda: worker.health is VideoHealth.OK, 5.0, "OK after the server came back")
        wait_until(lambda: worker.stats().captured >= before + 10, 3.0, "frames flowing again")
        assert worker.stats().reconnects >= 1
    finally:
        worker.stop()


def test_dead_url_never_hangs() -> None:
    with socket.socket() as hole:  # accepts TCP connections, never answers HTTP
        hole.bind(("127.0.0.1", 0))
        hole.listen(8)
        url = f"http://127.0.0.1:{hole.getsockname()[1]}/stream.mjpg"
        worker = CaptureWorker(url, options=SourceOptions(open_timeout_s=0.5, read_timeout_s=0.5),
                               initial_backoff_s=0.1, max_backoff_s=0.2).start()
        time.sleep(1.5)
        assert worker.health is VideoHealth.RECONNECTING and worker.latest() is None
        last_error = worker.stats().last_error
        assert last_error is not None and "open failed" in last_error and "cannot open url" in last_error
        started = time.monotonic()
        worker.stop()
        assert time.monotonic() - started < 2.0
    assert states(worker)[-1] is VideoHealth.STOPPED
