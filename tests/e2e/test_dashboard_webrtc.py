"""The dashboard's video over WebRTC in Chromium, and its fallbacks when WebRTC is refused.

One program (PX4 simulator at 20 m, virtual camera, API on loopback with ICE on 127.0.0.1 only).
"auto" must take WebRTC: H.264 pictures advance in the page's <video>, show the red car where the
virtual camera says it is, the tracked box from the data channel follows the car, and the corner
shows the transport with the glass-to-glass latency read from each picture's stamp. With WebRTC
turned off, or its peers full, the same page takes WebSocket frames instead and says why; MJPEG
shows its latency too. Saves docs/screenshots/dashboard_webrtc.png (the video panel).
"""

from __future__ import annotations

from typing import Any

import pytest

from gcs.core.tracking.types import TrackState
from tests.e2e.conftest import SCREENSHOTS, Program, sign_in, wait_js, wait_state
from tests.e2e.test_dashboard import car_box, ensure_flying, to_page

pytestmark = pytest.mark.slow

RED = "(r, g, b) => r > 120 && g < 90 && b < 90"  # car-1's body (BGR 40, 40, 200) in the picture


def stats(page: Any) -> dict[str, Any]:
    return dict(page.evaluate("window.kestrel.video.stats()"))


def red_in_page(page: Any, box: tuple[float, float, float, float], pad: float) -> int:
    """Red pixels of the picture the page shows (its <video>), inside ``box`` grown by ``pad``."""
    x, y, w, h = box
    return int(page.evaluate(
        f"""([x0, y0, x1, y1]) => {{
            const v = document.getElementById('rtc-video');
            const c = document.createElement('canvas');
            c.width = v.videoWidth; c.height = v.videoHeight;
            const ctx = c.getContext('2d');
            ctx.drawImage(v, 0, 0);
            const red = {RED};
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let yy = Math.max(0, y0); yy < Math.min(c.height, y1); yy++)
              for (let xx = Math.max(0, x0); xx < Math.min(c.width, x1); xx++) {{
                const o = 4 * (yy * c.width + xx);
                if (red(d[o], d[o + 1], d[o + 2])) n++;
              }}
            return n;
        }}""",
        [int(x - pad), int(y - pad), int(x + w + pad), int(y + h + pad)],
    ))


def red_on_server(program: Program, box: tuple[float, float, float, float]) -> int:
    frame = program.service.latest_frame()
    x, y, w, h = (int(v) for v in box)
    crop = frame.image[max(0, y): y + h, max(0, x): x + w].astype(int)
    b, g, r = crop[..., 0], crop[..., 1], crop[..., 2]
    return int(((r > 120) & (g < 90) & (b < 90)).sum())


def test_auto_takes_webrtc_shows_the_car_and_the_box_follows(open_page: Any, program: Program) -> None:
    ensure_flying(program)
    page = open_page()
    sign_in(page, program, "operator")
    wait_js(page, "window.kestrel.video.mode === 'webrtc' && window.kestrel.video.frames >= 10", timeout=30_000)
    assert page.locator("#video-transport").inner_text() == "WebRTC"
    assert stats(page)["codec"] == "H264"
    wait_js(page, "window.kestrel.video.glass.recent.length >= 10")
    s = stats(page)
    assert s["glassP50"] is not None and s["glassP50"] >= 0 and all(a >= 0 for a in s["samples"])
    wait_js(page, "/^WebRTC H\\.264 · \\d+ ms · \\d+ fps$/.test(document.getElementById('video-glass').textContent)")
    stamp = page.evaluate("window.kestrel.video.glass.lastStamp")
    wait_js(page, f"window.kestrel.video.glass.lastStamp !== {stamp}")  # pictures advance
    rtc = program.service.video_out_status()
    assert rtc is not None and rtc.encoder is not None and "webrtc" in rtc.encoder.outputs

    # The decoded picture shows the car where the virtual camera renders it.
    def car_in_picture() -> bool:
        box = car_box(program)
        return red_in_page(page, box, pad=24) >= 0.4 * max(1, red_on_server(program, box))

    program.service.start_video()  # car-1 back at the start of its straight, well inside the picture
    wait_js(page, "window.kestrel.video.frames > 5")
    wait_state(car_in_picture, "the red car in the page's decoded WebRTC picture")

    # Click the car: the box comes back over the data channel and follows the car.
    x, y, w, h = car_box(program)
    page.mouse.click(*to_page(page, x + w / 2, y + h / 2))
    wait_state(lambda: program.service.tracker_data().state is TrackState.LOCKED, "locked after a click")
    page.wait_for_selector("#track-state[data-state='locked']")

    def page_box_on_car() -> bool:
        t = page.evaluate("window.kestrel.video.tracker")
        if not t or not t.get("box") or t["state"] != "locked":
            return False
        bx, by, bw, bh = car_box(program)
        b = t["box"]
        return b["x"] - 16 < bx + bw / 2 < b["x"] + b["w"] + 16 and b["y"] - 16 < by + bh / 2 < b["y"] + b["h"] + 16

    wait_state(page_box_on_car, "the page's box (from the data channel) over the car")
    first = page.evaluate("window.kestrel.video.tracker")
    wait_js(page, f"window.kestrel.video.tracker.frame_seq > {first['frame_seq'] + 15}")
    wait_state(page_box_on_car, "the box still over the car after 15 more frames")
    moved = page.evaluate("window.kestrel.video.tracker.box")
    assert (moved["x"], moved["y"]) != (first["box"]["x"], first["box"]["y"])  # it follows, not a still box
    assert stats(page)["mode"] == "webrtc"  # all of it over WebRTC: no WebSocket video was opened
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".video-panel").screenshot(path=str(SCREENSHOTS / "dashboard_webrtc.png"))
    page.locator("#track-stop").click()


def test_webrtc_off_falls_back_to_websocket_and_says_why(open_page: Any, program: Program) -> None:
    program.service.config.set("api", "webrtc_enabled", False, source="test")
    try:
        page = open_page()
        sign_in(page, program, "viewer")
        wait_js(page, "window.kestrel.video.mode === 'ws' && window.kestrel.video.frames >= 5", timeout=30_000)
        assert page.locator("#video-transport").inner_text() == "WebSocket"
        wait_js(page, "/WebRTC refused \\(WebRTC video is turned off/.test(document.getElementById('messages')"
                      ".innerText)")
        wait_js(page, "/^WebSocket · \\d+ ms · \\d+ fps$/.test(document.getElementById('video-glass').textContent)")
    finally:
        program.service.config.set("api", "webrtc_enabled", True, source="test")


def test_peers_full_falls_back_and_mjpeg_shows_its_latency(open_page: Any, program: Program) -> None:
    def no_peers() -> bool:
        rtc = program.app.state.runtime.webrtc_stats()
        return rtc is None or rtc["peers"] == 0

    wait_state(no_peers, "the earlier pages' peers closed")
    program.service.config.set("api", "webrtc_max_peers", 1, source="test")
    try:
        first = open_page()
        sign_in(first, program, "viewer")
        wait_js(first, "window.kestrel.video.mode === 'webrtc' && window.kestrel.video.frames >= 3", timeout=30_000)
        second = open_page()
        sign_in(second, program, "viewer")
        wait_js(second, "window.kestrel.video.mode === 'ws' && window.kestrel.video.frames >= 3", timeout=30_000)
        wait_js(second, "/WebRTC refused \\(1 WebRTC peers already: at most 1/.test("
                        "document.getElementById('messages').innerText)")
        assert first.evaluate("window.kestrel.video.mode") == "webrtc"  # the first one carries on
        frames = first.evaluate("window.kestrel.video.frames")
        wait_js(first, f"window.kestrel.video.frames > {frames + 10}")
    finally:
        program.service.config.set("api", "webrtc_max_peers", 4, source="test")
    page = open_page()
    sign_in(page, program, "viewer", query="?video=mjpeg")
    wait_js(page, "window.kestrel.video.glass.recent.length >= 5", timeout=30_000)
    wait_js(page, "/^MJPEG · \\d+ ms · \\d+ fps$/.test(document.getElementById('video-glass').textContent)")
    # and the viewer may choose: WebRTC from the transport menu, on the same page
    page.select_option("#video-choice", "webrtc")
    wait_js(page, "window.kestrel.video.mode === 'webrtc' && window.kestrel.video.frames >= 3", timeout=30_000)
