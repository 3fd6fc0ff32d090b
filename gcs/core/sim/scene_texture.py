"""A seeded, tileable ground texture in world metres: grass, fields, roads, buildings, trees.

Rendering warps this one image into the camera each frame, so it is built once per
(seed, size, resolution) and cached read-only. It tiles seamlessly (every noise layer is
periodic and the long roads run straight across the tile), so a vehicle can fly any distance
and the renderer just wraps coordinates. Features at many scales (blades, bushes, crop rows,
road markings) give classic trackers corners to hold on to.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

ROAD_WIDTH_M = 7.0
_TILE_LEVELS_UP_TO_PX = 400  # pyramid levels this small are also stored as 3 x 3 tiles
# Roads the scene's cars drive on (north, east) metres; the renderer and the paths share them.
LOOP_ROAD: tuple[tuple[float, float], ...] = ((25.0, -60.0), (25.0, 60.0), (-45.0, 60.0), (-45.0, -60.0))
NS_ROAD_EAST_M = -110.0  # a straight north-south road across the whole tile
EW_ROAD_NORTH_M = -140.0  # a straight east-west road across the whole tile


Colour = tuple[int, int, int]
ROOF_COLOURS: list[tuple[int, ...]] = [(60, 60, 150), (120, 120, 125), (70, 95, 120), (150, 140, 130)]
SPECK_COLOURS: list[tuple[int, ...]] = [(170, 180, 185), (60, 200, 230), (200, 190, 230), (90, 110, 115)]


def _pick(rng: np.random.Generator, colours: list[tuple[int, ...]]) -> Colour:
    c = colours[int(rng.integers(len(colours)))]
    return int(c[0]), int(c[1]), int(c[2])


def _shade(colour: Colour, delta: int) -> Colour:
    r = tuple(min(255, max(0, c + delta)) for c in colour)
    return r[0], r[1], r[2]


@dataclass(frozen=True, eq=False)
class GroundTexture:
    """Pyramid of the texture (level 0 full resolution); ``size_m`` is the tile period.

    ``warp_sources[k]`` is what the renderer warps for level k: the small, far-away levels are
    stored as 3 x 3 tiles (a few MB) so their wide views rarely need OpenCV's slow wrap-around
    border path; ``margins_px[k]`` is where the central tile starts in that image.
    """

    levels: tuple[Image, ...]
    metres_per_px: float
    size_m: float
    warp_sources: tuple[Image, ...]
    margins_px: tuple[int, ...]

    def texture_to_world(self, level: int) -> F64:
        """3x3 map from pixel [col, row, 1] of ``warp_sources[level]`` to ground [north, east, 1]."""
        res = self.metres_per_px * (2**level)
        half = self.size_m / 2.0 + res * self.margins_px[level]
        return np.array([[0.0, -res, half], [res, 0.0, -half], [0.0, 0.0, 1.0]])


def _periodic_noise(rng: np.random.Generator, size_px: int, cell_px: float) -> F32:
    """Smooth noise (about unit variance) with features ~cell_px wide, periodic over size_px."""
    divisors = [n for n in range(2, size_px + 1) if size_px % n == 0]
    n = min(divisors, key=lambda d: abs(size_px / d - cell_px))
    pad = 3
    grid = np.pad(rng.standard_normal((n, n)).astype(np.float32), pad, mode="wrap")
    step = size_px // n
    up = cv2.resize(grid, ((n + 2 * pad) * step, (n + 2 * pad) * step), interpolation=cv2.INTER_CUBIC)
    off = pad * step
    result: F32 = np.ascontiguousarray(up[off:off + size_px, off:off + size_px])
    return result


class _Painter:
    """Draws world-metre shapes onto the texture image."""

    def __init__(self, image: Image, metres_per_px: float, size_m: float) -> None:
        self.image = image
        self.res = metres_per_px
        self.half = size_m / 2.0

    def px(self, north_m: float, east_m: float) -> tuple[int, int]:
        return round((east_m + self.half) / self.res), round((self.half - north_m) / self.res)

    def pts(self, points: list[tuple[float, float]]) -> npt.NDArray[np.int32]:
        return np.array([self.px(n, e) for n, e in points], dtype=np.int32)

    def length(self, metres: float) -> int:
        return max(1, round(metres / self.res))

    def polyline(self, points: list[tuple[float, float]], colour: Colour, width_m: float,
                 closed: bool = False) -> None:
        cv2.polylines(self.image, [self.pts(points)], closed, colour, self.length(width_m), cv2.LINE_AA)

    def polygon(self, points: list[tuple[float, float]], colour: Colour) -> None:
        cv2.fillPoly(self.image, [self.pts(points)], colour, cv2.LINE_AA)

    def disc(self, north_m: float, east_m: float, radius_m: float, colour: Colour) -> None:
        cv2.circle(self.image, self.px(north_m, east_m), self.length(radius_m), colour, -1, cv2.LINE_AA)


def _grass(rng: np.random.Generator, size_px: int, res: float) -> Image:
    low = _periodic_noise(rng, size_px, 25.0 / res)
    mid = _periodic_noise(rng, size_px, 3.0 / res)
    fine = _periodic_noise(rng, size_px, 0.4 / res)
    tone = np.clip(cv2.addWeighted(low, 0.22, mid, 0.12, 0.5), 0.0, 1.0)
    light = cv2.addWeighted(fine, 0.16, mid, 0.06, 1.0)
    tone_light = cv2.multiply(tone, light)
    dark, dry = (38, 92, 52), (70, 150, 140)  # BGR
    # channel = (dark + (dry - dark) * tone) * light, saturated to uint8 in one pass per channel
    channels = [cv2.addWeighted(light, d, tone_light, w - d, 0.0, dtype=cv2.CV_8U)
                for d, w in zip(dark, dry, strict=True)]
    out: Image = np.asarray(cv2.merge(channels), dtype=np.uint8)
    return out


def _fields(p: _Painter, rng: np.random.Generator) -> None:
    """Ploughed fields with crop rows and a few bare-earth patches, away from the roads."""
    for centre_n, centre_e in ((-100.0, 110.0), (110.0, -40.0), (-95.0, -30.0), (120.0, 120.0)):
        w, h = rng.uniform(40, 70), rng.uniform(30, 60)
        angle = rng.uniform(0, math.pi)
        ca, sa = math.cos(angle), math.sin(angle)
        corners = [(centre_n + ca * dx - sa * dy, centre_e + sa * dx + ca * dy)
                   for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2))]
        base = _pick(rng, [tuple(int(v) for v in rng.integers(40, 110, 3))])
        p.polygon(corners, (base[0] // 2 + 20, base[1], base[2] + 40))
        for k in np.arange(-w / 2 + 1.0, w / 2, 1.6):  # crop rows
            a = (centre_n + ca * k - sa * (-h / 2), centre_e + sa * k + ca * (-h / 2))
            b = (centre_n + ca * k - sa * (h / 2), centre_e + sa * k + ca * (h / 2))
            p.polyline([a, b], (base[0] // 3, base[1] // 2 + 20, base[2] // 2 + 30), 0.45)
    for _ in range(14):
        n, e = rng.uniform(-170, 170, 2)
        p.disc(float(n), float(e), float(rng.uniform(3, 9)), (60, 100, 120))


def _roads(p: _Painter, half: float) -> None:
    asphalt, line, kerb = (72, 74, 78), (225, 230, 230), (150, 155, 160)
    loop = [*LOOP_ROAD, LOOP_ROAD[0]]
    straight = [[(-half - 5, NS_ROAD_EAST_M), (half + 5, NS_ROAD_EAST_M)],
                [(EW_ROAD_NORTH_M, -half - 5), (EW_ROAD_NORTH_M, half + 5)]]
    for pts in [loop, *straight]:
        p.polyline(pts, kerb, ROAD_WIDTH_M + 0.6)
        p.polyline(pts, asphalt, ROAD_WIDTH_M)
        for (n0, e0), (n1, e1) in itertools.pairwise(pts):
            length = math.hypot(n1 - n0, e1 - e0)
            for s in np.arange(0.0, length - 3.0, 9.0):  # dashed centre line, 3 m dashes
                a, b = s / length, (s + 3.0) / length
                p.polyline([(n0 + (n1 - n0) * a, e0 + (e1 - e0) * a),
                            (n0 + (n1 - n0) * b, e0 + (e1 - e0) * b)], line, 0.15)
    # a gravel track and a crossing footpath for texture near the start
    p.polyline([(-45.0, 10.0), (-10.0, 25.0), (10.0, 20.0), (25.0, 30.0)], (110, 140, 160), 2.5)
    p.polyline([(60.0, -30.0), (40.0, -10.0), (45.0, 15.0), (70.0, 35.0)], (105, 135, 150), 1.6)


def _buildings(p: _Painter, rng: np.random.Generator) -> None:
    spots = ((40.0, -30.0), (45.0, 40.0), (-15.0, 80.0), (-65.0, -20.0), (-60.0, 35.0), (0.0, -85.0),
             (80.0, 75.0), (-120.0, 60.0))
    for n, e in spots:
        w, h = rng.uniform(8, 16), rng.uniform(6, 12)
        shadow = [(n - h / 2 - 1.5, e - w / 2 + 1.5), (n - h / 2 - 1.5, e + w / 2 + 1.5),
                  (n + h / 2 - 1.5, e + w / 2 + 1.5), (n + h / 2 - 1.5, e - w / 2 + 1.5)]
        p.polygon(shadow, (30, 45, 35))
        roof = _pick(rng, ROOF_COLOURS)
        corners = [(n - h / 2, e - w / 2), (n - h / 2, e + w / 2), (n + h / 2, e + w / 2),
                   (n + h / 2, e - w / 2)]
        p.polygon(corners, roof)
        p.polyline([(n, e - w / 2), (n, e + w / 2)], _shade(roof, -35), 0.3)


def _trees_and_bushes(p: _Painter, rng: np.random.Generator, half: float) -> None:
    road_clear = ROAD_WIDTH_M
    for _ in range(420):
        n, e = (float(v) for v in rng.uniform(-half + 6, half - 6, 2))
        outer = -45 - road_clear < n < 25 + road_clear and -60 - road_clear < e < 60 + road_clear
        inner = -45 + road_clear < n < 25 - road_clear and -60 + road_clear < e < 60 - road_clear
        on_loop = outer and not inner
        if on_loop or abs(e - NS_ROAD_EAST_M) < road_clear or abs(n - EW_ROAD_NORTH_M) < road_clear:
            continue
        if abs(n - 25.0) < 12 and abs(e) < 12:  # keep the demo target's surroundings open
            continue
        r = float(rng.uniform(0.6, 3.5))
        p.disc(n - r * 0.5, e + r * 0.5, r, (25, 40, 30))  # shadow, sun from the north-west
        green = (int(rng.integers(20, 45)), int(rng.integers(70, 110)), int(rng.integers(30, 60)))
        p.disc(n, e, r, green)
        p.disc(n + r * 0.25, e - r * 0.25, r * 0.45, _shade(green, 25))
    for _ in range(2500):  # small rocks and flowers: corners for trackers
        n, e = (float(v) for v in rng.uniform(-half, half, 2))
        p.disc(n, e, float(rng.uniform(0.12, 0.35)), _pick(rng, SPECK_COLOURS))


@functools.lru_cache(maxsize=4)
def ground_texture(seed: int = 0, size_m: float = 400.0, metres_per_px: float = 0.125,
                   levels: int = 5) -> GroundTexture:
    """Build (once per arguments) the texture pyramid; every array is read-only and shared."""
    rng = np.random.default_rng(seed)
    size_px = round(size_m / metres_per_px)
    image = _grass(rng, size_px, metres_per_px)
    painter = _Painter(image, metres_per_px, size_m)
    _fields(painter, rng)
    _roads(painter, size_m / 2.0)
    _buildings(painter, rng)
    _trees_and_bushes(painter, rng, size_m / 2.0)
    pyramid = [image]
    for _ in range(levels - 1):
        smaller = np.asarray(cv2.pyrDown(pyramid[-1]), dtype=np.uint8)
        pyramid.append(smaller)
    sources, margins = [], []
    for level in pyramid:
        tiled = level.shape[0] <= _TILE_LEVELS_UP_TO_PX
        sources.append(np.tile(level, (3, 3, 1)) if tiled else level)
        margins.append(level.shape[0] if tiled else 0)
    for image_ in (*pyramid, *sources):
        image_.flags.writeable = False
    return GroundTexture(tuple(pyramid), metres_per_px, size_m, tuple(sources), tuple(margins))
