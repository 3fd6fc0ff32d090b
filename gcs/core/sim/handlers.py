"""Incoming MAVLink -> autopilot actions and replies (COMMAND_ACK, PARAM_VALUE, ...).

Every handler returns the messages to send back; nothing here touches a socket. Commands are
acknowledged to the sender (target_system/target_component of COMMAND_ACK), with ``command``
echoed. A retry of a command we already executed (same sender, command and parameters,
confirmation > 0, within ``RETRY_WINDOW_S``) gets the same ACK again and is not executed twice.
"""

from __future__ import annotations

import math
import struct
import time
from typing import Any

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.autopilot import FORCE_MAGIC, SimAutopilot
from gcs.core.sim.param_protocol import ParamResponder
from gcs.core.sim.telemetry import BUILDERS, DATA_STREAMS, StreamScheduler

M = mavlink
RETRY_WINDOW_S = 3.0
FTP_NAK = 129  # MAVFTP opcode
FTP_ERR_UNKNOWN_COMMAND = 7
ACCEPTED = M.MAV_RESULT_ACCEPTED

Params = tuple[float, float, float, float, float, float, float]
GLOBAL_FRAMES = frozenset({
    M.MAV_FRAME_GLOBAL, M.MAV_FRAME_GLOBAL_INT, M.MAV_FRAME_GLOBAL_RELATIVE_ALT,
    M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, M.MAV_FRAME_GLOBAL_TERRAIN_ALT, M.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT,
})
RELATIVE_FRAMES = frozenset({
    M.MAV_FRAME_GLOBAL_RELATIVE_ALT, M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
    M.MAV_FRAME_GLOBAL_TERRAIN_ALT, M.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT,
})


def _msg_id(value: float) -> int | None:
    if not math.isfinite(value) or value < 0 or value != int(value):
        return None
    return int(value)


class MessageHandler:
    """Dispatches decoded messages for one simulated autopilot."""

    def __init__(self, ap: SimAutopilot, streams: StreamScheduler, system_id: int, component_id: int) -> None:
        self.ap = ap
        self.streams = streams
        self.system_id = system_id
        self.component_id = component_id
        self._acks: dict[tuple[int, int, int, Params], tuple[float, int]] = {}
        self.commands_handled = 0
        self.params = ParamResponder(ap.params, ap.outbox, ap.px4)

    def _for_us(self, target_system: int, target_component: int | None = None) -> bool:
        if target_system not in (0, self.system_id):
            return False
        return target_component is None or target_component in (0, self.component_id)

    def handle(self, msg: Any, now: float) -> list[Any]:
        kind = msg.get_type()
        if kind == "COMMAND_LONG":
            if not self._for_us(msg.target_system, msg.target_component):
                return []
            params = (msg.param1, msg.param2, msg.param3, msg.param4, msg.param5, msg.param6, msg.param7)
            return self._command(msg, msg.command, msg.confirmation, params, now)
        if kind == "COMMAND_INT":
            if not self._for_us(msg.target_system, msg.target_component):
                return []
            x, y = float(msg.x), float(msg.y)
            if msg.frame in GLOBAL_FRAMES:
                x, y = x / 1e7, y / 1e7  # degrees * 1e7 on the wire
            params = (msg.param1, msg.param2, msg.param3, msg.param4, x, y, msg.z)
            return self._command(msg, msg.command, 0, params, now, msg.frame in RELATIVE_FRAMES)
        if kind == "SET_POSITION_TARGET_LOCAL_NED":
            if self._for_us(msg.target_system, msg.target_component):
                self.ap.setpoint_local(msg, now)
            return []
        if kind == "RC_CHANNELS_OVERRIDE":
            if self._for_us(msg.target_system, msg.target_component):
                self.ap.rc_override(msg, now)
            return []
        if kind == "SET_POSITION_TARGET_GLOBAL_INT":
            if self._for_us(msg.target_system, msg.target_component):
                self.ap.setpoint_global(msg, now)
            return []
        handler = _OTHER.get(kind)
        return handler(self, msg, now) if handler else []

    # ---- commands -----------------------------------------------------------------------

    def _command(
        self, msg: Any, command: int, confirmation: int, p: Params, now: float, relative_alt: bool = False
    ) -> list[Any]:
        src_sys, src_comp = msg.get_srcSystem(), msg.get_srcComponent()
        key = (src_sys, src_comp, command, p)
        for k in [k for k, (t, _) in self._acks.items() if now - t > RETRY_WINDOW_S]:
            del self._acks[k]
        cached = self._acks.get(key)
        if confirmation > 0 and cached is not None:
            return [M.MAVLink_command_ack_message(command, cached[1], 0, 0, src_sys, src_comp)]
        self.commands_handled += 1
        result, extra = self._execute(command, p, now, relative_alt)
        self._acks[key] = (now, result)
        ack = M.MAVLink_command_ack_message(command, result, 0, 0, src_sys, src_comp)
        return [ack, *extra]

    def _execute(self, command: int, p: Params, now: float, relative_alt: bool) -> tuple[int, list[Any]]:
        ap = self.ap
        ap.now = now
        if command == M.MAV_CMD_COMPONENT_ARM_DISARM:
            if p[0] == 1.0:
                return ap.arm(force=p[1] in FORCE_MAGIC), []
            if p[0] == 0.0:
                return ap.disarm(force=p[1] == 21196.0), []
            return M.MAV_RESULT_DENIED, []
        if command == M.MAV_CMD_DO_SET_MODE:
            name = ap.modes.decode_set_mode(p[0], p[1], p[2])
            return (M.MAV_RESULT_DENIED if name is None else ap.request_mode(name)), []
        if command == M.MAV_CMD_NAV_TAKEOFF:
            return ap.takeoff(p[6]), []
        if command == M.MAV_CMD_NAV_LAND:
            return ap.land(), []
        if command == M.MAV_CMD_NAV_RETURN_TO_LAUNCH:
            return ap.return_to_launch(), []
        if command == M.MAV_CMD_NAV_LOITER_UNLIM:
            return ap.loiter(), []
        if command == M.MAV_CMD_MISSION_START:
            return ap.start_mission(p[0], p[1]), []
        if command == M.MAV_CMD_DO_SET_MISSION_CURRENT:
            seq = _msg_id(p[0])
            return (M.MAV_RESULT_DENIED if seq is None else ap.set_mission_current(seq)), []
        if command == M.MAV_CMD_DO_REPOSITION:
            change_mode = bool(int(p[1]) & M.MAV_DO_REPOSITION_FLAGS_CHANGE_MODE) if math.isfinite(p[1]) else False
            return ap.reposition(p[4], p[5], p[6], relative_alt, change_mode), []
        if command == M.MAV_CMD_SET_MESSAGE_INTERVAL:
            mid = _msg_id(p[0])
            if mid is None:
                return M.MAV_RESULT_DENIED, []
            ok = self.streams.set_interval_us(mid, p[1], now)
            return (ACCEPTED if ok else M.MAV_RESULT_FAILED), []
        if command == M.MAV_CMD_GET_MESSAGE_INTERVAL:
            mid = _msg_id(p[0])
            if mid is None:
                return M.MAV_RESULT_DENIED, []
            interval = self.streams.interval_s(mid)
            if mid not in self.streams.streamable:  # ArduCopter: interval 0 and FAILED
                return (ACCEPTED if self.ap.px4 else M.MAV_RESULT_FAILED), [M.MAVLink_message_interval_message(mid, 0)]
            us = -1 if interval is None else round(interval * 1e6)
            return ACCEPTED, [M.MAVLink_message_interval_message(mid, us)]
        if command == M.MAV_CMD_REQUEST_MESSAGE:
            mid = _msg_id(p[0])
            return self._one_message(mid, now)
        if command == M.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES:
            return self._one_message(M.MAVLINK_MSG_ID_AUTOPILOT_VERSION, now)
        if command == M.MAV_CMD_GET_HOME_POSITION:
            return self._one_message(M.MAVLINK_MSG_ID_HOME_POSITION, now)
        return M.MAV_RESULT_UNSUPPORTED, []

    def _one_message(self, mid: int | None, now: float) -> tuple[int, list[Any]]:
        """MAV_CMD_REQUEST_MESSAGE: a message this flavour cannot send is DENIED by PX4 and FAILED
        by ArduCopter (seen on its SITL for ALTITUDE)."""
        known = mid is not None and (mid in self.streams.streamable or mid == M.MAVLINK_MSG_ID_AUTOPILOT_VERSION)
        builder = BUILDERS.get(mid) if known and mid is not None else None
        if builder is None:
            return (M.MAV_RESULT_DENIED if self.ap.px4 else M.MAV_RESULT_FAILED), []
        message = builder(self.ap, now)
        if message is None:  # e.g. HOME_POSITION before there is a home
            return M.MAV_RESULT_FAILED, []
        return ACCEPTED, [message]

    # ---- streams, parameters, missions, time --------------------------------------------

    def _request_data_stream(self, msg: Any, now: float) -> list[Any]:
        if self.ap.px4 or not self._for_us(msg.target_system, msg.target_component):
            return []  # PX4 ignores the deprecated REQUEST_DATA_STREAM
        groups = DATA_STREAMS.values() if msg.req_stream_id == M.MAV_DATA_STREAM_ALL else (
            [DATA_STREAMS[msg.req_stream_id]] if msg.req_stream_id in DATA_STREAMS else [])
        rate = float(msg.req_message_rate) if msg.start_stop else 0.0
        for group in groups:
            for mid in group:
                self.streams.set_rate_hz(mid, rate, now)
        return []

    def _param_request_list(self, msg: Any, now: float) -> list[Any]:
        if not self._for_us(msg.target_system, msg.target_component):
            return []
        return self.params.request_list()  # sent paced from the loop (ParamResponder.due)

    def _param_request_read(self, msg: Any, now: float) -> list[Any]:
        if not self._for_us(msg.target_system, msg.target_component):
            return []
        return self.params.request_read(msg.param_index, _name(msg.param_id))

    def _param_set(self, msg: Any, now: float) -> list[Any]:
        if not self._for_us(msg.target_system, msg.target_component):
            return []
        return self.params.set(_name(msg.param_id), msg.param_value)

    def _mission(self, msg: Any, now: float) -> list[Any]:
        """The mission protocol (mission_store): upload, download, clear, for all three list types."""
        if not self._for_us(msg.target_system, msg.target_component):
            return []
        store = self.ap.mission_store
        kind = msg.get_type()
        if kind == "MISSION_COUNT":
            return store.on_count(msg, now)
        if kind in ("MISSION_ITEM_INT", "MISSION_ITEM"):
            return store.on_item(msg, now)
        if kind == "MISSION_REQUEST_LIST":
            return store.on_request_list(msg)
        if kind in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
            return store.on_request(msg)
        if kind == "MISSION_CLEAR_ALL":
            return store.on_clear(msg)
        return []

    def _mission_set_current(self, msg: Any, now: float) -> list[Any]:
        """The MISSION_SET_CURRENT message: answered with MISSION_CURRENT (the loop sends it at once)."""
        if self._for_us(msg.target_system, msg.target_component):
            self.ap.set_mission_current(int(msg.seq))
            self.ap.mission.current_changed = True
        return []

    def _set_mode(self, msg: Any, now: float) -> list[Any]:
        """The legacy SET_MODE message: obeyed, never acknowledged (ArduCopter 4.7's SITL sends no
        COMMAND_ACK for it, accepted or refused; the new mode shows in the next HEARTBEAT)."""
        if not self._for_us(msg.target_system):
            return []
        self.ap.now = now
        custom = int(msg.custom_mode)
        if self.ap.px4:  # main mode in byte 2, sub mode in byte 3 of custom_mode
            name = self.ap.modes.decode_set_mode(msg.base_mode, (custom >> 16) & 0xFF, custom >> 24)
        else:
            name = self.ap.modes.decode_set_mode(msg.base_mode, custom, 0)
        if name is not None:
            self.ap.request_mode(name)
        return []

    def _file_transfer(self, msg: Any, now: float) -> list[Any]:
        """MAVFTP is not implemented: NAK every request at once (UnknownCommand), so a client
        such as MAVProxy falls back to PARAM_REQUEST_LIST without waiting for a timeout."""
        if not self._for_us(msg.target_system, msg.target_component):
            return []
        seq, session, opcode = struct.unpack_from("<HBB", bytes(msg.payload[:4]))
        reply = struct.pack("<HBBBBBBIB", (seq + 1) & 0xFFFF, session, FTP_NAK, 1, opcode, 0, 0, 0,
                            FTP_ERR_UNKNOWN_COMMAND)
        payload = list(reply) + [0] * (251 - len(reply))
        return [M.MAVLink_file_transfer_protocol_message(0, msg.get_srcSystem(), msg.get_srcComponent(), payload)]

    def _timesync(self, msg: Any, now: float) -> list[Any]:
        if msg.tc1 != 0:
            return []
        return [M.MAVLink_timesync_message(time.monotonic_ns(), msg.ts1)]


def _name(raw: Any) -> str:
    text = raw.decode("ascii", "replace") if isinstance(raw, bytes | bytearray) else str(raw)
    return text.split("\x00", 1)[0]


_OTHER = {
    "REQUEST_DATA_STREAM": MessageHandler._request_data_stream,
    "PARAM_REQUEST_LIST": MessageHandler._param_request_list,
    "PARAM_REQUEST_READ": MessageHandler._param_request_read,
    "PARAM_SET": MessageHandler._param_set,
    "MISSION_REQUEST_LIST": MessageHandler._mission,
    "MISSION_COUNT": MessageHandler._mission,
    "MISSION_ITEM_INT": MessageHandler._mission,
    "MISSION_ITEM": MessageHandler._mission,
    "MISSION_CLEAR_ALL": MessageHandler._mission,
    "MISSION_REQUEST_INT": MessageHandler._mission,
    "MISSION_REQUEST": MessageHandler._mission,
    "MISSION_SET_CURRENT": MessageHandler._mission_set_current,
    "SET_MODE": MessageHandler._set_mode,
    "FILE_TRANSFER_PROTOCOL": MessageHandler._file_transfer,
    "TIMESYNC": MessageHandler._timesync,
}
