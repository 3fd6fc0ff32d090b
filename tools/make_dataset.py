"""Make a YOLO detection dataset (car, person) from the project's own virtual camera.

Why our own renderer: no pretrained weights can be had offline, and the demo scene is what smart
mode has to work on out of the box. Every picture comes with exact ground truth
(``VirtualCamera.targets_in_image``), so labels cost nothing and are never wrong.

Recipe (the defaults; ``MODEL_CARD.md`` quotes them):
* cameras: 640x480, hfov 60-80 deg, mount tilt 30-85 deg; the ground texture changes with the
  seed, so train and val use disjoint seeds (train 1-5, val 6-7; tests render seed 101+);
* poses come in through the pose provider as ``VehicleState`` objects, as in flight: altitude
  8-60 m, any heading, roll and pitch +-5 deg; 85% are aimed so a chosen target lands at a
  random pixel, 15% are random positions (many with nothing in view: negatives);
* scene time 0-900 s, so targets are met at every point of their paths;
* a label is kept when its box is at least ``--min-px`` (4) px on both sides: smaller ones are
  unlearnable at imgsz 320 and would only teach noise. JPEG quality 92.

    .venv/bin/python tools/make_dataset.py --out build/kestrel_dataset [--train 500 --val 100]
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gcs.core.models import Attitude, GlobalPosition, Gps, VehicleState, evolve  # noqa: E402
from gcs.core.sim.scene_camera import CameraPose, View  # noqa: E402
from gcs.core.sim.virtual_camera import TargetBox, VirtualCamera  # noqa: E402
from gcs.core.vehicle.reducer import initial_state  # noqa: E402

log = logging.getLogger("make_dataset")

CLASSES: tuple[str, ...] = ("car", "person")
LAT0, LON0 = 47.3977, 8.5456  # the scene origin; any point works, the camera is flat-earth
M_PER_DEG_LAT = math.radians(1.0) * 6378137.0
TRAIN_SEEDS = (1, 2, 3, 4, 5)
VAL_SEEDS = (6, 7)


class PoseHolder:
    """A settable pose provider, standing in for the bus's latest vehicle state."""

    def __init__(self, state: VehicleState | None = None) -> None:
        self.state = state

    def __call__(self) -> VehicleState | None:
        return self.state


def vehicle_state(north_m: float, east_m: float, alt_m: float, yaw_rad: float,
                  roll_rad: float = 0.0, pitch_rad: float = 0.0) -> VehicleState:
    """A vehicle at local (north, east, alt) from the scene origin, built the way the reducer does."""
    lat = LAT0 + north_m / M_PER_DEG_LAT
    lon = LON0 + east_m / (M_PER_DEG_LAT * math.cos(math.radians(LAT0)))
    return evolve(initial_state(1), global_position=GlobalPosition(lat, lon, 400.0 + alt_m, alt_m),
                  attitude=Attitude(roll_rad, pitch_rad, yaw_rad), gps=Gps(fix_type=3, satellites=12))


def make_camera(seed: int, holder: PoseHolder, *, hfov_deg: float = 70.0, tilt_deg: float = 45.0,
                width: int = 640, height: int = 480) -> VirtualCamera:
    return VirtualCamera(holder, width=width, height=height, fps=30.0, hfov_deg=hfov_deg,
                         tilt_deg=tilt_deg, seed=seed, origin=(LAT0, LON0))


def aimed_position(camera: VirtualCamera, target_ne: tuple[float, float], u: float, v: float, alt_m: float,
                   yaw_rad: float, roll_rad: float = 0.0, pitch_rad: float = 0.0) -> tuple[float, float]:
    """Vehicle (north, east) that puts a ground point at pixel (u, v) for this attitude and altitude."""
    view = View(camera.camera_model(), CameraPose(0.0, 0.0, alt_m, roll_rad, pitch_rad, yaw_rad))
    gn, ge = view.ground_point(u, v, 1e5)
    return target_ne[0] - gn, target_ne[1] - ge


@dataclass(frozen=True)
class Sample:
    seed: int
    hfov_deg: float
    tilt_deg: float
    state: VehicleState
    time_s: float


def random_sample(rng: random.Random, seed: int, cameras: dict[tuple[int, float, float], VirtualCamera],
                  holder: PoseHolder) -> Sample:
    """One camera (of ground ``seed``), pose and time drawn as the module docstring says."""
    key = (seed, float(rng.choice((60, 70, 80))), float(rng.choice((30, 45, 55, 65, 75, 85))))
    if key not in cameras:
        cameras[key] = make_camera(key[0], holder, hfov_deg=key[1], tilt_deg=key[2])
    camera = cameras[key]
    time_s = rng.uniform(0.0, 900.0)
    alt = rng.uniform(8.0, 60.0)
    yaw = rng.uniform(-math.pi, math.pi)
    roll, pitch = (math.radians(rng.gauss(0.0, 2.5)) for _ in range(2))
    if rng.random() < 0.85:
        target = rng.choice(camera.target_states(time_s))
        u, v = rng.uniform(0.05, 0.95) * 640, rng.uniform(0.08, 0.95) * 480
        north, east = aimed_position(camera, (target.north_m, target.east_m), u, v, alt, yaw, roll, pitch)
    else:
        north, east = rng.uniform(-150, 150), rng.uniform(-150, 150)
    return Sample(key[0], key[1], key[2], vehicle_state(north, east, alt, yaw, roll, pitch), time_s)


def yolo_lines(targets: list[TargetBox], width: int, height: int, min_px: int) -> list[str]:
    """YOLO label lines (class cx cy w h, normalised) for boxes at least ``min_px`` on both sides."""
    lines = []
    for t in targets:
        x, y, w, h = t.box
        if w < min_px or h < min_px:
            continue
        cls = CLASSES.index(t.kind)
        lines.append(f"{cls} {(x + w / 2) / width:.6f} {(y + h / 2) / height:.6f} {w / width:.6f} {h / height:.6f}")
    return lines


def write_split(out: Path, split: str, count: int, seeds: tuple[int, ...], rng: random.Random, min_px: int) -> int:
    """Render ``count`` pictures into ``out/images/split`` and ``out/labels/split``; returns the label count."""
    images, labels = out / "images" / split, out / "labels" / split
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    holder = PoseHolder()
    boxes = 0
    for k, seed in enumerate(seeds):  # one ground seed after the other: its texture is built once
        cameras: dict[tuple[int, float, float], VirtualCamera] = {}
        for i in range(k * count // len(seeds), (k + 1) * count // len(seeds)):
            sample = random_sample(rng, seed, cameras, holder)
            holder.state = sample.state
            frame = cameras[(sample.seed, sample.hfov_deg, sample.tilt_deg)].capture(sample.time_s)
            height, width = frame.image.shape[:2]
            lines = yolo_lines(frame.targets, width, height, min_px)
            boxes += len(lines)
            name = f"{split}_{i:05d}"
            cv2.imwrite(str(images / f"{name}.jpg"), frame.image, [cv2.IMWRITE_JPEG_QUALITY, 92])
            (labels / f"{name}.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return boxes


def write_yaml(out: Path) -> Path:
    path = out / "data.yaml"
    names = "\n".join(f"  {i}: {name}" for i, name in enumerate(CLASSES))
    path.write_text(f"path: {out.resolve()}\ntrain: images/train\nval: images/val\nnames:\n{names}\n",
                    encoding="utf-8")
    return path


def make_dataset(out: Path, train: int, val: int, seed: int = 0, min_px: int = 4) -> Path:
    """Render the whole dataset; returns the path of its ``data.yaml``."""
    rng = random.Random(seed)
    started = time.perf_counter()
    n_train = write_split(out, "train", train, TRAIN_SEEDS, rng, min_px)
    n_val = write_split(out, "val", val, VAL_SEEDS, rng, min_px)
    log.info("dataset %s: %d train images (%d boxes), %d val images (%d boxes) in %.1f s",
             out, train, n_train, val, n_val, time.perf_counter() - started)
    return write_yaml(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "kestrel_dataset")
    parser.add_argument("--train", type=int, default=500)
    parser.add_argument("--val", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0, help="seed of the pose/time draws")
    parser.add_argument("--min-px", type=int, default=4)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    make_dataset(args.out, args.train, args.val, args.seed, args.min_px)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
