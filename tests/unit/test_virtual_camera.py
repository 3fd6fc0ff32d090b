"""The virtual camera: deterministic pictures, ground truth that moves the right way with the pose."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gcs.core.models import Attitude, GlobalPosition, Gps, VehicleState, evolve
from gcs.core.sim.virtual_camera import CameraPose, TargetBox, VirtualCamera
from gcs.core.video.capture import CaptureWorker
from gcs.core.video.frames import VideoHealth
from gcs.core.video.sources import SourceOptions
from tests.conftest import wait_until

LAT0, LON0 = 47.3977, 8.5456
M_PER_DEG_LAT = math.radians(1.0) * 6378137.0


class PoseHolder:
    """A settable pose provider, like the bus's latest vehicle state."""

    def __init__(self, state: VehicleState | None = None) -> None:
        self.state = state

    def __call__(self) -> VehicleState | None:
        return self.state


def vehicle(north_m: float = 0.0, east_m: float = 0.0, alt_m: float = 20.0, yaw_deg: float = 0.0,
            roll_deg: float = 0.0, pitch_deg: float = 0.0) -> VehicleState:
    lat = LAT0 + north_m / M_PER_DEG_LAT
    lon = LON0 + east_m / (M_PER_DEG_LAT * math.cos(math.radians(LAT0)))
    return VehicleState(
        system_id=1,
        global_position=GlobalPosition(lat, lon, 500.0 + alt_m, alt_m),
        attitude=Attitude(math.radians(roll_deg), math.radians(pitch_deg), math.radians(yaw_deg)),
        gps=Gps(fix_type=3, satellites=12),
    )


def box_of(targets: list[TargetBox], target_id: str) -> tuple[float, float, int, int]:
    """Centre x, centre y, width, height of one target's truth box."""
    for t in targets:
        if t.target_id == target_id:
            x, y, w, h = t.box
            return x + w / 2.0, y + h / 2.0, w, h
    raise AssertionError(f"{target_id} not visible: {targets}")


@pytest.fixture
def holder() -> PoseHolder:
    return PoseHolder()


@pytest.fixture
def camera(holder: PoseHolder) -> VirtualCamera:
    cam = VirtualCamera(holder, seed=0)
    holder.state = vehicle()  # the first pose becomes the origin
    cam.render(0.0)
    return cam


def test_same_seed_pose_and_time_give_the_same_picture(camera: VirtualCamera, holder: PoseHolder) -> None:
    holder.state = vehicle(3.0, -2.0, 25.0, yaw_deg=20.0, roll_deg=3.0)
    a = camera.render(4.25)
    twin = VirtualCamera(PoseHolder(vehicle(3.0, -2.0, 25.0, yaw_deg=20.0, roll_deg=3.0)), seed=0,
                         origin=(LAT0, LON0))
    assert np.array_equal(a, twin.render(4.25))
    assert np.array_equal(a, camera.render(4.25))
    assert not np.array_equal(a, camera.render(6.0))  # targets moved
    assert a.shape == (480, 640, 3) and a.dtype == np.uint8


def test_another_seed_gives_another_ground(holder: PoseHolder) -> None:
    pose = CameraPose(0.0, 0.0, 20.0)
    a = VirtualCamera(holder, seed=0).render_pose(pose, 0.0).image
    b = VirtualCamera(holder, seed=5).render_pose(pose, 0.0).image
    assert np.mean(np.abs(a.astype(int) - b.astype(int))) > 5


def test_target_straight_ahead_of_the_start_pose(camera: VirtualCamera) -> None:
    x, y, w, h = box_of(camera.targets_in_image(0.0), "car-1")
    model = camera.camera_model()
    assert abs(x - model.cx) < 0.05 * model.width  # dead ahead
    assert y < model.cy  # 25 m ahead at 20 m up with 45 deg tilt: a bit above the centre
    assert w > 30 and h > 10


def test_flying_toward_the_target_brings_it_down_to_centre(camera: VirtualCamera, holder: PoseHolder) -> None:
    cy = camera.camera_model().cy
    ys, widths = [], []
    for north in (0.0, 2.5, 5.0):
        holder.state = vehicle(north_m=north)
        _, y, w, _ = box_of(camera.targets_in_image(0.0), "car-1")
        ys.append(y)
        widths.append(w)
    assert ys[0] < ys[1] < ys[2]  # lower in the image
    assert abs(ys[2] - cy) < abs(ys[0] - cy)  # and toward the centre
    assert abs(ys[2] - cy) < 15  # 20 m ahead and 20 m up: on the 45 deg optical axis
    assert widths[2] > widths[0]  # and bigger


def test_turning_right_moves_the_target_left(camera: VirtualCamera, holder: PoseHolder) -> None:
    xs = []
    for yaw in (-10.0, 0.0, 10.0):
        holder.state = vehicle(yaw_deg=yaw)
        xs.append(box_of(camera.targets_in_image(0.0), "car-1")[0])
    assert xs[0] > xs[1] > xs[2]
    # about fx * tan(10 deg) per 10 degrees (a bit more, seen through a 45 deg tilt)
    fx = camera.camera_model().fx
    assert xs[1] - xs[2] == pytest.approx(fx * math.tan(math.radians(10)), rel=0.5)


def test_rolling_right_turns_the_belly_camera_left(camera: VirtualCamera, holder: PoseHolder) -> None:
    holder.state = vehicle(roll_deg=15.0)
    rolled = box_of(camera.targets_in_image(0.0), "car-1")
    holder.state = vehicle()
    level = box_of(camera.targets_in_image(0.0), "car-1")
    # right wing down: the belly (and a camera fixed to it) faces left, so what was dead ahead
    # slides right in the picture; a gimbal would have kept it in place
    assert rolled[0] > level[0] + 30
    gimbal = VirtualCamera(PoseHolder(vehicle(roll_deg=15.0)), origin=(LAT0, LON0), gimbal=True)
    assert box_of(gimbal.targets_in_image(0.0), "car-1")[:2] == pytest.approx(level[:2], abs=0.5)


def test_truth_boxes_hold_the_drawn_target(camera: VirtualCamera) -> None:
    frame = camera.capture(0.0)
    x, y, w, h = next(t.box for t in frame.targets if t.target_id == "car-1")
    patch = frame.image[y:y + h, x:x + w].astype(int)
    red = (patch[..., 2] > 150) & (patch[..., 1] < 90) & (patch[..., 0] < 90)  # car-1 is red
    assert red.mean() > 0.3
    outside = frame.image[max(0, y - 3 * h):y - h, x:x + w].astype(int)
    assert ((outside[..., 2] > 150) & (outside[..., 1] < 90)).mean() < 0.05


def test_no_pose_renders_the_default_view_with_a_banner() -> None:
    blind = VirtualCamera(lambda: None)
    with_pose = VirtualCamera(lambda: None)
    no_pose = blind.render(0.0)
    default = with_pose.render_pose(CameraPose(0.0, 0.0, 20.0), 0.0).image
    differs = np.any(no_pose != default, axis=2)
    rows = np.flatnonzero(differs.any(axis=1))
    assert len(rows) > 0 and rows.max() < 60  # only the banner at the top differs
    assert [t.target_id for t in blind.targets_in_image(0.0)].count("car-1") == 1


def test_pose_is_flat_earth_metres_from_the_first_fix(holder: PoseHolder) -> None:
    cam = VirtualCamera(holder)
    no_fix = evolve(vehicle(), global_position=GlobalPosition(0.0, 0.0, 0.0, 10.0), gps=Gps())
    assert cam.pose_from_state(no_fix).north_m == 0.0  # 0,0 without a fix sets no origin
    first = cam.pose_from_state(vehicle(alt_m=0.1, yaw_deg=90.0))
    assert (first.north_m, first.east_m, first.alt_m) == (0.0, 0.0, 0.5)  # clamped above ground
    assert first.yaw_rad == pytest.approx(math.pi / 2)
    moved = cam.pose_from_state(vehicle(north_m=30.0, east_m=-12.0))
    assert moved.north_m == pytest.approx(30.0, abs=0.05) and moved.east_m == pytest.approx(-12.0, abs=0.05)


def test_camera_model_matches_the_field_of_view(camera: VirtualCamera) -> None:
    m = camera.camera_model()
    assert m.fx == pytest.approx(320.0 / math.tan(math.radians(35.0)))
    assert (m.cx, m.cy, m.tilt_deg, m.hfov_deg) == (320.0, 240.0, 45.0, 70.0)
    assert m.vfov_deg == pytest.approx(2 * math.degrees(math.atan(240.0 / m.fx)))


def test_far_away_and_high_up_still_renders(camera: VirtualCamera) -> None:
    for pose in (CameraPose(5000.0, -3000.0, 40.0), CameraPose(0.0, 0.0, 120.0, 0.1, 0.3, 1.0),
                 CameraPose(0.0, 0.0, 2.0, 0.0, -0.8, 0.0)):
        frame = camera.render_pose(pose, 1.0)
        assert frame.image.shape == (480, 640, 3) and frame.image.std() > 3


def test_virtual_camera_as_a_capture_source() -> None:
    with CaptureWorker("virtual", options=SourceOptions(width=320, height=240, fps=30)) as worker:
        wait_until(lambda: worker.stats().captured >= 10, 5.0, "ten virtual frames")
        frame = worker.latest()
        assert frame is not None and (frame.width, frame.height) == (320, 240)
        assert worker.health is VideoHealth.OK and worker.stats().nominal_fps == 30.0
