"""Moving targets of the virtual scene: cars on the roads and people walking, as image shapes.

Each target follows a closed path at constant speed, so its position is a pure function of
time: the same time gives the same picture and the same ground truth. A target is turned into
filled image polygons once per frame; both the drawing and the ground-truth box come from those
same polygons, so the box always fits what was drawn.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from gcs.core.sim.scene_camera import MIN_DEPTH_M, View
from gcs.core.sim.scene_texture import EW_ROAD_NORTH_M, LOOP_ROAD, NS_ROAD_EAST_M

Image = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]
Colour = tuple[int, int, int]
_SHIFT = 4  # sub-pixel bits for anti-aliased polygon drawing


@dataclass(frozen=True)
class LoopPath:
    """A closed polyline travelled at constant speed (two points make a back-and-forth path)."""

    points: tuple[tuple[float, float], ...]
    speed_mps: float
    start_m: float = 0.0  # distance along the path at time 0
    _cum: tuple[float, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        pts = [*self.points, self.points[0]]
        cum = [0.0]
        for (n0, e0), (n1, e1) in itertools.pairwise(pts):
            cum.append(cum[-1] + math.hypot(n1 - n0, e1 - e0))
        object.__setattr__(self, "_cum", tuple(cum))

    @property
    def length_m(self) -> float:
        return self._cum[-1]

    def at(self, time_s: float) -> tuple[float, float, float]:
        """(north, east, heading_rad) at a time."""
        total = self._cum[-1]
        s = (self.start_m + self.speed_mps * time_s) % total
        i = min(bisect.bisect_right(self._cum, s) - 1, len(self.points) - 1)
        n0, e0 = self.points[i]
        n1, e1 = self.points[(i + 1) % len(self.points)]
        seg = self._cum[i + 1] - self._cum[i]
        a = (s - self._cum[i]) / seg if seg > 0 else 0.0
        return n0 + (n1 - n0) * a, e0 + (e1 - e0) * a, math.atan2(e1 - e0, n1 - n0)


@dataclass(frozen=True)
class Target:
    target_id: str
    kind: str  # "car" or "person"
    colour: Colour  # BGR of the car body or the person's clothes
    path: LoopPath


@dataclass(frozen=True)
class TargetState:
    """Where a target is in the world at one time."""

    target_id: str
    kind: str
    north_m: float
    east_m: float
    heading_rad: float


class TargetBox(NamedTuple):
    """Ground truth of one visible target: pixel box (x, y, w, h), clipped to the image."""

    target_id: str
    kind: str
    box: tuple[int, int, int, int]


@dataclass
class Shape:
    """What to draw for one target: polygons (pixel coords, colour) far-to-near, and its depth."""

    target: Target
    depth_m: float
    polygons: list[tuple[F64, Colour]]


def _loop_start(n: float, e: float) -> float:
    """Distance along LOOP_ROAD (from its first corner) of a point on the loop."""
    pts = [*LOOP_ROAD, LOOP_ROAD[0]]
    s = 0.0
    for (n0, e0), (n1, e1) in itertools.pairwise(pts):
        seg = math.hypot(n1 - n0, e1 - e0)
        along = math.hypot(n - n0, e - e0)
        if abs(along + math.hypot(n1 - n, e1 - e) - seg) < 1e-6:  # the point lies on this segment
            return s + along
        s += seg
    return 0.0


def default_targets(seed: int = 0) -> tuple[Target, ...]:
    """The scene's cast. ``car-1`` starts 25 m north of the origin, straight ahead of the start pose."""
    rng = np.random.default_rng(seed + 7919)
    loop = LoopPath(LOOP_ROAD, 3.0, _loop_start(25.0, 0.0))
    half = loop.length_m / 2.0
    jitter = float(rng.uniform(-10, 10))
    return (
        Target("car-1", "car", (40, 40, 200), loop),  # red
        Target("car-2", "car", (190, 120, 30), LoopPath(LOOP_ROAD, 5.0, loop.start_m + half + jitter)),
        Target("car-3", "car", (235, 235, 235), LoopPath(((-190.0, NS_ROAD_EAST_M), (190.0, NS_ROAD_EAST_M)),
                                                         8.0, float(rng.uniform(0, 380)))),
        Target("car-4", "car", (30, 200, 230), LoopPath(((EW_ROAD_NORTH_M, -190.0), (EW_ROAD_NORTH_M, 190.0)),
                                                        6.0, float(rng.uniform(0, 380)))),
        Target("person-1", "person", (30, 30, 220),
               LoopPath(((32.0, 10.0), (40.0, 18.0), (34.0, 26.0)), 1.4)),
        Target("person-2", "person", (0, 215, 255), LoopPath(((12.0, -14.0), (12.0, -34.0)), 1.2)),
        Target("person-3", "person", (220, 60, 40), LoopPath(((-5.0, 18.0), (5.0, 30.0), (-10.0, 38.0)), 1.1,
                                                             float(rng.uniform(0, 30)))),
        Target("person-4", "person", (200, 40, 200), LoopPath(((-25.0, -20.0), (-15.0, -5.0)), 1.5)),
    )


def target_states(targets: tuple[Target, ...], time_s: float) -> list[TargetState]:
    out = []
    for t in targets:
        n, e, h = t.path.at(time_s)
        out.append(TargetState(t.target_id, t.kind, n, e, h))
    return out


def _rotate(n: float, e: float, heading: float, fwd: F64, right: F64, down: F64) -> F64:
    ch, sh = math.cos(heading), math.sin(heading)
    return np.stack([n + fwd * ch - right * sh, e + fwd * sh + right * ch, down], axis=1)


def _car_polygons(view: View, t: Target, s: TargetState) -> list[tuple[F64, Colour]] | None:
    length, width, height = 4.5, 1.9, 1.45
    fl = np.array([1, 1, -1, -1]) * length / 2
    rt = np.array([-1, 1, 1, -1]) * width / 2
    ground = _rotate(s.north_m, s.east_m, s.heading_rad, fl, rt, np.zeros(4))
    top = _rotate(s.north_m, s.east_m, s.heading_rad, fl * 0.92, rt * 0.92, np.full(4, -height * 0.75))
    roof = _rotate(s.north_m, s.east_m, s.heading_rad, fl * 0.5 - 0.3, rt * 0.8, np.full(4, -height))
    shadow = ground + np.array([-0.6, 0.6, 0.0])
    px, depth = view.project(np.vstack([ground, top, roof, shadow]))
    if depth.min() < MIN_DEPTH_M:
        return None
    body_hull = cv2.convexHull(px[:12].astype(np.float32)).reshape(-1, 2).astype(np.float64)
    roof_colour: Colour = (t.colour[0] // 3, t.colour[1] // 3, t.colour[2] // 3)
    return [(px[12:16], (25, 40, 30)), (body_hull, t.colour), (px[8:12], roof_colour)]


def _person_polygons(view: View, t: Target, s: TargetState) -> list[tuple[F64, Colour]] | None:
    feet = np.array([[s.north_m, s.east_m, 0.0]])
    pts = feet + np.array([[0, 0, 0], [0, 0, -1.45], [0, 0, -0.8], [0, 0, -1.62], [-0.22, 0.22, 0]])
    px, depth = view.project(pts)
    if depth.min() < MIN_DEPTH_M:
        return None
    f = view.model.fx / depth[2]
    axis = px[1] - px[0]
    half_len = max(float(np.hypot(*axis)) / 2.0, 0.2 * f)
    angle = math.degrees(math.atan2(axis[1], axis[0])) if np.hypot(*axis) > 1e-3 else 90.0
    half_w = 0.3 * f
    centre = (px[0] + px[1]) / 2.0
    head_r = max(0.12 * view.model.fx / depth[3], 0.6)
    body = _ellipse(centre, half_len, half_w, angle, 15)
    head = _ellipse(px[3], head_r, head_r, 0.0, 30)
    shadow = _ellipse(px[4], half_w, half_w * 0.6, 0.0, 30)
    return [(shadow, (25, 40, 30)), (body, t.colour), (head, (60, 85, 120))]


def _ellipse(centre: F64, a: float, b: float, angle_deg: float, step_deg: int) -> F64:
    """Polygon of an ellipse in float pixels (ellipse2Poly works on integers: scale by 16)."""
    pts = cv2.ellipse2Poly((round(float(centre[0]) * 16), round(float(centre[1]) * 16)),
                           (max(1, round(a * 16)), max(1, round(b * 16))), round(angle_deg), 0, 360, step_deg)
    return np.asarray(pts, dtype=np.float64) / 16.0


def target_shapes(view: View, targets: tuple[Target, ...], time_s: float) -> list[Shape]:
    """Image polygons of every target in front of the camera, farthest first."""
    w, h = view.model.width, view.model.height
    shapes = []
    for t, s in zip(targets, target_states(targets, time_s), strict=True):
        polys = _car_polygons(view, t, s) if t.kind == "car" else _person_polygons(view, t, s)
        if polys is None:
            continue
        allpts = np.vstack([p for p, _ in polys])
        if (allpts[:, 0].max() < 0 or allpts[:, 1].max() < 0 or allpts[:, 0].min() > w
                or allpts[:, 1].min() > h or np.abs(allpts).max() > 20 * (w + h)):
            continue
        depth = float(np.linalg.norm(view.to_camera(np.array([[s.north_m, s.east_m, 0.0]]))))
        shapes.append(Shape(t, depth, polys))
    shapes.sort(key=lambda sh: -sh.depth_m)
    return shapes


def draw_shapes(image: Image, shapes: list[Shape]) -> None:
    for shape in shapes:
        for pts, colour in shape.polygons:
            fixed = np.round(pts * (1 << _SHIFT)).astype(np.int32)
            cv2.fillPoly(image, [fixed], colour, cv2.LINE_AA, _SHIFT)


def shape_box(shape: Shape, width: int, height: int) -> tuple[int, int, int, int] | None:
    """Pixel box of the drawn body (shadow excluded), clipped to the image; None if < 2 px."""
    pts = np.vstack([p for p, _ in shape.polygons[1:]])
    x0, y0 = max(0.0, float(pts[:, 0].min())), max(0.0, float(pts[:, 1].min()))
    x1, y1 = min(float(width), float(pts[:, 0].max())), min(float(height), float(pts[:, 1].max()))
    box = (math.floor(x0), math.floor(y0), math.ceil(x1) - math.floor(x0), math.ceil(y1) - math.floor(y0))
    return box if box[2] >= 2 and box[3] >= 2 else None
