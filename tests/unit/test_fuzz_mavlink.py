"""Fuzzing the MAVLink path (link parse + fleet + reducer) with hypothesis.

Whatever arrives on the wire - random bytes, real frames with flipped bits, cut short or
spliced, or well-formed messages carrying absurd values - no exception may escape into the
link thread, every vehicle state must stay a well-typed VehicleState, and the counters must say
what was dropped.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gcs.core.bus import MessageBus
from gcs.core.mavlink_env import mavlink, mavutil
from gcs.core.models import VehicleState
from gcs.core.vehicle.connection import parse_connection_string
from gcs.core.vehicle.fleet import Fleet
from gcs.core.vehicle.link import MavlinkLink
from tests.conftest import SHARED_DATA

LOG = SHARED_DATA / "tlogs" / "sub_real_2023_ardusub_small.tlog"


def _frames(path: Path, limit: int = 400) -> list[bytes]:
    if not path.exists():
        pytest.skip(f"{path} missing (../shared/data not beside the checkout)")
    conn = mavutil.mavlink_connection(str(path), robust_parsing=True)
    out: list[bytes] = []
    while len(out) < limit and (msg := conn.recv_msg()) is not None:
        if msg.get_type() != "BAD_DATA":
            out.append(bytes(msg.get_msgbuf()))
    return out


FRAMES = _frames(LOG) if LOG.exists() else []


def _pipeline() -> tuple[MavlinkLink, Fleet]:
    fleet = Fleet(MessageBus())
    link = MavlinkLink(parse_connection_string("udpin:127.0.0.1:0"), fleet, link_id="fuzz")
    return link, fleet


def _assert_states_valid(fleet: Fleet) -> None:
    for sid in fleet.ids():
        state = fleet.vehicle(sid).state
        assert isinstance(state, VehicleState)
        assert state.system_id == sid
        assert isinstance(state.mode, str) and state.mode
        assert isinstance(state.armed, bool)
        for value in (state.attitude.roll_rad, state.global_position.alt_rel_m, state.hud.heading_deg):
            assert isinstance(value, float)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(min_size=0, max_size=600), max_size=20))
def test_random_bytes_never_escape(chunks: list[bytes]) -> None:
    link, fleet = _pipeline()
    for chunk in chunks:
        link.ingest(chunk, 1.0)
    counters = link.counters()
    assert counters.received >= 0 and counters.bad_frames >= 0
    assert counters.bytes_in == sum(len(c) for c in chunks)
    _assert_states_valid(fleet)


@pytest.mark.skipif(not FRAMES, reason="needs ../shared/data/tlogs")
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(FRAMES) - 1 if FRAMES else 0),
            st.sampled_from(["keep", "flip", "truncate", "duplicate", "splice"]),
            st.integers(min_value=0, max_value=10_000),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_mutated_real_frames_are_counted_and_skipped(ops: list[tuple[int, str, int]]) -> None:
    link, fleet = _pipeline()
    stream = bytearray()
    damaged = 0
    for index, op, salt in ops:
        frame = bytearray(FRAMES[index])
        if op == "flip":
            pos = 1 + salt % (len(frame) - 1)  # never the magic byte: that frame would just vanish
            frame[pos] ^= 1 << (salt % 8)
            damaged += 1
        elif op == "truncate":
            frame = frame[: 1 + salt % (len(frame) - 1)]
            damaged += 1
        elif op == "duplicate":
            frame = frame + frame
        elif op == "splice":
            other = FRAMES[(index + salt) % len(FRAMES)]
            frame = frame[: len(frame) // 2] + bytearray(other)
            damaged += 1
        stream += frame
    link.ingest(bytes(stream), 1.0)
    counters = link.counters()
    intact = sum(1 for _, op, _ in ops if op in ("keep",)) + 2 * sum(1 for _, op, _ in ops if op == "duplicate")
    if damaged == 0:
        assert counters.bad_frames == 0 and counters.received == intact
    # A damaged frame can swallow its neighbours (its bogus length reaches into them; measured: a
    # lone magic byte costs 13 of the next 20 frames), but the parser must find its feet again:
    # after one clean tail of 20 frames, a second one comes through (nearly) whole.
    tail = b"".join(FRAMES[i % len(FRAMES)] for i in range(20))
    link.ingest(tail, 2.0)
    before = link.counters().received
    link.ingest(tail, 3.0)
    assert link.counters().received - before >= 15
    _assert_states_valid(fleet)


finite_or_not = st.floats(allow_nan=True, allow_infinity=True, width=32)


@settings(max_examples=150, deadline=None)
@given(
    custom_mode=st.integers(min_value=0, max_value=2**32 - 1),
    base_mode=st.integers(min_value=0, max_value=255),
    autopilot=st.sampled_from([mavlink.MAV_AUTOPILOT_PX4, mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA, 0, 7, 99]),
    mav_type=st.integers(min_value=0, max_value=60),
    lat=st.integers(min_value=-(2**31), max_value=2**31 - 1),
    alt=st.integers(min_value=-(2**31), max_value=2**31 - 1),
    roll=finite_or_not,
    volt=st.integers(min_value=0, max_value=65535),
    text=st.binary(max_size=50),
)
def test_wellformed_messages_with_absurd_values(
    custom_mode: int, base_mode: int, autopilot: int, mav_type: int, lat: int, alt: int, roll: float, volt: int,
    text: bytes,
) -> None:
    link, fleet = _pipeline()
    mav = mavlink.MAVLink(None, srcSystem=9, srcComponent=1)
    msgs = [
        mavlink.MAVLink_heartbeat_message(mav_type, autopilot, base_mode, custom_mode, 4, 3),
        mavlink.MAVLink_attitude_message(0, roll, roll, roll, roll, roll, roll),
        mavlink.MAVLink_global_position_int_message(0, lat, lat, alt, alt, 0, 0, 0, 65535),
        mavlink.MAVLink_sys_status_message(0, 0, 0, 0, volt, -1, -1, 0, 0, 0, 0, 0, 0),
        mavlink.MAVLink_statustext_message(6, text.ljust(50, b"\0")[:50]),
    ]
    link.ingest(b"".join(bytes(m.pack(mav)) for m in msgs), 1.0)
    _assert_states_valid(fleet)
    if autopilot != mavlink.MAV_AUTOPILOT_INVALID and mav_type != mavlink.MAV_TYPE_GCS and 9 in fleet.ids():
        state = fleet.vehicle(9).state
        if math.isfinite(roll):
            assert state.attitude.roll_rad == pytest.approx(roll, nan_ok=True)
