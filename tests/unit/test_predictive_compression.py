"""Predictive compression on real flights (../shared/data/tlogs): what it saves, what it costs, loss.

Readings are taken as an edge logger would: the vehicle fields folded from each MAVLink message,
one reading per ATTITUDE or GLOBAL_POSITION_INT, timed by the tlog's own timestamps.
"""

from __future__ import annotations

import math
import random

import pytest

from gcs.core.fleet.predictive import Codec, Decoder, Encoder, FieldSpec, Frame
from gcs.core.fleet.vehicle_fields import VEHICLE_FIELDS, update_from_mavlink
from gcs.core.mavlink_env import mavutil
from tests.conftest import SHARED_DATA

TLOGS = SHARED_DATA / "tlogs"
FLIGHTS = [
    "copter_real_2015_dronekit_flight.tlog", "copter_real_2013_codelever.tlog", "sub_real_2023_ardusub_small.tlog",
]
SPECS = {spec.name: spec for spec in VEHICLE_FIELDS}


def readings(name: str) -> list[tuple[float, dict[str, float]]]:
    path = TLOGS / name
    if not path.exists():
        pytest.skip(f"{path} not found (../shared/data beside the checkout)")
    conn = mavutil.mavlink_connection(str(path), robust_parsing=True)
    values: dict[str, float] = {}
    out: list[tuple[float, dict[str, float]]] = []
    while (msg := conn.recv_msg()) is not None:
        if msg.get_type() == "BAD_DATA" or not update_from_mavlink(values, msg):
            continue
        if msg.get_type() in ("ATTITUDE", "GLOBAL_POSITION_INT"):
            out.append((float(msg._timestamp), dict(values)))
    conn.close()
    return out


def error(spec: FieldSpec, got: float, want: float) -> float:
    d = got - want
    if spec.wrap:
        d = (d + spec.wrap / 2) % spec.wrap - spec.wrap / 2
    return abs(d)


@pytest.mark.parametrize("flight", FLIGHTS)
def test_without_loss_every_field_is_within_its_tolerance_and_far_fewer_bytes_go(flight: str) -> None:
    codec = Codec(VEHICLE_FIELDS)
    encoder, decoder = Encoder(codec, keyframe_s=10.0), Decoder(codec)
    worst: dict[str, float] = {}
    data = readings(flight)
    assert len(data) > 500, f"{flight}: only {len(data)} readings"
    for t, truth in data:
        got = decoder.decode(encoder.encode(t, truth))
        assert got.in_step
        for name, want in truth.items():
            e = error(SPECS[name], got.values[name], want)
            worst[name] = max(worst.get(name, 0.0), e)
            assert e <= SPECS[name].tolerance + 1e-9, (flight, t, name, got.values[name], want)
    stats = encoder.stats
    print(f"\n{flight}: {stats.readings} readings, bytes ratio {stats.ratio:.3f}, "
          f"fields sent {stats.fields_sent}/{stats.fields_total}, keyframes {stats.keyframes}")
    print("  max error: " + ", ".join(f"{k} {v:.3g}" for k, v in sorted(worst.items())))
    assert stats.ratio < 0.7, stats.as_dict()  # on every flight, under 70 % of sending every field
    assert stats.fields_sent < stats.fields_total
    for name, value in stats.max_error.items():  # the sender's own figure agrees with the receiver's
        assert value <= SPECS[name].tolerance + 1e-9 and worst[name] <= value + 1e-9, name


def test_with_10_percent_lost_fields_are_back_within_tolerance_after_a_few_frames() -> None:
    """A lost frame puts every field out of step until its next 1-3 transmissions (or a keyframe,
    asked for at once but arriving 5 frames late); fields in step are within tolerance always."""
    codec = Codec(VEHICLE_FIELDS)
    encoder = Encoder(codec, keyframe_s=5.0)
    requests: list[int] = []
    frame_index = 0
    decoder = Decoder(codec, on_lost=lambda: requests.append(frame_index))
    rng = random.Random(7)
    checked = stale = 0
    for frame_index, (t, truth) in enumerate(readings(FLIGHTS[0])):
        while requests and requests[0] + 5 <= frame_index:
            requests.pop(0)
            encoder.request_keyframe()
        data = encoder.encode(t, truth)
        if rng.random() < 0.10:
            continue  # lost on the link
        got = decoder.decode(data)
        assert got.stale <= set(got.values) | set(SPECS)
        for name, want in truth.items():
            if name in got.stale:
                stale += 1
                continue
            checked += 1
            assert error(SPECS[name], got.values[name], want) <= SPECS[name].tolerance + 1e-9, (t, name)
    share = checked / (checked + stale)
    print(f"\n10% lost: {decoder.gaps} gaps, {decoder.fields_lost} fields put out of step; {share:.1%} of "
          f"field readings in step (within tolerance), {stale} out of step waiting for transmissions or a keyframe")
    assert decoder.gaps > 100 and share > 0.8


def test_the_wire_format_round_trips_and_refuses_a_cut_frame() -> None:
    codec = Codec(VEHICLE_FIELDS)
    counts = tuple(i % 4 for i in range(len(VEHICLE_FIELDS)))
    frame = Frame(7, 1712345678.25, False, {"lat_deg": 47.3977420, "yaw_rad": -3.1, "satellites": 11.0}, counts)
    data = codec.pack(frame)
    assert codec.unpack(data) == frame
    assert len(data) == 13 + 3 + 5 + 3 * 8 and codec.full_size() == 13 + 3 + 5 + 19 * 8
    with pytest.raises(ValueError, match="carries"):
        codec.unpack(data[:-3])
    with pytest.raises(ValueError, match="header"):
        codec.unpack(data[:5])
    with pytest.raises(ValueError, match="unique"):
        Codec([FieldSpec("a", 1), FieldSpec("a", 2)])


def test_angles_are_predicted_the_short_way_round_and_kept_in_range() -> None:
    spec = FieldSpec("yaw_rad", 0.01, wrap=2 * math.pi, wrap_low=-math.pi)
    codec = Codec([spec])
    encoder, decoder = Encoder(codec, keyframe_s=1e9), Decoder(codec)
    sent = 0
    for i in range(200):  # a steady turn through +-pi at 0.5 rad/s, 20 Hz
        t = i * 0.05
        yaw = (0.5 * t + 2.0 + math.pi) % (2 * math.pi) - math.pi
        frame = encoder.encode_frame(t, {"yaw_rad": yaw})
        sent += bool(frame.values)
        got = decoder.decode_frame(frame)
        assert -math.pi <= got.values["yaw_rad"] < math.pi
        assert error(spec, got.values["yaw_rad"], yaw) <= 0.01 + 1e-9
    assert sent <= 3, f"a steady turn needs two samples and the wrap costs nothing, sent {sent}"
