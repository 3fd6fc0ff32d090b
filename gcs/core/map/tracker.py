"""MapTracker: keeps what the map needs over time (trails, recent poses) and builds ``MapSnapshot``s.

Threads: the bus callback (a link thread, 50+ Hz per vehicle) does constant work: append the state
to a short pose history and, when the vehicle moved a metre or more, a point to its trail. The
``map`` thread builds a snapshot (without trails) ``PUBLISH_HZ`` times a second and publishes it
on ``MAP_TOPIC`` for the dashboard's stream; ``snapshot()`` builds one on demand, with trails.

The mission layer comes from ``mission_source`` (the mission service's lists); every
``mission.changed`` moves its ``version``, so the stream's light snapshot can leave the lists out.

The target estimate uses the vehicle's pose at the frame's capture time (the pose history), not
the newest pose: the tracker's answer is tens of milliseconds old, and a turning vehicle would
otherwise swing the estimate by the yaw rate times that age times the range.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

from gcs.core.bus import MessageBus, Topics
from gcs.core.map.estimate import CameraMount, estimate_ground
from gcs.core.map.model import (
    MAP_TOPIC,
    MapGeofence,
    MapGoto,
    MapHome,
    MapMission,
    MapSetpoint,
    MapSnapshot,
    MapTargetEstimate,
    MapTiles,
    MapVehicle,
)
from gcs.core.models import VehicleState, VelocityBodyYawRate, VelocityNedYawRate
from gcs.core.tracking.types import TrackedTarget, TrackState
from gcs.core.vehicle.commander import CommanderStatus

PUBLISH_HZ = 4.0
TRAIL_STEP_M = 1.0  # a new trail point once the vehicle moved this far
TRAIL_MAX_POINTS = 3000
POSE_HISTORY_S = 3.0
LAST_SEEN_KEEP_S = 60.0  # a lost target's last estimate stays on the map this long


@dataclass(frozen=True)
class MapInputs:
    """Where the tracker reads the rest of the core (the service passes these)."""

    # every vehicle's state, whether it is a replay, and the fleet GCS it flies from when relayed
    vehicles: Callable[[], list[tuple[VehicleState, bool, str | None]]]
    active_id: Callable[[], int | None]
    target: Callable[[], TrackedTarget | None]
    mount: Callable[[], CameraMount]
    commander: Callable[[], CommanderStatus]
    geofence: Callable[[], tuple[float, float]]  # (radius_m, margin_m); radius 0 = none
    tiles: Callable[[], MapTiles]


def _has_position(state: VehicleState) -> bool:
    gp = state.global_position
    return (gp.lat_deg, gp.lon_deg) != (0.0, 0.0)


class MapTracker:
    """Trails, pose history and snapshots; ``start()`` the publisher, ``close()`` to stop."""

    def __init__(self, bus: MessageBus, inputs: MapInputs) -> None:
        self._bus = bus
        self._in = inputs
        self._lock = threading.Lock()
        self._trails: dict[int, deque[tuple[float, float]]] = {}
        self._poses: dict[int, deque[tuple[float, VehicleState]]] = {}
        self._last_estimate: tuple[float, MapTargetEstimate] | None = None  # (frame wall time, estimate)
        self._goto: MapGoto | None = None
        self.mission_source: Callable[[int], MapMission] | None = None  # the mission service plugs in here
        self._mission_version = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sub = bus.subscribe("vehicle.*.state", self._on_state)
        self._mission_sub = bus.subscribe(Topics.MISSION_CHANGED, self._on_mission_changed)

    # ---- inputs ------------------------------------------------------------------------------

    def _on_state(self, _topic: str, state: VehicleState) -> None:
        """Link thread: remember the pose; extend the trail once the vehicle moved TRAIL_STEP_M."""
        if not isinstance(state, VehicleState) or not _has_position(state):
            return
        now = time.time()  # the tracker stamps frames with wall time (capture_time_s): match it
        sysid = state.system_id
        gp = state.global_position
        with self._lock:
            poses = self._poses.setdefault(sysid, deque())
            poses.append((now, state))
            while poses and now - poses[0][0] > POSE_HISTORY_S:
                poses.popleft()
            trail = self._trails.setdefault(sysid, deque(maxlen=TRAIL_MAX_POINTS))
            if trail:
                lat, lon = trail[-1]
                dn = math.radians(gp.lat_deg - lat) * 6378137.0
                de = math.radians(gp.lon_deg - lon) * 6378137.0 * math.cos(math.radians(lat))
                if dn * dn + de * de < TRAIL_STEP_M * TRAIL_STEP_M:
                    return
            trail.append((gp.lat_deg, gp.lon_deg))

    def _on_mission_changed(self, _topic: str, _change: object) -> None:
        with self._lock:
            self._mission_version += 1

    def pose_at(self, system_id: int, time_s: float) -> VehicleState | None:
        """The state received nearest to wall time ``time_s`` (within the history), else the newest."""
        with self._lock:
            poses = list(self._poses.get(system_id, ()))
        if not poses:
            return None
        times = [t for t, _ in poses]
        i = bisect.bisect_left(times, time_s)
        best = min((j for j in (i - 1, i) if 0 <= j < len(poses)), key=lambda j: abs(times[j] - time_s))
        return poses[best][1]

    def note_goto(self, goto: MapGoto) -> None:
        with self._lock:
            self._goto = goto

    def clear_trails(self) -> None:
        with self._lock:
            for trail in self._trails.values():
                trail.clear()

    # ---- snapshots ---------------------------------------------------------------------------

    def snapshot(self, *, trails: bool = True) -> MapSnapshot:
        """Everything the map shows now (``trails=False``: the stream's lighter form, without trails and
        without the mission lists: their ``version`` says when to fetch them)."""
        inputs = self._in
        active_id = inputs.active_id()
        vehicles: list[MapVehicle] = []
        active_state: VehicleState | None = None
        for state, replay, origin in inputs.vehicles():
            gp = state.global_position
            if state.system_id == active_id:
                active_state = state
            vehicles.append(MapVehicle(
                state.system_id, gp.lat_deg, gp.lon_deg, gp.alt_rel_m,
                math.degrees(state.attitude.yaw_rad) % 360.0, state.hud.groundspeed_mps, state.armed,
                state.mode, state.system_id == active_id, state.link.state.value, _has_position(state), replay,
                origin, state.link.last_heard_age_s,
            ))  # fmt: skip
        home = None
        if active_state is not None and active_state.home is not None:
            h = active_state.home
            home = MapHome(h.lat_deg, h.lon_deg, h.alt_msl_m)
        radius, margin = inputs.geofence()
        geofence = MapGeofence(home.lat_deg, home.lon_deg, radius, margin) if home and radius > 0 else None
        with self._lock:
            goto = self._goto
            trail_copy = {k: tuple(v) for k, v in self._trails.items()} if trails else {}
            version = self._mission_version
        mission = MapMission(version)
        if self.mission_source is not None and active_id is not None:
            mission = replace(self.mission_source(active_id), version=version)
            if not trails:
                mission = MapMission(version, mission.current_seq, lists=False)
        return MapSnapshot(
            time_s=time.time(), active_id=active_id, vehicles=tuple(vehicles), home=home,
            target=self._target_estimate(active_id), setpoint=self._setpoint(active_state),
            geofence=geofence, goto=goto if goto and goto.system_id == active_id else None,
            tiles=inputs.tiles(), trails=trail_copy, mission=mission,
        )  # fmt: skip

    def _target_estimate(self, active_id: int | None) -> MapTargetEstimate | None:
        target = self._in.target()
        now = time.time()  # TrackedTarget.frame_time_s is the capture's wall time
        if target is not None and target.is_locked and target.box is not None and active_id is not None:
            state = self.pose_at(active_id, target.frame_time_s)
            mount = self._in.mount()
            if state is not None and target.frame_w > 0:
                sx, sy = mount.width / target.frame_w, mount.height / target.frame_h
                cx, cy = target.box.centre
                ground = estimate_ground(mount, cx * sx, cy * sy, state)
                if ground is not None:
                    est = MapTargetEstimate(ground.lat_deg, ground.lon_deg, ground.ground_range_m,
                                            ground.slant_range_m, ground.bearing_deg, TrackState.LOCKED.value,
                                            max(0.0, now - target.frame_time_s), target.tracker)
                    with self._lock:
                        self._last_estimate = (target.frame_time_s, est)
                    return est
        with self._lock:
            last = self._last_estimate
        if last is None or target is None or target.state is TrackState.IDLE:
            return None
        seen_at, est = last
        if now - seen_at > LAST_SEEN_KEEP_S:
            return None
        state_name = target.state.value if target.state is not TrackState.LOCKED else TrackState.SEARCHING.value
        return MapTargetEstimate(est.lat_deg, est.lon_deg, est.ground_range_m, est.slant_range_m, est.bearing_deg,
                                 state_name, now - seen_at, est.tracker)

    def _setpoint(self, state: VehicleState | None) -> MapSetpoint | None:
        status = self._in.commander()
        if not status.engaged or status.velocity is None or state is None or status.system_id != state.system_id:
            return None
        v = status.velocity
        if isinstance(v, VelocityBodyYawRate):
            yaw = state.attitude.yaw_rad
            north = v.forward_mps * math.cos(yaw) - v.right_mps * math.sin(yaw)
            east = v.forward_mps * math.sin(yaw) + v.right_mps * math.cos(yaw)
        elif isinstance(v, VelocityNedYawRate):
            north, east = v.north_mps, v.east_mps
        else:  # pragma: no cover - the union is closed
            return None
        return MapSetpoint(math.degrees(math.atan2(east, north)) % 360.0, math.hypot(north, east), -v.down_mps,
                           status.intent_source or "")

    # ---- publisher ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="map", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        period = 1.0 / PUBLISH_HZ
        while not self._stop.wait(period):
            if self._in.active_id() is None and not self._trails:
                continue
            self._bus.publish(MAP_TOPIC, self.snapshot(trails=False))

    def close(self) -> None:
        self._stop.set()
        self._sub.cancel()
        self._mission_sub.cancel()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None
