"""Every vehicle heard on every link, keyed by system id, with a watchdog and an active choice.

The fleet is the sink of all links: it creates a ``Vehicle`` on the first autopilot HEARTBEAT of a
new system id, reduces messages into its state and publishes the result. A watchdog thread
(10 Hz) declares a vehicle LOST after the configured heartbeat silence, OK again when heartbeats
return (re-requesting telemetry streams, since a vehicle that went away may have rebooted), and
publishes link statistics twice a second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from gcs.core.bus import MessageBus, Topics
from gcs.core.errors import VehicleNotFound
from gcs.core.mavlink_env import mavlink
from gcs.core.models import LinkState, LinkStatus, VehicleState
from gcs.core.vehicle.connection import LinkKind
from gcs.core.vehicle.link import Link
from gcs.core.vehicle.vehicle import CommandSettings, Vehicle

log = logging.getLogger(__name__)

LinkEventCallback = Callable[[int, LinkState, str], None]


class Fleet:
    """Sink for links; owner of the watchdog thread; publisher of vehicle state."""

    def __init__(
        self,
        bus: MessageBus,
        *,
        watchdog_timeout_s: float = 3.0,
        command_settings: CommandSettings | None = None,
        own_system_id: int = 255,
    ) -> None:
        self._bus = bus
        self.watchdog_timeout_s = watchdog_timeout_s
        self.command_settings = command_settings or CommandSettings()
        self._own_system_id = own_system_id
        self._vehicles: dict[int, Vehicle] = {}
        self._lock = threading.Lock()
        self._active: int | None = None
        self._listeners: list[LinkEventCallback] = []
        self._message_taps: list[Callable[[Link, Any], object]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rate_marks: dict[int, tuple[float, int, int]] = {}
        self._counts: dict[int, list[int]] = {}  # sysid -> [messages, bytes]
        self._refused: set[tuple[int, str]] = set()  # (sysid, link id) ignored: replay vs live clash

    # ---- LinkSink --------------------------------------------------------------------------

    def on_message(self, link: Link, msg: Any, now_s: float) -> None:
        for tap in self._message_taps:
            tap(link, msg)  # must not block: the link's reader thread runs this
        sysid = msg.get_srcSystem()
        vehicle = self._vehicles.get(sysid)
        if vehicle is None:
            if sysid == self._own_system_id or msg.get_type() != "HEARTBEAT":
                return
            if msg.type == mavlink.MAV_TYPE_GCS or msg.autopilot == mavlink.MAV_AUTOPILOT_INVALID:
                return
            vehicle = self._add_vehicle(sysid, msg.get_srcComponent(), link)
        elif vehicle.link is not link:
            if link.spec.kind is LinkKind.REPLAY or vehicle.link.spec.kind is LinkKind.REPLAY:
                self._refuse_mix(sysid, link)  # a replay feeds only its own vehicles: never a live one,
                return  # nor another replay's (two logs would take turns in one state)
            if msg.get_type() == "HEARTBEAT" and vehicle.link_state is LinkState.LOST:
                log.info("vehicle %d now heard on %s", sysid, link.spec.url)
                vehicle.link = link
        counts = self._counts[sysid]
        counts[0] += 1
        counts[1] += len(msg.get_msgbuf())
        new = vehicle.apply(msg, now_s)
        if new is not None:
            self._publish(new)

    def _refuse_mix(self, sysid: int, link: Link) -> None:
        if (sysid, link.link_id) not in self._refused:
            self._refused.add((sysid, link.link_id))
            log.warning(
                "system %d on %s is ignored: that id is already a vehicle on %s (a replay is never mixed with "
                "another link; close one of them)", sysid, link.spec.url, self._vehicles[sysid].link.spec.url,
            )

    # ---- vehicles --------------------------------------------------------------------------

    def _add_vehicle(self, sysid: int, compid: int, link: Link) -> Vehicle:
        vehicle = Vehicle(sysid, compid, link, self.command_settings)
        with self._lock:
            self._vehicles[sysid] = vehicle
            self._counts[sysid] = [0, 0]
            if self._active is None:
                self._active = sysid
            ids = tuple(sorted(self._vehicles))
            active = self._active
        log.info("vehicle %d found on %s", sysid, link.spec.url)
        self._bus.publish(Topics.VEHICLES, ids)
        self._bus.publish(Topics.ACTIVE_VEHICLE, active)
        return vehicle

    def put_remote(self, state: VehicleState, link: Link, heard: bool, size: int) -> None:
        """A vehicle's whole state from another GCS (a relay's broker subscription, ``size`` bytes):
        created on first sight, then replaced and published like a reduced one."""
        vehicle = self._vehicles.get(state.system_id)
        if vehicle is None:
            vehicle = self._add_vehicle(state.system_id, state.component_id, link)
        elif vehicle.link is not link:
            self._refuse_mix(state.system_id, link)  # the same id from two GCS: the first one keeps it
            return
        counts = self._counts[state.system_id]
        counts[0] += 1
        counts[1] += size
        self._publish(vehicle.replace_state(state, heard))

    def vehicle(self, sysid: int | None = None) -> Vehicle:
        """The vehicle with that system id, or the active one; VehicleNotFound if none."""
        with self._lock:
            key = self._active if sysid is None else sysid
            vehicle = self._vehicles.get(key) if key is not None else None
        if vehicle is None:
            if sysid is None:
                raise VehicleNotFound("no vehicle connected yet")
            raise VehicleNotFound(f"no vehicle with system id {sysid}; known: {self.ids() or 'none'}")
        return vehicle

    def ids(self) -> list[int]:
        with self._lock:
            return sorted(self._vehicles)

    @property
    def active_id(self) -> int | None:
        return self._active

    def select(self, sysid: int) -> None:
        vehicle = self.vehicle(sysid)
        with self._lock:
            self._active = sysid
        self._bus.publish(Topics.ACTIVE_VEHICLE, sysid)
        self._bus.publish(Topics.VEHICLE_STATE, vehicle.state)

    def forget_link(self, link: Link) -> None:
        """Drop vehicles heard only on a link that was closed."""
        with self._lock:
            gone = [sid for sid, v in self._vehicles.items() if v.link is link]
            for sid in gone:
                del self._vehicles[sid]
                self._counts.pop(sid, None)
            if self._active in gone:
                self._active = min(self._vehicles) if self._vehicles else None
            ids, active = tuple(sorted(self._vehicles)), self._active
        if gone:
            self._bus.publish(Topics.VEHICLES, ids)
            self._bus.publish(Topics.ACTIVE_VEHICLE, active)

    def reset_vehicles(self, link: Link) -> None:
        """Blank the state and traffic counts of every vehicle heard on ``link``: a replay seeking
        rebuilds the state from there, and its link statistics start again (no false loss)."""
        for vehicle in self.reset_counts(link):
            vehicle.reset_state()

    def reset_counts(self, link: Link) -> list[Vehicle]:
        """Start the traffic counts of ``link``'s vehicles again (after a seek's rebuild too); return them."""
        with self._lock:
            vehicles = [v for v in self._vehicles.values() if v.link is link]
            for vehicle in vehicles:
                self._counts[vehicle.system_id] = [0, 0]
                self._rate_marks.pop(vehicle.system_id, None)
        return vehicles

    def add_message_tap(self, tap: Callable[[Link, Any], object]) -> None:
        """``tap(link, msg)`` sees every message from every link first, on the link's thread (never block)."""
        self._message_taps.append(tap)

    def add_link_listener(self, callback: LinkEventCallback) -> None:
        """Called (watchdog thread) with (sysid, new LinkState, reason) on every change."""
        self._listeners.append(callback)

    def _publish(self, state: VehicleState) -> None:
        self._bus.publish(Topics.vehicle_state(state.system_id), state)
        if state.system_id == self._active:
            self._bus.publish(Topics.VEHICLE_STATE, state)
        if state.statustexts and state.statustexts[-1].time_s == state.last_update_s:
            self._bus.publish(Topics.STATUSTEXT, (state.system_id, state.statustexts[-1]))

    # ---- watchdog --------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="fleet-watchdog", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def _watch(self) -> None:
        next_stats = 0.0
        while not self._stop.wait(0.1):
            now = time.monotonic()
            publish_stats = now >= next_stats
            if publish_stats:
                next_stats = now + 0.5
            with self._lock:
                vehicles = list(self._vehicles.values())
            for vehicle in vehicles:
                self._check(vehicle, now, publish_stats)

    def _check(self, vehicle: Vehicle, now: float, publish_stats: bool) -> None:
        last = vehicle.last_heartbeat_mono
        silent = vehicle.link.clock() - last if last is not None else None
        previous = vehicle.link_state
        if silent is not None and silent > self.watchdog_timeout_s:
            current = LinkState.LOST
        elif silent is not None:
            current = LinkState.OK
        else:
            current = previous
        changed = current is not previous
        if changed:
            vehicle.link_state = current
            reason = f"no heartbeat for {silent:.1f} s" if current is LinkState.LOST else "heartbeats received"
            level = logging.WARNING if current is LinkState.LOST else logging.INFO
            log.log(level, "vehicle %d link %s: %s", vehicle.system_id, current.value, reason)
            replay = vehicle.link.spec.kind in (LinkKind.REPLAY, LinkKind.RELAY)  # nothing to ask of it
            if current is LinkState.OK and previous in (LinkState.LOST, LinkState.CONNECTING) and not replay:
                vehicle.request_streams()
            for listener in self._listeners:
                listener(vehicle.system_id, current, reason)
            self._bus.publish(
                Topics.LINK_STATE, {"system_id": vehicle.system_id, "state": current.value, "reason": reason}
            )
        if changed or publish_stats:
            self._publish(vehicle.set_link_status(self._link_status(vehicle, now, current, silent)))

    def _link_status(self, vehicle: Vehicle, now: float, state: LinkState, silent: float | None) -> LinkStatus:
        msgs, nbytes = self._counts.get(vehicle.system_id, [0, 0])
        mark_t, mark_msgs, mark_bytes = self._rate_marks.get(vehicle.system_id, (now, msgs, nbytes))
        dt = now - mark_t
        if dt >= 0.5 or vehicle.system_id not in self._rate_marks:
            self._rate_marks[vehicle.system_id] = (now, msgs, nbytes)
        old = vehicle.state.link
        mps = (msgs - mark_msgs) / dt if dt >= 0.5 else old.messages_per_s
        bps = (nbytes - mark_bytes) / dt if dt >= 0.5 else old.bytes_per_s
        counters = vehicle.link.counters()
        total = counters.received + counters.lost
        return LinkStatus(
            state=state,
            messages_per_s=mps,
            bytes_per_s=bps,
            packet_loss_pct=100.0 * counters.lost / total if total else 0.0,
            received=msgs,
            lost=counters.lost,
            bad_frames=counters.bad_frames,
            last_heard_age_s=silent,
        )
