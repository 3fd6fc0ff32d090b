"""Kestrel as the vehicle's MAVLink tracking camera, so stock QGroundControl can drive our tracker.

QGC (VehicleCameraControl, QGCCameraManager, CameraDiscoveryStateMachine) finds a camera by a
HEARTBEAT from the *vehicle's* system id with type MAV_TYPE_CAMERA (or a component id 100-105),
asks for CAMERA_INFORMATION (MAV_CMD_REQUEST_MESSAGE, alternating with the older
MAV_CMD_REQUEST_CAMERA_INFORMATION), then CAMERA_SETTINGS, storage, capture status and
VIDEO_STREAM_INFORMATION; when the flags say HAS_TRACKING_*, a click on its video sends
MAV_CMD_CAMERA_TRACK_POINT (x, y, radius; 0..1) and a drag MAV_CMD_CAMERA_TRACK_RECTANGLE
(top-left x, y, bottom-right x, y; 0..1), each followed by SET_MESSAGE_INTERVAL for
CAMERA_TRACKING_IMAGE_STATUS; STOP_TRACKING ends it (and an interval of -1).

This component answers all of that as component ``component_id`` of the active vehicle's system.
Commands reach it from forwarding outputs (QGC beside us) and from the vehicle links (QGC on the
autopilot's other port, routed by the autopilot); they are queued and handled on this component's
own thread, because starting a smart track waits for a detection and neither the link reader
nor a forward reader may wait. Everything it sends goes through ``send`` (the service writes it
to the outputs and/or links that config names).
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol

from gcs.core.camera_component import messages as m
from gcs.core.errors import GcsError
from gcs.core.mavlink_env import mavlink
from gcs.core.tracking.errors import SelectionRefused, TrackerError
from gcs.core.tracking.types import TrackedTarget

log = logging.getLogger(__name__)

PointTracker = Literal["auto", "smart", "classic"]
MIN_STATUS_HZ = 10.0  # while tracking, whatever the client asked (QGC asks 2 Hz)
MAX_STATUS_HZ = 30.0
QUEUE_SIZE = 64
ACCEPTED: int = mavlink.MAV_RESULT_ACCEPTED
DENIED: int = mavlink.MAV_RESULT_DENIED
FAILED: int = mavlink.MAV_RESULT_FAILED
UNSUPPORTED: int = mavlink.MAV_RESULT_UNSUPPORTED
_REQUESTS = {  # legacy request commands -> the message id they stand for
    mavlink.MAV_CMD_REQUEST_CAMERA_INFORMATION: mavlink.MAVLINK_MSG_ID_CAMERA_INFORMATION,
    mavlink.MAV_CMD_REQUEST_CAMERA_SETTINGS: mavlink.MAVLINK_MSG_ID_CAMERA_SETTINGS,
    mavlink.MAV_CMD_REQUEST_STORAGE_INFORMATION: mavlink.MAVLINK_MSG_ID_STORAGE_INFORMATION,
    mavlink.MAV_CMD_REQUEST_CAMERA_CAPTURE_STATUS: mavlink.MAVLINK_MSG_ID_CAMERA_CAPTURE_STATUS,
    mavlink.MAV_CMD_REQUEST_VIDEO_STREAM_INFORMATION: mavlink.MAVLINK_MSG_ID_VIDEO_STREAM_INFORMATION,
    mavlink.MAV_CMD_REQUEST_VIDEO_STREAM_STATUS: mavlink.MAVLINK_MSG_ID_VIDEO_STREAM_STATUS,
}


class Tracking(Protocol):
    """What the component needs of the service (GcsService provides exactly these)."""

    def latest_frame(self) -> Any: ...
    def start_tracking(self, x: float, y: float, width: float | None = None, height: float | None = None, *,
                       normalised: bool = False) -> TrackedTarget: ...  # fmt: skip
    def smart_click(self, x: float, y: float, *, normalised: bool = False, wait_s: float = ...) -> TrackedTarget: ...
    def set_smart_mode(self, enabled: bool) -> str: ...
    def stop_tracking(self) -> None: ...
    def tracker_data(self) -> TrackedTarget: ...


class Refused(Exception):
    """A command the camera cannot carry out: MAV_RESULT ``result`` and a STATUSTEXT reason."""

    def __init__(self, result: int, reason: str) -> None:
        super().__init__(reason)
        self.result = result
        self.reason = reason


class CameraComponent:
    """One MAVLink camera component; ``start()``, feed it with ``offer(msg)``, ``close()``."""

    def __init__(
        self,
        tracking: Tracking,
        active_system: Callable[[], int | None],
        send: Callable[[bytes], None],
        view: Callable[[], m.CameraView],
        *,
        component_id: int = mavlink.MAV_COMP_ID_CAMERA,
        point_tracker: Callable[[], PointTracker] = lambda: "auto",
    ) -> None:
        self.component_id = component_id
        self._tracking = tracking
        self._active_system = active_system
        self._send = send
        self._view = view
        self._point_tracker = point_tracker
        self._inbox: queue.Queue[Any] = queue.Queue(QUEUE_SIZE)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._encoders: dict[int, Any] = {}  # system id -> MAVLink packer (its own sequence numbers)
        self._status_hz: float | None = None  # None: not streaming tracking status
        self._mode = m.MODE_NONE
        self.handled = 0
        self.dropped = 0

    # ---- intake (any thread) ---------------------------------------------------------------------

    def wants(self, msg: Any) -> bool:
        """True for a command addressed to this camera of the active vehicle."""
        if msg.get_type() not in ("COMMAND_LONG", "COMMAND_INT"):
            return False
        system = self._active_system()
        return system is not None and msg.target_system == system and msg.target_component == self.component_id

    def offer(self, msg: Any) -> bool:
        """Queue ``msg`` if it is for us (never blocks); True when it was ours."""
        if not self.wants(msg):
            return False
        try:
            self._inbox.put_nowait(msg)
        except queue.Full:
            self.dropped += 1
            log.warning("camera component: command queue full, %s dropped", msg.command)
        return True

    # ---- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="camera-component", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # ---- the component's thread --------------------------------------------------------------------

    def _run(self) -> None:
        next_heartbeat = next_status = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_heartbeat:
                self._emit(m.heartbeat())
                next_heartbeat = now + 1.0
            if self._status_hz is not None and now >= next_status:
                self._emit(self._status_now())
                next_status = now + 1.0 / self._status_hz
            due = min(next_heartbeat, next_status if self._status_hz is not None else next_heartbeat)
            try:
                msg = self._inbox.get(timeout=max(0.0, due - time.monotonic()))
            except queue.Empty:
                continue
            try:
                self._handle(msg)
            except Exception:  # the component must outlive any one command
                log.exception("camera component: command %s failed", getattr(msg, "command", "?"))
                self._emit(m.command_ack(int(msg.command), FAILED, msg.get_srcSystem(), msg.get_srcComponent()))

    def _target(self) -> TrackedTarget | None:
        try:
            return self._tracking.tracker_data()
        except GcsError:
            return None

    def _emit(self, msg: Any) -> None:
        system = self._active_system()
        if system is None:
            return  # QGC only takes a camera of a vehicle it knows: nothing to be part of yet
        packer = self._encoders.get(system)
        if packer is None:
            packer = self._encoders[system] = mavlink.MAVLink(None, srcSystem=system, srcComponent=self.component_id)
        try:
            self._send(bytes(msg.pack(packer)))
        except Exception:
            log.debug("camera component: send failed", exc_info=True)

    def _handle(self, msg: Any) -> None:
        self.handled += 1
        command = int(msg.command)
        try:
            result = self._dispatch(command, msg)
        except Refused as exc:
            log.info("camera component: command %d refused: %s", command, exc.reason)
            self._emit(m.statustext(f"Kestrel camera: {exc.reason}"))
            result = exc.result
        self._emit(m.command_ack(command, result, msg.get_srcSystem(), msg.get_srcComponent()))
        if command == mavlink.MAV_CMD_REQUEST_MESSAGE or command in _REQUESTS:
            self._answer_request(command, msg, result)

    def _dispatch(self, command: int, msg: Any) -> int:
        if command == mavlink.MAV_CMD_REQUEST_MESSAGE:
            return ACCEPTED if self._requested_message(int(msg.param1)) is not None else UNSUPPORTED
        if command in _REQUESTS:
            return ACCEPTED if self._requested_message(_REQUESTS[command]) is not None else DENIED
        if command == mavlink.MAV_CMD_SET_MESSAGE_INTERVAL:
            return self._set_interval(int(msg.param1), float(msg.param2))
        if command == mavlink.MAV_CMD_CAMERA_TRACK_POINT:
            self._track_point(float(msg.param1), float(msg.param2))
            return ACCEPTED
        if command == mavlink.MAV_CMD_CAMERA_TRACK_RECTANGLE:
            self._track_rectangle(float(msg.param1), float(msg.param2), float(msg.param3), float(msg.param4))
            return ACCEPTED
        if command == mavlink.MAV_CMD_CAMERA_STOP_TRACKING:
            self._tracking.stop_tracking()
            self._mode = m.MODE_NONE
            self._emit(m.tracking_image_status(None, m.MODE_NONE))
            self._status_hz = None
            return ACCEPTED
        return UNSUPPORTED

    # ---- requests ----------------------------------------------------------------------------------

    def _requested_message(self, message_id: int) -> Any | None:
        view = self._view()
        builders: dict[int, Callable[[], Any]] = {
            mavlink.MAVLINK_MSG_ID_CAMERA_INFORMATION: lambda: m.camera_information(view),
            mavlink.MAVLINK_MSG_ID_CAMERA_SETTINGS: m.camera_settings,
            mavlink.MAVLINK_MSG_ID_STORAGE_INFORMATION: m.storage_information,
            mavlink.MAVLINK_MSG_ID_CAMERA_CAPTURE_STATUS: lambda: m.capture_status(view),
            mavlink.MAVLINK_MSG_ID_VIDEO_STREAM_INFORMATION: lambda: m.video_stream_information(view),
            mavlink.MAVLINK_MSG_ID_VIDEO_STREAM_STATUS: lambda: m.video_stream_status(view),
            mavlink.MAVLINK_MSG_ID_CAMERA_TRACKING_IMAGE_STATUS: self._status_now,
        }  # fmt: skip
        build = builders.get(message_id)
        return build() if build is not None else None

    def _status_now(self) -> Any:
        return m.tracking_image_status(self._target(), self._mode)

    def _answer_request(self, command: int, msg: Any, result: int) -> None:
        """The requested message follows its ACCEPTED ack, as autopilots and MAVSDK's camera server do."""
        if result != ACCEPTED:
            return
        message_id = int(msg.param1) if command == mavlink.MAV_CMD_REQUEST_MESSAGE else _REQUESTS[command]
        reply = self._requested_message(message_id)
        if reply is not None:
            self._emit(reply)

    def _set_interval(self, message_id: int, interval_us: float) -> int:
        if message_id != mavlink.MAVLINK_MSG_ID_CAMERA_TRACKING_IMAGE_STATUS:
            return UNSUPPORTED
        if interval_us < 0:
            self._status_hz = None
        elif interval_us == 0:
            self._status_hz = MIN_STATUS_HZ
        else:
            self._status_hz = min(MAX_STATUS_HZ, max(MIN_STATUS_HZ, 1e6 / interval_us))
        return ACCEPTED

    # ---- tracking ----------------------------------------------------------------------------------

    def _need_video(self) -> None:
        try:
            frame = self._tracking.latest_frame()
        except GcsError as exc:
            raise Refused(DENIED, f"no video ({exc})") from exc
        if frame is None:
            raise Refused(DENIED, "no video to track on")

    @staticmethod
    def _inside(*values: float) -> None:
        if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values):
            raise Refused(DENIED, "coordinates must be 0..1 of the image")

    def _track_point(self, x: float, y: float) -> None:
        self._inside(x, y)
        self._need_video()
        how = self._point_tracker()
        try:
            if how in ("auto", "smart"):
                try:
                    self._tracking.smart_click(x, y, normalised=True)
                except SelectionRefused as exc:
                    if how == "smart":
                        raise Refused(FAILED, str(exc)) from exc
                    self._classic_click(x, y)
                except TrackerError as exc:  # no detector model or backend: classic it is
                    if how == "smart":
                        raise Refused(FAILED, str(exc)) from exc
                    self._classic_click(x, y)
            else:
                self._classic_click(x, y)
        except GcsError as exc:
            raise Refused(FAILED, str(exc)) from exc
        self._tracking_started(m.MODE_POINT)

    def _classic_click(self, x: float, y: float) -> None:
        self._tracking.set_smart_mode(False)
        self._tracking.start_tracking(x, y, normalised=True)

    def _track_rectangle(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self._inside(x1, y1, x2, y2)
        if x2 <= x1 or y2 <= y1:
            raise Refused(DENIED, "rectangle needs top-left before bottom-right")
        self._need_video()
        try:
            self._tracking.start_tracking(x1, y1, x2 - x1, y2 - y1, normalised=True)
        except GcsError as exc:
            raise Refused(FAILED, str(exc)) from exc
        self._tracking_started(m.MODE_RECTANGLE)

    def _tracking_started(self, started_by: int) -> None:
        """Stream the status from now on (QGC asks for it right after; we do not wait for that).

        The status says RECTANGLE whether a point or a rectangle started it: our trackers follow a
        box, and QGC draws the box only for that mode (for POINT it would draw a circle).
        """
        log.info("camera component: tracking started by %s", "a point" if started_by == m.MODE_POINT else "a rectangle")
        self._mode = m.MODE_RECTANGLE
        if self._status_hz is None:
            self._status_hz = MIN_STATUS_HZ
