"""StreamHub: fan-out of core events to WebSocket/SSE clients through bounded per-client queues.

Threads: ``Channel.publish`` is called on the publisher's thread (a bus callback: link, commander,
a request worker) and does only constant work under one lock: number the event, maybe keep it
in the ring, put it in the inbox, and wake the API loop with ``call_soon_threadsafe`` once per
burst (not once per event, not once per client). Everything else runs on the API loop: the
drain offers each event to each client; a client keeps at most ``queue_size`` events and drops
the oldest when its socket is slower than the stream (counted, and the client is told), so a
slow client never slows the others, the loop or the core.

Rates: types listed as ``throttled`` (telemetry; later video frames) are sent to each client at
most at its own rate. A value that arrives when the client's slot is open (or a quarter period
before) goes out at once, so its age on arrival is only the transport time; slots lie on a fixed
grid, so the average rate is the one asked for; a value that arrives early waits, and is sent
shortly after the slot opens only if nothing fresher came meanwhile (the last value is never
held back). Other types (status, log) are never thinned.

Each channel also keeps a histogram of the age of every message when it was written to its
socket (bus publish -> write), so ``/stats`` shows the server's share of the latency.

A channel is generic: telemetry is one; a video channel (frames, no ring, queue of 2) is another.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from embedded_api.stream.events import HubEvent, Plain
from embedded_api.stream.meters import AgeHistogram, RateMeter
from gcs.core.serialize import to_plain

log = logging.getLogger(__name__)

MAX_GRACE_S = 0.05  # how long past its slot a throttled client waits for a fresher value
EARLY_FRACTION = 0.25  # a value this early (of a period) still takes the slot: sources jitter too


class StreamClient:
    """One connected client: its queue, its rate and its counters. Used on the API loop only."""

    def __init__(
        self,
        channel: Channel,
        transport: str,
        rate_hz: float,
        after_id: int,
        queue_size: int,
        keepalive_s: float | None = None,
    ) -> None:
        self.channel = channel
        self.transport = transport
        self.period_s = 1.0 / rate_hz
        self.after_id = after_id  # events up to this id were already given (history/resume)
        self._queue: deque[HubEvent] = deque()
        self._queue_size = queue_size
        self._ready = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._next_ok: dict[str, float] = {}  # per throttled type: when its next slot opens
        self._pending: dict[str, HubEvent] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self.closed = False
        self.sent = 0
        self.dropped = 0
        self.unreported_drops = 0
        # keep-alive: one timer per client per period (not a timeout around every wait)
        self._keepalive_s = keepalive_s
        self._last_activity = self._loop.time()
        self._keepalive_due = False
        self._keepalive_timer: asyncio.TimerHandle | None = None
        if keepalive_s:
            self._keepalive_timer = self._loop.call_later(keepalive_s, self._check_keepalive)

    def offer(self, event: HubEvent) -> None:
        """Queue ``event`` for this client, thinning throttled types to the client's rate."""
        if event.id <= self.after_id or self.closed:
            return
        type_ = event.type
        if type_ not in self.channel.throttled:
            self._push(event)
            return
        now = self._loop.time()
        next_ok = self._next_ok.get(type_)
        if next_ok is None or now >= next_ok - EARLY_FRACTION * self.period_s:  # a slot is open: send it now
            self._pending.pop(type_, None)
            timer = self._timers.pop(type_, None)
            if timer is not None:
                timer.cancel()
            self._take_slot(type_, now, next_ok)
            self._push(event)
            return
        self._pending[type_] = event  # an older pending value is superseded, not "dropped"
        if type_ not in self._timers:
            # if nothing fresher comes shortly after the slot opens, send this one (never hold the last value)
            at = self._next_ok[type_] + min(0.5 * self.period_s, MAX_GRACE_S)
            self._timers[type_] = self._loop.call_at(at, self._flush, type_)

    def _take_slot(self, type_: str, now: float, next_ok: float | None) -> None:
        """Slots lie on a grid one period apart, so send jitter neither lowers nor raises the rate.

        The grid keeps its phase (set by the client's first value) even after missed slots, so
        clients that connected at different times stay spread over the period instead of being
        pulled into one burst whenever the loop was busy.
        """
        if next_ok is None:
            self._next_ok[type_] = now + self.period_s
            return
        following = next_ok + self.period_s
        if following <= now:
            following += (math.floor((now - following) / self.period_s) + 1) * self.period_s
        self._next_ok[type_] = following

    def _flush(self, type_: str) -> None:
        self._timers.pop(type_, None)
        event = self._pending.pop(type_, None)
        if event is not None and not self.closed:
            self._take_slot(type_, self._loop.time(), self._next_ok.get(type_))
            self._push(event)

    def _push(self, event: HubEvent) -> None:
        if len(self._queue) >= self._queue_size:
            self._queue.popleft()
            self.dropped += 1
            self.unreported_drops += 1
            self.channel.dropped += 1
        self._queue.append(event)
        self._ready.set()

    def _check_keepalive(self) -> None:
        if self.closed or not self._keepalive_s:
            return
        idle = self._loop.time() - self._last_activity
        if idle >= self._keepalive_s:
            self._keepalive_due = True
            self._ready.set()
            idle = 0.0
        self._keepalive_timer = self._loop.call_later(self._keepalive_s - idle, self._check_keepalive)

    def take_keepalive(self) -> bool:
        """True once when the client has been silent for ``keepalive_s`` (send it a comment)."""
        due, self._keepalive_due = self._keepalive_due, False
        if due:
            self._last_activity = self._loop.time()
        return due

    async def get(self, timeout_s: float | None = None) -> list[HubEvent]:
        """Every queued event (oldest first); [] after ``timeout_s`` without any, when a keep-alive
        is due, or once closed."""
        if not self._queue and not self.closed and not self._keepalive_due:
            self._ready.clear()
            if timeout_s is None:
                await self._ready.wait()
            else:
                try:
                    async with asyncio.timeout(timeout_s):
                        await self._ready.wait()
                except TimeoutError:
                    return []
        items = list(self._queue)
        self._queue.clear()
        if items:
            self._last_activity = self._loop.time()
        return items

    def take_drops(self) -> int:
        """Drops since the last call (the sender tells the client about them)."""
        drops, self.unreported_drops = self.unreported_drops, 0
        return drops

    def sent_one(self, nbytes: int, event_time_s: float, *, frame: bool = False) -> None:
        """Count a message written to the socket (its age then goes into the channel's histogram)."""
        now = time.time()
        self.sent += 1
        channel = self.channel
        channel.sent += 1
        channel.bytes_sent += nbytes
        if frame:
            channel.frames_sent += 1
        channel.meter.add(now, nbytes)
        channel.ages.add(now - event_time_s)

    def close(self) -> None:
        self.closed = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._keepalive_timer is not None:
            self._keepalive_timer.cancel()
        self._ready.set()


class Channel:
    """A named stream (``telemetry``; later ``video``) with its ring of recent events."""

    def __init__(
        self,
        name: str,
        *,
        throttled: Iterable[str] = (),
        unkept: Iterable[str] = (),
        ring_size: int = 0,
        ring_rate_hz: float = 2.0,
        queue_size: int = 64,
    ) -> None:
        self.name = name
        self.throttled = frozenset(throttled)
        self.unkept = frozenset(unkept)  # live only, never in the ring (the map: GET /api/map has it whole)
        self.queue_size = queue_size
        self._ring: deque[HubEvent] = deque(maxlen=max(ring_size, 1))
        self._ring_enabled = ring_size > 0
        self._ring_period_s = 1.0 / ring_rate_hz
        self._ring_last: dict[str, float] = {}
        self._lock = threading.Lock()
        self._inbox: list[HubEvent] = []
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clients: set[StreamClient] = set()
        self._last_id = 0
        self.evicted_upto = 0  # id of the newest event that fell out of the ring
        self.published = 0
        self.sent = 0
        self.dropped = 0
        self.bytes_sent = 0
        self.frames_sent = 0  # video frames among the messages (the video channel)
        self.connected_total = 0
        self.ages = AgeHistogram()
        self.meter = RateMeter()

    # ---- any thread ------------------------------------------------------------------------

    def publish(self, type_: str, value: Any, *, plain: Plain = to_plain, time_s: float | None = None) -> None:
        """Number the event, keep it if the ring wants it, and hand it to the loop (quick)."""
        now = time.time() if time_s is None else time_s
        with self._lock:
            self._last_id += 1
            event = HubEvent(self._last_id, type_, value, now, plain)
            self.published += 1
            if self._ring_enabled and self._ring_wants(event):
                if len(self._ring) == self._ring.maxlen:
                    self.evicted_upto = self._ring[0].id
                self._ring.append(event)
            loop = self._loop
            if not self._clients or loop is None:
                return
            self._inbox.append(event)
            if self._scheduled:
                return
            self._scheduled = True
        try:
            loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the API loop has stopped: nobody is listening any more
            with self._lock:
                self._inbox.clear()
                self._scheduled = False

    def _ring_wants(self, event: HubEvent) -> bool:
        if event.type in self.unkept:
            return False
        if event.type not in self.throttled:
            return True
        last = self._ring_last.get(event.type, 0.0)
        if event.time_s - last < self._ring_period_s:
            return False
        self._ring_last[event.type] = event.time_s
        return True

    @property
    def last_id(self) -> int:
        return self._last_id

    def recent(self, after_id: int = 0, limit: int | None = None) -> list[HubEvent]:
        """Ring events with an id above ``after_id`` (the last ``limit`` of them)."""
        with self._lock:
            events = [e for e in self._ring if e.id > after_id]
        if limit is None:
            return events
        return events[len(events) - limit :] if limit > 0 else []

    def oldest_id(self) -> int | None:
        with self._lock:
            return self._ring[0].id if self._ring else None

    # ---- API loop only ---------------------------------------------------------------------

    def connect(
        self,
        transport: str,
        rate_hz: float,
        *,
        after_id: int | None = None,
        history: int = 0,
        keepalive_s: float | None = None,
    ) -> tuple[StreamClient, list[HubEvent]]:
        """Register a client; returns it and the ring events it should get first.

        ``after_id`` (a resume): every kept event after it. Otherwise the last ``history``
        events. Taken under the publish lock, so nothing falls between those and the live ones.
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            self._loop = loop
            ring = list(self._ring)
            first_live = self._last_id
            if after_id is not None:
                backlog = [e for e in ring if e.id > after_id]
            else:
                backlog = ring[len(ring) - history :] if history > 0 else []
            client = StreamClient(self, transport, rate_hz, first_live, self.queue_size, keepalive_s)
            self._clients.add(client)
            self.connected_total += 1
        return client, backlog

    def disconnect(self, client: StreamClient) -> None:
        client.close()
        with self._lock:
            self._clients.discard(client)

    def _drain(self) -> None:
        with self._lock:
            batch, self._inbox = self._inbox, []
            self._scheduled = False
            clients = list(self._clients)
        if len(batch) > 1 and self.throttled:  # a burst: only the newest throttled value matters
            newest = {e.type: e.id for e in batch if e.type in self.throttled}
            batch = [e for e in batch if e.type not in self.throttled or newest[e.type] == e.id]
        for client in clients:
            for event in batch:
                client.offer(event)

    def close_all(self) -> None:
        """End every client's stream; from any thread (hops onto the API loop while it runs)."""
        loop = self._loop
        if loop is not None and loop.is_running():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not loop:
                loop.call_soon_threadsafe(self._close_clients)
                return
        self._close_clients()

    def _close_clients(self) -> None:
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            client.close()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            clients = list(self._clients)
            ring = len(self._ring) if self._ring_enabled else 0
        by_transport: dict[str, int] = {}
        for client in clients:
            by_transport[client.transport] = by_transport.get(client.transport, 0) + 1
        return {
            "clients": len(clients),
            "clients_by_transport": by_transport,
            "connected_total": self.connected_total,
            "events_published": self.published,
            "messages_sent": self.sent,
            "messages_dropped": self.dropped,
            "bytes_sent": self.bytes_sent,
            "frames_sent": self.frames_sent,
            "bandwidth_bytes_per_s": round(self.meter.bytes_per_s(time.time())),
            "messages_per_s": round(self.meter.messages_per_s(time.time()), 1),
            "ring_events": ring,
            "age_at_send": self.ages.as_dict(),
            "last_id": self._last_id,
        }


class StreamHub:
    """The channels of the API, created once per app."""

    def __init__(self) -> None:
        self._channels: dict[str, Channel] = {}

    def add_channel(self, channel: Channel) -> Channel:
        if channel.name in self._channels:
            raise ValueError(f"stream channel {channel.name!r} exists already")
        self._channels[channel.name] = channel
        return channel

    def channel(self, name: str) -> Channel:
        return self._channels[name]

    def stats(self) -> dict[str, Any]:
        return {name: channel.stats() for name, channel in self._channels.items()}

    def close(self) -> None:
        """Wake every client so its stream ends."""
        for channel in self._channels.values():
            channel.close_all()
