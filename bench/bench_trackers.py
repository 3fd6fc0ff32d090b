"""Tracker speed on a real 640x480 clip: ms per update and fps for every registered tracker.

Figures only, no pass/fail. Cost depends on the box (CSRT resamples to a fixed template, KCF
and MIL scale with the patch), so two boxes are measured on OpenCV's cup clip: the hand-placed
box around the whole cup (110x258) and a 96x96 click box. Also timed: the worker's per-frame
extras (appearance histogram + plausibility), which run on top of every update.

    .venv/bin/python bench/bench_trackers.py [--frames 120] [--clip PATH] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2

from gcs.core.tracking.appearance import AppearanceModel
from gcs.core.tracking.opencv_trackers import default_registry
from gcs.core.tracking.plausibility import LossState, PlausibilityParams, assess
from gcs.core.tracking.protocol import TrackUpdate
from gcs.core.tracking.types import BBox, Image

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = ROOT.parent / "shared/data/video/opencv_cup.mp4"
BOXES = {"cup 110x258": BBox(305, 125, 110, 258), "click 96x96": BBox(312, 272, 96, 96)}


def load(path: Path, count: int) -> list[Image]:
    cap = cv2.VideoCapture(str(path))
    frames: list[Image] = []
    while len(frames) < count:
        ok, frame = cap.read()
        if not ok:
            break
        if frame.shape[:2] != (480, 640):
            frame = cv2.resize(frame, (640, 480))
        frames.append(frame)
    cap.release()
    if len(frames) < 2:
        raise SystemExit(f"could not decode {path}")
    return frames


def bench_tracker(name: str, frames: list[Image], box: BBox) -> tuple[float, list[float], int]:
    """(init ms, update ms list, failed updates)."""
    tracker = default_registry().create(name)
    t0 = time.perf_counter()
    tracker.init(frames[0], box)
    init_ms = (time.perf_counter() - t0) * 1000
    times: list[float] = []
    failed = 0
    for frame in frames[1:]:
        t0 = time.perf_counter()
        update = tracker.update(frame)
        times.append((time.perf_counter() - t0) * 1000)
        failed += not update.ok
    return init_ms, times, failed


def bench_checks(frames: list[Image], box: BBox) -> float:
    """ms per frame for appearance scoring + plausibility on a fixed box (worker overhead)."""
    model = AppearanceModel()
    model.reset(frames[0], box)
    state = LossState.locked(box, 0.0)
    params = PlausibilityParams()
    t0 = time.perf_counter()
    for i, frame in enumerate(frames[1:], start=1):
        score = model.score(frame, box)
        state, _ = assess(state, TrackUpdate(box, 1.0, True), i / 30, 640, 480, params, score)
        model.accept()
    return (time.perf_counter() - t0) * 1000 / (len(frames) - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120, help="frames to track (default 120)")
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--threads", type=int, default=None, help="cv2.setNumThreads (default: OpenCV's)")
    args = parser.parse_args()
    if args.threads is not None:
        cv2.setNumThreads(args.threads)
    frames = load(args.clip, args.frames + 1)
    print(f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads, {args.clip.name} at 640x480, ", end="")
    print(f"{len(frames) - 1} updates")
    header = ("tracker", "box", "init ms", "mean ms", "p50 ms", "p95 ms", "fps", "failed")
    print("{:<11} {:<12} {:>8} {:>8} {:>7} {:>7} {:>6} {:>6}".format(*header))
    for name in default_registry().names():
        for label, box in BOXES.items():
            init_ms, times, failed = bench_tracker(name, frames, box)
            mean = statistics.fmean(times)
            p95 = statistics.quantiles(times, n=20)[-1]
            print(
                f"{name:<11} {label:<12} {init_ms:8.1f} {mean:8.1f} {statistics.median(times):7.1f} "
                f"{p95:7.1f} {1000 / mean:6.1f} {failed:6d}"
            )
    for label, box in BOXES.items():
        print(f"worker checks (appearance + plausibility), {label}: {bench_checks(frames, box):.2f} ms/frame")


if __name__ == "__main__":
    main()
