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
from collections.abc import Callable
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


def render_figures(frames: int = 120) -> dict[str, tuple[float, float]]:
    """(wall ms, CPU ms of this thread) per 640x480 frame on one OpenCV thread, per pose.

    CPU time is what the frame costs one core; wall time also counts other processes' load.
    """
    camera = VirtualCamera(lambda: None)
    camera.render(0.0)  # build the ground texture outside the timing
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    image = camera.render(0.0)
    def render_at(pose: CameraPose) -> Callable[[int], object]:
        return lambda i: camera.render_pose(pose, i / 30.0)

    jobs = {name: render_at(pose) for name, pose in POSES.items()}
    jobs["jpeg q80 encode"] = lambda _i: cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    out = {}
    try:
        for name, job in jobs.items():
            wall0, cpu0 = time.perf_counter(), time.thread_time()
            for i in range(frames):
                job(i)
            wall, cpu = time.perf_counter() - wall0, time.thread_time() - cpu0
            out[name] = (wall / frames * 1000.0, cpu / frames * 1000.0)
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
    print(f"virtual camera 640x480 on one OpenCV thread (33.3 ms = 30 fps); "
          f"cv2 threads otherwise: {cv2.getNumThreads()}")
    print(f"  {'':18s} {'wall ms':>8s} {'CPU ms':>8s} {'fps/core':>9s}")
    for name, (wall_ms, cpu_ms) in render.items():
        print(f"  {name:18s} {wall_ms:8.2f} {cpu_ms:8.2f} {1000.0 / cpu_ms:9.0f}")
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
