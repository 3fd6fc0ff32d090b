"""Missions, geofence and rally points for GcsService (a mixin): transfers, files, generators, start.

The faces call these; the protocol is in ``vehicle/mission``. A face (or the map) sees each list as
a plain ``Mission`` without ArduPilot's home item: ``missions()`` holds what was last downloaded or
uploaded per vehicle and type, and every change is published on ``Topics.MISSION_CHANGED``. The
vehicle's current item and reached items come from MISSION_CURRENT / MISSION_ITEM_REACHED and are
published on ``Topics.MISSION_CURRENT`` / ``Topics.MISSION_REACHED``. Uploads, clears, starts, a
new current item and each reached item are written to the flight session of the vehicle's link.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gcs.core.bus import MessageBus, Topics
from gcs.core.errors import CommandRejected, MissionInvalid, MissionRefused, VehicleNotFound
from gcs.core.logs import FlightRecorder
from gcs.core.logs.stats import EventKind
from gcs.core.map.mission_layer import mission_layer
from gcs.core.map.model import MapMission, MapSnapshot
from gcs.core.mavlink_env import mavlink
from gcs.core.models import Autopilot, CommandResult
from gcs.core.vehicle.fleet import Fleet
from gcs.core.vehicle.mission import (
    Home,
    Mission,
    MissionChange,
    MissionItem,
    MissionManager,
    MissionProgress,
    MissionReached,
    MissionType,
    OrbitSpec,
    SurveySpec,
    orbit,
    read_any,
    survey,
    write_plan,
    write_waypoints,
)

log = logging.getLogger(__name__)
M = mavlink
MAX_FILE_BYTES = 2_000_000
FILE_FORMATS = ("plan", "waypoints")


def has_home_item(autopilot: Autopilot, kind: MissionType) -> bool:
    """ArduPilot keeps home as item 0 of its mission (not of its fence or rally list); PX4 does not."""
    return kind is MissionType.MISSION and autopilot is not Autopilot.PX4


class MissionsFacade:
    """Mixed into GcsService, which sets the attributes below."""

    bus: MessageBus
    fleet: Fleet
    recorder: FlightRecorder | None
    _vehicle: Callable[[int | None], Any]
    _stop_driving: Callable[[Any, str], None]
    _run_command: Callable[[str, Callable[[], CommandResult]], CommandResult]
    _missions_lock: threading.Lock
    _missions_seen: dict[int, dict[MissionType, Mission]]
    _missions_hooked: set[int]
    map_state: Callable[..., MapSnapshot]

    # ---- helpers ---------------------------------------------------------------------------

    def _mission_manager(self, system_id: int | None) -> tuple[Any, MissionManager]:
        vehicle = self._vehicle(system_id)
        manager: MissionManager = vehicle.missions
        with self._missions_lock:
            hooked = id(manager) in self._missions_hooked
            self._missions_hooked.add(id(manager))
        if not hooked:
            manager.add_progress_listener(self._on_mission_progress)
            manager.add_reached_listener(self._on_mission_reached)
        return vehicle, manager

    def _note_mission(self, system_id: int, text: str) -> None:
        if self.recorder is not None:
            self.recorder.note(system_id, text, EventKind.MISSION)

    def _on_mission_progress(self, progress: MissionProgress) -> None:
        """Link thread: the current item or the mission state changed."""
        self._note_mission(progress.system_id, f"mission current item {progress.seq} ({progress.state.lower()})")
        self.bus.publish(Topics.MISSION_CURRENT, progress)

    def _on_mission_reached(self, event: MissionReached) -> None:
        self._note_mission(event.system_id, f"mission item {event.seq} reached")
        self.bus.publish(Topics.MISSION_REACHED, event)

    def _remember(self, system_id: int, mission: Mission, action: str, source: str) -> None:
        with self._missions_lock:
            self._missions_seen.setdefault(system_id, {})[mission.kind] = mission
        self.bus.publish(Topics.MISSION_CHANGED, MissionChange(system_id, mission.kind, action, mission, source))

    def _home_of(self, vehicle: Any, mission: Mission) -> Home:
        home = vehicle.state.home
        if home is not None:
            return Home(home.lat_deg, home.lon_deg, home.alt_msl_m)
        if mission.home is not None:
            return mission.home
        return Home(0.0, 0.0, 0.0)

    # ---- reading ---------------------------------------------------------------------------

    def missions(self, system_id: int | None = None) -> dict[MissionType, Mission]:
        """The lists as last downloaded or uploaded (empty before either), for the faces and the map."""
        vehicle = self._vehicle(system_id)
        with self._missions_lock:
            seen = dict(self._missions_seen.get(vehicle.system_id, {}))
        autopilot = vehicle.state.autopilot
        return {kind: seen.get(kind, Mission(kind, seq_offset=1 if has_home_item(autopilot, kind) else 0))
                for kind in MissionType}

    def mission_progress(self, system_id: int | None = None) -> MissionProgress:
        return self._mission_manager(system_id)[1].progress()

    # ---- transfers -------------------------------------------------------------------------

    def download_mission(self, kind: MissionType | str = MissionType.MISSION,
                         system_id: int | None = None) -> Mission:
        """Read one list from the vehicle (ArduPilot's item 0 becomes ``home``)."""
        kind = MissionType(kind)
        vehicle, manager = self._mission_manager(system_id)
        wire = manager.download(kind)
        if has_home_item(vehicle.state.autopilot, kind):
            home = Home(wire[0].x, wire[0].y, wire[0].z) if wire and wire[0].has_position else None
            mission = Mission(kind, tuple(wire[1:]), home, seq_offset=1)
        else:
            mission = Mission(kind, tuple(wire))
        self._remember(vehicle.system_id, mission, "downloaded", "")
        return mission

    def upload_mission(self, mission: Mission, system_id: int | None = None, *, source: str = "") -> Mission:
        """Write one list to the vehicle, replacing what it had; returns it as planned (with its offset)."""
        vehicle, manager = self._mission_manager(system_id)
        self._check_items(mission)
        wire = list(mission.items)
        offset_ = 0
        if has_home_item(vehicle.state.autopilot, mission.kind):
            wire.insert(0, self._home_of(vehicle, mission).as_item())  # ArduPilot puts its own home there
            offset_ = 1
        took = manager.upload(mission.kind, wire)
        stored = Mission(mission.kind, mission.items, mission.home, seq_offset=offset_)
        who = f" by {source}" if source else ""
        self._note_mission(vehicle.system_id, f"{mission.kind} uploaded: {len(mission.items)} items{who}")
        log.info("vehicle %d: %s of %d items uploaded in %.2f s%s", vehicle.system_id, mission.kind,
                 len(mission.items), took, who)
        self._remember(vehicle.system_id, stored, "uploaded", source)
        return stored

    @staticmethod
    def _check_items(mission: Mission) -> None:
        if mission.home is not None:  # ArduPilot's item 0 when the vehicle has no home of its own
            problem = mission.home.as_item().problem()
            if problem is not None:
                raise MissionInvalid(f"{mission.kind} home: {problem}")
        for n, item in enumerate(mission.items, 1):
            problem = item.problem()
            if problem is not None:
                raise MissionInvalid(f"{mission.kind} item {n} ({item.name}): {problem}")

    def clear_mission(self, kind: MissionType | str = MissionType.MISSION, system_id: int | None = None,
                      *, source: str = "") -> None:
        kind = MissionType(kind)
        vehicle, manager = self._mission_manager(system_id)
        manager.clear(kind)
        self._note_mission(vehicle.system_id, f"{kind} cleared{f' by {source}' if source else ''}")
        offset_ = 1 if has_home_item(vehicle.state.autopilot, kind) else 0
        self._remember(vehicle.system_id, Mission(kind, seq_offset=offset_), "cleared", source)

    # ---- flying it -------------------------------------------------------------------------

    def start_mission(self, system_id: int | None = None, *, source: str = "") -> CommandResult:
        """MAV_CMD_MISSION_START: ArduPilot flies it in AUTO (armed first: it takes off from the ground
        when the first item is a takeoff), PX4 in Mission mode. Following and setpoints stop first."""
        vehicle = self._vehicle(system_id)
        self._stop_driving(vehicle, "mission started")

        def action() -> CommandResult:
            result: CommandResult = vehicle._command(M.MAV_CMD_MISSION_START, 0, 0)
            mode = "MISSION" if vehicle.state.autopilot is Autopilot.PX4 else "AUTO"
            vehicle._confirm(lambda s: s.mode.upper() == mode, f"mode {mode}")
            return CommandResult(result.command, True, result.result, f"mission started ({mode})")

        result = self._run_command("MISSION_START", action)
        self._note_mission(vehicle.system_id, f"mission started{f' by {source}' if source else ''}")
        return result

    def set_mission_current(self, seq: int, system_id: int | None = None) -> MissionProgress:
        """Make item ``seq`` (the vehicle's numbering) the next one flown: MAV_CMD_DO_SET_MISSION_CURRENT,
        or the MISSION_SET_CURRENT message where the autopilot does not know the command."""
        vehicle, manager = self._mission_manager(system_id)
        if seq < 0 or seq > 65534:
            raise MissionInvalid(f"mission item {seq} does not exist")
        try:
            vehicle._command(M.MAV_CMD_DO_SET_MISSION_CURRENT, float(seq), 0)
        except CommandRejected as exc:
            if exc.result != "UNSUPPORTED":
                raise MissionRefused(f"current item {seq} refused: {exc}") from exc
            return manager.set_current_by_message(seq)
        progress: MissionProgress = manager.progress()
        return progress

    # ---- files -----------------------------------------------------------------------------

    def parse_mission_file(self, content: str, name: str = "",
                           kind: MissionType | str = MissionType.MISSION) -> dict[MissionType, Mission]:
        """The lists in a .plan or .waypoints text (nothing is sent); MissionInvalid says why not."""
        if len(content) > MAX_FILE_BYTES:
            raise MissionInvalid(f"mission file larger than {MAX_FILE_BYTES} bytes")
        return read_any(content, name, MissionType(kind))

    def upload_mission_file(self, content: str, name: str = "", system_id: int | None = None, *,
                            kind: MissionType | str = MissionType.MISSION, source: str = "") -> list[Mission]:
        """Upload what a file holds: its mission, and its fence and rally points when it has any."""
        lists = self.parse_mission_file(content, name, kind)
        done = []
        for mission in lists.values():
            if mission.kind is MissionType.MISSION or mission.items:
                done.append(self.upload_mission(mission, system_id, source=source))
        return done

    def export_mission(self, fmt: str = "plan", kind: MissionType | str = MissionType.MISSION,
                       system_id: int | None = None) -> str:
        """The lists as a QGC .plan (all three) or a .waypoints file (one list)."""
        vehicle = self._vehicle(system_id)
        lists = self.missions(system_id)
        mission = lists[MissionType(kind)]
        if mission.kind is MissionType.MISSION and mission.home is None and vehicle.state.home is not None:
            lists[mission.kind] = mission = Mission(mission.kind, mission.items, self._home_of(vehicle, mission),
                                                    mission.seq_offset)
        if fmt == "waypoints":
            return write_waypoints(mission)
        if fmt != "plan":
            raise MissionInvalid(f"mission file format {fmt!r} is not one of {', '.join(FILE_FORMATS)}")
        firmware = M.MAV_AUTOPILOT_PX4 if vehicle.state.autopilot is Autopilot.PX4 else M.MAV_AUTOPILOT_ARDUPILOTMEGA
        return write_plan(lists, firmware=firmware, vehicle_type=vehicle.state.mav_type or M.MAV_TYPE_QUADROTOR)

    def save_mission_file(self, path: str | Path, kind: MissionType | str = MissionType.MISSION,
                          system_id: int | None = None) -> Path:
        target = Path(path)
        fmt = "plan" if target.suffix == ".plan" else "waypoints"
        target.write_text(self.export_mission(fmt, kind, system_id), encoding="utf-8")
        return target

    def load_mission_file(self, path: str | Path, kind: MissionType | str = MissionType.MISSION
                          ) -> dict[MissionType, Mission]:
        try:
            content = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MissionInvalid(f"cannot read {path}: {exc}") from exc
        return self.parse_mission_file(content, str(path), kind)

    # ---- generators ------------------------------------------------------------------------

    def generate_orbit(self, spec: OrbitSpec) -> Mission:
        return orbit(spec)

    def generate_survey(self, spec: SurveySpec) -> Mission:
        return survey(spec)

    def tracked_target_position(self, system_id: int | None = None) -> tuple[float, float]:
        """Where the LOCKED target stands (lat, lon), as the map estimates it from the camera's pose and
        flat ground at home height; MissionInvalid when there is no live estimate."""
        estimate = self.map_state(trails=False).target
        if estimate is None or estimate.state != "locked":
            raise MissionInvalid("no tracked target on the ground: lock a target first (it must be LOCKED "
                                 "and seen on the ground to orbit it)")
        return estimate.lat_deg, estimate.lon_deg

    def _map_mission(self, system_id: int) -> MapMission:
        """The vehicle's lists as the map draws them, with the item it flies now (never blocks)."""
        with self._missions_lock:
            seen = dict(self._missions_seen.get(system_id, {}))
        current = None
        with contextlib.suppress(VehicleNotFound):
            current = self.fleet.vehicle(system_id).missions.progress().seq
        return mission_layer(seen.get(MissionType.MISSION), seen.get(MissionType.FENCE),
                             seen.get(MissionType.RALLY), current)

    def generate_orbit_target(self, system_id: int | None = None, **options: Any) -> Mission:
        """An orbit round the tracked target's ground position (``options`` as OrbitSpec's)."""
        lat, lon = self.tracked_target_position(system_id)
        return orbit(OrbitSpec(lat, lon, **options))


__all__ = ["FILE_FORMATS", "MissionItem", "MissionsFacade", "has_home_item"]
