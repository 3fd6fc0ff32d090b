"""The sim's side of the MAVLink mission protocol, as strict as ArduPilot's (and PX4's where they differ).

Seen on the real ArduCopter SITL (4.7) and copied here:
- An empty mission is home alone: MISSION_COUNT 1, item 0 the current home (MAV_FRAME_GLOBAL, AMSL),
  whatever was uploaded as item 0. After MISSION_CLEAR_ALL the count is 0. PX4 keeps no home item.
- Upload: MISSION_COUNT -> the vehicle asks for each item in turn (ArduPilot MISSION_REQUEST, PX4
  MISSION_REQUEST_INT) and takes MISSION_ITEM or MISSION_ITEM_INT; the last one is answered by
  MISSION_ACK ACCEPTED. An item with the wrong seq gets MISSION_ACK INVALID_SEQUENCE and the request
  stands; the request is repeated every second of silence; after 8 s the upload is cancelled
  (MISSION_ACK OPERATION_CANCELLED) and the old list kept. An item when no upload runs: ERROR. An
  unknown command: UNSUPPORTED (upload ended). A second GCS starting an upload meanwhile: DENIED.
- Download: MISSION_REQUEST_LIST -> MISSION_COUNT; MISSION_REQUEST_INT -> MISSION_ITEM_INT,
  MISSION_REQUEST -> MISSION_ITEM (float degrees); a seq beyond the list: INVALID_SEQUENCE. ArduPilot
  answers the float frames (GLOBAL_RELATIVE_ALT, not ..._INT), MAV_FRAME_GLOBAL for items with no
  place, altitudes in whole centimetres, only the params it stores per command, and autocontinue 0 for
  fence and rally items.
- MISSION_CLEAR_ALL while the mission is being flown is refused (ERROR), as AP_Mission::clear does.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gcs.core.mavlink_env import mavlink

M = mavlink
RE_REQUEST_S = 1.0
UPLOAD_TIMEOUT_S = 8.0
CAPACITY = {M.MAV_MISSION_TYPE_MISSION: 700, M.MAV_MISSION_TYPE_FENCE: 84, M.MAV_MISSION_TYPE_RALLY: 20}
TYPES = tuple(CAPACITY)
INT_FRAMES = {M.MAV_FRAME_GLOBAL_INT: M.MAV_FRAME_GLOBAL, M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT:
              M.MAV_FRAME_GLOBAL_RELATIVE_ALT, M.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT: M.MAV_FRAME_GLOBAL_TERRAIN_ALT}
GLOBAL = frozenset({M.MAV_FRAME_GLOBAL, M.MAV_FRAME_GLOBAL_RELATIVE_ALT, M.MAV_FRAME_GLOBAL_TERRAIN_ALT})
FENCE_COMMANDS = frozenset({M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
                            M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION, M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION,
                            M.MAV_CMD_NAV_FENCE_RETURN_POINT})
MISSION_COMMANDS = frozenset({
    M.MAV_CMD_NAV_WAYPOINT, M.MAV_CMD_NAV_LOITER_UNLIM, M.MAV_CMD_NAV_LOITER_TURNS, M.MAV_CMD_NAV_LOITER_TIME,
    M.MAV_CMD_NAV_RETURN_TO_LAUNCH, M.MAV_CMD_NAV_LAND, M.MAV_CMD_NAV_TAKEOFF, M.MAV_CMD_NAV_SPLINE_WAYPOINT,
    M.MAV_CMD_NAV_DELAY, M.MAV_CMD_CONDITION_DELAY, M.MAV_CMD_CONDITION_DISTANCE, M.MAV_CMD_CONDITION_YAW,
    M.MAV_CMD_DO_JUMP, M.MAV_CMD_DO_CHANGE_SPEED, M.MAV_CMD_DO_SET_HOME, M.MAV_CMD_DO_SET_SERVO,
    M.MAV_CMD_DO_SET_RELAY, M.MAV_CMD_DO_SET_ROI, M.MAV_CMD_DO_SET_ROI_LOCATION, M.MAV_CMD_DO_SET_ROI_NONE,
    M.MAV_CMD_DO_DIGICAM_CONTROL, M.MAV_CMD_DO_SET_CAM_TRIGG_DIST, M.MAV_CMD_DO_MOUNT_CONTROL,
    M.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, M.MAV_CMD_IMAGE_START_CAPTURE, M.MAV_CMD_IMAGE_STOP_CAPTURE,
    M.MAV_CMD_VIDEO_START_CAPTURE, M.MAV_CMD_VIDEO_STOP_CAPTURE, M.MAV_CMD_DO_LAND_START,
})
# Which of param1-4 ArduPilot's 15-byte AP_Mission command keeps (the others come back 0)
ARDUPILOT_KEPT: dict[int, tuple[int, ...]] = {
    M.MAV_CMD_NAV_WAYPOINT: (1,), M.MAV_CMD_NAV_TAKEOFF: (), M.MAV_CMD_NAV_LAND: (),
    M.MAV_CMD_NAV_RETURN_TO_LAUNCH: (), M.MAV_CMD_NAV_LOITER_UNLIM: (), M.MAV_CMD_NAV_LOITER_TIME: (1,),
    M.MAV_CMD_NAV_LOITER_TURNS: (1, 3), M.MAV_CMD_DO_SET_ROI_LOCATION: (), M.MAV_CMD_DO_SET_ROI_NONE: (),
    M.MAV_CMD_DO_CHANGE_SPEED: (1, 2, 3), M.MAV_CMD_DO_JUMP: (1, 2), M.MAV_CMD_NAV_RALLY_POINT: (),
    **{c: (1,) for c in FENCE_COMMANDS},
}
LOCATION_COMMANDS = frozenset({
    M.MAV_CMD_NAV_WAYPOINT, M.MAV_CMD_NAV_LOITER_UNLIM, M.MAV_CMD_NAV_LOITER_TURNS, M.MAV_CMD_NAV_LOITER_TIME,
    M.MAV_CMD_NAV_LAND, M.MAV_CMD_NAV_TAKEOFF, M.MAV_CMD_NAV_SPLINE_WAYPOINT, M.MAV_CMD_DO_SET_ROI_LOCATION,
    M.MAV_CMD_DO_SET_ROI, M.MAV_CMD_DO_SET_HOME, M.MAV_CMD_DO_LAND_START, M.MAV_CMD_NAV_RALLY_POINT,
    *FENCE_COMMANDS,
})


@dataclass(frozen=True)
class Item:
    """One stored item: x/y in degrees for a global frame, z in the frame's metres."""

    frame: int
    command: int
    autocontinue: int
    p1: float
    p2: float
    p3: float
    p4: float
    x: float
    y: float
    z: float

    @property
    def has_position(self) -> bool:
        return self.frame in GLOBAL and not (self.x == 0.0 and self.y == 0.0)


@dataclass
class _Upload:
    sender: tuple[int, int]
    mission_type: int
    count: int
    items: list[Item]
    last_rx: float
    last_request: float


def _f32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0]) if math.isfinite(value) else value


class SimMissions:
    """The three lists of one simulated autopilot and their transfer protocol. Sim thread only."""

    def __init__(self, px4: bool, home: Callable[[], tuple[float, float, float]], running: Callable[[], bool]) -> None:
        self.px4 = px4
        self._home = home  # (lat, lon, alt MSL) of the current home
        self._running = running  # is the mission being flown now (clear is refused then)
        self.lists: dict[int, list[Item]] = {t: [] for t in TYPES}
        if not px4:
            self.lists[M.MAV_MISSION_TYPE_MISSION] = [self._home_item()]
        self.version = 0  # bumps when the mission list changes (the runner starts over)
        self._upload: _Upload | None = None
        self.uploads_cancelled = 0

    # ---- helpers --------------------------------------------------------------------------

    def _home_item(self) -> Item:
        lat, lon, alt = self._home()
        return Item(M.MAV_FRAME_GLOBAL, M.MAV_CMD_NAV_WAYPOINT, 1, 0, 0, 0, 0, lat, lon, alt)

    @property
    def mission(self) -> list[Item]:
        return self.lists[M.MAV_MISSION_TYPE_MISSION]

    @property
    def has_home_item(self) -> bool:
        return not self.px4

    def item(self, seq: int) -> Item | None:
        items = self.mission
        if not 0 <= seq < len(items):
            return None
        if seq == 0 and self.has_home_item:
            return self._home_item()
        return items[seq]

    @staticmethod
    def _ack(src: tuple[int, int], result: int, mission_type: int) -> Any:
        return M.MAVLink_mission_ack_message(src[0], src[1], result, mission_type)

    def _request(self, up: _Upload, now: float) -> Any:
        up.last_request = now
        seq = len(up.items)
        if self.px4:
            return M.MAVLink_mission_request_int_message(*up.sender, seq, up.mission_type)
        return M.MAVLink_mission_request_message(*up.sender, seq, up.mission_type)

    # ---- upload ---------------------------------------------------------------------------

    def on_count(self, msg: Any, now: float) -> list[Any]:
        src, mt = (msg.get_srcSystem(), msg.get_srcComponent()), int(getattr(msg, "mission_type", 0))
        if mt not in CAPACITY:
            return [self._ack(src, M.MAV_MISSION_UNSUPPORTED, mt)]
        up = self._upload
        if up is not None and up.sender != src and now - up.last_rx < UPLOAD_TIMEOUT_S:
            return [self._ack(src, M.MAV_MISSION_DENIED, mt)]  # another GCS is uploading
        count = int(msg.count)
        if count > CAPACITY[mt]:
            return [self._ack(src, M.MAV_MISSION_NO_SPACE, mt)]
        if count == 0:
            self._upload = None
            self._store(mt, [])
            return [self._ack(src, M.MAV_MISSION_ACCEPTED, mt)]
        self._upload = _Upload(src, mt, count, [], now, now)
        return [self._request(self._upload, now)]

    def on_item(self, msg: Any, now: float) -> list[Any]:
        src, mt = (msg.get_srcSystem(), msg.get_srcComponent()), int(getattr(msg, "mission_type", 0))
        up = self._upload
        if up is None or up.sender != src or up.mission_type != mt:
            return [self._ack(src, M.MAV_MISSION_ERROR, mt)]
        up.last_rx = now
        if int(msg.seq) != len(up.items):
            return [self._ack(src, M.MAV_MISSION_INVALID_SEQUENCE, mt)]
        item, problem = self._convert(msg, mt, len(up.items))
        if item is None:
            self._upload = None
            return [self._ack(src, problem, mt)]
        up.items.append(item)
        if len(up.items) < up.count:
            return [self._request(up, now)]
        self._upload = None
        problem = self._check_list(mt, up.items)
        if problem:
            return [self._ack(src, problem, mt)]
        self._store(mt, up.items)
        return [self._ack(src, M.MAV_MISSION_ACCEPTED, mt)]

    def _convert(self, msg: Any, mt: int, seq: int) -> tuple[Item | None, int]:
        frame = INT_FRAMES.get(int(msg.frame), int(msg.frame))
        command = int(msg.command)
        allowed = MISSION_COMMANDS if mt == M.MAV_MISSION_TYPE_MISSION else (
            FENCE_COMMANDS if mt == M.MAV_MISSION_TYPE_FENCE else frozenset({M.MAV_CMD_NAV_RALLY_POINT}))
        if command not in allowed and not (seq == 0 and self.has_home_item and mt == M.MAV_MISSION_TYPE_MISSION):
            return None, M.MAV_MISSION_UNSUPPORTED
        if frame not in GLOBAL and frame != M.MAV_FRAME_MISSION:
            return None, M.MAV_MISSION_UNSUPPORTED_FRAME
        x, y = float(msg.x), float(msg.y)
        if msg.get_type() == "MISSION_ITEM_INT" and frame in GLOBAL:
            x, y = int(msg.x) / 1e7, int(msg.y) / 1e7
        if frame in GLOBAL:
            if not (math.isfinite(x) and abs(x) <= 90):
                return None, M.MAV_MISSION_INVALID_PARAM5_X
            if not (math.isfinite(y) and abs(y) <= 180):
                return None, M.MAV_MISSION_INVALID_PARAM6_Y
        z = float(msg.z)
        if not math.isfinite(z):
            if command in LOCATION_COMMANDS:
                return None, M.MAV_MISSION_INVALID_PARAM7
            z = 0.0  # no place, no altitude: MAVSDK sends NaN for DO_CHANGE_SPEED, both autopilots take it
        params = [float(msg.param1), float(msg.param2), float(msg.param3), float(msg.param4)]
        autocontinue = int(msg.autocontinue)
        if not self.px4:  # ArduPilot's storage: centimetres, kept params, fence/rally without autocontinue
            kept = ARDUPILOT_KEPT.get(command, (1, 2, 3, 4))
            params = [_f32(v) if (k + 1) in kept and math.isfinite(v) else 0.0 for k, v in enumerate(params)]
            z = round(z * 100) / 100
            if mt != M.MAV_MISSION_TYPE_MISSION:
                autocontinue = 0
            if command not in LOCATION_COMMANDS:
                frame = M.MAV_FRAME_GLOBAL  # a command without a place comes back in MAV_FRAME_GLOBAL
        x, y = (round(x * 1e7) / 1e7, round(y * 1e7) / 1e7) if frame in GLOBAL else (x, y)
        return Item(frame, command, autocontinue, params[0], params[1], params[2], params[3], x, y, z), 0

    @staticmethod
    def _check_list(mt: int, items: list[Item]) -> int:
        """A fence's polygons must have as many vertices as each says (ArduPilot's fence validation)."""
        if mt != M.MAV_MISSION_TYPE_FENCE:
            return 0
        i = 0
        while i < len(items):
            item = items[i]
            if item.command in (M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
                                M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION):
                count = int(item.p1)
                run = items[i:i + count]
                if count < 3 or len(run) < count or any(p.command != item.command or int(p.p1) != count for p in run):
                    return int(M.MAV_MISSION_INVALID_PARAM1)
                i += count
                continue
            i += 1
        return 0

    def _store(self, mt: int, items: list[Item]) -> None:
        if mt == M.MAV_MISSION_TYPE_MISSION and self.has_home_item and items:
            items = [self._home_item(), *items[1:]]  # ArduPilot writes its own home at 0
        self.lists[mt] = list(items)
        if mt == M.MAV_MISSION_TYPE_MISSION:
            self.version += 1

    def due(self, now: float) -> list[Any]:
        """Re-ask for the awaited item after a second of silence; give up after 8 s (sim loop)."""
        up = self._upload
        if up is None:
            return []
        if now - up.last_rx > UPLOAD_TIMEOUT_S:
            self._upload = None
            self.uploads_cancelled += 1
            return [self._ack(up.sender, M.MAV_MISSION_OPERATION_CANCELLED, up.mission_type)]
        if now - up.last_request >= RE_REQUEST_S:
            return [self._request(up, now)]
        return []

    # ---- download and clear ---------------------------------------------------------------

    def on_request_list(self, msg: Any) -> list[Any]:
        src, mt = (msg.get_srcSystem(), msg.get_srcComponent()), int(getattr(msg, "mission_type", 0))
        if mt not in CAPACITY:
            return [self._ack(src, M.MAV_MISSION_UNSUPPORTED, mt)]
        return [M.MAVLink_mission_count_message(*src, len(self.lists[mt]), mt)]

    def on_request(self, msg: Any) -> list[Any]:
        src, mt = (msg.get_srcSystem(), msg.get_srcComponent()), int(getattr(msg, "mission_type", 0))
        seq = int(msg.seq)
        items = self.lists.get(mt)
        if items is None or not 0 <= seq < len(items):
            return [self._ack(src, M.MAV_MISSION_INVALID_SEQUENCE, mt)]
        item = self.item(seq) if mt == M.MAV_MISSION_TYPE_MISSION else items[seq]
        assert item is not None
        current = 0
        if msg.get_type() == "MISSION_REQUEST_INT":
            x, y = (round(item.x * 1e7), round(item.y * 1e7)) if item.frame in GLOBAL else (int(item.x), int(item.y))
            frame = item.frame if not self.px4 else {v: k for k, v in INT_FRAMES.items()}.get(item.frame, item.frame)
            return [M.MAVLink_mission_item_int_message(*src, seq, frame, item.command, current, item.autocontinue,
                                                       item.p1, item.p2, item.p3, item.p4, x, y, item.z, mt)]
        return [M.MAVLink_mission_item_message(*src, seq, item.frame, item.command, current, item.autocontinue,
                                               item.p1, item.p2, item.p3, item.p4, item.x, item.y, item.z, mt)]

    def on_clear(self, msg: Any) -> list[Any]:
        src, mt = (msg.get_srcSystem(), msg.get_srcComponent()), int(getattr(msg, "mission_type", 0))
        if mt == M.MAV_MISSION_TYPE_ALL:
            types: tuple[int, ...] = TYPES
        elif mt in CAPACITY:
            types = (mt,)
        else:
            return [self._ack(src, M.MAV_MISSION_UNSUPPORTED, mt)]
        if M.MAV_MISSION_TYPE_MISSION in types and self._running():
            return [self._ack(src, M.MAV_MISSION_ERROR, mt)]
        for t in types:
            self._store(t, [])
        return [self._ack(src, M.MAV_MISSION_ACCEPTED, mt)]


__all__ = ["Item", "SimMissions"]
