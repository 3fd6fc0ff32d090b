"""One vehicle's side of the MAVLink mission protocol: download, upload, clear, current item, reached.

Threads: the link thread calls ``on_message`` for every mission message of the vehicle; it only
stores and wakes the waiter (transfer messages go to an inbox), never sends or waits. A transfer
runs on its caller's thread, one at a time per vehicle (a lock), as QGC and MAVProxy do:

- download: MISSION_REQUEST_LIST -> MISSION_COUNT, then MISSION_REQUEST_INT for each seq in turn,
  answered by MISSION_ITEM_INT (or MISSION_ITEM, if that is what the vehicle sends), then our
  MISSION_ACK. Each step is asked again after ``timeout_s``, at most ``retries`` times.
- upload: MISSION_COUNT, then the vehicle asks for each item (ArduPilot sends MISSION_REQUEST,
  PX4 MISSION_REQUEST_INT; both are answered with MISSION_ITEM_INT) and ends with MISSION_ACK. When
  the vehicle goes quiet the count (nothing asked yet) or the last item is sent again.
- clear: MISSION_CLEAR_ALL -> MISSION_ACK.

A MISSION_ACK with an error ends a transfer as MissionRefused, with the vehicle's STATUSTEXT; no
answer after every retry is MissionTimeout. The wire lists here are exactly the vehicle's
(ArduPilot's home item 0 included); ``service_missions`` adds and strips that item.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from gcs.core.errors import MissionRefused, MissionTimeout
from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.mission.model import MissionItem, MissionProgress, MissionReached, MissionType, result_name
from gcs.core.vehicle.refusals import RecentTexts

log = logging.getLogger(__name__)
M = mavlink

TRANSFER_TYPES = frozenset({"MISSION_COUNT", "MISSION_ITEM_INT", "MISSION_ITEM", "MISSION_REQUEST_INT",
                            "MISSION_REQUEST", "MISSION_ACK"})
STATUS_TYPES = frozenset({"MISSION_CURRENT", "MISSION_ITEM_REACHED"})
MISSION_TYPES = TRANSFER_TYPES | STATUS_TYPES
NO_MISSION = 65535
Sender = Callable[[Any], None]


@dataclass(frozen=True)
class MissionSettings:
    timeout_s: float = 1.5  # for each answer (ArduPilot re-asks an item after 1 s itself)
    retries: int = 5
    upload_timeout_s: float = 60.0  # a whole upload


def item_from_message(msg: Any) -> MissionItem:
    """A MISSION_ITEM_INT or MISSION_ITEM as plain data (degrees for global frames)."""
    item = MissionItem(int(msg.command), int(msg.frame), float(msg.param1), float(msg.param2), float(msg.param3),
                       float(msg.param4), float(msg.x), float(msg.y), float(msg.z), bool(msg.autocontinue))
    if msg.get_type() == "MISSION_ITEM_INT" and item.is_global:
        item = replace(item, x=int(msg.x) / 1e7, y=int(msg.y) / 1e7)
    return item


class MissionManager:
    """The mission protocol of one vehicle (its autopilot component)."""

    def __init__(self, system_id: int, component_id: int, send: Sender, texts: RecentTexts,
                 settings: MissionSettings | None = None,
                 own_system_id: Callable[[], int | None] | None = None) -> None:
        self.system_id = system_id
        self.component_id = component_id
        self.settings = settings or MissionSettings()
        self._send = send
        self._texts = texts
        self._own_system_id = own_system_id or (lambda: None)
        self._transfer = threading.Lock()
        self._cond = threading.Condition()
        self._inbox: collections.deque[Any] = collections.deque(maxlen=256)
        self._collecting = False
        self._progress = MissionProgress(system_id)
        self._current_mark = 0  # bumps on every MISSION_CURRENT (set_current waits on it)
        self._progress_listeners: list[Callable[[MissionProgress], None]] = []
        self._reached_listeners: list[Callable[[MissionReached], None]] = []

    # ---- listeners (called on the link thread) ----------------------------------------------

    def add_progress_listener(self, callback: Callable[[MissionProgress], None]) -> None:
        """``callback(progress)`` when the current item or the mission state changes."""
        self._progress_listeners.append(callback)

    def add_reached_listener(self, callback: Callable[[MissionReached], None]) -> None:
        self._reached_listeners.append(callback)

    # ---- the link thread --------------------------------------------------------------------

    def on_message(self, msg: Any) -> None:
        kind = msg.get_type()
        if kind in TRANSFER_TYPES:
            target = getattr(msg, "target_system", 0)
            own = self._own_system_id()
            if own is not None and target not in (0, own):
                return  # the vehicle talking to another GCS (a forwarded QGC)
            with self._cond:
                if self._collecting:
                    self._inbox.append(msg)
                    self._cond.notify_all()
            return
        if kind == "MISSION_CURRENT":
            self._on_current(msg)
        elif kind == "MISSION_ITEM_REACHED":
            self._on_reached(int(msg.seq))

    def _on_current(self, msg: Any) -> None:
        seq, total = int(msg.seq), int(getattr(msg, "total", 0))
        state_value = int(getattr(msg, "mission_state", 0))
        entry = M.enums["MISSION_STATE"].get(state_value)
        state = entry.name.removeprefix("MISSION_STATE_") if entry is not None else str(state_value)
        with self._cond:
            old = self._progress
            self._current_mark += 1
            self._cond.notify_all()
            if (old.seq, old.total, old.state) == (seq, total, state):
                return
            reached = old.reached
            if state in ("NOT_STARTED", "NO_MISSION") or (old.seq is not None and seq < old.seq):
                reached = ()  # a mission that starts again reports its items again
            new = MissionProgress(self.system_id, seq, total, state, reached)
            self._progress = new
        for listener in self._progress_listeners:
            listener(new)

    def _on_reached(self, seq: int) -> None:
        with self._cond:
            old = self._progress
            if old.reached and old.reached[-1] == seq:
                return  # the same report again (ArduPilot repeats none, but a lossy link may)
            self._progress = replace(old, reached=(*old.reached, seq))
        event = MissionReached(self.system_id, seq)
        for listener in self._reached_listeners:
            listener(event)

    # ---- reading ----------------------------------------------------------------------------

    def progress(self) -> MissionProgress:
        with self._cond:
            return self._progress

    # ---- transfers (caller's thread) --------------------------------------------------------

    def _begin(self) -> None:
        with self._cond:
            self._inbox.clear()
            self._collecting = True

    def _end(self) -> None:
        with self._cond:
            self._collecting = False
            self._inbox.clear()

    def _wait(self, kinds: frozenset[str], mission_type: int, timeout_s: float) -> Any | None:
        """The next transfer message of ``kinds`` for ``mission_type``, or None after the timeout."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                while self._inbox:
                    msg = self._inbox.popleft()
                    if msg.get_type() in kinds and int(getattr(msg, "mission_type", 0)) == mission_type:
                        return msg
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def _refused(self, what: str, ack: Any, since: float) -> MissionRefused:
        reasons = self._texts.reasons(since, wait_s=0.2)
        why = f" ({'; '.join(reasons)})" if reasons else ""
        return MissionRefused(f"{what} refused by the vehicle: {result_name(int(ack.type))}{why}")

    def download(self, kind: MissionType = MissionType.MISSION) -> list[MissionItem]:
        """Every item of one list, exactly as the vehicle holds it (ArduPilot's home item included)."""
        s, mt, since = self.settings, kind.wire, time.monotonic()
        with self._transfer:
            self._begin()
            try:
                count_msg = None
                for _ in range(s.retries + 1):
                    self._send(M.MAVLink_mission_request_list_message(self.system_id, self.component_id, mt))
                    count_msg = self._wait(frozenset({"MISSION_COUNT", "MISSION_ACK"}), mt, s.timeout_s)
                    if count_msg is not None:
                        break
                if count_msg is None:
                    raise MissionTimeout(f"{kind} download: no MISSION_COUNT after {s.retries + 1} requests")
                if count_msg.get_type() == "MISSION_ACK":
                    raise self._refused(f"{kind} download", count_msg, since)
                items: list[MissionItem] = []
                for seq in range(int(count_msg.count)):
                    items.append(self._download_item(kind, seq, since))
                self._send(M.MAVLink_mission_ack_message(self.system_id, self.component_id,
                                                         M.MAV_MISSION_ACCEPTED, mt))
            finally:
                self._end()
        log.info("vehicle %d: %s downloaded, %d items in %.2f s", self.system_id, kind, len(items),
                 time.monotonic() - since)
        return items

    def _download_item(self, kind: MissionType, seq: int, since: float) -> MissionItem:
        s, mt = self.settings, kind.wire
        for _ in range(s.retries + 1):
            self._send(M.MAVLink_mission_request_int_message(self.system_id, self.component_id, seq, mt))
            deadline = time.monotonic() + s.timeout_s
            while (left := deadline - time.monotonic()) > 0:
                msg = self._wait(frozenset({"MISSION_ITEM_INT", "MISSION_ITEM", "MISSION_ACK"}), mt, left)
                if msg is None:
                    break
                if msg.get_type() == "MISSION_ACK":
                    raise self._refused(f"{kind} download (item {seq})", msg, since)
                if int(msg.seq) == seq:
                    return item_from_message(msg)
        raise MissionTimeout(f"{kind} download: item {seq} never came ({s.retries + 1} requests)")

    def upload(self, kind: MissionType, items: list[MissionItem]) -> float:
        """Write a whole list (wire items, seq = index); returns the seconds it took."""
        s, mt, since = self.settings, kind.wire, time.monotonic()
        want = frozenset({"MISSION_REQUEST_INT", "MISSION_REQUEST", "MISSION_ACK"})
        with self._transfer:
            self._begin()
            try:
                self._send_count(mt, len(items))
                last_sent: int | None = None
                quiet = 0
                requested: set[int] = set()
                deadline = since + s.upload_timeout_s
                while True:
                    msg = self._wait(want, mt, s.timeout_s)
                    if msg is None:
                        quiet += 1
                        if quiet > s.retries or time.monotonic() > deadline:
                            raise MissionTimeout(
                                f"{kind} upload: the vehicle stopped asking for items ({len(requested)} of "
                                f"{len(items)} sent)")
                        if last_sent is None:
                            self._send_count(mt, len(items))
                        else:
                            self._send_item(mt, last_sent, items[last_sent])
                        continue
                    quiet = 0
                    if msg.get_type() == "MISSION_ACK":
                        if int(msg.type) != M.MAV_MISSION_ACCEPTED:
                            raise self._refused(f"{kind} upload", msg, since)
                        if len(requested) >= len(items):
                            break
                        continue  # an ACK left over from something earlier
                    seq = int(msg.seq)
                    if seq >= len(items):
                        continue
                    requested.add(seq)
                    last_sent = seq
                    self._send_item(mt, seq, items[seq])
            finally:
                self._end()
        took = time.monotonic() - since
        log.info("vehicle %d: %s uploaded, %d items in %.2f s", self.system_id, kind, len(items), took)
        return took

    def _send_count(self, mt: int, count: int) -> None:
        self._send(M.MAVLink_mission_count_message(self.system_id, self.component_id, count, mt))

    def _send_item(self, mt: int, seq: int, item: MissionItem) -> None:
        x, y = item.wire_xy()
        frame = {M.MAV_FRAME_GLOBAL: M.MAV_FRAME_GLOBAL_INT,
                 M.MAV_FRAME_GLOBAL_RELATIVE_ALT: M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                 M.MAV_FRAME_GLOBAL_TERRAIN_ALT: M.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT}.get(item.frame, item.frame)
        self._send(M.MAVLink_mission_item_int_message(
            self.system_id, self.component_id, seq, frame, item.command, 1 if seq == 0 else 0,
            1 if item.autocontinue else 0, item.param1, item.param2, item.param3, item.param4, x, y, item.z, mt))

    def clear(self, kind: MissionType = MissionType.MISSION) -> None:
        s, mt, since = self.settings, kind.wire, time.monotonic()
        with self._transfer:
            self._begin()
            try:
                for _ in range(s.retries + 1):
                    self._send(M.MAVLink_mission_clear_all_message(self.system_id, self.component_id, mt))
                    ack = self._wait(frozenset({"MISSION_ACK"}), mt, s.timeout_s)
                    if ack is None:
                        continue
                    if int(ack.type) != M.MAV_MISSION_ACCEPTED:
                        raise self._refused(f"{kind} clear", ack, since)
                    log.info("vehicle %d: %s cleared", self.system_id, kind)
                    return
            finally:
                self._end()
        raise MissionTimeout(f"{kind} clear: no MISSION_ACK after {s.retries + 1} MISSION_CLEAR_ALLs")

    def set_current_by_message(self, seq: int) -> MissionProgress:
        """MISSION_SET_CURRENT (the message, for autopilots without MAV_CMD_DO_SET_MISSION_CURRENT),
        confirmed by a MISSION_CURRENT that shows ``seq``."""
        s = self.settings
        for _ in range(s.retries + 1):
            with self._cond:
                mark = self._current_mark
            self._send(M.MAVLink_mission_set_current_message(self.system_id, self.component_id, seq))
            deadline = time.monotonic() + s.timeout_s
            with self._cond:
                while time.monotonic() < deadline:
                    if self._current_mark > mark and self._progress.seq == seq:
                        return self._progress
                    self._cond.wait(deadline - time.monotonic())
        raise MissionTimeout(f"current item {seq}: no MISSION_CURRENT showed it after {s.retries + 1} tries")
