"""One MAVLink link: opens the transport, reads on its own thread, writes under one lock.

pymavlink's ``mavutil`` opens every transport MAVProxy users know (UDP in/out, TCP client and
server, serial). Frames are parsed with ``MAVLink.parse_buffer`` on whole reads rather than
``recv_msg``'s per-message bookkeeping: about twice the throughput, which matters when a tlog
replays at 100x. Sequence-number loss, rates and bad frames are counted here per source.

Thread ownership: the link thread is the only reader; ``send`` may be called from any thread.
Messages go to a ``LinkSink`` (the fleet) on the link thread, which must not block.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from gcs.core.errors import LinkError
from gcs.core.mavlink_env import GCS_COMPONENT_ID, GCS_SYSTEM_ID, mavlink, mavutil
from gcs.core.vehicle.connection import ConnectionSpec, LinkKind

log = logging.getLogger(__name__)

MavMessage = Any
RawTap = Callable[[bytes, bool, float], None]  # (frame bytes, outgoing?, unix time)
READ_SIZE = 65536


class LinkSink(Protocol):
    """Receives every good message of a link, on the link thread."""

    def on_message(self, link: Link, msg: MavMessage, now_s: float) -> None: ...


@dataclass(frozen=True)
class LinkCounters:
    """Totals since the link opened; rates are derived by whoever samples them."""

    link_id: str
    url: str
    kind: str
    is_open: bool
    received: int
    lost: int
    bad_frames: int
    bytes_in: int
    sent: int
    bytes_out: int
    reconnects: int
    last_rx_monotonic: float | None
    error: str | None


class Link(Protocol):
    """What the fleet, vehicles and service use of a link: a live ``MavlinkLink`` or a tlog replay.

    ``clock()`` is the time base the watchdog measures heartbeat silence in: ``time.monotonic()``
    for a live link; a replay's clock follows the log (it stands still while paused), so a paused
    or slowed replay is not declared lost and a real gap in the log is.
    """

    spec: ConnectionSpec
    link_id: str

    @property
    def is_open(self) -> bool: ...

    @property
    def local_port(self) -> int | None: ...

    def start(self) -> None: ...

    def close(self) -> None: ...

    def send(self, msg: MavMessage) -> None: ...

    def send_raw(self, frame: bytes) -> None: ...

    def counters(self) -> LinkCounters: ...

    def clock(self) -> float: ...

    def add_tap(self, tap: RawTap) -> None: ...

    def remove_tap(self, tap: RawTap) -> None: ...


class MavlinkLink:
    """A live MAVLink connection with heartbeat out, loss counting and automatic reopen."""

    def __init__(
        self,
        spec: ConnectionSpec,
        sink: LinkSink,
        *,
        link_id: str,
        source_system: int = GCS_SYSTEM_ID,
        source_component: int = GCS_COMPONENT_ID,
        heartbeat_rate_hz: float = 1.0,
        reconnect_interval_s: float = 2.0,
        silence_reopen_s: float = 3.0,
    ) -> None:
        if spec.kind is LinkKind.REPLAY:
            raise LinkError("a replay is opened by the replay module, not as a live link")
        self.spec = spec
        self.link_id = link_id
        self._sink = sink
        self._source_system = source_system
        self._source_component = source_component
        self._heartbeat_period = 1.0 / heartbeat_rate_hz if heartbeat_rate_hz > 0 else 0.0
        self._reconnect_interval = reconnect_interval_s
        self._silence_reopen = silence_reopen_s
        self._conn: Any = None
        self._parser = mavlink.MAVLink(None, srcSystem=source_system, srcComponent=source_component)
        self._parser.robust_parsing = True
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._taps: list[RawTap] = []
        self._last_seq: dict[tuple[int, int], int] = {}
        self._received = self._lost = self._bad = self._bytes_in = 0
        self._sent = self._bytes_out = self._reconnects = 0
        self._last_rx: float | None = None
        self._opened_at = 0.0
        self._next_heartbeat = 0.0
        self._error: str | None = None
        self._boot = time.monotonic()

    @property
    def source_system(self) -> int:
        """The system id we send as (the vehicle addresses its answers to it)."""
        return self._source_system

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Open the transport (on the link thread, retrying for TCP/serial) and start reading."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"link-{self.link_id}", daemon=True)
        self._thread.start()

    def open_now(self) -> None:
        """Open synchronously so a wrong address fails the caller with a clear LinkError."""
        self._open()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self._close_transport()

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @property
    def local_port(self) -> int | None:
        """The port a listening socket is bound to (useful when it asked for port 0)."""
        conn = self._conn
        sock = getattr(conn, "port", None) if conn is not None else None
        if sock is None or not hasattr(sock, "getsockname"):
            return None
        return int(sock.getsockname()[1])

    @property
    def time_boot_ms(self) -> int:
        return int((time.monotonic() - self._boot) * 1000) & 0xFFFFFFFF

    def add_tap(self, tap: RawTap) -> None:
        """Observe every raw frame in and out (tlog recorder, forwarding)."""
        self._taps.append(tap)

    def remove_tap(self, tap: RawTap) -> None:
        if tap in self._taps:
            self._taps.remove(tap)

    # ---- writing ---------------------------------------------------------------------------

    def send(self, msg: MavMessage) -> None:
        """Pack and write one message from any thread; LinkError if the transport is down."""
        with self._write_lock:
            conn = self._conn
            if conn is None:
                raise LinkError(f"link {self.spec.url} is not open ({self._error or 'connecting'})")
            try:
                conn.mav.send(msg)
            except OSError as exc:
                raise LinkError(f"link {self.spec.url}: write failed: {exc}") from exc
            buf = msg.get_msgbuf()
            self._sent += 1
            self._bytes_out += len(buf)
        if self._taps:
            now = time.time()
            for tap in self._taps:
                tap(bytes(buf), True, now)

    def send_raw(self, frame: bytes) -> None:
        """Write one already packed frame unchanged (another GCS's traffic through a forward)."""
        with self._write_lock:
            conn = self._conn
            if conn is None:
                raise LinkError(f"link {self.spec.url} is not open ({self._error or 'connecting'})")
            try:
                conn.write(frame)
            except OSError as exc:
                raise LinkError(f"link {self.spec.url}: write failed: {exc}") from exc
            self._sent += 1
            self._bytes_out += len(frame)
        if self._taps:
            now = time.time()
            for tap in self._taps:
                tap(frame, True, now)

    def clock(self) -> float:
        """The watchdog's time base (see ``Link``): plain monotonic time for a live link."""
        return time.monotonic()

    def send_heartbeat(self) -> None:
        self.send(
            mavlink.MAVLink_heartbeat_message(
                mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, mavlink.MAV_STATE_ACTIVE, 3
            )
        )

    # ---- reading ---------------------------------------------------------------------------

    def ingest(self, data: bytes, now_s: float) -> int:
        """Parse bytes as they came off the wire and hand each message to the sink.

        Public so the benchmark and tests can push a recorded stream through exactly the path
        live bytes take. Returns the number of good messages.
        """
        self._bytes_in += len(data)
        msgs = self._parser.parse_buffer(data)
        if not msgs:
            return 0
        good = 0
        sink = self._sink
        last_seq = self._last_seq
        taps = self._taps
        for msg in msgs:
            if msg.get_type() == "BAD_DATA":
                self._bad += 1
                continue
            key = (msg.get_srcSystem(), msg.get_srcComponent())
            seq = msg.get_seq()
            prev = last_seq.get(key)
            if prev is not None:
                gap = (seq - prev - 1) & 0xFF
                if gap and gap < 128:  # a large jump is a reboot or a reorder, not loss
                    self._lost += gap
            last_seq[key] = seq
            good += 1
            for tap in taps:
                tap(bytes(msg.get_msgbuf()), False, now_s)
            sink.on_message(self, msg, now_s)
        self._received += good
        return good

    def counters(self) -> LinkCounters:
        return LinkCounters(
            link_id=self.link_id,
            url=self.spec.url,
            kind=self.spec.kind.value,
            is_open=self.is_open,
            received=self._received,
            lost=self._lost,
            bad_frames=self._bad,
            bytes_in=self._bytes_in,
            sent=self._sent,
            bytes_out=self._bytes_out,
            reconnects=self._reconnects,
            last_rx_monotonic=self._last_rx,
            error=self._error,
        )

    # ---- the link thread -------------------------------------------------------------------

    def _open(self) -> None:
        spec = self.spec
        kwargs: dict[str, Any] = {
            "source_system": self._source_system,
            "source_component": self._source_component,
        }
        if spec.kind is LinkKind.SERIAL:
            kwargs["baud"] = spec.baud
        if spec.kind is LinkKind.TCP:
            kwargs["retries"] = 0
        try:
            if spec.kind is LinkKind.UDPIN and spec.port:
                _refuse_if_taken(spec.host, spec.port)
            conn = mavutil.mavlink_connection(spec.pymavlink_device, **kwargs)
        except (OSError, ValueError) as exc:
            self._error = str(exc)
            raise LinkError(f"cannot open {spec.url}: {exc}") from exc
        conn.mav.robust_parsing = True
        with self._write_lock:
            self._conn = conn
        self._error = None
        self._opened_at = time.monotonic()
        self._next_heartbeat = 0.0
        log.info("link %s open (%s)", self.link_id, spec.url)

    def _close_transport(self) -> None:
        with self._write_lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except OSError as exc:
                log.debug("closing %s: %s", self.spec.url, exc)

    def _drop(self, reason: str) -> None:
        log.warning("link %s lost its transport: %s; reopening", self.spec.url, reason)
        self._error = reason
        self._close_transport()
        self._reconnects += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._conn is None:
                try:
                    self._open()
                except LinkError as exc:
                    log.info("%s; retrying in %.1f s", exc, self._reconnect_interval)
                    self._stop.wait(self._reconnect_interval)
                    continue
            self._step()

    def _step(self) -> None:
        conn = self._conn
        mono = time.monotonic()
        if self._heartbeat_period and mono >= self._next_heartbeat:
            self._next_heartbeat = mono + self._heartbeat_period
            try:
                self.send_heartbeat()
            except LinkError as exc:
                log.debug("heartbeat not sent: %s", exc)
        try:
            readable = conn.select(0.05)
            data = conn.recv(READ_SIZE) if readable else b""
        except OSError as exc:
            self._drop(str(exc))
            return
        if data:
            self._last_rx = time.monotonic()
            self.ingest(bytes(data) if not isinstance(data, bytes) else data, time.time())
            return
        if readable and self.spec.kind is LinkKind.TCP:
            self._drop("connection closed by peer")
            return
        if self.spec.reconnects and self._silence_reopen > 0:
            last = self._last_rx if self._last_rx is not None and self._last_rx > self._opened_at else self._opened_at
            if mono - last > self._silence_reopen:
                self._drop(f"nothing heard for {mono - last:.1f} s")


def _refuse_if_taken(host: str, port: int) -> None:
    """OSError if another socket holds this UDP port. pymavlink binds udpin with SO_REUSEADDR, so
    a second program (another GCS, a second ``--demo``) would share the port silently and the
    kernel would hand each datagram to only one of them: both vehicles' links would flap."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.bind((host, port))
    except OSError as exc:
        raise OSError(exc.errno, f"UDP port {port} is already in use by another program") from exc
    finally:
        probe.close()
