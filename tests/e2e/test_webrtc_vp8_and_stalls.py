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

from typing import Any

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
    wait_js(page, "window.kestrel.video.mode === 'webrtc' && window.kestrel.video.frames >= 10", timeout=30_000)
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
