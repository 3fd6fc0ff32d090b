"""The target's ground estimate against the virtual camera: its projection and its true car positions.

The estimate (gcs.core.map.estimate) is written once for any camera; the virtual camera renders
with its own projection code (gcs.core.sim.scene_camera). Two checks tie them: points of the
ground projected by the renderer come back where they were (the conventions agree, hard mount and
gimbal), and the box the renderer reports for each visible car and person, taken through the
estimate, lands within 10% of the slant range of where the scene says the target is.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gcs.core.map.estimate import CameraMount, estimate_ground
from gcs.core.map.geo import local, offset
from gcs.core.models import Attitude, GlobalPosition, VehicleState
from gcs.core.sim.scene_camera import CameraModel, CameraPose, View
from gcs.core.sim.virtual_camera import VirtualCamera

ORIGIN = (47.397742, 8.545594)


def _state(north: float, east: float, alt: float, roll: float = 0.0, pitch: float = 0.0,
           yaw: float = 0.0) -> VehicleState:
    p = offset(*ORIGIN, north, east)
    return VehicleState(system_id=1, attitude=Attitude(roll, pitch, yaw),
                        global_position=GlobalPosition(p.lat_deg, p.lon_deg, 488.0 + alt, alt))


@pytest.mark.parametrize("stabilised", [True, False])
def test_ground_points_projected_by_the_renderer_come_back(stabilised: bool) -> None:
    rng = np.random.default_rng(4)
    for _ in range(40):
        tilt, hfov = rng.uniform(20, 90), rng.uniform(40, 100)
        pose = CameraPose(rng.uniform(-50, 50), rng.uniform(-50, 50), rng.uniform(5, 80),
                          rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3), rng.uniform(-math.pi, math.pi))
        model = CameraModel.from_fov(640, 480, hfov, tilt)
        render_pose = pose if not stabilised else CameraPose(pose.north_m, pose.east_m, pose.alt_m, 0, 0,
                                                             pose.yaw_rad)
        view = View(model, render_pose)
        u, v = rng.uniform(0, 640), rng.uniform(240, 480)
        dist = float(view.ground_distance(np.array([u]), np.array([v]))[0])
        if not math.isfinite(dist) or dist > 1500:
            continue
        truth = view.ground_point(u, v, 5000.0)
        mount = CameraMount(640, 480, hfov, tilt, stabilised)
        state = _state(pose.north_m, pose.east_m, pose.alt_m, pose.roll_rad, pose.pitch_rad, pose.yaw_rad)
        est = estimate_ground(mount, u, v, state)
        assert est is not None
        n, e = local(*ORIGIN, est.lat_deg, est.lon_deg)
        assert math.hypot(n - truth[0], e - truth[1]) < 1e-3 * max(1.0, est.slant_range_m)
        assert abs(est.slant_range_m - dist) < 1e-3 * dist


def test_above_the_horizon_or_on_the_ground_there_is_no_estimate() -> None:
    mount = CameraMount(640, 480, 70, 10)
    assert estimate_ground(mount, 320, 0, _state(0, 0, 20)) is None  # above the horizon
    assert estimate_ground(mount, 320, 400, _state(0, 0, 0.2)) is None  # on the ground


def _truth_errors(camera: VirtualCamera, state: VehicleState, time_s: float,
                  mount: CameraMount) -> list[tuple[str, float, float]]:
    frame = camera.render_pose(camera.pose_from_state(state), time_s, draw=False)
    where = {t.target_id: t for t in camera.target_states(time_s)}
    out = []
    for box in frame.targets:
        x, y, w, h = box.box
        if x <= 0 or y <= 0 or x + w >= 640 or y + h >= 480:
            continue  # cut by the frame edge: the box centre is not the target's
        est = estimate_ground(mount, x + w / 2, y + h / 2, state)
        assert est is not None
        n, e = local(*ORIGIN, est.lat_deg, est.lon_deg)
        t = where[box.target_id]
        out.append((box.target_id, math.hypot(n - t.north_m, e - t.east_m), est.slant_range_m))
    return out


@pytest.mark.parametrize("gimbal", [True, False])
def test_estimate_lands_on_the_true_cars_within_ten_percent_of_the_slant_range(gimbal: bool) -> None:
    """Sweep heights, headings and scene times; every visible target not cut by the frame edge."""
    camera = VirtualCamera(lambda: None, origin=ORIGIN, gimbal=gimbal)
    mount = CameraMount(640, 480, camera.camera_model().hfov_deg, camera.camera_model().tilt_deg, gimbal)
    ratios: list[float] = []
    rng = np.random.default_rng(7)
    for alt in (10.0, 20.0, 35.0, 60.0):
        for time_s in np.arange(0.0, 60.0, 3.0):
            for t in camera.target_states(float(time_s)):
                # stand back from the target, looking at it (as a follower would), with some tilt
                back = alt / math.tan(math.radians(45.0)) + rng.uniform(-5, 5)
                yaw = math.atan2(t.east_m, t.north_m) + rng.uniform(-0.3, 0.3)
                state = _state(t.north_m - back * math.cos(yaw), t.east_m - back * math.sin(yaw), alt,
                               rng.uniform(-0.15, 0.15), rng.uniform(-0.15, 0.15), yaw)
                for _id, err, slant in _truth_errors(camera, state, float(time_s), mount):
                    ratios.append(err / slant)
    assert len(ratios) > 100
    worst, median = max(ratios), float(np.median(ratios))
    print(f"\nestimate error / slant range over {len(ratios)} views (gimbal={gimbal}): "
          f"median {median:.3f}, p95 {float(np.percentile(ratios, 95)):.3f}, worst {worst:.3f}")
    assert worst < 0.10
