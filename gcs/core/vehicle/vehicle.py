"""One vehicle (one MAVLink system id): its latest state and the commands a pilot can give it.

The link thread calls ``apply`` for each message; any thread may read ``state`` (an immutable
snapshot swapped atomically) or call a command, which blocks that caller until COMMAND_ACK.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gcs.core.errors import CommandRejected, LinkError
from gcs.core.mavlink_env import mavlink
from gcs.core.models import (
    Autopilot,
    CommandResult,
    LinkState,
    LinkStatus,
    VehicleState,
    VelocityBodyYawRate,
    VelocityIntent,
    VelocityNedYawRate,
    evolve,
)
from gcs.core.vehicle.commands import CommandChannel
from gcs.core.vehicle.flavours import AutopilotFlavour, flavour_for
from gcs.core.vehicle.mission.protocol import MISSION_TYPES, MissionManager
from gcs.core.vehicle.params.manager import ParamManager
from gcs.core.vehicle.reducer import initial_state, reduce
from gcs.core.vehicle.refusals import RecentTexts

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT_S = 1.5  # one heartbeat period plus margin
FORCE_DISARM_MAGIC = 21196  # MAVLink: param2 of ARM_DISARM that overrides in-flight checks
# Velocity + yaw rate only: ignore position (bits 0-2), acceleration (6-8) and yaw angle (10).
VELOCITY_YAW_RATE_MASK = 0b0000_0101_1100_0111
# Position only: ignore velocity (3-5), acceleration (6-8), yaw (10) and yaw rate (11).
POSITION_ONLY_MASK = 0b0000_1101_1111_1000


@dataclass(frozen=True)
class CommandSettings:
    timeout_s: float = 1.5
    retries: int = 3
    stream_rate_hz: float = 10.0
    attitude_rate_hz: float = 50.0


# Messages the GCS needs and the rate each is asked at ("fast" = attitude rate).
STREAMS: tuple[tuple[int, str], ...] = (
    (mavlink.MAVLINK_MSG_ID_ATTITUDE, "fast"),
    (mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT, "normal"),
    (mavlink.MAVLINK_MSG_ID_LOCAL_POSITION_NED, "normal"),
    (mavlink.MAVLINK_MSG_ID_VFR_HUD, "normal"),
    (mavlink.MAVLINK_MSG_ID_GPS_RAW_INT, "slow"),
    (mavlink.MAVLINK_MSG_ID_SYS_STATUS, "normal"),  # battery and sensor health: a critical battery acts within 1 s
    (mavlink.MAVLINK_MSG_ID_BATTERY_STATUS, "slow"),
    (mavlink.MAVLINK_MSG_ID_EXTENDED_SYS_STATE, "slow"),
    (mavlink.MAVLINK_MSG_ID_MISSION_CURRENT, "slow"),  # the current item (the vehicle also sends it on change)
)


class Vehicle:
    """State and commands of one system id, bound to the link it was heard on."""

    def __init__(self, system_id: int, component_id: int, link: Any, settings: CommandSettings) -> None:
        self.system_id = system_id
        self.component_id = component_id
        self.link = link
        self.settings = settings
        self._state = initial_state(system_id, component_id)
        self._state_lock = threading.Lock()
        self.commands = CommandChannel(system_id, component_id, self._send)
        self.last_heartbeat_mono: float | None = None  # on the link's clock (Link.clock)
        self.link_state = LinkState.CONNECTING
        self._boot = time.monotonic()
        self.recent_texts = RecentTexts()  # the reasons behind refused commands
        self.params = ParamManager(
            system_id, component_id, self._send, lambda: self._state.autopilot is Autopilot.PX4, self.recent_texts
        )
        self.missions = MissionManager(
            system_id, component_id, self._send, self.recent_texts,
            own_system_id=lambda: getattr(self.link, "source_system", None),
        )

    # ---- state -----------------------------------------------------------------------------

    @property
    def state(self) -> VehicleState:
        return self._state

    @property
    def flavour(self) -> AutopilotFlavour:
        return flavour_for(self._state.autopilot)

    def apply(self, msg: Any, now_s: float) -> VehicleState | None:
        """Reduce one message (link thread); return the new state, or None if nothing changed."""
        mtype = msg.get_type()
        if mtype == "COMMAND_ACK":
            self.commands.on_ack(msg)
            return None
        if mtype == "STATUSTEXT":
            self.recent_texts.add(msg)
        if mtype in MISSION_TYPES:
            self.missions.on_message(msg)
            return None
        if mtype in ("PARAM_VALUE", "AUTOPILOT_VERSION"):
            self.params.on_message(msg)
            if mtype == "PARAM_VALUE":
                return None
        if mtype == "HEARTBEAT" and msg.type != mavlink.MAV_TYPE_GCS and msg.autopilot != mavlink.MAV_AUTOPILOT_INVALID:
            self.last_heartbeat_mono = self.link.clock()
        with self._state_lock:
            old = self._state
            new = reduce(old, msg, now_s)
            if new is old:
                return None
            self._state = new
        return new

    def reset_state(self) -> None:
        """Forget everything reduced so far and the traffic counts, keeping the link state (a replay seeking)."""
        with self._state_lock:
            old = self._state.link
            link = LinkStatus(state=old.state, last_heard_age_s=old.last_heard_age_s)
            self._state = evolve(initial_state(self.system_id, self.component_id), link=link)

    def replace_state(self, state: VehicleState, heard: bool) -> VehicleState:
        """A relayed vehicle: its state comes whole from the broker (keeping the relay's own link
        statistics); ``heard`` (its GCS still hears it) feeds the watchdog like a heartbeat."""
        if heard:
            self.last_heartbeat_mono = self.link.clock()
        with self._state_lock:
            self._state = evolve(state, link=self._state.link)
            return self._state

    def set_link_status(self, status: LinkStatus) -> VehicleState:
        """Swap in fresh link statistics (watchdog thread)."""
        with self._state_lock:
            self._state = evolve(self._state, link=status)
            return self._state

    # ---- commands (blocking: call from a worker thread, never the link thread) -------------

    def _send(self, msg: Any) -> None:
        self.link.send(msg)

    def _command(self, command: int, *params: float) -> CommandResult:
        """Send and wait for the ACK; a refusal carries the vehicle's own STATUSTEXT reason."""
        sent = time.monotonic()
        try:
            settings = self.settings
            return self.commands.send(command, *params, timeout_s=settings.timeout_s, retries=settings.retries)
        except CommandRejected as exc:
            reasons = self.recent_texts.reasons(sent)
            if not reasons:
                raise
            raise CommandRejected(f"{exc} ({'; '.join(reasons)})", exc.command, exc.result) from exc

    def _confirm(self, predicate: Callable[[VehicleState], bool], what: str) -> None:
        """After an ACK, wait (briefly) until telemetry shows the change too.

        Armed state and mode come only with the 1 Hz HEARTBEAT, so without this a pilot's next
        command (takeoff right after arm) would be judged on a state one second old.
        """
        deadline = time.monotonic() + CONFIRM_TIMEOUT_S
        while not predicate(self._state):
            if time.monotonic() > deadline:
                log.info("vehicle %d: %s acknowledged but not yet shown in telemetry", self.system_id, what)
                return
            time.sleep(0.02)

    def arm(self) -> CommandResult:
        result = self._command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1)
        self._confirm(lambda s: s.armed, "arm")
        return result

    def disarm(self, force: bool = False) -> CommandResult:
        result = self._command(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 0, FORCE_DISARM_MAGIC if force else 0)
        self._confirm(lambda s: not s.armed, "disarm")
        return result

    def set_mode(self, name: str) -> CommandResult:
        base, custom, sub = self.flavour.set_mode_params(name, self._state.mav_type)
        result = self._command(mavlink.MAV_CMD_DO_SET_MODE, base, custom, sub)
        wanted = name.upper()
        self._confirm(lambda s: s.mode.upper() == wanted, f"mode {wanted}")
        return CommandResult(result.command, True, result.result, f"mode {wanted} accepted")

    def takeoff(self, altitude_m: float) -> CommandResult:
        """Climb to ``altitude_m`` above home; ArduPilot copters are put in GUIDED first."""
        if not math.isfinite(altitude_m) or not 0.5 <= altitude_m <= 500:
            raise CommandRejected(
                f"takeoff altitude {altitude_m} m is outside 0.5-500 m", "NAV_TAKEOFF", "LOCAL_REFUSAL"
            )
        state = self._state
        if not state.armed:
            raise CommandRejected(
                "takeoff refused: the vehicle is not armed (arm first)", "NAV_TAKEOFF", "LOCAL_REFUSAL"
            )
        flavour = self.flavour
        if not flavour.supports_takeoff(state.mav_type):
            raise CommandRejected(f"{state.vehicle_type} has no takeoff command", "NAV_TAKEOFF", "UNSUPPORTED")
        guided = flavour.offboard_mode(state.mav_type)
        if flavour.takeoff_needs_guided(state.mav_type) and state.mode != guided:
            self.set_mode(guided)
        home_msl = (
            state.home.alt_msl_m if state.home else state.global_position.alt_msl_m - state.global_position.alt_rel_m
        )
        param7 = flavour.takeoff_altitude_param(altitude_m, home_msl)
        nan = math.nan
        result = self._command(mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, nan, nan, nan, param7)
        return CommandResult(result.command, True, result.result, f"takeoff to {altitude_m:.1f} m accepted")

    def land(self) -> CommandResult:
        return self._command(mavlink.MAV_CMD_NAV_LAND, 0, 0, 0, math.nan, math.nan, math.nan, 0)

    def rtl(self) -> CommandResult:
        return self._command(mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH)

    def hold(self) -> CommandResult:
        """Stop and hold position and height in the flavour's hold mode (PX4 Hold, ArduCopter BRAKE)."""
        return self.set_mode(self.flavour.hold_mode(self._state.mav_type))

    def goto(self, lat_deg: float, lon_deg: float, alt_rel_m: float) -> CommandResult:
        """Fly to a point and hold there (the map's click-to-fly), as each autopilot documents it.

        PX4: MAV_CMD_DO_REPOSITION as COMMAND_INT (what QGC's "Go to location" sends: AMSL
        altitude, change-mode flag; PX4 flies there in Hold). ArduPilot: GUIDED (switched to first)
        and one SET_POSITION_TARGET_GLOBAL_INT with only the position (height above home); it has
        no ACK, so the result is SENT once it left.
        """
        state = self._state
        if state.autopilot is Autopilot.PX4:
            home_msl = state.home.alt_msl_m if state.home else state.global_position.alt_msl_m - \
                state.global_position.alt_rel_m
            result = self._command_int(
                mavlink.MAV_CMD_DO_REPOSITION, mavlink.MAV_FRAME_GLOBAL, -1.0,
                float(mavlink.MAV_DO_REPOSITION_FLAGS_CHANGE_MODE), 0.0, math.nan, lat_deg, lon_deg,
                home_msl + alt_rel_m)
            return CommandResult("GOTO", True, result.result, f"going to {lat_deg:.6f}, {lon_deg:.6f}")
        guided = self.flavour.offboard_mode(state.mav_type)
        if state.mode != guided:
            self.set_mode(guided)
        self._send(mavlink.MAVLink_set_position_target_global_int_message(
            int((time.monotonic() - self._boot) * 1000) & 0xFFFFFFFF, self.system_id, self.component_id,
            mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, POSITION_ONLY_MASK,
            round(lat_deg * 1e7), round(lon_deg * 1e7), alt_rel_m, 0, 0, 0, 0, 0, 0, 0, 0))
        return CommandResult("GOTO", True, "SENT", f"going to {lat_deg:.6f}, {lon_deg:.6f} in {guided}")

    def _command_int(self, command: int, frame: int, *params: float) -> CommandResult:
        sent = time.monotonic()
        try:
            return self.commands.send(command, *params, timeout_s=self.settings.timeout_s,
                                      retries=self.settings.retries, frame=frame)
        except CommandRejected as exc:
            reasons = self.recent_texts.reasons(sent)
            if not reasons:
                raise
            raise CommandRejected(f"{exc} ({'; '.join(reasons)})", exc.command, exc.result) from exc

    def request_hold_nowait(self) -> None:
        """Ask for hold without waiting (commander thread, link loss): best effort."""
        try:
            mav_type = self._state.mav_type
            base, custom, sub = self.flavour.set_mode_params(self.flavour.hold_mode(mav_type), mav_type)
            self.commands.send_nowait(mavlink.MAV_CMD_DO_SET_MODE, base, custom, sub)
        except LinkError as exc:
            log.warning("vehicle %d: hold request not sent: %s", self.system_id, exc)

    def set_message_interval(self, message_id: int, rate_hz: float, wait: bool = True) -> CommandResult | None:
        interval_us = -1.0 if rate_hz <= 0 else 1e6 / rate_hz
        if wait:
            return self._command(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, message_id, interval_us)
        self.commands.send_nowait(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, message_id, interval_us)
        return None

    def request_streams(self) -> None:
        """Ask for the telemetry we plot (SET_MESSAGE_INTERVAL; REQUEST_DATA_STREAM for old ArduPilot)."""
        rates = {
            "fast": self.settings.attitude_rate_hz,
            "normal": self.settings.stream_rate_hz,
            "slow": max(1.0, self.settings.stream_rate_hz / 5),
        }
        try:
            for msg_id, kind in STREAMS:
                self.set_message_interval(msg_id, rates[kind], wait=False)
            self.commands.send_nowait(mavlink.MAV_CMD_REQUEST_MESSAGE, mavlink.MAVLINK_MSG_ID_HOME_POSITION)
            if self._state.autopilot is Autopilot.ARDUPILOT:
                self._send(
                    mavlink.MAVLink_request_data_stream_message(
                        self.system_id,
                        self.component_id,
                        mavlink.MAV_DATA_STREAM_ALL,
                        int(self.settings.stream_rate_hz),
                        1,
                    )
                )
        except LinkError as exc:
            log.warning("vehicle %d: stream request not sent: %s", self.system_id, exc)

    # ---- setpoints (commander thread) ------------------------------------------------------

    def send_velocity(self, velocity: VelocityIntent) -> None:
        """One SET_POSITION_TARGET_LOCAL_NED with velocity + yaw rate in the frame the type names."""
        if isinstance(velocity, VelocityBodyYawRate):
            # PX4 documents BODY_NED for heading-frame velocity; ArduPilot documents BODY_OFFSET_NED.
            frame = (
                mavlink.MAV_FRAME_BODY_NED
                if self._state.autopilot is Autopilot.PX4
                else mavlink.MAV_FRAME_BODY_OFFSET_NED
            )
            vx, vy, vz = velocity.forward_mps, velocity.right_mps, velocity.down_mps
        elif isinstance(velocity, VelocityNedYawRate):
            frame = mavlink.MAV_FRAME_LOCAL_NED
            vx, vy, vz = velocity.north_mps, velocity.east_mps, velocity.down_mps
        else:  # pragma: no cover - the type union is closed
            raise TypeError(f"unknown velocity type {type(velocity).__name__}")
        self._send(
            mavlink.MAVLink_set_position_target_local_ned_message(
                int((time.monotonic() - self._boot) * 1000) & 0xFFFFFFFF,
                self.system_id,
                self.component_id,
                frame,
                VELOCITY_YAW_RATE_MASK,
                0,
                0,
                0,
                vx,
                vy,
                vz,
                0,
                0,
                0,
                0,
                velocity.yaw_rate_radps,
            )
        )
