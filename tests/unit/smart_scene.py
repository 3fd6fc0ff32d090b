"""Scenes for the detector and smart-mode tests: fresh virtual-camera frames with ground truth.

The ground seed (101) and the poses are outside the training set (train seeds 1-5, val 6-7, see
tools/make_dataset.py), so the tests measure the shipped model on pictures it has never seen.
Not a test module itself (no ``test_`` prefix); the test modules import it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from gcs.core.sim.virtual_camera import TargetBox, VirtualCamera
from gcs.core.tracking.detectors.base import Detection
from gcs.core.tracking.types import BBox, Image
from tools.make_dataset import PoseHolder, aimed_position, make_camera, vehicle_state

TEST_SEED = 101
MIN_TRUTH_PX = 10  # truth boxes smaller than this on either side are not counted (unlearnable at imgsz 320)


@dataclass(frozen=True)
class Shot:
    image: Image
    truth: list[TargetBox]


def truth_bbox(t: TargetBox) -> BBox:
    return BBox(*(float(v) for v in t.box))


def countable(truth: list[TargetBox]) -> list[TargetBox]:
    return [t for t in truth if min(t.box[2], t.box[3]) >= MIN_TRUTH_PX]


def scene(seed: int = TEST_SEED) -> tuple[VirtualCamera, PoseHolder]:
    holder = PoseHolder()
    return make_camera(seed, holder, hfov_deg=70.0, tilt_deg=50.0), holder


def aimed_shots(count: int, seed: int = 7, alt_range: tuple[float, float] = (10.0, 35.0)) -> list[Shot]:
    """``count`` frames, each aimed so a random target lands at a random pixel (other targets may show too)."""
    rng = random.Random(seed)
    camera, holder = scene()
    shots = []
    for _ in range(count):
        time_s = rng.uniform(0.0, 600.0)
        target = rng.choice(camera.target_states(time_s))
        alt, yaw = rng.uniform(*alt_range), rng.uniform(-math.pi, math.pi)
        u, v = rng.uniform(120, 520), rng.uniform(100, 400)
        north, east = aimed_position(camera, (target.north_m, target.east_m), u, v, alt, yaw)
        holder.state = vehicle_state(north, east, alt, yaw)
        frame = camera.capture(time_s)
        shots.append(Shot(frame.image, frame.targets))
    return shots


def best_match(truth: TargetBox, detections: list[Detection]) -> tuple[Detection | None, float]:
    """The same-class detection overlapping ``truth`` most, and that IoU."""
    box = truth_bbox(truth)
    best, best_iou = None, 0.0
    for d in detections:
        iou = d.box.iou(box)
        if d.label == truth.kind and iou > best_iou:
            best, best_iou = d, iou
    return best, best_iou


@dataclass(frozen=True)
class Flight:
    """Frames of a flight past one target, with every frame's ground truth and the occluded frames."""

    frames: list[Image]
    truth: list[list[TargetBox]]
    target_id: str
    occluded: range
    fps: float

    def box_of(self, index: int, target_id: str | None = None) -> BBox | None:
        wanted = target_id or self.target_id
        return next((truth_bbox(t) for t in self.truth[index] if t.target_id == wanted), None)

    def others(self, index: int) -> list[BBox]:
        return [truth_bbox(t) for t in self.truth[index] if t.target_id != self.target_id]


def flight(target_id: str, *, seconds: float = 5.0, fps: float = 15.0, start_s: float = 40.0,
           occluded: range = range(0), alt0: float = 20.0) -> Flight:
    """The vehicle climbs, turns and slides so ``target_id`` sweeps across the picture; frames in
    ``occluded`` have the target painted over (a canopy hiding it) and keep its truth."""
    camera, holder = scene()
    frames, truth = [], []
    for i in range(round(seconds * fps)):
        t = i / fps
        phase = 2.0 * math.pi * t / seconds
        u, v = 320.0 + 150.0 * math.sin(phase), 250.0 + 60.0 * math.sin(2.0 * phase)
        alt, yaw = alt0 + 1.5 * t, 0.3 + 0.08 * t
        state = next(s for s in camera.target_states(start_s + t) if s.target_id == target_id)
        north, east = aimed_position(camera, (state.north_m, state.east_m), u, v, alt, yaw)
        holder.state = vehicle_state(north, east, alt, yaw)
        frame = camera.capture(start_s + t)
        image = frame.image.copy()
        if i in occluded:
            box = next(tb.box for tb in frame.targets if tb.target_id == target_id)
            x, y, w, h = box
            image[max(0, y - 6): y + h + 6, max(0, x - 6): x + w + 6] = (40, 90, 60)
        frames.append(image)
        truth.append(frame.targets)
    return Flight(frames, truth, target_id, occluded, fps)
