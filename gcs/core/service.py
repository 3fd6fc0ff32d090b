"""GcsService: the one facade the GUI and the API both call, so each feature is written once.

It composes the core (bus, config, links, fleet, commander, built-in simulator) and delegates;
logic lives in the modules it calls. Every method is synchronous and may block on the network
(COMMAND_ACK waits): faces call it from a worker thread (FastAPI's threadpool, a Qt worker),
never from the GUI thread. Every command's outcome is also published on ``Topics.COMMAND_RESULT``
so every face can show it, whichever face asked.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from gcs.core.availability import ALREADY_STREAMING, in_flight
from gcs.core.availability_watch import AvailabilityWatch
from gcs.core.bus import MessageBus, Subscription, Topics
from gcs.core.config import ConfigStore, GcsConfig
from gcs.core.errors import CommandError, CommandRejected, LinkError, RecordingError, VehicleNotFound
from gcs.core.fleet.mqtt_commands import FleetCommands
from gcs.core.fleet.mqtt_link import FleetPublisher
from gcs.core.fleet.relay import FleetRelay
from gcs.core.fleet.service_link import start_fleet_commands, start_fleet_publisher
from gcs.core.logs import (
    FlightRecorder,
    RecorderSettings,
    SessionStore,
    recover_open_sessions,
)
from gcs.core.logs.paths import sessions_db_path, tlog_dir
from gcs.core.models import CommandIntent, CommandResult, LinkState, VehicleState, VelocityIntent
from gcs.core.service_actions import ActionsFacade
from gcs.core.service_alerts import AlertsFacade
from gcs.core.service_camera import build_camera_component
from gcs.core.service_links import LinksFacade
from gcs.core.service_logs import LogsFacade
from gcs.core.service_map import MapFacade
from gcs.core.service_missions import MissionsFacade
from gcs.core.service_params import ParamsFacade
from gcs.core.service_vision import VisionFacade
from gcs.core.sim import SimVehicle
from gcs.core.vehicle import offboard
from gcs.core.vehicle.commander import Commander, CommanderStatus
from gcs.core.vehicle.fleet import Fleet
from gcs.core.vehicle.forwarding import Forwarding
from gcs.core.vehicle.link import Link
from gcs.core.vehicle.vehicle import CommandSettings, Vehicle
from gcs.core.video import VideoError
from gcs.core.vision import VisionPipeline

log = logging.getLogger(__name__)
R = TypeVar("R")


class GcsService(
    LinksFacade, ActionsFacade, AlertsFacade, VisionFacade, LogsFacade, ParamsFacade, MapFacade, MissionsFacade
):
    """Facade over the core; construct, ``start()``, use from any non-GUI thread, ``close()``."""

    def __init__(self, config: ConfigStore, bus: MessageBus | None = None) -> None:
        self.config = config
        self.bus = bus or MessageBus()
        cfg = config.current
        self.fleet = Fleet(
            self.bus,
            watchdog_timeout_s=cfg.link.watchdog_timeout_s,
            command_settings=self._command_settings(cfg),
            own_system_id=cfg.link.source_system,
        )
        self.commander = Commander(
            self.bus, rate_hz=cfg.safety.setpoint_rate_hz, lifetime_s=cfg.safety.setpoint_lifetime_s
        )
        self._links: dict[str, Link] = {}
        self._links_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._sims: list[SimVehicle] = []
        self._params_hooked: set[int] = set()  # parameter managers whose changes we log (ParamsFacade)
        self._params_lock = threading.Lock()
        self._missions_lock = threading.Lock()  # MissionsFacade: lists seen per vehicle, managers hooked
        self._missions_seen: dict[int, dict[Any, Any]] = {}
        self._missions_hooked: set[int] = set()
        self.forwarding = Forwarding(self._forward_targets)
        self.sessions: SessionStore | None = None  # opened by start(); None if the database is unusable
        self.recorder: FlightRecorder | None = None
        self.vision = VisionPipeline(
            self.bus, self.commander, lambda: self.bus.latest(Topics.VEHICLE_STATE), lambda: self.config.current
        )
        self._unsubscribe_config = config.subscribe(self._on_config_changed)
        self.fleet.add_link_listener(self._on_link_event)
        self.camera = build_camera_component(self)  # Kestrel as a MAVLink tracking camera (QGC)
        self.fleet_publisher: FleetPublisher | None = None  # fleet.mqtt_url: started by start()
        self.fleet_commands: FleetCommands | None = None  # fleet.mqtt_commands: started by start()
        self.fleet_relay: FleetRelay | None = None  # `gcs relay`: the fleet's vehicles from the broker
        self.started_s = time.time()
        self.availability_watch = AvailabilityWatch(
            self.bus, lambda: self._situation(None), lambda: self.config.current.safety
        )
        self._build_alerts()
        self._build_map()
        self.map.mission_source = self._map_mission  # MissionsFacade: the mission items the map draws

    @staticmethod
    def _command_settings(cfg: GcsConfig) -> CommandSettings:
        return CommandSettings(
            timeout_s=cfg.link.command_timeout_s,
            retries=cfg.link.command_retries,
            stream_rate_hz=cfg.link.stream_rate_hz,
            attitude_rate_hz=cfg.link.attitude_rate_hz,
        )

    def _on_config_changed(self, changes: dict[str, Any]) -> None:
        """Apply the settings marked 'live' without a restart."""
        cfg = self.config.current
        self.fleet.watchdog_timeout_s = cfg.link.watchdog_timeout_s
        self.fleet.command_settings = self._command_settings(cfg)
        for vehicle_id in self.fleet.ids():
            self.fleet.vehicle(vehicle_id).settings = self.fleet.command_settings
        self.commander.lifetime_s = cfg.safety.setpoint_lifetime_s
        self.vision.apply_config(cfg)
        self.bus.publish(Topics.CONFIG, changes)

    def _on_link_event(self, system_id: int, state: LinkState, reason: str) -> None:
        """Watchdog thread: a lost link stops the setpoint stream before anyone sees LOST."""
        engaged = self.commander.engaged_vehicle
        if state is LinkState.LOST and engaged is not None and engaged.system_id == system_id:
            self.commander.disengage("link lost")
            engaged.request_hold_nowait()

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self, *, video: bool = True, relay: bool = False) -> None:
        """Start the core; ``video=False`` skips opening config video.source (the CLI's --no-video);
        ``relay`` (``gcs relay``) opens none of the configured links, outputs or fleet publishing:
        its vehicles come from the broker (``start_relay``)."""
        self.fleet.start()
        self.commander.start()
        if self.camera is not None and not relay:
            self.camera.start()
        if not relay:
            self.fleet_publisher = start_fleet_publisher(self.bus, self.config.current)
            self.fleet_commands = start_fleet_commands(self, self.fleet_publisher, self.config)
        self._start_sessions()
        self.alert_monitor.start()
        self.map.start()  # a relay's map too: its dashboard draws the fleet's vehicles from the stream
        if relay:
            return
        for url in self.config.current.link.connections:
            try:
                self.connect(url)
            except LinkError as exc:
                log.error("configured connection %s not opened: %s", url, exc)
        for url in self.config.current.link.outputs:
            try:
                self.add_forward(url)
            except LinkError as exc:
                log.error("configured forwarding output %s not opened: %s", url, exc)
        if video and self.config.current.video.enabled:
            try:
                self.vision.start()
            except VideoError as exc:  # the program flies without video; the faces show why
                log.error("video not started: %s", exc)

    def _start_sessions(self) -> None:
        """Open the session index, close sessions a crash left open, and record from now on."""
        try:
            self.sessions = SessionStore(sessions_db_path())
            recover_open_sessions(self.sessions, watchdog_timeout_s=self.config.current.link.watchdog_timeout_s)
        except RecordingError as exc:
            log.error("flight sessions are not kept: %s", exc)
        self.recorder = FlightRecorder(self.bus, self.fleet, self.sessions, self._recorder_settings)

    def _recorder_settings(self) -> RecorderSettings:
        cfg = self.config.current
        return RecorderSettings(
            enabled=cfg.logging.tlog,
            directory=tlog_dir(cfg.logging.tlog_dir),
            min_free_mb=cfg.logging.min_free_disk_mb,
            own_system_id=cfg.link.source_system,
        )

    def close(self) -> None:
        self.alert_monitor.close()
        self.map.close()
        self.availability_watch.close()
        if self.camera is not None:
            self.camera.close()
        if self.fleet_relay is not None:
            self.fleet_relay.close()
        if self.fleet_commands is not None:
            self.fleet_commands.close()
        if self.fleet_publisher is not None:
            self.fleet_publisher.close()
        self.vision.close()
        self.commander.disengage("shutting down")
        self.commander.close()
        self.forwarding.close()
        with self._links_lock:
            links = list(self._links.values())
            self._links.clear()
        for link in links:
            link.close()
        if self.recorder is not None:
            self.recorder.close()
        if self.sessions is not None:
            self.sessions.close()
        self.fleet.close()
        for sim in self._sims:
            sim.stop()
        self._unsubscribe_config()

    # ---- vehicles and state ----------------------------------------------------------------

    def vehicle_ids(self) -> list[int]:
        return self.fleet.ids()

    @property
    def active_vehicle_id(self) -> int | None:
        return self.fleet.active_id

    def select_vehicle(self, system_id: int) -> None:
        self.fleet.select(system_id)

    def vehicle_state(self, system_id: int | None = None) -> VehicleState:
        return self.fleet.vehicle(system_id).state

    def wait_for_vehicle(self, timeout_s: float = 10.0, system_id: int | None = None) -> VehicleState:
        """Block until a vehicle (or that one) has been heard; VehicleNotFound after the timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return self.vehicle_state(system_id)
            except VehicleNotFound:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    def subscribe(
        self, pattern: str, callback: Callable[[str, Any], None], *, replay_latest: bool = False
    ) -> Subscription:
        return self.bus.subscribe(pattern, callback, replay_latest=replay_latest)

    # ---- commands --------------------------------------------------------------------------

    def _run_command(self, name: str, action: Callable[[], CommandResult]) -> CommandResult:
        try:
            result = action()
        except CommandError as exc:
            self.bus.publish(
                Topics.COMMAND_RESULT, CommandResult(exc.command or name, False, exc.result or "FAILED", str(exc))
            )
            raise
        self.bus.publish(Topics.COMMAND_RESULT, result)
        return result

    def _vehicle(self, system_id: int | None) -> Vehicle:
        return self.fleet.vehicle(system_id)

    def arm(self, system_id: int | None = None) -> CommandResult:
        return self._run_command("ARM", self._vehicle(system_id).arm)

    def disarm(
        self, system_id: int | None = None, force: bool = False, *, confirm_in_flight: bool = False
    ) -> CommandResult:
        """Disarm; while flying only with ``confirm_in_flight`` (the motors stop and the vehicle falls)."""
        vehicle = self._vehicle(system_id)

        def action() -> CommandResult:
            if in_flight(vehicle.state) and not confirm_in_flight:
                raise CommandRejected(
                    "DISARM refused: the vehicle is flying; disarming stops the motors and it falls "
                    "(confirm it: confirm_in_flight)", "DISARM", "LOCAL_REFUSAL")
            return vehicle.disarm(force)

        return self._run_command("DISARM", action)

    def _stop_driving(self, vehicle: Vehicle, why: str) -> None:
        """The program is about to command ``vehicle`` out of offboard/guided: stop the stream and
        the follower first, so no setpoint follows the command and nothing resumes by itself."""
        if self.commander.engaged_vehicle is vehicle:
            self.vision.follow.disable(why)
            self.commander.disengage(why)

    def set_mode(self, mode: str, system_id: int | None = None) -> CommandResult:
        vehicle = self._vehicle(system_id)
        if mode.upper() != vehicle.flavour.offboard_mode(vehicle.state.mav_type):
            self._stop_driving(vehicle, f"mode {mode.upper()} commanded")
        return self._run_command("SET_MODE", lambda: vehicle.set_mode(mode))

    def takeoff(self, altitude_m: float, system_id: int | None = None) -> CommandResult:
        vehicle = self._vehicle(system_id)

        def action() -> CommandResult:
            self._refuse_unless("takeoff", vehicle)
            return vehicle.takeoff(altitude_m)

        return self._run_command("TAKEOFF", action)

    def land(self, system_id: int | None = None) -> CommandResult:
        vehicle = self._vehicle(system_id)
        self._stop_driving(vehicle, "land commanded")
        return self._run_command("LAND", vehicle.land)

    def rtl(self, system_id: int | None = None) -> CommandResult:
        vehicle = self._vehicle(system_id)
        self._stop_driving(vehicle, "RTL commanded")
        return self._run_command("RTL", vehicle.rtl)

    def hold(self, system_id: int | None = None) -> CommandResult:
        vehicle = self._vehicle(system_id)
        self._stop_driving(vehicle, "hold commanded")
        return self._run_command("HOLD", vehicle.hold)

    # ---- setpoint stream -------------------------------------------------------------------

    def start_offboard(self, system_id: int | None = None) -> CommandResult:
        """Stream setpoints and enter OFFBOARD/GUIDED: refused without a GPS fix, a position estimate or
        on a critical battery (streaming again to the vehicle already streamed to is allowed)."""
        vehicle = self._vehicle(system_id)

        def action() -> CommandResult:
            self._refuse_unless("offboard_start", vehicle, allow=(ALREADY_STREAMING,))
            return offboard.start_offboard(self.commander, vehicle)

        return self._run_command("OFFBOARD", action)

    def stop_offboard(self, reason: str = "operator stop") -> CommandResult:
        vehicle = self.commander.engaged_vehicle
        if vehicle is None:
            vehicle = self._vehicle(None)
        target = vehicle
        return self._run_command("STOP_OFFBOARD", lambda: offboard.stop_offboard(self.commander, target, reason))

    def set_velocity(self, velocity: VelocityIntent, source: str = "operator", lifetime_s: float | None = None) -> None:
        """Hand the commander a new wanted velocity; it expires unless renewed."""
        self.commander.set_intent(CommandIntent(velocity, time.monotonic(), source, lifetime_s))

    def abort(self) -> CommandResult:
        """Stop all motion now and hold: always available, whatever else is going on."""
        self.vision.follow.abort("operator abort")
        vehicle = self.commander.disengage("operator abort") or self.fleet.vehicle(None)
        return self._run_command("ABORT", vehicle.hold)

    def commander_status(self) -> CommanderStatus:
        return self.commander.status()
