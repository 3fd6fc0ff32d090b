"""SimVehicle: one thread that runs the physics at 100 Hz, answers MAVLink and streams telemetry.

The loop waits on the socket until the next physics tick (deadlines on ``time.monotonic()``, so
it neither drifts nor spins), drains every waiting datagram, advances the physics by whole ticks,
and sends the telemetry that is due. A datagram that does not decode is counted and dropped;
nothing a peer sends can stop the thread. ``stop()`` returns within one tick.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.autopilot import SimAutopilot
from gcs.core.sim.config import ReceivedSetpoint, SimConfig, SimSnapshot
from gcs.core.sim.handlers import MessageHandler
from gcs.core.sim.telemetry import BUILDERS, StreamScheduler
from gcs.core.sim.transport import UdpTransport

log = logging.getLogger(__name__)

PHYSICS_HZ = 100
DT = 1.0 / PHYSICS_HZ
MAX_CATCH_UP_STEPS = 25  # after a stall, run at most this many ticks, then resynchronise
MAX_STATUSTEXT = 50


class SimVehicle:
    """A simulated PX4 or ArduPilot multicopter on a UDP port. Thread-safe public methods."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._transport: UdpTransport | None = None
        self._mav: Any = None
        now = time.monotonic()
        self._ap = SimAutopilot(config, now)
        self._streams = StreamScheduler(now, config.is_px4)
        self._handler = MessageHandler(self._ap, self._streams, config.system_id, config.component_id)
        self._home_version_sent = 0
        self._text_id = 0
        self._last_port = 0
        self.bad_datagrams = 0  # datagrams with no valid MAVLink in them
        self.bad_messages = 0  # frames that failed to decode (CRC, unknown id, ...)
        self.handler_errors = 0  # messages that raised inside a handler (logged)
        self.messages_received = 0
        self._received_types: collections.Counter[str] = collections.Counter()

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Bind the socket and start the thread. Calling it again while running does nothing."""
        with self._lock:
            if self._thread is not None:
                return
            cfg = self.config
            self._transport = UdpTransport(cfg.bind_host, cfg.bind_port, cfg.targets)
            self._last_port = self._transport.port
            self._mav = mavlink.MAVLink(self._transport, cfg.system_id, cfg.component_id)
            now = time.monotonic()
            self._ap = SimAutopilot(cfg, now)
            self._streams = StreamScheduler(now, cfg.is_px4)
            self._handler = MessageHandler(self._ap, self._streams, cfg.system_id, cfg.component_id)
            self._stop.clear()
            name = f"sim-{cfg.flavour}-{cfg.system_id}"
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close the socket; safe to call twice or before start()."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        with self._lock:
            self._thread = None
            if self._transport is not None:
                self._transport.close()
                self._transport = None

    def __enter__(self) -> SimVehicle:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def port(self) -> int:
        """The bound UDP port (the real one when bind_port was 0)."""
        transport = self._transport
        if transport is not None:
            return transport.port
        if self._last_port:
            return self._last_port  # stopped: the port it had
        raise RuntimeError("SimVehicle is not started")

    # ---- queries (any thread) -------------------------------------------------------------

    def snapshot(self) -> SimSnapshot:
        with self._lock:
            return self._ap.snapshot(time.monotonic())

    def received_setpoints(self) -> list[ReceivedSetpoint]:
        with self._lock:
            return list(self._ap.setpoints)

    def pilot_mode(self, name: str) -> int:
        """The pilot flips the RC mode switch (not a MAVLink command): returns the MAV_RESULT."""
        with self._lock:
            self._ap.now = time.monotonic()
            return self._ap.request_mode(name)

    def set_battery_pct(self, pct: float) -> None:
        """Put the simulated pack at ``pct`` percent; it keeps draining from there."""
        with self._lock:
            self._ap.battery.set_remaining_pct(pct)

    def set_battery_drain(self, scale: float) -> None:
        """Drain the pack ``scale`` times faster than its current says (1: as flown)."""
        with self._lock:
            self._ap.battery.drain_scale = scale

    def say(self, text: str, severity: int = 6) -> None:
        """Send a STATUSTEXT as the autopilot would (tests play a firmware's messages with it)."""
        with self._lock:
            self._ap.say(text, severity)

    def set_gps_fix(self, fix: bool) -> None:
        """Lose the GPS fix (False) or give it back (True), as a jammed or unplugged receiver would."""
        with self._lock:
            self._ap.set_gps_fix(fix)

    def add_target(self, host: str, port: int) -> None:
        """Also send telemetry to ``host:port`` (a GCS listening there, like QGC on 14550)."""
        transport = self._transport
        if transport is None:
            raise RuntimeError("SimVehicle is not started")
        transport.add_target(host, port)

    def param_value(self, name: str) -> float | None:
        """A parameter's value as the autopilot holds it (its own unit), or None when it has none."""
        with self._lock:
            store = self._ap.params
            index = store.index_of(name)
            param = store.by_index(index) if index is not None else None
            return None if param is None else param.value

    def received_counts(self) -> dict[str, int]:
        """How many messages of each type the sim has received (third-party client tests count
        MAVFTP requests and PARAM_REQUEST_LISTs with it)."""
        with self._lock:
            return dict(self._received_types)

    def peers(self) -> list[tuple[str, int]]:
        transport = self._transport
        return transport.peers() if transport else []

    # ---- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        transport = self._transport
        assert transport is not None
        next_tick = time.monotonic()
        while not self._stop.is_set():
            transport.wait(min(DT, max(0.0, next_tick - time.monotonic())))
            if self._stop.is_set():
                break
            try:
                next_tick = self._iterate(transport, next_tick)
            except Exception:  # a bug must not kill the vehicle silently mid-flight
                self.handler_errors += 1
                log.exception("sim: loop iteration failed")
                next_tick = max(next_tick + DT, time.monotonic())
        log.debug("sim: thread stopped")

    def _iterate(self, transport: UdpTransport, next_tick: float) -> float:
        """One pass: read, fly the ticks that are due, send what is due. Returns the next tick."""
        now = time.monotonic()
        datagrams = transport.receive()
        with self._lock:
            for data, addr in datagrams:
                self._on_datagram(transport, data, addr, now)
            steps = 0
            while now >= next_tick and steps < MAX_CATCH_UP_STEPS:
                self._ap.step(DT, next_tick)
                next_tick += DT
                steps += 1
            if now - next_tick > 0.25:
                next_tick = now + DT  # stalled (debugger, suspended VM): do not replay it all
            self._ap.now = now
            self._send_events()
            for mid in self._streams.due(now):
                self._send(BUILDERS[mid](self._ap, now))
            for param in self._handler.params.due():
                self._send(param)
            for reply in self._ap.mission_store.due(now):
                self._send(reply)
        transport.expire(now)
        return next_tick

    def _on_datagram(self, transport: UdpTransport, data: bytes, addr: tuple[str, int], now: float) -> None:
        parser = mavlink.MAVLink(None)  # fresh per datagram: a torn frame cannot poison the next
        parser.robust_parsing = True
        try:
            messages = parser.parse_buffer(data) or []
        except Exception:  # noqa: BLE001 - pymavlink raises assorted errors on garbage even when robust
            messages = []
        # BAD_DATA: failed CRC or framing; MAVLink_unknown: an id without a known CRC seed, so
        # random bytes pass as one often. Neither makes its sender a peer.
        good = [m for m in messages if m.get_type() != "BAD_DATA" and not isinstance(m, mavlink.MAVLink_unknown)]
        self.bad_messages += len(messages) - len(good)
        if not good:
            self.bad_datagrams += 1
            return
        if transport.learn(addr, now):  # a new GCS: introduce ourselves now, not in up to 1 s
            self._send(BUILDERS[mavlink.MAVLINK_MSG_ID_HEARTBEAT](self._ap, now))
        me = (self.config.system_id, self.config.component_id)
        for msg in good:
            if (msg.get_srcSystem(), msg.get_srcComponent()) == me:
                continue  # our own echo (e.g. a looped-back broadcast)
            self.messages_received += 1
            self._received_types[msg.get_type()] += 1
            try:
                replies = self._handler.handle(msg, now)
            except Exception:
                self.handler_errors += 1
                log.exception("sim: handling %s failed", msg.get_type())
                continue
            self._send_events()
            for reply in replies:
                self._send(reply)

    def _send_events(self) -> None:
        ap = self._ap
        runner = ap.mission
        for seq in runner.reached_out:
            self._send(mavlink.MAVLink_mission_item_reached_message(seq))
        runner.reached_out.clear()
        if runner.current_changed:
            runner.current_changed = False
            self._send(BUILDERS[mavlink.MAVLINK_MSG_ID_MISSION_CURRENT](ap, ap.now))
        for severity, text in ap.outbox[:MAX_STATUSTEXT]:
            self._send_statustext(severity, text)
        ap.outbox.clear()
        if ap.home_version != self._home_version_sent and ap.home is not None:
            self._home_version_sent = ap.home_version
            self._send(BUILDERS[mavlink.MAVLINK_MSG_ID_HOME_POSITION](ap, ap.now))

    def _send_statustext(self, severity: int, text: str) -> None:
        """One STATUSTEXT, or MAVLink 2 chunks (shared id, chunk_seq) when longer than 50 bytes."""
        data = text.encode("utf-8")
        if len(data) <= 50:
            self._send(mavlink.MAVLink_statustext_message(severity, data))
            return
        self._text_id = self._text_id % 65535 + 1
        chunks = [data[i:i + 50] for i in range(0, len(data), 50)]
        if len(chunks[-1]) == 50:
            chunks.append(b"")  # the last chunk must carry the terminating NUL
        for seq, chunk in enumerate(chunks):
            self._send(mavlink.MAVLink_statustext_message(severity, chunk, self._text_id, seq))

    def _send(self, msg: Any) -> None:
        if msg is None or self._mav is None:
            return
        self._mav.send(msg)

    # ---- diagnostics --------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        t = self._transport
        return {
            "messages_received": self.messages_received,
            "bad_datagrams": self.bad_datagrams,
            "bad_messages": self.bad_messages,
            "handler_errors": self.handler_errors,
            "commands_handled": self._handler.commands_handled,
            "datagrams_in": t.datagrams_in if t else 0,
            "datagrams_out": t.datagrams_out if t else 0,
            "send_errors": t.send_errors if t else 0,
        }
