"""WebRTC in Chromium beyond the default H.264: VP8 where the browser asks, and a stalled peer.

VP8: the dashboard opened with ``?codec=vp8`` puts VP8 first by ``RTCRtpTransceiver
.setCodecPreferences`` (the browser-side standard way) and says so in its offer; the program then
encodes VP8 for that peer. The browser's own statistics must name VP8 (not only our answer), its
pictures advance and show the car, and the corner says "WebRTC VP8".

Stall: an aiortc peer (a real second viewer, on its own thread) connects, receives, then its loop
freezes: it reads nothing, acks nothing, sends no RTCP. The Chromium page's frame rate during the
stall, against its rate just before in the same run, must stay at least half; and /stats must show
the frozen peer as stalled (its video dropped, counted) and then closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Program, sign_in, wait_js, wait_state
from tests.e2e.test_dashboard import car_box, ensure_flying
from tests.e2e.test_dashboard_webrtc import red_in_page, red_on_server, stats

pytestmark = pytest.mark.slow

BROWSER_CODEC = """async () => {
    const pc = window.kestrel.video.rtc && window.kestrel.video.rtc.pc;
    if (!pc) return null;
    const report = await pc.getStats();
    let inbound = null;
    report.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') inbound = s; });
    if (!inbound || !inbound.codecId) return null;
    const codec = report.get(inbound.codecId);
    return {mime: codec && codec.mimeType, decoded: inbound.framesDecoded || 0};
}"""


def test_vp8_where_the_browser_asks_shows_the_car(open_page: Any, program: Program) -> None:
    ensure_flying(program)
    page = open_page()
    sign_in(page, program, "viewer", query="?codec=vp8")
    wait_js(page, "window.kestrel.video.mode === 'webrtc' && window.kestrel.video.frames >= 10", timeout=60_000)
    assert stats(page)["codec"] == "VP8"
    browser = page.evaluate(BROWSER_CODEC)
    assert browser is not None and browser["mime"].lower() == "video/vp8", browser  # what Chromium decodes
    rows = program.app.state.runtime.webrtc_stats()["list"]
    assert [r["codec"] for r in rows] == ["VP8"], rows
    wait_js(page, "/^WebRTC VP8 · \\d+ ms · \\d+ fps$/.test(document.getElementById('video-glass').textContent)")
    stamp = page.evaluate("window.kestrel.video.glass.lastStamp")
    wait_js(page, f"window.kestrel.video.glass.lastStamp !== {stamp}")  # pictures advance (stamps read back)
    decoded = browser["decoded"]
    wait_state(lambda: page.evaluate(BROWSER_CODEC)["decoded"] > decoded + 10, "Chromium decodes more VP8 frames")

    def car_in_picture() -> bool:
        box = car_box(program)
        return red_in_page(page, box, pad=24) >= 0.4 * max(1, red_on_server(program, box))

    program.service.start_video()  # car-1 back at the start of its straight, well inside the picture
    wait_js(page, "window.kestrel.video.frames > 5")
    wait_state(car_in_picture, "the red car in the page's decoded VP8 picture")


class FrozenViewer:
    """An aiortc viewer on a thread and loop of its own, as a second browser would be; ``freeze``
    blocks its loop, so it reads no packet, acks no data-channel message and sends no RTCP."""

    def __init__(self, program: Program) -> None:
        self.url = program.url.replace("http://", "ws://") + f"/ws/webrtc_signaling?token={program.token('viewer')}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="frozen-viewer", daemon=True)
        self.thread.start()
        self.gate = threading.Event()
        self.frames = 0
        self.peer: int | None = None
        self._pc: Any = None
        self._ws: Any = None
        self._readers: list[asyncio.Future[None]] = []

    def _run(self, coro: Any, timeout_s: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def connect(self) -> None:
        self._run(self._connect())

    async def _connect(self) -> None:
        import websockets
        from aiortc import RTCPeerConnection, RTCSessionDescription

        self._pc = pc = RTCPeerConnection()
        pc.addTransceiver("video", direction="recvonly")
        pc.createDataChannel("overlay")

        @pc.on("track")
        def _on_track(track: Any) -> None:
            async def read() -> None:
                from aiortc.mediastreams import MediaStreamError

                with contextlib.suppress(MediaStreamError):  # the track ends with the peer
                    while True:
                        await track.recv()
                        self.frames += 1

            self._readers.append(asyncio.ensure_future(read()))

        self._ws = ws = await websockets.connect(self.url, open_timeout=5)
        assert json.loads(await ws.recv())["type"] == "hello"
        await pc.setLocalDescription(await pc.createOffer())
        await ws.send(json.dumps({"type": "offer", "sdp": pc.localDescription.sdp}))
        answer = json.loads(await ws.recv())
        assert answer["type"] == "answer", answer
        self.peer = answer["peer"]
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))

    def freeze(self) -> None:
        self.gate.clear()
        self.loop.call_soon_threadsafe(self.gate.wait)

    def close(self) -> None:
        self.gate.set()
        if self._pc is not None:
            self._run(self._pc.close(), 10)
        if self._ws is not None:
            self._run(self._ws.close(), 10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def page_rate(page: Any, seconds: float) -> float:
    """Pictures per second the page showed over ``seconds``, on the page's own clock."""
    start = page.evaluate("[window.kestrel.video.frames, performance.now()]")
    time.sleep(seconds)
    end = page.evaluate("[window.kestrel.video.frames, performance.now()]")
    return float((end[0] - start[0]) / max(1e-3, (end[1] - start[1]) / 1000))


def test_a_stalled_peer_never_slows_the_page_and_is_dropped(open_page: Any, program: Program) -> None:
    from embedded_api.webrtc.peers import STALL_CLOSE_S

    runtime = program.app.state.runtime

    def rtc() -> dict[str, Any]:
        with httpx.Client(base_url=program.url, headers=program.headers("viewer")) as c:
            return dict(c.get("/stats").json()["webrtc"])

    wait_state(lambda: (runtime.webrtc_stats() or {"peers": 0})["peers"] == 0, "the earlier pages' peers closed")
    page = open_page()
    sign_in(page, program, "viewer")
    wait_js(page, "window.kestrel.video.mode === 'webrtc' && window.kestrel.video.frames >= 10", timeout=60_000)
    alone = page_rate(page, 4.0)
    viewer = FrozenViewer(program)
    try:
        viewer.connect()
        wait_state(lambda: viewer.frames >= 10, "the aiortc viewer receives frames")
        closed_before = rtc()["stalled_closed"]
        viewer.freeze()
        frozen_at = viewer.frames
        t0 = page.evaluate("[window.kestrel.video.frames, performance.now()]")

        def row() -> dict[str, Any] | None:
            rows = [r for r in rtc()["list"] if r["id"] == viewer.peer]
            return rows[0] if rows else None

        wait_state(lambda: (row() or {}).get("stalled") is True, "/stats says the frozen peer is stalled")
        dropped = (row() or {"frames_dropped": 0})["frames_dropped"]
        wait_state(lambda: (row() or {"frames_dropped": dropped + 10})["frames_dropped"] > dropped + 5,
                   "the stalled peer's frames counted as dropped")
        others = [r for r in rtc()["list"] if r["id"] != viewer.peer]
        assert len(others) == 1 and not others[0]["stalled"], others  # the page's peer is not stalled
        wait_state(lambda: row() is None, "the stalled peer closed", timeout_s=STALL_CLOSE_S + 10)
        t1 = page.evaluate("[window.kestrel.video.frames, performance.now()]")
        during = (t1[0] - t0[0]) / max(1e-3, (t1[1] - t0[1]) / 1000)
        after = rtc()
        assert after["stalled_closed"] == closed_before + 1 and after["peers"] == 1, after
        assert viewer.frames == frozen_at  # it really was frozen: it read nothing since
    finally:
        viewer.close()
    print(f"page fps alone {alone:.1f}, with a stalled peer {during:.1f} (ratio {during / alone:.2f})")
    assert alone > 5, alone
    assert during >= 0.5 * alone, (alone, during)  # the page kept its pace while the other peer stalled
    assert page.evaluate("window.kestrel.video.mode") == "webrtc"
