"""Pinhole camera fixed under a vehicle, tilted down: the projection math of the virtual camera.

World frame is local NED in metres (x north, y east, z down), ground at z = 0. The camera looks
along the vehicle's nose, pitched down by ``tilt_deg``; it is rigidly mounted (no gimbal), so the
vehicle's roll and pitch tilt the picture just as on a real airframe. Image axes follow OpenCV:
x right, y down, principal point at the image centre, square pixels.

The follower uses `CameraModel` to turn a pixel error into angles, so it lives apart from the
renderer and depends on nothing but numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
MIN_DEPTH_M = 0.2  # points closer to (or behind) the lens than this are not drawn


@dataclass(frozen=True)
class CameraModel:
    """Intrinsics plus the fixed mount tilt; what a follower needs to turn pixels into angles."""

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    tilt_deg: float  # optical axis below the vehicle's horizontal plane
    hfov_deg: float
    vfov_deg: float

    @classmethod
    def from_fov(cls, width: int, height: int, hfov_deg: float, tilt_deg: float) -> CameraModel:
        fx = (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
        vfov = 2.0 * math.degrees(math.atan((height / 2.0) / fx))
        return cls(width, height, fx, fx, width / 2.0, height / 2.0, tilt_deg, hfov_deg, vfov)

    def k_matrix(self) -> F64:
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def pixel_to_angles(self, x: float, y: float) -> tuple[float, float]:
        """Angles (rad) of a pixel off the optical axis: right positive, down positive."""
        return math.atan2(x - self.cx, self.fx), math.atan2(y - self.cy, self.fy)


@dataclass(frozen=True)
class CameraPose:
    """Where the vehicle is, in the local frame, and how it is oriented (ZYX Euler, rad)."""

    north_m: float = 0.0
    east_m: float = 0.0
    alt_m: float = 20.0  # above the ground plane
    roll_rad: float = 0.0
    pitch_rad: float = 0.0
    yaw_rad: float = 0.0


def _rotation_world_from_body(roll: float, pitch: float, yaw: float) -> F64:
    cr, sr, cp, sp, cy, sy = (math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch),
                              math.cos(yaw), math.sin(yaw))
    rz = np.array([[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]])
    ry = np.array([[cp, 0.0, sp], [0.0, 1.0, 0.0], [-sp, 0.0, cp]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cr, -sr], [0.0, sr, cr]])
    result: F64 = rz @ ry @ rx
    return result


def _rotation_body_from_camera(tilt_rad: float) -> F64:
    # Columns: camera x (right), y (image down), z (optical axis) in body forward-right-down.
    c, s = math.cos(tilt_rad), math.sin(tilt_rad)
    return np.array([[0.0, -s, c], [1.0, 0.0, 0.0], [0.0, c, s]])


class View:
    """One camera pose with one model: projects world points and the ground plane into the image."""

    def __init__(self, model: CameraModel, pose: CameraPose) -> None:
        self.model = model
        self.pose = pose
        r_wc = _rotation_world_from_body(pose.roll_rad, pose.pitch_rad, pose.yaw_rad) @ \
            _rotation_body_from_camera(math.radians(model.tilt_deg))
        self.r_cw: F64 = r_wc.T
        self.r_wc: F64 = r_wc
        self.centre: F64 = np.array([pose.north_m, pose.east_m, -pose.alt_m])
        self.k: F64 = model.k_matrix()
        self.k_inv: F64 = np.asarray(np.linalg.inv(self.k), dtype=np.float64)

    def to_camera(self, points: F64) -> F64:
        """World points (N x 3) in camera coordinates (N x 3; z is depth along the axis)."""
        result: F64 = (points - self.centre) @ self.r_cw.T
        return result

    def project(self, points: F64) -> tuple[F64, F64]:
        """Pixel coordinates (N x 2) and depths (N) of world points; check depth before use."""
        cam = self.to_camera(points)
        depth = cam[:, 2]
        safe = np.where(depth > 1e-6, depth, 1e-6)
        px = np.empty((len(points), 2))
        px[:, 0] = self.model.fx * cam[:, 0] / safe + self.model.cx
        px[:, 1] = self.model.fy * cam[:, 1] / safe + self.model.cy
        return px, depth

    def ground_homography(self, north_m: float | None = None, east_m: float | None = None) -> F64:
        """3x3 map from ground-plane [north, east, 1] to homogeneous pixels.

        The camera position may be overridden (the renderer shifts it by whole texture tiles so
        texture coordinates stay small).
        """
        n = self.pose.north_m if north_m is None else north_m
        e = self.pose.east_m if east_m is None else east_m
        translate = np.array([[1.0, 0.0, -n], [0.0, 1.0, -e], [0.0, 0.0, self.pose.alt_m]])
        result: F64 = self.k @ self.r_cw @ translate
        return result

    def ray_directions(self, us: F64, vs: F64) -> F64:
        """World-frame ray directions (... x 3, not normalised) through pixel grids ``us``, ``vs``."""
        pix = np.stack([us, vs, np.ones_like(us)], axis=-1)
        result: F64 = pix @ (self.r_wc @ self.k_inv).T
        return result

    def ground_distance(self, us: F64, vs: F64) -> F64:
        """Distance (m) from the lens to the ground along each pixel's ray; inf above the horizon."""
        rays = self.ray_directions(us, vs)
        down = rays[..., 2]
        norm = np.linalg.norm(rays, axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            dist = np.where(down > 1e-9, self.pose.alt_m * norm / down, np.inf)
        result: F64 = dist
        return result

    def ground_point(self, u: float, v: float, max_distance_m: float) -> tuple[float, float]:
        """(north, east) where a pixel's ray meets the ground, at most ``max_distance_m`` away
        horizontally (rays at or above the horizon give the point that far along their bearing)."""
        ray = self.ray_directions(np.array([u]), np.array([v]))[0]
        horiz = math.hypot(ray[0], ray[1])
        reach = self.pose.alt_m * horiz / ray[2] if ray[2] > 1e-9 else math.inf
        if horiz < 1e-9:
            return self.pose.north_m, self.pose.east_m
        reach = min(reach, max_distance_m)
        return self.pose.north_m + ray[0] / horiz * reach, self.pose.east_m + ray[1] / horiz * reach

    def optical_axis_ground_distance(self) -> float:
        """Distance to where the optical axis meets the ground (inf if it does not)."""
        d = self.ground_distance(np.array([self.model.cx]), np.array([self.model.cy]))
        return float(d[0])
