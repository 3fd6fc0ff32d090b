"""Pinhole camera geometry: pixels to bearings and to points on flat ground.

The follower needs angles, not pixels: a yaw rate in rad/s wants the bearing of the target, and
"hold distance" wants where the ray through a pixel meets the ground. The model assumes a
gimbal-stabilised camera (``tilt_deg`` is measured from the horizon, independent of the vehicle's
roll and pitch), square pixels, no lens distortion, the principal point at the image centre and
flat ground at the vehicle's height above home. Those are the assumptions a small camera drone's
follow mode can check in the field; a calibrated model can replace this one behind the same methods.

Frames: image x right, y down; camera-level frame forward, right, down (the vehicle's heading
frame with roll and pitch removed). ``tilt_deg`` 0 looks at the horizon, 90 straight down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gcs.core.errors import ConfigError


@dataclass(frozen=True)
class GroundPoint:
    """Where a pixel's ray meets flat ground, in metres from the point below the camera."""

    forward_m: float
    right_m: float

    @property
    def distance_m(self) -> float:
        return math.hypot(self.forward_m, self.right_m)

    @property
    def bearing_rad(self) -> float:
        """Angle from the heading to the point, positive to the right (clockwise from above)."""
        return math.atan2(self.right_m, self.forward_m)


@dataclass(frozen=True)
class CameraModel:
    """Image size in pixels, horizontal field of view and downward tilt from the horizon, degrees."""

    width: int
    height: int
    hfov_deg: float
    tilt_deg: float = 0.0

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ConfigError(f"camera size must be positive, got {self.width}x{self.height}")
        if not 0.0 < self.hfov_deg < 180.0:
            raise ConfigError(f"horizontal field of view must be in (0, 180) degrees, got {self.hfov_deg}")
        if not -90.0 <= self.tilt_deg <= 90.0:
            raise ConfigError(f"tilt must be in [-90, 90] degrees, got {self.tilt_deg}")

    @property
    def fx(self) -> float:
        """Focal length in pixels, from the horizontal field of view."""
        return (self.width / 2.0) / math.tan(math.radians(self.hfov_deg) / 2.0)

    @property
    def fy(self) -> float:
        """Equal to ``fx``: square pixels."""
        return self.fx

    @property
    def cx(self) -> float:
        return self.width / 2.0

    @property
    def cy(self) -> float:
        return self.height / 2.0

    @property
    def vfov_deg(self) -> float:
        return math.degrees(2.0 * math.atan((self.height / 2.0) / self.fy))

    def scaled_to(self, width: int, height: int) -> CameraModel:
        """The same lens at another resolution (the tracker may run on a resized stream)."""
        return CameraModel(width, height, self.hfov_deg, self.tilt_deg)

    def pixel_to_angles(self, u: float, v: float) -> tuple[float, float]:
        """(azimuth, elevation) of a pixel from the optical axis, radians; +right, +down.

        Each angle is measured in its own image axis (atan of the offset over the focal length),
        which is what a pan and a tilt servo would have to turn to centre that pixel.
        """
        return (math.atan((u - self.cx) / self.fx), math.atan((v - self.cy) / self.fy))

    def normalised_to_pixel(self, error_x: float, error_y: float) -> tuple[float, float]:
        """A TrackedTarget's -1..1 error back to pixels of this camera."""
        return (self.cx + error_x * self.cx, self.cy + error_y * self.cy)

    def ray_level(self, u: float, v: float) -> tuple[float, float, float]:
        """Direction of the ray through (u, v) in the camera-level frame (forward, right, down).

        Not normalised: the camera-frame ray is (xn, yn, 1) with xn, yn the offsets over the
        focal length, then rotated down by the tilt about the right axis.
        """
        xn = (u - self.cx) / self.fx
        yn = (v - self.cy) / self.fy
        tilt = math.radians(self.tilt_deg)
        forward = math.cos(tilt) - yn * math.sin(tilt)
        down = math.sin(tilt) + yn * math.cos(tilt)
        return (forward, xn, down)

    def depression_rad(self, u: float, v: float) -> float:
        """Angle of the ray below the horizon (negative above it)."""
        forward, right, down = self.ray_level(u, v)
        return math.atan2(down, math.hypot(forward, right))

    def ground_point(self, u: float, v: float, height_m: float) -> GroundPoint | None:
        """Where the ray through (u, v) meets flat ground ``height_m`` below the camera.

        None when the ray points at or above the horizon, or the camera is not above the ground:
        there is no distance to hold then, and the caller must not invent one.
        """
        forward, right, down = self.ray_level(u, v)
        if height_m <= 0.0 or down <= 1e-6:
            return None
        scale = height_m / down
        return GroundPoint(forward * scale, right * scale)
