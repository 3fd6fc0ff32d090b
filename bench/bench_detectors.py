"""Detector speed at 640x480: ms per frame for ultralytics vs onnxruntime, and smart-mode updates.

Figures only, no pass/fail. Frames are rendered by the virtual camera (seed 101, poses aimed at
targets), so the detector has real work: a few boxes per frame, as in the demo. Timed:

* ``detect`` per backend and model file (the shipped .pt on ultralytics, the shipped .onnx on
  onnxruntime and, for comparison, on ultralytics too), at the model's own input size;
* ultralytics on the .pt at a larger ``--imgsz`` as well (the .onnx export is fixed at 320);
* one ``SmartTracker.update`` (detect + association) on onnxruntime: smart mode's cost per frame.

    .venv/bin/python bench/bench_detectors.py [--frames 60] [--imgsz 640]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gcs.core.tracking.detectors import create_detector  # noqa: E402
from gcs.core.tracking.detectors.factory import model_dir  # noqa: E402
from gcs.core.tracking.smart import SmartTracker  # noqa: E402
from gcs.core.tracking.types import Image  # noqa: E402
from tests.unit.smart_scene import aimed_shots, flight  # noqa: E402

WARM_UP = 3


def timed(fn: Callable[[Image], object], frames: list[Image]) -> list[float]:
    for frame in frames[:WARM_UP]:
        fn(frame)
    times = []
    for frame in frames:
        t0 = time.perf_counter()
        fn(frame)
        times.append((time.perf_counter() - t0) * 1000.0)
    return times


def report(label: str, times: list[float]) -> None:
    mean = statistics.fmean(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"{label:<44} {mean:8.1f} {statistics.median(times):8.1f} {p95:8.1f} {1000.0 / mean:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--imgsz", type=int, default=640, help="extra ultralytics run at this input size")
    args = parser.parse_args()
    frames = [s.image for s in aimed_shots(args.frames, seed=5)]
    pt, onnx = model_dir() / "kestrel_demo_yolov8n.pt", model_dir() / "kestrel_demo_yolov8n.onnx"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(frames)} virtual-camera frames at 640x480 (after {WARM_UP} warm-up calls); "
          f"{os.cpu_count()} cores, load average {load:.1f} at start")
    print(f"{'backend / model / input':<44} {'mean ms':>8} {'p50 ms':>8} {'p95 ms':>8} {'fps':>7}")
    if find_spec("onnxruntime") is not None:
        detector = create_detector("onnxruntime", onnx)
        report("onnxruntime  .onnx  320", timed(detector.detect, frames))
        seq = flight("car-1", seconds=max(2.0, len(frames) / 15.0))
        tracker = SmartTracker(detector)
        first = seq.box_of(0)
        if first is not None:
            tracker.init_click(seq.frames[0], *first.centre)
            report("smart update (onnxruntime detect + assoc)", timed(tracker.update, seq.frames[1:]))
    else:
        print("onnxruntime not installed: skipped")
    if find_spec("ultralytics") is not None:
        report("ultralytics  .pt    320", timed(create_detector("ultralytics", pt, image_size=320).detect, frames))
        torch = sys.modules["torch"]  # ultralytics sets cpu_count - 1 threads when it picks the device
        print(f"  (torch runs on {torch.get_num_threads()} thread(s); onnxruntime on all cores, no spinning)")
        report("ultralytics  .onnx  320", timed(create_detector("ultralytics", onnx, image_size=320).detect, frames))
        if args.imgsz != 320:
            big = create_detector("ultralytics", pt, image_size=args.imgsz)
            report(f"ultralytics  .pt    {args.imgsz}", timed(big.detect, frames))
    else:
        print("ultralytics not installed: skipped")


if __name__ == "__main__":
    main()
