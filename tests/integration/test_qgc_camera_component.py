"""A pymavlink client plays stock QGroundControl's part against Kestrel's MAVLink camera component.

The sequence is QGC's own (QGCCameraManager / CameraDiscoveryStateMachine / VehicleCameraControl):
it hears a HEARTBEAT of type CAMERA from the vehicle's system id, asks for CAMERA_INFORMATION with
MAV_CMD_REQUEST_MESSAGE and with the older MAV_CMD_REQUEST_CAMERA_INFORMATION, then settings,
storage, capture status and VIDEO_STREAM_INFORMATION; a click sends MAV_CMD_CAMERA_TRACK_POINT
(0..1 of the image) and then SET_MESSAGE_INTERVAL(CAMERA_TRACKING_IMAGE_STATUS, 500 ms); a drag
sends MAV_CMD_CAMERA_TRACK_RECTANGLE; stop sends STOP_TRACKING and an interval of -1. Kestrel runs
with the built-in simulator flying and the virtual camera; the client is on a real UDP forwarding
output, as QGC beside Kestrel would be. Ground truth: the virtual camera's own target positions.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gcs.core.mavlink_env import mavlink, mavutil
from gcs.core.service import GcsService
from gcs.core.tracking.types import TrackState
from tests.conftest import wait_until

pytestmark = pytest.mark.slow
CAMERA = mavlink.MAV_COMP_ID_CAMERA
QGC_SYSTEM = 254


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Qgc:
    """The QGC side: one udpin socket that Kestrel's ``udpout`` forwarding output sends to."""

    def __init__(self, port: int, vehicle: int) -> None:
        self.conn = mavutil.mavlink_connection(f"udpin:127.0.0.1:{port}", source_system=QGC_SYSTEM,
                                               source_component=mavlink.MAV_COMP_ID_MISSIONPLANNER)  # fmt: skip
        self.vehicle = vehicle

    def recv(self, kind: str, timeout_s: float, where: Callable[[Any], bool] = lambda _m: True) -> Any:
        """The next ``kind`` message from the camera component (sysid = the vehicle, comp 100)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = self.conn.recv_match(type=kind, blocking=True, timeout=0.2)
            if msg is None:
                continue
            if msg.get_srcSystem() == self.vehicle and msg.get_srcComponent() == CAMERA and where(msg):
                return msg
        raise AssertionError(f"no {kind} from the camera component within {timeout_s} s")

    def command(self, command: int, *params: float) -> tuple[int, list[str]]:
        """COMMAND_LONG to the camera; its COMMAND_ACK result and the STATUSTEXTs around it."""
        values = [*params, 0, 0, 0, 0, 0, 0, 0][:7]
        self.drain()
        self.conn.mav.command_long_send(self.vehicle, CAMERA, command, 0, *values)
        texts: list[str] = []
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            msg = self.conn.recv_match(type=["COMMAND_ACK", "STATUSTEXT"], blocking=True, timeout=0.2)
            if msg is None or msg.get_srcComponent() != CAMERA:
                continue
            if msg.get_type() == "STATUSTEXT":
                texts.append(msg.text)
            elif msg.command == command:
                assert msg.target_system == QGC_SYSTEM, msg
                return int(msg.result), texts
        raise AssertionError(f"no COMMAND_ACK for {command}")

    def drain(self) -> None:
        """Read what queued while the test did other things (QGC reads all the time; a full socket
        buffer would drop the answer we are about to wait for)."""
        while self.conn.recv_match(blocking=False) is not None:
            pass

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def kestrel(make_service) -> Iterator[tuple[GcsService, Qgc]]:
    service: GcsService = make_service("px4", video__enabled=True, video__source="virtual?tilt_deg=60")
    port = free_udp_port()
    service.add_forward(f"udpout:127.0.0.1:{port}")
    qgc = Qgc(port, service.active_vehicle_id or 1)
    qgc.recv("HEARTBEAT", 5)  # QGC answers a camera it has heard (and udpin learns where Kestrel is)
    yield service, qgc
    qgc.close()


def truth_boxes(service: GcsService) -> dict[str, tuple[float, float, float, float]]:
    source = service.vision._require()[0].source
    camera = source.camera  # type: ignore[attr-defined]
    return {t.target_id: t.box for t in camera.targets_in_image(source.scene_time_s())}  # type: ignore[attr-defined]


def fly(service: GcsService, altitude_m: float = 20.0) -> None:
    wait_until(lambda: service.vehicle_state().gps.has_fix, 5, "GPS fix")
    assert service.arm().success
    assert service.takeoff(altitude_m).success
    wait_until(lambda: service.vehicle_state().global_position.alt_rel_m > altitude_m - 1, 25, "climb")
    service.start_video()  # restart the scene clock: car-1 on its straight, in view
    wait_until(lambda: service.latest_frame() is not None, 10, "first frame")
    wait_until(lambda: "car-1" in truth_boxes(service), 5, "car-1 in view")


def test_qgc_discovers_the_camera_and_its_stream(kestrel: tuple[GcsService, Qgc]) -> None:
    service, qgc = kestrel
    wait_until(lambda: service.latest_frame() is not None, 10, "first frame")
    beat = qgc.recv("HEARTBEAT", 5)
    assert beat.type == mavlink.MAV_TYPE_CAMERA and beat.autopilot == mavlink.MAV_AUTOPILOT_INVALID
    qgc.conn.mav.heartbeat_send(mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)

    for command, params in ((mavlink.MAV_CMD_REQUEST_MESSAGE, (mavlink.MAVLINK_MSG_ID_CAMERA_INFORMATION,)),
                            (mavlink.MAV_CMD_REQUEST_CAMERA_INFORMATION, (1,))):  # fmt: skip
        result, _ = qgc.command(command, *params)
        assert result == mavlink.MAV_RESULT_ACCEPTED
        info = qgc.recv("CAMERA_INFORMATION", 3)
        for flag in ("HAS_VIDEO_STREAM", "HAS_TRACKING_POINT", "HAS_TRACKING_RECTANGLE"):
            assert info.flags & getattr(mavlink, f"CAMERA_CAP_FLAGS_{flag}"), (flag, info.flags)
        assert bytes(info.vendor_name).rstrip(b"\0") == b"Kestrel GCS"
        assert (info.resolution_h, info.resolution_v) == (640, 480)

    for message in ("CAMERA_SETTINGS", "STORAGE_INFORMATION", "CAMERA_CAPTURE_STATUS"):
        result, _ = qgc.command(mavlink.MAV_CMD_REQUEST_MESSAGE, getattr(mavlink, f"MAVLINK_MSG_ID_{message}"))
        assert result == mavlink.MAV_RESULT_ACCEPTED, message
        qgc.recv(message, 3)
    result, _ = qgc.command(mavlink.MAV_CMD_REQUEST_MESSAGE, mavlink.MAVLINK_MSG_ID_VIDEO_STREAM_INFORMATION, 0)
    assert result == mavlink.MAV_RESULT_ACCEPTED
    stream = qgc.recv("VIDEO_STREAM_INFORMATION", 3)
    assert stream.type == mavlink.VIDEO_STREAM_TYPE_RTPUDP and stream.encoding == mavlink.VIDEO_STREAM_ENCODING_H264
    assert stream.uri == "udp://0.0.0.0:5600", stream.uri  # QGC's default port
    assert (stream.resolution_h, stream.resolution_v) == (640, 480) and stream.framerate > 5
    assert not stream.flags & mavlink.VIDEO_STREAM_STATUS_FLAGS_RUNNING  # video.rtp_enabled is off here
    result, _ = qgc.command(mavlink.MAV_CMD_REQUEST_MESSAGE, mavlink.MAVLINK_MSG_ID_VIDEO_STREAM_STATUS)
    assert result == mavlink.MAV_RESULT_ACCEPTED
    qgc.recv("VIDEO_STREAM_STATUS", 3)
    # a command the camera does not do is refused as such, and nothing reached the autopilot as ours
    result, _ = qgc.command(mavlink.MAV_CMD_SET_CAMERA_ZOOM, 1, 50)
    assert result == mavlink.MAV_RESULT_UNSUPPORTED


def test_with_rtp_on_the_stream_is_running_on_the_configured_port(make_service) -> None:
    port = free_udp_port()
    service: GcsService = make_service("px4", video__enabled=True, video__rtp_enabled=True, video__rtp_port=port)
    forward = free_udp_port()
    service.add_forward(f"udpout:127.0.0.1:{forward}")
    qgc = Qgc(forward, service.active_vehicle_id or 1)
    try:
        qgc.recv("HEARTBEAT", 5)
        wait_until(lambda: (s := service.video_out_status()) is not None and s.streaming, 15, "RTP streaming")
        result, _ = qgc.command(mavlink.MAV_CMD_REQUEST_MESSAGE, mavlink.MAVLINK_MSG_ID_VIDEO_STREAM_INFORMATION, 0)
        assert result == mavlink.MAV_RESULT_ACCEPTED
        stream = qgc.recv("VIDEO_STREAM_INFORMATION", 3)
        assert stream.uri == f"udp://0.0.0.0:{port}" and stream.flags & mavlink.VIDEO_STREAM_STATUS_FLAGS_RUNNING
    finally:
        qgc.close()


def status_box(msg: Any) -> tuple[float, float]:
    return (msg.rec_top_x + msg.rec_bottom_x) / 2, (msg.rec_top_y + msg.rec_bottom_y) / 2


def assert_status_on_the_car(service: GcsService, qgc: Qgc, seconds: float) -> int:
    """CAMERA_TRACKING_IMAGE_STATUS for ``seconds``: ACTIVE, its box centre within 5% of the frame
    of car-1's true centre while the car drives; returns how many arrived."""
    count, start, first, last = 0, time.monotonic(), None, None
    while time.monotonic() - start < seconds:
        msg = qgc.recv("CAMERA_TRACKING_IMAGE_STATUS", 2)
        truth = truth_boxes(service)["car-1"]
        assert msg.tracking_status == mavlink.CAMERA_TRACKING_STATUS_FLAGS_ACTIVE, msg
        assert msg.tracking_mode == mavlink.CAMERA_TRACKING_MODE_RECTANGLE, msg
        cx, cy = status_box(msg)
        tx, ty = (truth[0] + truth[2] / 2) / 640, (truth[1] + truth[3] / 2) / 480
        assert abs(cx - tx) < 0.05 and abs(cy - ty) < 0.05, (round(cx, 3), round(cy, 3), round(tx, 3), round(ty, 3))
        first = first or (cx, cy)
        last = (cx, cy)
        count += 1
    assert first is not None and last is not None
    assert abs(last[0] - first[0]) + abs(last[1] - first[1]) > 0.02, "the car moved in the picture"
    return count


def test_qgc_click_and_drag_track_the_car_and_stop(kestrel: tuple[GcsService, Qgc]) -> None:
    service, qgc = kestrel
    service.config.set("tracking", "mavlink_point_tracker", "classic", source="test")
    fly(service)
    x, y, w, h = truth_boxes(service)["car-1"]
    result, texts = qgc.command(mavlink.MAV_CMD_CAMERA_TRACK_POINT, (x + w / 2) / 640, (y + h / 2) / 480, 0.05)
    assert result == mavlink.MAV_RESULT_ACCEPTED, texts
    assert qgc.command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, mavlink.MAVLINK_MSG_ID_CAMERA_TRACKING_IMAGE_STATUS,
                       500_000)[0] == mavlink.MAV_RESULT_ACCEPTED  # fmt: skip
    wait_until(lambda: service.tracker_data().state is TrackState.LOCKED, 5, "our tracker locked")
    started = time.monotonic()
    count = assert_status_on_the_car(service, qgc, 3.0)
    rate = count / (time.monotonic() - started)
    print(f"CAMERA_TRACKING_IMAGE_STATUS at {rate:.1f} Hz (QGC asked 2 Hz)")
    assert rate >= 9.0, rate  # >= 10 Hz while tracking, whatever QGC asks

    x, y, w, h = truth_boxes(service)["car-1"]
    box = ((x - 4) / 640, (y - 4) / 480, (x + w + 4) / 640, (y + h + 4) / 480)
    result, texts = qgc.command(mavlink.MAV_CMD_CAMERA_TRACK_RECTANGLE, *box)
    assert result == mavlink.MAV_RESULT_ACCEPTED, texts
    wait_until(lambda: service.tracker_data().state is TrackState.LOCKED, 5, "locked on the rectangle")
    assert_status_on_the_car(service, qgc, 2.0)

    assert qgc.command(mavlink.MAV_CMD_CAMERA_STOP_TRACKING)[0] == mavlink.MAV_RESULT_ACCEPTED
    assert qgc.command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, mavlink.MAVLINK_MSG_ID_CAMERA_TRACKING_IMAGE_STATUS,
                       -1)[0] == mavlink.MAV_RESULT_ACCEPTED  # fmt: skip
    assert service.tracker_data().state is TrackState.IDLE
    qgc.conn.recv_match(type="CAMERA_TRACKING_IMAGE_STATUS", blocking=True, timeout=0.3)  # the last IDLE one
    time.sleep(0.3)
    qgc.drain()
    assert qgc.conn.recv_match(type="CAMERA_TRACKING_IMAGE_STATUS", blocking=True, timeout=1.0) is None


def test_refused_tracking_says_why(kestrel: tuple[GcsService, Qgc]) -> None:
    service, qgc = kestrel
    fly(service)
    result, texts = qgc.command(mavlink.MAV_CMD_CAMERA_TRACK_POINT, 1.5, 0.5, 0.05)
    assert result == mavlink.MAV_RESULT_DENIED and any("0..1" in t for t in texts), texts
    result, texts = qgc.command(mavlink.MAV_CMD_CAMERA_TRACK_RECTANGLE, 0.6, 0.6, 0.4, 0.4)
    assert result == mavlink.MAV_RESULT_DENIED and any("top-left" in t for t in texts), texts

    # smart only: a point on empty ground has no detection under it
    service.config.set("tracking", "mavlink_point_tracker", "smart", source="test")
    assert service.set_smart_mode(True) == "smart"
    wait_until(lambda: service.vision.smart_detector.loaded, 30, "detector loaded")
    boxes = list(truth_boxes(service).values())
    gx, gy = next((px, py) for py in range(60, 420, 40) for px in range(60, 580, 40)
                  if all(px < bx - 80 or px > bx + bw + 80 or py < by - 80 or py > by + bh + 80
                         for bx, by, bw, bh in boxes))  # fmt: skip
    result, texts = qgc.command(mavlink.MAV_CMD_CAMERA_TRACK_POINT, gx / 640, gy / 480, 0.05)
    assert result == mavlink.MAV_RESULT_FAILED, (result, texts)
    assert texts and "Kestrel camera:" in texts[0], texts
    assert service.tracker_data().state is not TrackState.LOCKED


def test_without_video_a_click_is_denied_with_the_reason(make_service) -> None:
    service: GcsService = make_service("px4")  # no video source
    port = free_udp_port()
    service.add_forward(f"udpout:127.0.0.1:{port}")
    qgc = Qgc(port, service.active_vehicle_id or 1)
    try:
        qgc.recv("HEARTBEAT", 5)
        result, texts = qgc.command(mavlink.MAV_CMD_CAMERA_TRACK_POINT, 0.5, 0.5, 0.05)
        assert result == mavlink.MAV_RESULT_DENIED and any("no video" in t for t in texts), texts
        result, _ = qgc.command(mavlink.MAV_CMD_REQUEST_MESSAGE, mavlink.MAVLINK_MSG_ID_VIDEO_STREAM_INFORMATION, 0)
        assert result == mavlink.MAV_RESULT_ACCEPTED
        stream = qgc.recv("VIDEO_STREAM_INFORMATION", 3)
        assert not stream.flags & mavlink.VIDEO_STREAM_STATUS_FLAGS_RUNNING
    finally:
        qgc.close()
