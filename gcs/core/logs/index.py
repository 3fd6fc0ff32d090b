"""Index a tlog once (offset, length, time and message key of every record) so replay can seek at once.

The file is memory-mapped, walked record by record (timestamp, then a frame whose length its own
header gives) and never decoded here: decoding and CRC checks happen as frames are played, where
a bad frame is counted and skipped like on a live link. Where the walk finds no frame or an
implausible clock (corruption), it resynchronises on the next record whose magic byte and
timestamp both make sense, as pymavlink's reader does (within 3 days of the last good time). A
truncated last record is noted and left out.

Time is the *log clock*, not the raw stamps: records are kept in the file's record order (never
sorted by stamp), and the clock advances by each record's stamp step, except that a step back
(a clock that jumps backwards: a GPS or NTP correction, logs appended across sessions) or forward
by more than ``MAX_BRIDGED_GAP_S`` is bridged: it advances by nothing, so the next record plays at
once. ``times_us`` is that clock (starting at the first stamp), monotonic, so duration, progress,
seeking, replay timing and session events all follow the file's order; ``stamps_us`` keeps the
raw stamps for showing the log's own date and time. A real silence (shorter than the bridge limit)
still takes its time, so a replay still shows the vehicle as LOST there.

For seeking, the last record of every (system, component, message id) is remembered at
checkpoints every ``CHECKPOINT_EVERY`` records, so ``state_before(i)`` costs at most that many
steps whatever the file size.
"""

from __future__ import annotations

import bisect
import logging
import mmap
from array import array
from pathlib import Path

from gcs.core.errors import LinkError
from gcs.core.logs.tlog import MAGIC_V1, MAGIC_V2, MSG_ID_HEARTBEAT, STAMP, STAMP_LEN, frame_length, vehicle_heartbeat
from gcs.core.models import STATUSTEXT_KEEP

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 4096
MAX_CLOCK_JUMP_US = 3 * 24 * 3600 * 1_000_000  # pymavlink's "reasonable range" for a tlog clock
MAX_BRIDGED_GAP_S = 600.0  # a forward step longer than this is a clock jump, not a silence
MIN_FRAME = 8  # shortest possible frame (MAVLink 1, empty payload)
MSG_ID_STATUSTEXT = 253
_PLAUSIBLE_US = (946_684_800 * 1_000_000, 4_102_444_800 * 1_000_000)  # years 2000-2100


def record_key(frame_start: int, data: mmap.mmap) -> int:
    """(system id, component id, message id) of the frame at ``frame_start``, packed in one int."""
    if data[frame_start] == MAGIC_V1:
        sysid, compid, msgid = data[frame_start + 3], data[frame_start + 4], data[frame_start + 5]
    else:
        sysid, compid = data[frame_start + 5], data[frame_start + 6]
        msgid = data[frame_start + 7] | data[frame_start + 8] << 8 | data[frame_start + 9] << 16
    return sysid << 32 | compid << 24 | msgid


def key_msg_id(key: int) -> int:
    return key & 0xFFFFFF


def key_system_id(key: int) -> int:
    return key >> 32


class TlogIndex:
    """Where every record of one tlog is; read-only; frames are sliced from the mapped file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with open(path, "rb") as file:
                size = file.seek(0, 2)
                if size == 0:
                    raise LinkError(f"{path} is empty: there is nothing to replay")
                self._data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as exc:
            raise LinkError(f"cannot open tlog {path}: {exc.strerror or exc}") from exc
        self.size = size
        self.offsets = array("Q")  # file offset of each frame (after its timestamp)
        self.lengths = array("H")
        self.times_us = array("Q")  # the log clock (see the module docstring): monotonic
        self.stamps_us = array("Q")  # the raw stamps, in record order (may jump back)
        self.clock_jumps = 0  # steps of the stamps that the log clock bridged
        self.keys = array("Q")
        self.statustexts = array("Q")  # record numbers of STATUSTEXT frames
        self.resyncs = 0  # places where the walk lost the record boundaries and found them again
        self.skipped_bytes = 0
        self.truncated_bytes = 0  # an incomplete last record
        self._checkpoints: list[dict[int, int]] = []
        self._walk()
        if not self.offsets:
            self.close()
            raise LinkError(f"{path} holds no MAVLink frames ({size} bytes): is it a tlog?")
        log.info(
            "indexed %s: %d frames over %.1f s (%d resyncs, %d bytes truncated, %d clock jumps bridged)",
            path.name, len(self.offsets), self.duration_s, self.resyncs, self.truncated_bytes, self.clock_jumps,
        )

    # ---- the walk --------------------------------------------------------------------------

    def _frame_at(self, pos: int, last_us: int | None) -> tuple[int, int] | None:
        """(timestamp, frame length) of a plausible record at ``pos``, or None."""
        data, size = self._data, self.size
        if pos + STAMP_LEN + 3 > size:
            return None
        length = frame_length(data, pos + STAMP_LEN)
        if length is None:
            return None
        (stamp,) = STAMP.unpack_from(data, pos)
        if last_us is None:
            if pos and not _PLAUSIBLE_US[0] <= stamp <= _PLAUSIBLE_US[1]:  # the file's start is trusted
                return None
        elif abs(stamp - last_us) > MAX_CLOCK_JUMP_US:
            return None
        return stamp, length

    def _resync(self, pos: int, last_us: int | None) -> int:
        """Position of the next plausible record after ``pos`` (or the end of the file)."""
        data, size = self._data, self.size
        start = pos
        pos += 1
        while pos + STAMP_LEN + MIN_FRAME <= size:
            v1 = data.find(bytes((MAGIC_V1,)), pos + STAMP_LEN)
            v2 = data.find(bytes((MAGIC_V2,)), pos + STAMP_LEN)
            candidates = [c for c in (v1, v2) if c >= 0]
            if not candidates:
                break
            pos = min(candidates) - STAMP_LEN
            if self._frame_at(pos, last_us) is not None:
                self.skipped_bytes += pos - start
                return pos
            pos += 1
        self.skipped_bytes += size - start
        return size

    def _walk(self) -> None:
        data, size = self._data, self.size
        offsets, lengths, times, keys = self.offsets, self.lengths, self.times_us, self.keys
        stamps = self.stamps_us
        last: dict[int, int] = {}
        last_us: int | None = None
        clock_us = 0
        max_gap_us = int(MAX_BRIDGED_GAP_S * 1e6)
        pos = 0
        while pos < size:
            found = self._frame_at(pos, last_us)
            if found is None:
                if pos + STAMP_LEN + MIN_FRAME > size:
                    self.truncated_bytes = size - pos
                    break
                self.resyncs += 1
                pos = self._resync(pos, last_us)
                continue
            stamp, length = found
            start = pos + STAMP_LEN
            if start + length > size:
                self.truncated_bytes = size - pos
                break
            i = len(offsets)
            if i % CHECKPOINT_EVERY == 0:
                self._checkpoints.append(dict(last))
            key = record_key(start, data)
            if last_us is None:
                clock_us = stamp
            else:
                step = stamp - last_us
                if 0 <= step <= max_gap_us:
                    clock_us += step
                else:
                    self.clock_jumps += 1
            offsets.append(start)
            lengths.append(length)
            times.append(clock_us)
            stamps.append(stamp)
            keys.append(key)
            last[key] = i
            if key & 0xFFFFFF == MSG_ID_STATUSTEXT:
                self.statustexts.append(i)
            last_us = stamp
            pos = start + length

    # ---- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.offsets)

    def frame(self, i: int) -> bytes:
        start = self.offsets[i]
        return self._data[start : start + self.lengths[i]]

    def stamp_at_s(self, log_s: float) -> float:
        """The log's own unix time (raw stamps) at log clock ``log_s``: for showing when it was."""
        i = max(0, min(bisect.bisect_right(self.times_us, round(log_s * 1e6)) - 1, len(self.times_us) - 1))
        return (self.stamps_us[i] + round(log_s * 1e6) - self.times_us[i]) / 1e6

    @property
    def first_time_s(self) -> float:
        return self.times_us[0] / 1e6

    @property
    def last_time_s(self) -> float:
        """The log clock at the last record (first stamp + the bridged duration)."""
        return self.times_us[-1] / 1e6

    @property
    def duration_s(self) -> float:
        return max(0.0, (self.times_us[-1] - self.times_us[0]) / 1e6)

    def index_at(self, time_s: float) -> int:
        """First record at or after ``time_s`` (log-clock seconds from the start of the log)."""
        target = self.times_us[0] + round(time_s * 1e6)
        return bisect.bisect_left(self.times_us, target)

    def state_before(self, i: int) -> list[int]:
        """Records to replay to rebuild the state just before record ``i``, in file order.

        The last record of every (system, component, message id), plus enough STATUSTEXT lines
        to refill the vehicle's message list.
        """
        i = max(0, min(i, len(self.offsets)))
        checkpoint = min(i // CHECKPOINT_EVERY, len(self._checkpoints) - 1)
        last = dict(self._checkpoints[checkpoint])
        keys = self.keys
        for j in range(checkpoint * CHECKPOINT_EVERY, i):
            last[keys[j]] = j
        wanted = set(last.values())
        texts = bisect.bisect_left(self.statustexts, i)
        wanted.update(self.statustexts[max(0, texts - STATUSTEXT_KEEP) : texts])
        return sorted(wanted)

    def vehicle_ids(self) -> tuple[int, ...]:
        """System ids of the vehicles (not ground stations) that send HEARTBEATs here (the fleet's rule)."""
        seen: set[int] = set()
        ids: set[int] = set()
        for i, key in enumerate(self.keys):
            if key_msg_id(key) != MSG_ID_HEARTBEAT or key in seen:
                continue
            seen.add(key)
            identity = vehicle_heartbeat(self.frame(i))
            if identity is not None:
                ids.add(identity.system_id)
        return tuple(sorted(ids))

    def close(self) -> None:
        try:
            self._data.close()
        except BufferError:  # a slice still exported; the map goes with the last reference
            log.debug("tlog map of %s still in use", self.path)
