"""A virtual camera under the connected vehicle: renders the ground and moving targets it would see.

It closes the loop for demos and tests without hardware: the picture is drawn from the live
vehicle pose, so when the follower moves the (simulated) vehicle, the target really moves in
the image. Rendering is one perspective warp of a precomputed ground texture (a homography from
the ground plane to the image for the current pose) plus a few projected polygons for the
targets and a distance haze, which keeps a 640x480 frame at a few milliseconds on one core.

Everything is a pure function of (seed, pose, time): the same inputs give the same pixels and
the same ground-truth boxes (`targets_in_image`), which tests and a training-data generator use.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
from collections.abc import Callable
from typing import NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from gcs.core.models import VehicleState
from gcs.core.sim.scene_camera import CameraModel, CameraPose, View
from gcs.core.sim.scene_targets import (
    TargetBox,
    TargetState,
    default_targets,
    draw_shapes,
    shape_box,
    target_shapes,
    target_states,
)
from gcs.core.sim.scene_texture import GroundTexture, ground_texture

__all__ = ["CameraModel", "CameraPose", "RenderedFrame", "TargetBox", "VirtualCamera"]

log = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]
EARTH_RADIUS_M = 6378137.0
MIN_ALT_M = 0.5
DEFAULT_POSE = CameraPose(0.0, 0.0, 20.0, 0.0, 0.0, 0.0)  # before any vehicle is heard
SKY_BGR = np.array([228, 208, 192], np.float32)
FOG_START_M = 180.0
FOG_END_M = 650.0
TRUTH_MAX_FOG = 0.7  # a target hazier than this is not reported as visible
_FOG_STEP_PX = 8
_BANDS = 3  # horizontal bands, each warped from its own pyramid level


class RenderedFrame(NamedTuple):
    """A picture with the ground truth that belongs to exactly that picture."""

    image: Image
    targets: list[TargetBox]
    pose: CameraPose
    has_pose: bool


class VirtualCamera:
    """Renders what a tilted camera fixed under the vehicle sees; thread-safe, deterministic.

    ``pose_provider`` returns the vehicle's latest state (or None before a vehicle exists). It is
    called on the rendering thread, so it must be quick and must not raise; ``bus.latest`` fits.
    Positions are metres from the first pose with a position (flat earth), or from ``origin``.
    The camera is rigidly mounted (roll and pitch tilt the picture) unless ``gimbal`` is set, in
    which case it stays level like a stabilised gimbal (what gcs.core.follow.camera assumes).
    """

    def __init__(self, pose_provider: Callable[[], VehicleState | None], *, width: int = 640,
                 height: int = 480, fps: float = 30.0, hfov_deg: float = 70.0, tilt_deg: float = 45.0,
                 seed: int = 0, origin: tuple[float, float] | None = None, gimbal: bool = False,
                 ground_size_m: float = 400.0, ground_res_m: float = 0.125) -> None:
        if width < 16 or height < 16 or fps <= 0 or not 5.0 <= hfov_deg <= 160.0:
            raise ValueError(f"bad virtual camera geometry {width}x{height} fps {fps} hfov {hfov_deg}")
        self._provider = pose_provider
        self.gimbal = gimbal
        self.fps = float(fps)
        self.seed = seed
        self._model = CameraModel.from_fov(width, height, hfov_deg, tilt_deg)
        self._ground_args = (seed, ground_size_m, ground_res_m)
        self._texture_ready: GroundTexture | None = None  # built on first render, off the caller's thread
        self._targets = default_targets(seed)
        self._hidden: frozenset[str] = frozenset()
        self._origin = origin
        self._lock = threading.Lock()  # the origin
        self._texture_lock = threading.Lock()
        gu = (np.arange(math.ceil(width / _FOG_STEP_PX)) + 0.5) * _FOG_STEP_PX - 0.5
        gv = (np.arange(math.ceil(height / _FOG_STEP_PX)) + 0.5) * _FOG_STEP_PX - 0.5
        self._fog_grid: tuple[F64, F64] = np.meshgrid(gu, gv)
        self._sky = np.empty((height, width, 3), np.uint8)
        self._sky[:] = SKY_BGR.astype(np.uint8)

    # ---- public API ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Build the ground texture now (~0.5 s, once per seed) instead of on the first render."""
        _ = self._texture

    def camera_model(self) -> CameraModel:
        """Intrinsics and mount tilt, for the follower's pixel-to-angle maths."""
        return self._model

    def render(self, time_s: float) -> Image:
        """The picture at scene time ``time_s`` from the provider's current pose."""
        return self.capture(time_s).image

    def targets_in_image(self, time_s: float) -> list[TargetBox]:
        """Ground truth: (target_id, kind, (x, y, w, h)) of every visible target, nearest last."""
        return self.capture(time_s, draw=False).targets

    def capture(self, time_s: float, *, draw: bool = True) -> RenderedFrame:
        """Picture and truth from one pose reading (render + targets_in_image can see two poses)."""
        pose, has_pose = self.current_pose()
        return self.render_pose(pose, time_s, has_pose=has_pose, draw=draw)

    def target_states(self, time_s: float) -> list[TargetState]:
        """World positions (local metres) of every target at a time, visible or not."""
        return target_states(self._targets, time_s)

    def current_pose(self) -> tuple[CameraPose, bool]:
        """Local pose of the vehicle now, or the default pose and False when there is none."""
        state = self._provider()
        if not isinstance(state, VehicleState):
            return DEFAULT_POSE, False
        return self.pose_from_state(state), True

    def pose_from_state(self, state: VehicleState) -> CameraPose:
        """Flat-earth local pose; the first state with a position fix becomes the origin."""
        gp = state.global_position
        north = east = 0.0
        if (gp.lat_deg, gp.lon_deg) != (0.0, 0.0) or state.gps.fix_type >= 2:
            with self._lock:
                if self._origin is None:
                    self._origin = (gp.lat_deg, gp.lon_deg)
                    log.info("virtual camera origin at %.7f, %.7f", gp.lat_deg, gp.lon_deg)
                lat0, lon0 = self._origin
            north = math.radians(gp.lat_deg - lat0) * EARTH_RADIUS_M
            east = math.radians(gp.lon_deg - lon0) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
        att = state.attitude
        return CameraPose(north, east, max(gp.alt_rel_m, MIN_ALT_M), att.roll_rad, att.pitch_rad, att.yaw_rad)

    def hide(self, *target_ids: str) -> None:
        """Take targets out of the picture (as if under a bridge): tests and demos of target loss."""
        self._hidden = self._hidden | frozenset(target_ids)

    def show(self, *target_ids: str) -> None:
        """Bring hidden targets back (all of them when none is named)."""
        self._hidden = self._hidden - frozenset(target_ids) if target_ids else frozenset()

    @property
    def target_ids(self) -> tuple[str, ...]:
        return tuple(t.target_id for t in self._targets)

    def reset_origin(self, origin: tuple[float, float] | None = None) -> None:
        """Forget the origin (the next pose becomes it) or set one explicitly."""
        with self._lock:
            self._origin = origin

    # ---- rendering ----------------------------------------------------------------------------

    @property
    def _texture(self) -> GroundTexture:
        if self._texture_ready is None:
            with self._texture_lock:
                if self._texture_ready is None:
                    self._texture_ready = ground_texture(*self._ground_args)
        return self._texture_ready

    def render_pose(self, pose: CameraPose, time_s: float, *, has_pose: bool = True,
                    draw: bool = True) -> RenderedFrame:
        """Render from an explicit local pose (no provider involved)."""
        roll, pitch = (0.0, 0.0) if self.gimbal else (pose.roll_rad, pose.pitch_rad)
        pose = CameraPose(pose.north_m, pose.east_m, max(pose.alt_m, MIN_ALT_M), roll, pitch, pose.yaw_rad)
        view = View(self._model, pose)
        hidden = self._hidden
        shapes = [s for s in target_shapes(view, self._targets, time_s) if s.target.target_id not in hidden]
        w, h = self._model.width, self._model.height
        truth = []
        for shape in shapes:
            box = shape_box(shape, w, h)
            if box is not None and self._fog_at(shape.depth_m) <= TRUTH_MAX_FOG:
                truth.append(TargetBox(shape.target.target_id, shape.target.kind, box))
        if not draw:
            return RenderedFrame(np.zeros((0, 0, 3), np.uint8), truth, pose, has_pose)
        fog = self._fog(view)
        image = self._ground(view, fog)
        draw_shapes(image, shapes)
        if fog is not None:
            image = np.asarray(cv2.blendLinear(image, self._sky, 1.0 - fog, fog), dtype=np.uint8)
        if not has_pose:
            _banner(image, "NO VEHICLE POSE")
        return RenderedFrame(image, truth, pose, has_pose)

    def _fog(self, view: View) -> npt.NDArray[np.float32] | None:
        """Per-pixel haze weight (0 clear .. 1 sky), or None when nothing in view is hazy."""
        coarse = view.ground_distance(*self._fog_grid)
        fog_coarse = np.clip((coarse - FOG_START_M) / (FOG_END_M - FOG_START_M), 0.0, 1.0)
        if not fog_coarse.any():
            return None
        fog = cv2.resize(fog_coarse.astype(np.float32), (self._model.width, self._model.height),
                         interpolation=cv2.INTER_LINEAR)
        return np.asarray(fog, dtype=np.float32)

    def _ground(self, view: View, fog: npt.NDArray[np.float32] | None) -> Image:
        """Warp the texture into the image; rows lost in the haze are not warped at all."""
        w, h = view.model.width, view.model.height
        top = 0
        if fog is not None:
            clear_rows = np.flatnonzero(fog.min(axis=1) < 1.0)
            top = int(clear_rows[0]) if len(clear_rows) else h
        image = np.empty((h, w, 3), np.uint8)
        image[:top] = self._sky[:top]
        if top >= h:
            return image
        # Mip-mapping by bands: far rows come from coarser pyramid levels (less aliasing, and a
        # minifying warp from a smaller image touches far less memory).
        bands = _BANDS if h - top >= 120 else 1
        edges = np.linspace(top, h, bands + 1).round().astype(int)
        for r0, r1 in itertools.pairwise(edges):
            self._warp_band(view, image, int(r0), int(r1))
        return image

    def _warp_band(self, view: View, image: Image, r0: int, r1: int) -> None:
        tex, model = self._texture, view.model
        distance = float(view.ground_distance(np.array([model.cx]), np.array([r0 + (r1 - r0) / 3.0]))[0])
        distance = min(distance, FOG_END_M)
        gsd = distance / model.fx
        level = int(np.clip(round(math.log2(max(gsd / tex.metres_per_px, 1e-6))), 0, len(tex.levels) - 1))
        # The texture tiles: shift the camera by whole tiles so the ground this band shows is near
        # the tile centre (few pixels take the slow wrap-around path, numbers stay small).
        look = view.ground_point(model.cx, (r0 + r1) / 2.0, min(distance, tex.size_m / 3.0))
        period = tex.size_m
        n = view.pose.north_m - period * round(look[0] / period)
        e = view.pose.east_m - period * round(look[1] / period)
        shift = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, -float(r0)], [0.0, 0.0, 1.0]])
        homography = shift @ view.ground_homography(n, e) @ tex.texture_to_world(level)
        cv2.warpPerspective(tex.warp_sources[level], homography, (model.width, r1 - r0), dst=image[r0:r1],
                            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)

    @staticmethod
    def _fog_at(distance_m: float) -> float:
        return float(np.clip((distance_m - FOG_START_M) / (FOG_END_M - FOG_START_M), 0.0, 1.0))


def _banner(image: Image, text: str) -> None:
    font, scale, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.9, 2
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    org = ((image.shape[1] - tw) // 2, th + 16)
    cv2.putText(image, text, org, font, scale, (0, 0, 0), thick + 3, cv2.LINE_AA)
    cv2.putText(image, text, org, font, scale, (0, 0, 255), thick, cv2.LINE_AA)
