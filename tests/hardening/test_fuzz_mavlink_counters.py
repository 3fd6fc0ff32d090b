"""MAVLink fuzzing, the accounting half (tests/unit/test_fuzz_mavlink.py covers "nothing escapes").

One bit flipped anywhere in one frame of a real stream (real ArduSub frames from
../shared/data/tlogs): the damage must be counted (``bad_frames``), the damaged frame never
delivered, and nothing but intact original frames may reach the taps (the tlog recorder): a
corrupted frame is never written to the flight log as if it were real.

Not covered by this property, by MAVLink's design: a flip in the message-id bytes makes an
unknown message, whose CRC cannot be checked (no CRC_EXTRA for it), so it counts as received.
A resync inside the damage may also frame an unknown message id out of the garbage; that too is
accepted uncheckable, and only that may reach the tlog besides the originals. The damaged frame
always has ``TAIL`` intact frames after it: a flip that lengthens the last frame of a stream
leaves it waiting for bytes that have not come yet (pending, not bad, until they do).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gcs.core.mavlink_env import mavlink
from tests.unit.test_fuzz_mavlink import FRAMES, _pipeline

pytestmark = pytest.mark.skipif(not FRAMES, reason="needs ../shared/data/tlogs")
STREAM = 20
TAIL = 10  # frames after the damaged one (checked to hold more bytes than a flipped length can ask for)


def _msgid(frame: bytes) -> int:
    return int.from_bytes(frame[7:10], "little") if frame[0] == 0xFD else frame[5]


def msgid_bytes(frame: bytes) -> range:
    return range(7, 10) if frame[0] == 0xFD else range(5, 6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.integers(0, max(0, len(FRAMES) - STREAM)),
    victim=st.integers(0, STREAM - 1 - TAIL),
    pos_seed=st.integers(0, 10_000),
    bit=st.integers(0, 7),
)
def test_a_flipped_bit_is_counted_and_never_logged(start: int, victim: int, pos_seed: int, bit: int) -> None:
    frames = [bytes(f) for f in FRAMES[start : start + STREAM]]
    assume(sum(len(f) for f in frames[victim + 1 :]) > 255 + 280)  # max payload + the longest frame
    original = frames[victim]
    positions = [p for p in range(1, len(original)) if p not in msgid_bytes(original)]
    pos = positions[pos_seed % len(positions)]
    damaged = bytearray(original)
    damaged[pos] ^= 1 << bit
    stream = [*frames[:victim], bytes(damaged), *frames[victim + 1 :]]

    link, _fleet = _pipeline()
    tapped: list[bytes] = []
    link.add_tap(lambda frame, _outgoing, _t: tapped.append(frame))
    link.ingest(b"".join(stream), 1.0)
    counters = link.counters()

    assert counters.bad_frames >= 1, f"flip at byte {pos} of frame {victim} went uncounted"
    assert bytes(damaged) not in tapped
    # Resyncing inside the damage can find a start byte that frames an unknown message id, which
    # by design has no CRC to check; anything else that reaches the tlog must be an original.
    extras = [f for f in tapped if f not in frames]
    assert all(_msgid(f) not in mavlink.mavlink_map for f in extras), "a corrupted known message was logged"
    assert len(tapped) - len(extras) <= STREAM - 1
    assert counters.received == len(tapped)
