"""The replay's own thread: a tlog's records fed to the sink on log time, with controls queued in.

Split from ``replay`` (``ReplayLink`` there is this player plus the ``Link`` surface and the control
calls). Here: the replay clock, which runs on log time and stands still while paused; feeding the
records whose time has come (or batches as fast as possible); parsing each frame exactly as a live
link does (loss and bad frames counted the same way); rebuilding the state on a seek; and running
the controls queued from other threads between records.
"""

from __future__ import annotations

import collections
import logging
import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gcs.core.errors import LinkError
from gcs.core.logs.index import TlogIndex, key_msg_id
from gcs.core.logs.tlog import MSG_ID_HEARTBEAT
from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.connection import ConnectionSpec, LinkKind
from gcs.core.vehicle.link import Link, LinkSink, RawTap

log = logging.getLogger("gcs.core.logs.replay")  # the name it had before the split

SPEED_MIN, SPEED_MAX = 0.1, 100.0
AFAP_BATCH = 512  # records fed between looks at the control queue, as fast as possible
MAX_BATCH = 2000  # records fed at once when playback fell behind its clock
STATUS_PERIOD_S = 0.25
FRACTION_BEFORE_END = 0.999  # the most a status says while records are still to play


@dataclass(frozen=True)
class ReplayStatus:
    """Where a replay is; published on ``Topics.REPLAY`` about 4 times a second and after each control."""

    link_id: str
    path: str
    playing: bool
    ended: bool
    speed: float | None  # None: as fast as possible
    position_s: float  # seconds from the start of the log, on the log clock (``index``: jumps bridged)
    duration_s: float  # the log clock's length: the bridged duration
    fraction: float  # 1.0 only once every record has been played
    log_time_s: float  # the log's own unix time (raw stamp) at the current position
    frame: int  # next record to play
    frames: int
    bad_frames: int
    seeks: int  # incremented by every seek: plots may clear their history on a change
    log_system_ids: tuple[int, ...] = ()  # the vehicles in the log, by the log's system ids
    system_ids: tuple[int, ...] = ()  # the same vehicles as shown (a stand-in id where one is live)


class ReplaySink(LinkSink, Protocol):
    """The fleet: receives messages, blanks this link's vehicles before a seek, restarts their counts after."""

    def reset_vehicles(self, link: Link) -> None: ...

    def reset_counts(self, link: Link) -> object: ...


def check_speed(speed: float | None) -> float | None:
    """A valid speed, or None for as fast as possible (also spelled ``math.inf``)."""
    if speed is None or speed == math.inf:
        return None
    if not (SPEED_MIN <= speed <= SPEED_MAX):
        raise LinkError(
            f"replay speed {speed:g} is outside {SPEED_MIN:g}-{SPEED_MAX:g} (or None for as fast as possible)"
        )
    return float(speed)


class ReplayPlayer(ABC):
    """A tlog played on its own timing thread into a ``ReplaySink``; ``ReplayLink`` adds the rest."""

    def __init__(
        self,
        spec: ConnectionSpec,
        sink: ReplaySink,
        *,
        link_id: str,
        speed: float | None = 1.0,
        playing: bool = True,
        on_status: Callable[[ReplayStatus], None] | None = None,
        on_command_ack: Callable[[Any], None] | None = None,
    ) -> None:
        if spec.kind is not LinkKind.REPLAY:
            raise LinkError(f"{spec.url} is not a replay:PATH connection")
        self.spec = spec
        self.link_id = link_id
        self._speed = check_speed(speed)
        self.index = TlogIndex(Path(spec.device).expanduser())
        self._sink = sink
        self._on_status = on_status
        self._on_ack = on_command_ack  # the log's COMMAND_ACKs, so a replay shows what was commanded
        self._seeking = False
        self._parser = mavlink.MAVLink(None)
        self._parser.robust_parsing = True
        self._taps: list[RawTap] = []
        self._last_seq: dict[tuple[int, int], int] = {}
        # log system id -> the id its vehicle is shown under (set before ``start``): a log of a system
        # that is a live vehicle now plays as another vehicle instead of being hidden
        self.system_map: dict[int, int] = {}
        self.log_vehicle_ids = self.index.vehicle_ids()  # the vehicles in the log, by their own ids
        self._received = self._lost = self._bad = self._bytes_in = 0
        self._last_rx: float | None = None
        self._pos = 0
        self._playing = playing
        self._ended = False
        self._seeks = 0
        self._clock_ref = (self.index.first_time_s, 0.0, 0.0)  # (log s, monotonic anchor, rate)
        self._commands: collections.deque[tuple[Callable[[], None], threading.Event]] = collections.deque()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_status = 0.0

    def clock(self) -> float:
        """Log time in seconds at the current replay position (see the module docstring)."""
        log_s, wall, rate = self._clock_ref
        return log_s + (time.monotonic() - wall) * rate if rate else log_s

    def status(self) -> ReplayStatus:
        index = self.index
        duration = index.duration_s
        now = self._now_log_s()
        position = min(max(0.0, now - index.first_time_s), duration)
        fraction = position / duration if duration > 0 else 1.0
        if not self._pos >= len(index):
            fraction = min(fraction, FRACTION_BEFORE_END)  # records still to play: never "100%"
        return ReplayStatus(
            link_id=self.link_id,
            path=str(index.path),
            playing=self._playing,
            ended=self._ended,
            speed=self._speed,
            position_s=position,
            duration_s=duration,
            fraction=fraction,
            log_time_s=index.stamp_at_s(now),
            frame=self._pos,
            frames=len(index),
            bad_frames=self._bad + index.resyncs,
            seeks=self._seeks,
            log_system_ids=self.log_vehicle_ids,
            system_ids=tuple(self.system_map.get(i, i) for i in self.log_vehicle_ids),
        )

    @abstractmethod
    def _link(self) -> Link:
        """This replay as the sink sees it: the ``ReplayLink`` itself."""

    # ---- the replay thread -----------------------------------------------------------------

    def _now_log_s(self) -> float:
        """The clock, held between the last record played and the next one."""
        now = self.clock()
        index, pos = self.index, self._pos
        if pos < len(index):
            now = min(now, index.times_us[pos] / 1e6)
        if pos > 0:
            now = max(now, index.times_us[pos - 1] / 1e6)
        return now

    def _anchor(self, log_s: float) -> None:
        timed = self._playing and self._speed is not None
        self._clock_ref = (log_s, time.monotonic(), self._speed or 0.0) if timed else (log_s, 0.0, 0.0)

    def _pause(self) -> None:
        now = self._now_log_s()
        self._playing = False
        self._anchor(now)

    def _seek_to(self, target: int) -> None:
        index = self.index
        target = max(0, min(target, len(index)))
        at_s = index.times_us[min(target, len(index) - 1)] / 1e6
        self._clock_ref = (at_s, 0.0, 0.0)
        self._sink.reset_vehicles(self._link())
        self._last_seq.clear()
        self._seeking = True
        records = index.state_before(target)
        keys = index.keys
        # heartbeats first: the fleet makes a vehicle of a system only at its first HEARTBEAT, so a
        # seek before the vehicle was heard would otherwise drop the records that precede it
        beats = [i for i in records if key_msg_id(keys[i]) == MSG_ID_HEARTBEAT]
        rest = [i for i in records if key_msg_id(keys[i]) != MSG_ID_HEARTBEAT]
        try:
            for i in beats + rest:
                self._ingest(index.frame(i), index.times_us[i] / 1e6)
        finally:
            self._seeking = False
        # the link statistics start again from here: the rebuild skipped records on purpose, and a
        # count carried over (or a gap counted across the skip) would show as a false link loss
        self._last_seq.clear()
        self._received = self._lost = self._bad = self._bytes_in = 0
        self._sink.reset_counts(self._link())
        self._pos = target
        self._ended = target >= len(index)
        if self._ended:
            self._playing = False
        self._seeks += 1
        self._anchor(at_s)

    def _feed_range(self, end: int) -> None:
        index = self.index
        times = index.times_us
        for i in range(self._pos, end):
            self._ingest(index.frame(i), times[i] / 1e6)
        self._pos = max(self._pos, end)
        self._last_rx = time.monotonic()

    def _ingest(self, frame: bytes, now_s: float) -> None:
        """One frame, exactly as ``MavlinkLink.ingest`` treats live bytes."""
        if not self._seeking:
            self._bytes_in += len(frame)
        link = self._link()
        for msg in self._parser.parse_buffer(frame) or ():
            if msg.get_type() == "BAD_DATA":
                self._bad += 1
                continue
            msg._timestamp = now_s
            if self.system_map:
                shown = self.system_map.get(msg.get_srcSystem())
                if shown is not None:
                    msg._header.srcSystem = shown
            if not self._seeking:  # the state rebuilt by a seek is not traffic
                key = (msg.get_srcSystem(), msg.get_srcComponent())
                seq = msg.get_seq()
                prev = self._last_seq.get(key)
                if prev is not None:
                    gap = (seq - prev - 1) & 0xFF
                    if gap and gap < 128:
                        self._lost += gap
                self._last_seq[key] = seq
                self._received += 1
            if self._taps:
                raw = bytes(msg.get_msgbuf())
                for tap in self._taps:
                    tap(raw, False, now_s)
            if not self._clock_ref[2]:  # a clock not running on its own (as fast as possible, a step,
                self._clock_ref = (now_s, 0.0, 0.0)  # a seek's rebuild) is the time of each record fed
            self._sink.on_message(link, msg, now_s)
            if self._on_ack is not None and not self._seeking and msg.get_type() == "COMMAND_ACK":
                self._on_ack(msg)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._run_controls()
            if self._playing and self._pos >= len(self.index):
                self._pause()
                self._ended = True
                self._publish(self.status())
                log.info("replay %s reached the end of %s", self.link_id, self.index.path.name)
            if not self._playing:
                self._wait(STATUS_PERIOD_S)
                continue
            if self._speed is None:
                self._feed_range(min(len(self.index), self._pos + AFAP_BATCH))
            else:
                self._play_due(self._speed)
            if time.monotonic() >= self._next_status:
                self._publish(self.status())
        with self._cond:  # closed: nobody will run what is still queued; release its callers
            for _action, done in self._commands:
                done.set()
            self._commands.clear()

    def _play_due(self, speed: float) -> None:
        """Feed every record whose time has come on the replay clock, else sleep until the next one."""
        index, pos = self.index, self._pos
        log_s, wall, _rate = self._clock_ref
        now = time.monotonic()
        due_us = (log_s + (now - wall) * speed) * 1e6
        times = index.times_us
        end = pos
        limit = min(len(index), pos + MAX_BATCH)
        while end < limit and times[end] <= due_us:
            end += 1
        if end > pos:
            self._feed_range(end)
            return
        next_wall = wall + (times[pos] / 1e6 - log_s) / speed
        self._wait(min(next_wall - now, STATUS_PERIOD_S))

    def _wait(self, timeout_s: float) -> None:
        if timeout_s <= 0:
            return
        with self._cond:
            if not self._commands and not self._stop.is_set():
                self._cond.wait(timeout_s)

    def _run_controls(self) -> None:
        while True:
            with self._cond:
                if not self._commands:
                    return
                action, done = self._commands.popleft()
            try:
                action()
            finally:
                done.set()

    def _publish(self, status: ReplayStatus) -> None:
        self._next_status = time.monotonic() + STATUS_PERIOD_S
        if self._on_status is not None:
            self._on_status(status)


__all__ = ["ReplayPlayer", "ReplaySink", "ReplayStatus", "check_speed"]
