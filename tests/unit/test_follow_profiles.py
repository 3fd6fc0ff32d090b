"""Follow profiles and camera geometry, checked against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from gcs.core.errors import ConfigError
from gcs.core.follow.camera import CameraModel
from gcs.core.follow.errors import FollowError
from gcs.core.follow.profiles import (
    PROFILES,
    FollowParams,
    Profile,
    chase,
    get_profile,
    hold_distance,
    profile_names,
    yaw_only,
)
from gcs.core.models import GlobalPosition, VehicleState, VelocityBodyYawRate
from gcs.core.tracking.types import BBox, TrackedTarget, TrackState

CAM = CameraModel(640, 480, hfov_deg=90.0, tilt_deg=0.0)  # fx = 320 / tan(45 deg) = 320
FRAME_DIAG = math.sqrt(640 * 480)  # size_frac = side / 554.26 for a square box
STATE = VehicleState(system_id=1, armed=True, global_position=GlobalPosition(alt_rel_m=10.0))
P = FollowParams()


def target(cx: float, cy: float, side: float, state: TrackState = TrackState.LOCKED) -> TrackedTarget:
    box = BBox(cx - side / 2, cy - side / 2, side, side) if state is TrackState.LOCKED else None
    return TrackedTarget(box, state, 0.9, 3, 1.0, 640, 480, "CSRT")


def velocity(
    t: TrackedTarget, fn: Profile = chase, params: FollowParams = P, camera: CameraModel = CAM
) -> VelocityBodyYawRate:
    intent = fn(t, STATE, camera, params, 12.5)
    assert intent is not None
    assert isinstance(intent.velocity, VelocityBodyYawRate)
    return intent.velocity


RIGHT_SIZE = P.target_size_frac * FRAME_DIAG  # 138.6 px


def test_camera_intrinsics_and_angles() -> None:
    assert CAM.fx == pytest.approx(320.0) and CAM.fy == CAM.fx
    assert CAM.vfov_deg == pytest.approx(math.degrees(2 * math.atan(240 / 320)))  # 73.74
    az, el = CAM.pixel_to_angles(640, 0)
    assert az == pytest.approx(math.radians(45)) and el == pytest.approx(-math.atan(240 / 320))
    assert CAM.normalised_to_pixel(0.5, -0.5) == (480, 120)
    with pytest.raises(ConfigError):
        CameraModel(640, 480, hfov_deg=180.0)


def test_target_right_of_centre_turns_right_and_left_turns_left() -> None:
    right = velocity(target(480, 240, RIGHT_SIZE))
    # bearing atan(160/320) = 0.4636 rad; dead zone atan(0.03) = 0.0300 rad; gain 1.5
    assert right.yaw_rate_radps == pytest.approx(1.5 * (math.atan(0.5) - math.atan(0.03)))
    assert right.yaw_rate_radps > 0 and right.right_mps > 0
    left = velocity(target(160, 240, RIGHT_SIZE))
    assert left.yaw_rate_radps == pytest.approx(-right.yaw_rate_radps)
    assert left.right_mps == pytest.approx(-right.right_mps)


def test_too_small_goes_forward_too_big_backs_off() -> None:
    small = velocity(target(320, 240, 0.1 * FRAME_DIAG))
    # size error (0.25 - 0.1) / 0.25 = 0.6, minus the 0.05 dead zone, x gain 2
    assert small.forward_mps == pytest.approx(2 * 0.55)
    big = velocity(target(320, 240, 0.5 * FRAME_DIAG))
    assert big.forward_mps == pytest.approx(2 * -0.95)
    huge = velocity(target(320, 240, 0.9 * FRAME_DIAG))
    assert huge.forward_mps == -P.max_forward_mps  # the profile's own comfort limit


def test_centred_and_right_size_gives_zero() -> None:
    v = velocity(target(320, 240, RIGHT_SIZE))
    assert v == VelocityBodyYawRate(0.0, 0.0, 0.0, 0.0)
    nearly = velocity(target(325, 243, RIGHT_SIZE * 1.02))  # inside every dead zone
    assert nearly == VelocityBodyYawRate(0.0, 0.0, 0.0, 0.0)


def test_vertical_is_off_by_default_and_limited_when_on() -> None:
    low = target(320, 420, RIGHT_SIZE)  # error_y = 0.75: target below centre
    assert velocity(low).down_mps == 0.0
    v = velocity(low, params=FollowParams(gain_vertical=2.0, max_vertical_mps=0.5))
    assert v.down_mps == 0.5  # 2 x (0.75 - 0.03) = 1.44, limited to 0.5; positive = descend


def test_yaw_only_never_translates() -> None:
    for cx, cy, side in [(600, 50, 20), (20, 460, 400), (320, 240, 10), (500, 240, RIGHT_SIZE)]:
        t = target(cx, cy, side)
        v = velocity(t, fn=yaw_only)
        assert (v.forward_mps, v.right_mps, v.down_mps) == (0.0, 0.0, 0.0)
        assert v.yaw_rate_radps == velocity(t).yaw_rate_radps  # the same yaw law as chase


def test_no_locked_target_no_command() -> None:
    for spec in PROFILES.values():
        for state in (TrackState.SEARCHING, TrackState.LOST, TrackState.IDLE):
            assert spec.fn(target(320, 240, 50, state), STATE, CAM, P, 0.0) is None


def test_intent_is_stamped_with_source_time_and_lifetime() -> None:
    intent = chase(target(400, 240, 60), STATE, CAM, P, 12.5)
    assert intent is not None
    assert (intent.source, intent.created_s, intent.lifetime_s) == ("follow:chase", 12.5, 0.5)


# ---- hold_distance: camera tilted 45 deg down, 10 m above ground, fx = 320 -----------------------

TILTED = CameraModel(640, 480, hfov_deg=90.0, tilt_deg=45.0)
HOLD = FollowParams(gain_forward=1.0, gain_yaw=1.0, dead_zone=0.0, size_dead_zone=0.0, max_yaw_rate_dps=90.0)


def foot_at(u: float, v: float) -> TrackedTarget:
    """A 40 px box whose bottom-centre (where it stands on the ground) is at (u, v)."""
    return TrackedTarget(BBox(u - 20, v - 40, 40, 40), TrackState.LOCKED, 0.9, 3, 1.0, 640, 480, "CSRT")


def test_hold_distance_at_the_image_centre_is_altitude_over_tan_tilt() -> None:
    # ray 45 deg below the horizon from 10 m: ground distance 10 / tan(45) = 10 m = hold distance
    point = TILTED.ground_point(320, 240, 10.0)
    assert point is not None and point.distance_m == pytest.approx(10.0) and point.right_m == pytest.approx(0)
    v = velocity(foot_at(320, 240), fn=hold_distance, params=HOLD, camera=TILTED)
    assert v.forward_mps == pytest.approx(0.0, abs=1e-9) and v.yaw_rate_radps == pytest.approx(0.0, abs=1e-9)


def test_hold_distance_above_centre_is_further_away() -> None:
    # 85.74 px above centre = 15 deg up: ray 30 deg below the horizon -> 10 / tan(30) = 17.32 m
    v_px = 240 - 320 * math.tan(math.radians(15))
    assert TILTED.depression_rad(320, v_px) == pytest.approx(math.radians(30))
    v = velocity(foot_at(320, v_px), fn=hold_distance, params=HOLD, camera=TILTED)
    assert v.forward_mps == pytest.approx((10 / math.tan(math.radians(30)) - 10) / 10)  # 0.732
    assert v.right_mps == 0.0 and v.down_mps == 0.0


def test_hold_distance_at_the_right_edge_turns_by_the_ground_bearing() -> None:
    # u = 640: camera ray (1, 0, 1) -> level (cos45, 1, sin45); scale 10 / sin45 = 14.14:
    # forward 10 m, right 14.14 m, distance sqrt(300) = 17.32 m, bearing atan(sqrt 2) = 54.7 deg
    point = TILTED.ground_point(640, 240, 10.0)
    assert point is not None
    assert point.forward_m == pytest.approx(10.0) and point.right_m == pytest.approx(10 * math.sqrt(2))
    v = velocity(foot_at(640, 240), fn=hold_distance, params=HOLD, camera=TILTED)
    assert v.yaw_rate_radps == pytest.approx(math.atan(math.sqrt(2)))  # gain 1 rad/s per rad
    assert v.forward_mps == pytest.approx((math.sqrt(300) - 10) / 10)


def test_hold_distance_scales_from_the_tracker_frame_size() -> None:
    half = TrackedTarget(BBox(140, 80, 20, 40), TrackState.LOCKED, 0.9, 3, 1.0, 320, 240, "KCF")
    v = velocity(half, fn=hold_distance, params=HOLD, camera=TILTED)  # foot (150, 120) -> (300, 240)
    expected = TILTED.ground_point(300, 240, 10.0)
    assert expected is not None
    assert v.forward_mps == pytest.approx((expected.distance_m - 10) / 10)


def test_hold_distance_without_ground_under_the_ray_only_turns() -> None:
    level = CameraModel(640, 480, hfov_deg=90.0, tilt_deg=0.0)
    assert level.ground_point(400, 200, 10.0) is None  # above the horizon
    v = velocity(foot_at(480, 200), fn=hold_distance, params=HOLD, camera=level)
    assert v.forward_mps == 0.0 and v.yaw_rate_radps > 0
    on_ground = VehicleState(system_id=1, global_position=GlobalPosition(alt_rel_m=0.0))
    intent = hold_distance(foot_at(320, 300), on_ground, TILTED, HOLD, 0.0)
    assert intent is not None and intent.velocity == VelocityBodyYawRate(0.0, 0.0, 0.0, 0.0)


def test_profile_registry() -> None:
    assert profile_names() == ("chase", "yaw_only", "hold_distance")
    assert get_profile(" Chase ").fn is chase
    assert all(spec.description for spec in PROFILES.values())
    with pytest.raises(FollowError, match="unknown follow profile 'orbit'; known: chase, yaw_only"):
        get_profile("orbit")


def test_params_are_validated() -> None:
    with pytest.raises(ConfigError, match="target_size_frac"):
        FollowParams(target_size_frac=0.0)
    with pytest.raises(ConfigError, match="max_forward_mps"):
        FollowParams(max_forward_mps=-1.0)
