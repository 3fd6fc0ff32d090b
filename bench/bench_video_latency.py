"""Capture -> displayed (glass-to-glass) latency, frame rate and bytes/s of the dashboard's three video
transports, WebRTC, WebSocket and MJPEG, through Chromium in the same run.

The server is the real program in this process: GcsService flying its simulator in offboard at 5 m
(setpoints streaming at 20 Hz), the virtual camera at 640x480/30 fps writing each frame's capture
time into its pixels (``video.latency_stamp``), and the API on loopback (WebRTC ICE on 127.0.0.1).
The page is the real dashboard in Debian's Chromium (Playwright, headless), one round per
transport (``?video=webrtc|ws|mjpeg``, MJPEG asked at the camera's 30 fps): after a warm-up the page's
own glass-to-glass samples are reset, then read after the window: each is the stamp of a picture
the page showed against ``Date.now()`` when it showed it (stamp.js; WebRTC: at the compositor's
expected display time, WebSocket: when the frame is drawn on the canvas, MJPEG: at the animation
frame after the <img> changed, so up to a frame late). One clock for both: the same machine.
Bytes/s are the server's own count for that transport (``/stats``: the WebRTC peers' RTP bytes,
the video channel's bytes for WebSocket and MJPEG); bytes per frame divide them by the frame rate
the page saw. Also the worst gap between setpoints the simulator received in each round.
Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import emit, machine, percentile, row  # noqa: E402

TRANSPORTS = ("webrtc", "ws", "mjpeg")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
               "--disable-features=WebRtcHideLocalIpsWithMdns", "--autoplay-policy=no-user-gesture-required"]


def _bytes_per_s(stats: dict[str, Any], transport: str) -> float:
    if transport == "webrtc":
        return float(stats["webrtc"]["bandwidth_bytes_per_s"])
    return float(stats["streams"].get("video", {}).get("bandwidth_bytes_per_s", 0))


def _round(browser: Any, url: str, token: str, transport: str, opts: argparse.Namespace, api: Any,
           sim: Any) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=url)
    page = context.new_page()
    page.goto(f"/?video={transport}&fps=30")
    page.locator("#tab-token").click()
    page.locator("#token-input").fill(token)
    page.locator("#login-button").click()
    page.wait_for_function(f"() => window.kestrel.video && window.kestrel.video.mode === '{transport}' "
                           "&& window.kestrel.video.glass.recent.length >= 5", timeout=60_000)
    time.sleep(opts.warmup)
    page.evaluate("window.kestrel.video.glass.reset()")
    frames0 = page.evaluate("window.kestrel.video.frames")
    started = time.monotonic()
    bytes_samples = []
    while time.monotonic() - started < opts.seconds:
        time.sleep(1.0)
        bytes_samples.append(_bytes_per_s(api.get("/stats").json(), transport))
    elapsed = time.monotonic() - started
    server = api.get("/stats").json()
    s = page.evaluate("window.kestrel.video.stats()")
    frames = page.evaluate("window.kestrel.video.frames") - frames0
    context.close()
    samples = [float(a) for a in s["samples"]]
    fps = frames / elapsed
    rate = sorted(bytes_samples)[len(bytes_samples) // 2] if bytes_samples else 0.0
    out = {
        "transport": transport, "codec": s.get("codec"), "pictures": len(samples),
        "latency_p50_ms": round(percentile(samples, 0.5), 1) if samples else None,
        "latency_p95_ms": round(percentile(samples, 0.95), 1) if samples else None,
        "fps": round(fps, 1), "bytes_per_s": round(rate), "bytes_per_frame": round(rate / fps) if fps else None,
    }
    if transport == "webrtc":  # frames the peer's queue dropped (waiting for a keyframe) and why
        rtc = server["webrtc"]
        out["server"] = {"frames_sent": rtc["frames_sent"], "frames_dropped": rtc["frames_dropped"],
                         "keyframes_asked": rtc["keyframes_asked"]}
    from bench.bench_api_attack import worst_gap

    times = [sp.time_s for sp in sim.received_setpoints()]
    out["setpoint_gap_ms"] = round(1e3 * worst_gap(times, started, started + elapsed), 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per transport")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--order", default=",".join(TRANSPORTS), help="rounds, comma-separated (a repeat is kept)")
    parser.add_argument("--json", action="store_true")
    opts = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="kestrel-bench-video-latency-"))
    os.environ.setdefault("KESTREL_DATA_DIR", str(folder / "data"))
    os.environ.setdefault("KESTREL_CONFIG_DIR", str(folder / "config"))
    import httpx
    from playwright.sync_api import sync_playwright

    from bench.bench_api_attack import fly
    from embedded_api import ApiServer, create_app
    from embedded_api.auth import Role, TokenAuthority
    from embedded_api.settings import ApiSettings
    from gcs.core.config import ConfigStore
    from gcs.core.service import GcsService

    store = ConfigStore(folder / "config.yaml")
    store.load()
    store.set("api", "rate_limit_per_minute", 100000, source="bench")
    store.set("video", "enabled", True, source="bench")
    store.set("tracking", "backend", "onnxruntime", source="bench")
    service = GcsService(store)
    service.start()
    sim = fly(service)
    authority = TokenAuthority("bench-secret-" + "x" * 40)
    settings = ApiSettings(webrtc_host_addresses=("127.0.0.1",))
    server = ApiServer(create_app(service, authority, settings), port=0)
    server.start()
    token = authority.create(Role.VIEWER, ttl_hours=1)
    api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    figures: dict[str, Any] = {"machine": machine()}
    rounds = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=LAUNCH_ARGS)
            for transport in opts.order.split(","):
                rounds.append(_round(browser, server.url, token, transport, opts, api, sim))
                print(f"  {rounds[-1]}", file=sys.stderr, flush=True)
            browser.close()
        capture, _jpeg = service.video_stats()
        figures["source"] = f"virtual camera {capture.width}x{capture.height}, {capture.fps:.1f} fps measured"
    finally:
        api.close()
        server.stop()
        service.close()
    by = {r["transport"]: r for r in rounds}
    figures["rounds"] = rounds
    rtc, ws, mj = by["webrtc"], by["ws"], by["mjpeg"]
    per_frame = (rtc["bytes_per_frame"] or 0) / (mj["bytes_per_frame"] or 1)
    figures["headline"] = [
        row("WebRTC (H.264) glass-to-glass p50", rtc["latency_p50_ms"], "ms",
            baseline="MJPEG p50", baseline_value=mj["latency_p50_ms"]),
        row("WebRTC glass-to-glass p95", rtc["latency_p95_ms"], "ms",
            baseline="MJPEG p95", baseline_value=mj["latency_p95_ms"]),
        row("WebSocket JPEG glass-to-glass p50", ws["latency_p50_ms"], "ms",
            baseline="MJPEG p50", baseline_value=mj["latency_p50_ms"]),
        row("WebRTC bytes/s", rtc["bytes_per_s"], "B/s", baseline="MJPEG bytes/s", baseline_value=mj["bytes_per_s"]),
        row("WebRTC bytes per frame (same size)", rtc["bytes_per_frame"], "B",
            baseline="MJPEG bytes per frame", baseline_value=mj["bytes_per_frame"], ratio=round(per_frame, 3)),
        row("fps shown: WebRTC", rtc["fps"], "fps", baseline="MJPEG", baseline_value=mj["fps"]),
        row("worst setpoint gap while WebRTC streams", rtc["setpoint_gap_ms"], "ms",
            baseline="while MJPEG streams", baseline_value=mj["setpoint_gap_ms"]),
    ]
    emit(figures, opts.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
