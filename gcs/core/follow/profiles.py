"""Follow profiles: pure functions from a tracked target to a body-frame velocity intent.

Each profile is ``(target, state, camera, params, now_s) -> CommandIntent | None`` with no state
of its own, so it can be unit-tested with numbers worked out by hand and replayed from a log.
None means "nothing to command" (no locked target); the safety gate decides what that implies.
Every profile returns an intent in the vehicle's heading frame (VelocityBodyYawRate); limits here
are the profile's own comfort limits, the hard limits are the safety gate's.

Sign conventions: yaw rate positive turns right (clockwise seen from above, NED), forward
positive ahead, right positive to the right, down positive descends. Dead zones subtract from
the error (the output is continuous), so a target near the centre gives exactly zero and a
target just outside gives a small command rather than a jump.

* chase: yaw at ``gain_yaw`` x the target's bearing to centre it; forward at ``gain_forward`` x
  the relative size error ``(target_size_frac - size) / target_size_frac`` so a small (far)
  target is approached and a large (near) one backed away from; a small lateral term
  (``gain_lateral`` x error_x) helps centring; vertical (``gain_vertical`` x error_y) is off by
  default because altitude is usually the pilot's choice.
* yaw_only: only the yaw term of chase; the vehicle turns on the spot to keep the target centred.
* hold_distance: the ray through the bottom-centre of the box (where the target meets the ground)
  is intersected with flat ground at the vehicle's height above home, giving the ground distance
  and bearing; forward at ``gain_forward`` x ``(distance - hold_distance_m) / hold_distance_m``
  and yaw at ``gain_yaw`` x the ground bearing. When the ray misses the ground (camera at or
  above the horizon, vehicle not above home) it degrades to yaw_only rather than guess a distance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from gcs.core.errors import ConfigError
from gcs.core.follow.camera import CameraModel
from gcs.core.follow.errors import FollowError
from gcs.core.models import CommandIntent, VehicleState, VelocityBodyYawRate
from gcs.core.tracking.types import TrackedTarget


@dataclass(frozen=True)
class FollowParams:
    """Gains, dead zones and comfort limits of the profiles (the config's ``follow`` section).

    gain_yaw: (rad/s) per rad of bearing error. gain_forward: (m/s) per unit relative size or
    distance error. gain_lateral / gain_vertical: (m/s) per unit normalised image error.
    dead_zone: normalised image error treated as centred. size_dead_zone: relative size or
    distance error treated as right.
    """

    max_forward_mps: float = 3.0
    max_lateral_mps: float = 1.0
    max_vertical_mps: float = 0.5
    max_yaw_rate_dps: float = 45.0
    gain_yaw: float = 1.5
    gain_forward: float = 2.0
    target_size_frac: float = 0.25
    hold_distance_m: float = 10.0
    gain_lateral: float = 0.3
    gain_vertical: float = 0.0
    dead_zone: float = 0.03
    size_dead_zone: float = 0.05
    intent_lifetime_s: float = 0.5
    gain_integral: float = 0.0  # 1/s; applied by the follow loop, which holds the integrator state

    def __post_init__(self) -> None:
        for name in ("max_forward_mps", "max_lateral_mps", "max_vertical_mps", "max_yaw_rate_dps",
                     "gain_yaw", "gain_forward", "gain_lateral", "gain_vertical", "dead_zone", "gain_integral",
                     "size_dead_zone"):  # fmt: skip
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"follow.{name} must be a finite number >= 0, got {value}")
        if not 0.0 < self.target_size_frac <= 1.0:
            raise ConfigError(f"follow.target_size_frac must be in (0, 1], got {self.target_size_frac}")
        if not self.hold_distance_m > 0.0:
            raise ConfigError(f"follow.hold_distance_m must be > 0, got {self.hold_distance_m}")
        if not self.intent_lifetime_s > 0.0:
            raise ConfigError(f"follow.intent_lifetime_s must be > 0, got {self.intent_lifetime_s}")


class Profile(Protocol):
    """The shape of every profile; see the module docstring."""

    def __call__(
        self,
        target: TrackedTarget,
        state: VehicleState,
        camera: CameraModel,
        params: FollowParams,
        now_s: float,
    ) -> CommandIntent | None: ...


def _dead(value: float, zone: float) -> float:
    """``value`` moved towards zero by ``zone``; zero inside it."""
    return math.copysign(max(abs(value) - zone, 0.0), value)


def _clamp(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))


def _target_pixel(target: TrackedTarget, camera: CameraModel, *, bottom: bool) -> tuple[float, float] | None:
    """The box centre (or bottom-centre) in the camera model's pixels, whatever size the tracker ran at."""
    box = target.box
    if box is None or target.frame_w <= 0 or target.frame_h <= 0:
        return None
    cx, cy = box.centre
    v = box.y + box.h if bottom else cy
    return (cx * camera.width / target.frame_w, v * camera.height / target.frame_h)


def _yaw_rate(bearing_rad: float, camera: CameraModel, params: FollowParams) -> float:
    zone_rad = math.atan(params.dead_zone * camera.cx / camera.fx)
    return _clamp(params.gain_yaw * _dead(bearing_rad, zone_rad), math.radians(params.max_yaw_rate_dps))


def _intent(name: str, velocity: VelocityBodyYawRate, params: FollowParams, now_s: float) -> CommandIntent:
    return CommandIntent(velocity, now_s, f"follow:{name}", params.intent_lifetime_s)


def chase(
    target: TrackedTarget, state: VehicleState, camera: CameraModel, params: FollowParams, now_s: float
) -> CommandIntent | None:
    """Centre the target with yaw (and a little lateral), close in or back off to hold its size."""
    pixel = _target_pixel(target, camera, bottom=False)
    ex, ey, size = target.error_x, target.error_y, target.size_frac
    if not target.is_locked or pixel is None or ex is None or ey is None or size is None:
        return None
    azimuth, _ = camera.pixel_to_angles(*pixel)
    size_error = (params.target_size_frac - size) / params.target_size_frac
    velocity = VelocityBodyYawRate(
        forward_mps=_clamp(params.gain_forward * _dead(size_error, params.size_dead_zone), params.max_forward_mps),
        right_mps=_clamp(params.gain_lateral * _dead(ex, params.dead_zone), params.max_lateral_mps),
        down_mps=_clamp(params.gain_vertical * _dead(ey, params.dead_zone), params.max_vertical_mps),
        yaw_rate_radps=_yaw_rate(azimuth, camera, params),
    )
    return _intent("chase", velocity, params, now_s)


def yaw_only(
    target: TrackedTarget, state: VehicleState, camera: CameraModel, params: FollowParams, now_s: float
) -> CommandIntent | None:
    """Turn on the spot to keep the target centred; never translates."""
    pixel = _target_pixel(target, camera, bottom=False)
    if not target.is_locked or pixel is None:
        return None
    azimuth, _ = camera.pixel_to_angles(*pixel)
    velocity = VelocityBodyYawRate(yaw_rate_radps=_yaw_rate(azimuth, camera, params))
    return _intent("yaw_only", velocity, params, now_s)


def hold_distance(
    target: TrackedTarget, state: VehicleState, camera: CameraModel, params: FollowParams, now_s: float
) -> CommandIntent | None:
    """Keep ``hold_distance_m`` of ground distance to the target, facing it (flat-ground geometry)."""
    foot = _target_pixel(target, camera, bottom=True)
    centre = _target_pixel(target, camera, bottom=False)
    if not target.is_locked or foot is None or centre is None:
        return None
    ground = camera.ground_point(foot[0], foot[1], state.global_position.alt_rel_m)
    if ground is None:  # no ground under the ray: turn only, never invent a distance
        azimuth, _ = camera.pixel_to_angles(*centre)
        velocity = VelocityBodyYawRate(yaw_rate_radps=_yaw_rate(azimuth, camera, params))
        return _intent("hold_distance", velocity, params, now_s)
    distance_error = (ground.distance_m - params.hold_distance_m) / params.hold_distance_m
    velocity = VelocityBodyYawRate(
        forward_mps=_clamp(params.gain_forward * _dead(distance_error, params.size_dead_zone), params.max_forward_mps),
        yaw_rate_radps=_yaw_rate(ground.bearing_rad, camera, params),
    )
    return _intent("hold_distance", velocity, params, now_s)


@dataclass(frozen=True)
class ProfileSpec:
    """A profile as the faces list it."""

    name: str
    description: str
    fn: Profile


PROFILES: Mapping[str, ProfileSpec] = MappingProxyType(
    {
        "chase": ProfileSpec(
            "chase",
            "Turn to centre the target and fly forward or back to keep its size in the image at "
            "target_size_frac; small lateral correction, vertical off unless gain_vertical > 0.",
            chase,
        ),
        "yaw_only": ProfileSpec(
            "yaw_only",
            "Turn on the spot to keep the target centred; the vehicle never moves.",
            yaw_only,
        ),
        "hold_distance": ProfileSpec(
            "hold_distance",
            "Keep hold_distance_m of ground distance to the target, computed from the camera tilt, "
            "the pixel's angle and the height above home (flat ground); turns to face it.",
            hold_distance,
        ),
    }
)


def get_profile(name: str) -> ProfileSpec:
    """The profile called ``name``; FollowError listing the known ones otherwise."""
    spec = PROFILES.get(name.strip().lower())
    if spec is None:
        raise FollowError(f"unknown follow profile {name!r}; known: {', '.join(PROFILES)}")
    return spec


def profile_names() -> tuple[str, ...]:
    return tuple(PROFILES)
