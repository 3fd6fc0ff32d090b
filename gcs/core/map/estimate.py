"""Where the tracked target is on the ground: the box's ray from the camera's pose, met with flat ground.

One function for every camera. The camera's pose is the vehicle's attitude (ZYX Euler: yaw, pitch,
roll, as ATTITUDE reports it) and the mount: ``tilt_deg`` below the vehicle's horizontal plane
along its nose, either stabilised (a gimbal keeps it level: only the heading turns it) or hard
mounted (the vehicle's roll and pitch tilt it too). Conventions are the virtual camera's
(``gcs.core.sim.scene_camera``): pinhole, square pixels, principal point at the image centre, image
x right and y down, world north-east-down. The virtual camera is built from the same mount, so a
test can hold the estimate against the scene's true car positions; a real camera needs only its
field of view, tilt and whether it is stabilised (config ``video.camera_*``).

The ground is flat at home altitude: the camera is ``alt_rel_m`` (GLOBAL_POSITION_INT's height
above home) above it. That is what a small camera drone can know without a terrain model; on a
slope the estimate slides along the ray, so the error grows with the slant range, which is why
the bound is stated as a share of it.

The point used is the box centre: the ray through it meets the ground a little beyond the object's
own centre (by half its height over the tangent of the ray's depression: ~0.75 m for a car seen
45° down), a bias smaller than a tracker's box jitter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gcs.core.map.geo import offset
from gcs.core.models import VehicleState

MAX_RANGE_M = 2000.0  # rays that meet the ground further than this are near the horizon: no estimate
MIN_HEIGHT_M = 0.5


@dataclass(frozen=True)
class CameraMount:
    """The lens and how it sits on the vehicle: what the estimate needs of a camera."""

    width: int
    height: int
    hfov_deg: float
    tilt_deg: float  # optical axis below the vehicle's horizontal plane (90 = straight down)
    stabilised: bool = True  # on a gimbal that removes roll and pitch

    @property
    def fx(self) -> float:
        return (self.width / 2.0) / math.tan(math.radians(self.hfov_deg) / 2.0)


@dataclass(frozen=True)
class GroundEstimate:
    """The target's estimated ground position and the geometry behind it."""

    lat_deg: float
    lon_deg: float
    north_m: float  # from the point below the camera
    east_m: float
    ground_range_m: float
    slant_range_m: float  # camera to the estimated point: what the error bound is a share of
    bearing_deg: float  # from the vehicle, clockwise from north


def _rotate_world_from_body(vec: tuple[float, float, float], roll: float, pitch: float,
                            yaw: float) -> tuple[float, float, float]:
    """R = Rz(yaw) Ry(pitch) Rx(roll) applied to a body-frame vector (forward, right, down)."""
    x, y, z = vec
    cr, sr = math.cos(roll), math.sin(roll)
    y, z = cr * y - sr * z, sr * y + cr * z
    cp, sp = math.cos(pitch), math.sin(pitch)
    x, z = cp * x + sp * z, -sp * x + cp * z
    cy, sy = math.cos(yaw), math.sin(yaw)
    return cy * x - sy * y, sy * x + cy * y, z


def pixel_ray_ned(mount: CameraMount, u: float, v: float, roll: float, pitch: float,
                  yaw: float) -> tuple[float, float, float]:
    """World (north, east, down) direction of the ray through pixel (u, v); not normalised."""
    f = mount.fx
    xn, yn = (u - mount.width / 2.0) / f, (v - mount.height / 2.0) / f
    t = math.radians(mount.tilt_deg)
    c, s = math.cos(t), math.sin(t)
    # camera (right=xn, down=yn, axis=1) in body axes: right -> body y; image down and the
    # optical axis are the body's forward/down pair turned down by the tilt.
    body = (c - s * yn, xn, s + c * yn)
    if mount.stabilised:
        roll = pitch = 0.0
    return _rotate_world_from_body(body, roll, pitch, yaw)


def estimate_ground(mount: CameraMount, u: float, v: float, state: VehicleState,
                    max_range_m: float = MAX_RANGE_M) -> GroundEstimate | None:
    """The ground point seen at pixel (u, v) of ``mount`` from ``state``'s pose, or None when the
    ray does not meet the ground within ``max_range_m`` (at or above the horizon, camera on the ground)."""
    height = state.global_position.alt_rel_m
    if height < MIN_HEIGHT_M:
        return None
    att = state.attitude
    rn, re, rd = pixel_ray_ned(mount, u, v, att.roll_rad, att.pitch_rad, att.yaw_rad)
    if rd <= 1e-9:
        return None
    scale = height / rd
    north, east = rn * scale, re * scale
    ground = math.hypot(north, east)
    if ground > max_range_m:
        return None
    gp = state.global_position
    point = offset(gp.lat_deg, gp.lon_deg, north, east)
    return GroundEstimate(point.lat_deg, point.lon_deg, north, east, ground, math.hypot(ground, height),
                          math.degrees(math.atan2(east, north)) % 360.0)
