"""The tlog format and its writer: an 8-byte big-endian µs UTC timestamp, then one raw MAVLink frame.

That is what QGC, MAVProxy and pymavlink write and read (mavutil's ``mavlogfile``), so our files
open in mavlogdump and MAVExplorer and theirs replay here. Frames are stored exactly as they came
off the wire (MAVLink 1 and 2 alike) or as we sent them: never re-packed.

The writer appends whole records to a memory buffer (link thread, microseconds) and a flusher
thread writes the buffer out every ``flush_interval_s`` with one unbuffered ``write``: a crash or
``kill -9`` loses at most that interval, and the file on disk only ever ends between records (or,
if the OS itself dies mid-write, in one truncated frame, which readers skip).
"""

from __future__ import annotations

import logging
import mmap
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gcs.core.errors import RecordingError

log = logging.getLogger(__name__)

MAGIC_V1 = 0xFE
MAGIC_V2 = 0xFD
HEADER_V1 = 6  # magic, len, seq, sysid, compid, msgid
HEADER_V2 = 10  # magic, len, incompat, compat, seq, sysid, compid, msgid (3 bytes)
CHECKSUM_LEN = 2
SIGNATURE_LEN = 13
IFLAG_SIGNED = 0x01
STAMP = struct.Struct(">Q")
STAMP_LEN = STAMP.size
MSG_ID_HEARTBEAT = 0
MAV_TYPE_GCS = 6
MAV_AUTOPILOT_INVALID = 8


def frame_length(buf: bytes | bytearray | mmap.mmap, start: int) -> int | None:
    """Total length of the frame whose magic byte is at ``buf[start]``; None if it is not a magic byte.

    Needs ``buf[start:start + 3]``; the caller checks the frame fits before slicing it.
    """
    magic = buf[start]
    if magic == MAGIC_V1:
        return int(buf[start + 1]) + HEADER_V1 + CHECKSUM_LEN
    if magic == MAGIC_V2:
        signed = SIGNATURE_LEN if buf[start + 2] & IFLAG_SIGNED else 0
        return int(buf[start + 1]) + HEADER_V2 + CHECKSUM_LEN + signed
    return None


@dataclass(frozen=True)
class FrameHeader:
    """The routing fields of a raw frame, read without decoding (or CRC-checking) it."""

    system_id: int
    component_id: int
    msg_id: int
    payload: bytes


def frame_header(frame: bytes) -> FrameHeader | None:
    """Header fields of one complete frame, or None if it is too short or has no magic byte."""
    if len(frame) < HEADER_V1 + CHECKSUM_LEN:
        return None
    if frame[0] == MAGIC_V1:
        return FrameHeader(frame[3], frame[4], frame[5], bytes(frame[HEADER_V1 : HEADER_V1 + frame[1]]))
    if frame[0] == MAGIC_V2 and len(frame) >= HEADER_V2 + CHECKSUM_LEN:
        msg_id = frame[7] | frame[8] << 8 | frame[9] << 16
        return FrameHeader(frame[5], frame[6], msg_id, bytes(frame[HEADER_V2 : HEADER_V2 + frame[1]]))
    return None


@dataclass(frozen=True)
class HeartbeatIdentity:
    """Who a vehicle HEARTBEAT says sent it: enough to name a log file."""

    system_id: int
    component_id: int
    mav_type: int
    autopilot: int


def vehicle_heartbeat(frame: bytes) -> HeartbeatIdentity | None:
    """The identity in ``frame`` if it is a HEARTBEAT from a vehicle (the fleet's rule), else None.

    HEARTBEAT payload: custom_mode u32, type u8, autopilot u8, ... MAVLink 2 trims trailing zero
    bytes, so a missing byte reads as 0.
    """
    header = frame_header(frame)
    if header is None or header.msg_id != MSG_ID_HEARTBEAT:
        return None
    payload = header.payload + bytes(9)
    mav_type, autopilot = payload[4], payload[5]
    if mav_type == MAV_TYPE_GCS or autopilot == MAV_AUTOPILOT_INVALID:
        return None
    return HeartbeatIdentity(header.system_id, header.component_id, mav_type, autopilot)


ErrorCallback = Callable[[str], None]


class TlogWriter:
    """Appends timestamped frames to one new tlog file; thread-safe; flushed on its own thread."""

    def __init__(
        self, path: Path, *, flush_interval_s: float = 0.5, on_error: ErrorCallback | None = None
    ) -> None:
        self.path = path
        self._flush_interval = flush_interval_s
        self._on_error = on_error
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file: BinaryIO | None = open(path, "xb", buffering=0)  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise RecordingError(f"cannot create tlog {path}: {exc}") from exc
        self._lock = threading.Lock()  # the queue
        self._io_lock = threading.Lock()  # the file: one flush at a time, records stay in order
        self._pending = bytearray()
        self._stop = threading.Event()
        self.frames_written = 0  # accepted into the file (counted when buffered)
        self.bytes_written = 0  # on disk
        self.first_time_s: float | None = None
        self.last_time_s: float | None = None
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name=f"tlog-{path.name}", daemon=True)
        self._thread.start()

    def write(self, frame: bytes, unix_time_s: float) -> None:
        """Queue one record (any thread, never blocks on the disk)."""
        if self.error is not None:
            return
        record = STAMP.pack(int(unix_time_s * 1_000_000)) + frame
        with self._lock:
            self._pending += record
            self.frames_written += 1
            if self.first_time_s is None:
                self.first_time_s = unix_time_s
            self.last_time_s = unix_time_s

    def flush(self) -> None:
        """Write out everything queued so far (flusher thread, close, tests), in order."""
        with self._io_lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        with self._lock:
            data, self._pending = self._pending, bytearray()
            file = self._file
        if not data or file is None:
            return
        try:
            view = memoryview(data)
            while view:
                written = file.write(view)
                if not written:
                    raise OSError("the disk accepted no bytes")
                view = view[written:]
                self.bytes_written += written
        except OSError as exc:
            self._fail(f"writing {self.path} failed: {exc}; recording stopped")

    def stop(self, reason: str) -> None:
        """Stop recording (disk nearly full): flush what is queued, refuse the rest, say why."""
        self.flush()
        self._fail(reason)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        with self._io_lock:
            self._flush_locked()
            file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError as exc:
                log.warning("closing %s: %s", self.path, exc)

    def _fail(self, reason: str) -> None:
        if self.error is not None:
            return
        self.error = reason
        log.error("%s", reason)
        if self._on_error is not None:
            self._on_error(reason)

    def _run(self) -> None:
        next_flush = time.monotonic() + self._flush_interval
        while not self._stop.wait(max(0.0, next_flush - time.monotonic())):
            next_flush += self._flush_interval
            self.flush()
