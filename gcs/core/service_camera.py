"""Wiring of the MAVLink camera component into the service: where it hears, where it speaks, what it sees.

Kept out of service.py so that file stays composition: this builds the component from config
(``link.camera_component_id``, 0 = none; ``link.camera_component_via``), taps the vehicle links
(live ones only: a replayed QGC command is history, not an order) and the forwarding outputs,
and describes the picture (size, rate, the stream a client should open, the tracker's target).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from gcs.core.camera_component import CameraComponent, CameraView, StreamDescription
from gcs.core.errors import GcsError, LinkError, VehicleNotFound
from gcs.core.vehicle.connection import LinkKind
from gcs.core.vehicle.link import Link

if TYPE_CHECKING:
    from gcs.core.service import GcsService

log = logging.getLogger(__name__)


def build_camera_component(service: GcsService) -> CameraComponent | None:
    """The component for ``service``, hooked in; None when config turns it off."""
    cfg = service.config.current
    component_id = cfg.link.camera_component_id
    if component_id == 0:
        return None
    via = cfg.link.camera_component_via

    def send(frame: bytes) -> None:
        if via in ("all", "outputs"):
            service.forwarding.broadcast(frame)
        if via in ("all", "links"):
            try:
                link = service.fleet.vehicle(None).link
            except VehicleNotFound:
                return
            if link.spec.kind is LinkKind.REPLAY:
                return
            try:
                link.send_raw(frame)
            except LinkError as exc:
                log.debug("camera component frame not sent on %s: %s", link.spec.url, exc)

    def view() -> CameraView:
        return camera_view(service)

    camera = CameraComponent(
        service,
        lambda: service.fleet.active_id,
        send,
        view,
        component_id=component_id,
        point_tracker=lambda: service.config.current.tracking.mavlink_point_tracker,
    )

    def from_link(link: Link, msg: Any) -> None:
        if link.spec.kind is not LinkKind.REPLAY:
            camera.offer(msg)

    if via in ("all", "links"):
        service.fleet.add_message_tap(from_link)
    if via in ("all", "outputs"):
        service.forwarding.add_intercept(camera.offer)
    log.info("MAVLink camera component %d speaks on %s", component_id,
             {"all": "vehicle links and forwarding outputs", "outputs": "forwarding outputs",
              "links": "vehicle links"}[via])  # fmt: skip
    return camera


def camera_view(service: GcsService) -> CameraView:
    """The picture as the camera component describes it (zeros before the first frame)."""
    width = height = 0
    fps = 0.0
    target = None
    running = service.video_running
    if running:
        try:
            frame = service.latest_frame()
            if frame is not None:
                height, width = frame.image.shape[:2]
            fps = float(service.video_stats()[0].fps)
            target = service.tracker_data()
        except GcsError:
            running = False
    status = service.video_recording_status()
    video = service.config.current.video
    out = service.video_out_status() if running else None
    stream = StreamDescription(
        uri=f"udp://0.0.0.0:{video.rtp_port}",  # QGC's form: where the viewer listens for our RTP
        bitrate_bps=video.h264_bitrate_kbps * 1000,
        running=bool(out is not None and out.streaming),
    )
    return CameraView(
        width=width,
        height=height,
        fps=fps,
        stream=stream,
        target=target,
        recording=bool(status is not None and status.recording),
    )
