"""Video fan-out: encodes/s and CPU for 1, 10 and 50 consumers of a 30 fps 640x480 virtual camera.

The point of encode-once is that CPU barely grows with viewers: each new frame is JPEG-encoded
once and the same bytes go to every consumer. Each consumer here is a thread pulling frames
the way an MJPEG/WebSocket stream would. Also prints the virtual camera's render time on one
core (it must hold >= 30 fps) and the cost of one JPEG encode. Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402

from gcs.core.sim.virtual_camera import CameraPose, VirtualCamera  # noqa: E402
from gcs.core.video.capture import CaptureWorker  # noqa: E402
from gcs.core.video.encoder import JpegFanout  # noqa: E402
from gcs.core.video.sources import SourceOptions  # noqa: E402

POSES = {
    "20 m, level": CameraPose(0.0, 0.0, 20.0),
    "60 m, banked": CameraPose(30.0, 10.0, 60.0, 0.2, -0.1, 2.0),
    "120 m, nose up": CameraPose(0.0, 0.0, 120.0, 0.1, 0.2, 1.0),
    "5 km out": CameraPose(5000.0, -3000.0, 40.0),
}


def render_figures(frames: int = 120) -> dict[str, float]:
    """Milliseconds per 640x480 frame on one OpenCV thread, per pose."""
    camera = VirtualCamera(lambda: None)
    camera.render(0.0)  # build the ground texture outside the timing
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        out = {}
        for name, pose in POSES.items():
            started = time.perf_counter()
            for i in range(frames):
                camera.render_pose(pose, i / 30.0)
            out[name] = (time.perf_counter() - started) / frames * 1000.0
        image = camera.render(0.0)
        started = time.perf_counter()
        for _ in range(frames):
            cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
        out["jpeg q80 encode"] = (time.perf_counter() - started) / frames * 1000.0
    finally:
        cv2.setNumThreads(threads)
    return out


def run_fanout(consumers: int, seconds: float) -> dict[str, Any]:
    options = SourceOptions(width=640, height=480, fps=30.0)
    with CaptureWorker("virtual", options=options) as capture, JpegFanout(capture) as fanout:
        capture.wait_newer(0, timeout=10.0)
        time.sleep(0.5)  # settle
        subs = [fanout.subscribe() for _ in range(consumers)] if consumers else []
        stop = threading.Event()
        received = [0] * len(subs)

        def pull(i: int) -> None:
            while not stop.is_set():
                frame = subs[i].get(timeout=0.5)
                if frame is not None:
                    received[i] += 1

        threads = [threading.Thread(target=pull, args=(i,), daemon=True) for i in range(len(subs))]
        for t in threads:
            t.start()
        time.sleep(0.5)
        before, cpu0, wall0 = fanout.stats(), time.process_time(), time.perf_counter()
        cap0 = capture.stats().captured
        time.sleep(seconds)
        after, cpu1, wall1 = fanout.stats(), time.process_time(), time.perf_counter()
        cap1 = capture.stats().captured
        stop.set()
        for t in threads:
            t.join()
    wall = wall1 - wall0
    lags = [c.lag_s for c in after.consumers]
    return {
        "consumers": consumers,
        "captured_per_s": (cap1 - cap0) / wall,
        "encodes_per_s": (after.encodes - before.encodes) / wall,
        "sent_per_s": (after.frames_sent - before.frames_sent) / wall,
        "dropped": after.frames_dropped - before.frames_dropped,
        "mbit_per_s_out": (after.bytes_sent - before.bytes_sent) * 8 / wall / 1e6,
        "cpu_s_per_s": (cpu1 - cpu0) / wall,
        "mean_lag_ms": 1000.0 * sum(lags) / len(lags) if lags else math.nan,
        "quality": after.quality,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--consumers", default="0,1,10,50")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    render = render_figures()
    rows = [run_fanout(int(n), args.seconds) for n in args.consumers.split(",")]
    base = next((r["cpu_s_per_s"] for r in rows if r["consumers"] == 1), None)
    for row in rows:
        row["cpu_vs_1_consumer"] = row["cpu_s_per_s"] / base if base else math.nan
    if args.json:
        print(json.dumps({"render_ms": render, "fanout": rows, "cv2_threads": cv2.getNumThreads()}))
        return 0
    print(f"virtual camera 640x480, one OpenCV thread (ms per frame; 33.3 ms = 30 fps), "
          f"cv2 threads otherwise: {cv2.getNumThreads()}")
    for name, ms in render.items():
        print(f"  {name:18s} {ms:6.2f} ms  ({1000.0 / ms:6.0f} fps)")
    print()
    head = ["consumers", "captured/s", "encodes/s", "sent/s", "dropped", "Mbit/s", "CPU s/s", "vs 1",
            "lag ms", "quality"]
    print(" ".join(f"{h:>10s}" for h in head))
    for r in rows:
        print(f"{r['consumers']:>10d} {r['captured_per_s']:>10.1f} {r['encodes_per_s']:>10.1f} "
              f"{r['sent_per_s']:>10.1f} {r['dropped']:>10d} {r['mbit_per_s_out']:>10.1f} "
              f"{r['cpu_s_per_s']:>10.3f} {r['cpu_vs_1_consumer']:>10.2f} {r['mean_lag_ms']:>10.1f} "
              f"{r['quality']:>10d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
