"""Predictive compression on the fleet link (``fleet.mqtt_compression``), both ends.

The sender (``CompactSender``, used by the publisher) encodes each vehicle's numeric fields with the
thin-link codec (``predictive``: a field is sent only when the receiver could not predict it within
its tolerance) and publishes the frame on ``<prefix>/<gcs>/vehicle/<sysid>/compact`` at the state
rate; the full state (retained, for late subscribers and the fields the codec does not carry: mode,
armed, link, landed state) is published only when one of those changes, on the codec's keyframes,
and for a new vehicle. Keyframes every ``KEYFRAME_S`` and when a receiver asks on
``.../vehicle/<sysid>/keyframe`` (it saw a gap) recover from loss.

The receiver (``CompactReceiver``, used by the relay) keeps one decoder per vehicle and rebuilds a
``VehicleState`` from the last full state and the reconstructed fields. Statistics per vehicle
(readings, transmitted, skipped, ratio, max reconstruction error per field) come from the sender's
encoder: it computes the same prediction the receiver will, so it knows each reconstruction error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from gcs.core.fleet.predictive import Codec, Decoder, Encoder
from gcs.core.fleet.vehicle_fields import VEHICLE_FIELDS, from_state
from gcs.core.models import Battery, VehicleState, evolve

KEYFRAME_S = 10.0
CODEC = Codec(VEHICLE_FIELDS)
TOLERANCES = {f.name: f.tolerance for f in VEHICLE_FIELDS}  # with the stats: a face can say "within tolerance"


def _discrete(state: VehicleState) -> tuple[Any, ...]:
    return (state.mode, state.armed, state.link.state, state.landed_state, state.autopilot, state.system_status)


@dataclass
class _Sent:
    encoder: Encoder
    key: tuple[Any, ...] = ()
    keyframes_seen: int = 0


class CompactSender:
    """Per vehicle: the compact frame for a state, and whether the full state must go too."""

    def __init__(self, keyframe_s: float = KEYFRAME_S) -> None:
        self._keyframe_s = keyframe_s
        self._vehicles: dict[int, _Sent] = {}

    def encode(self, state: VehicleState, t: float) -> tuple[bytes, bool]:
        """(the frame, True when the full state should be published as well)."""
        sent = self._vehicles.get(state.system_id)
        if sent is None:
            sent = self._vehicles[state.system_id] = _Sent(Encoder(CODEC, self._keyframe_s))
        data = sent.encoder.encode(t, from_state(state))
        key = _discrete(state)
        full = key != sent.key or sent.encoder.stats.keyframes != sent.keyframes_seen
        sent.key, sent.keyframes_seen = key, sent.encoder.stats.keyframes
        return data, full

    def request_keyframe(self, system_id: int) -> None:
        sent = self._vehicles.get(system_id)
        if sent is not None:
            sent.encoder.request_keyframe()

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per vehicle (system id as text): readings, fields transmitted and skipped, bytes, ratio, max error
        and each field's tolerance."""
        out = {}
        for sysid, sent in sorted(self._vehicles.items()):
            s = sent.encoder.stats
            skipped_pct = round(100.0 * s.skipped / s.fields_total, 1) if s.fields_total else 0.0
            out[str(sysid)] = {**s.as_dict(), "transmitted": s.fields_sent, "skipped_pct": skipped_pct,
                               "tolerance": TOLERANCES}  # fmt: skip
        return out


def to_state(base: VehicleState, values: dict[str, float]) -> VehicleState:
    """``base`` with the codec's fields replaced by ``values`` (the inverse of ``from_state``)."""
    v = values
    p, vel, a, h = base.global_position, base.velocity, base.attitude, base.hud

    def get(name: str, old: float) -> float:
        value = v.get(name)
        return old if value is None or math.isnan(value) else value

    battery = base.battery
    if "battery_voltage_v" in v or "battery_remaining_pct" in v:
        battery = Battery(voltage_v=get("battery_voltage_v", battery.voltage_v or math.nan),
                          current_a=battery.current_a,
                          remaining_pct=get("battery_remaining_pct", battery.remaining_pct or math.nan))  # fmt: skip
    return evolve(
        base,
        global_position=evolve(p, lat_deg=get("lat_deg", p.lat_deg), lon_deg=get("lon_deg", p.lon_deg),
                               alt_msl_m=get("alt_msl_m", p.alt_msl_m), alt_rel_m=get("alt_rel_m", p.alt_rel_m)),
        velocity=evolve(vel, north_mps=get("north_mps", vel.north_mps), east_mps=get("east_mps", vel.east_mps),
                        down_mps=get("down_mps", vel.down_mps)),
        attitude=evolve(a, roll_rad=get("roll_rad", a.roll_rad), pitch_rad=get("pitch_rad", a.pitch_rad),
                        yaw_rad=get("yaw_rad", a.yaw_rad)),
        hud=evolve(h, heading_deg=get("heading_deg", h.heading_deg),
                   groundspeed_mps=get("groundspeed_mps", h.groundspeed_mps),
                   airspeed_mps=get("airspeed_mps", h.airspeed_mps), climb_mps=get("climb_mps", h.climb_mps),
                   throttle_pct=get("throttle_pct", h.throttle_pct)),
        gps=evolve(base.gps, fix_type=int(get("gps_fix_type", base.gps.fix_type)),
                   satellites=int(get("satellites", base.gps.satellites))),
        battery=battery,
    )  # fmt: skip


@dataclass
class _Received:
    decoder: Decoder
    frames: int = 0
    stale_readings: int = 0
    lost: list[bool] = field(default_factory=lambda: [False])


class CompactReceiver:
    """Per (GCS, vehicle): decode a frame onto the last full state; ``lost()`` asks for a keyframe."""

    def __init__(self) -> None:
        self._vehicles: dict[tuple[str, int], _Received] = {}

    def decode(self, gcs: str, base: VehicleState, data: bytes) -> tuple[VehicleState, bool]:
        """(the rebuilt state, True when frames were lost and a keyframe should be asked for)."""
        key = (gcs, base.system_id)
        got = self._vehicles.get(key)
        if got is None:
            flag = [False]
            got = self._vehicles[key] = _Received(Decoder(CODEC, on_lost=lambda: flag.__setitem__(0, True)), lost=flag)
        got.lost[0] = False
        reading = got.decoder.decode(data)
        got.frames += 1
        got.stale_readings += not reading.in_step
        return to_state(base, reading.values), got.lost[0]

    def stats(self) -> dict[str, dict[str, Any]]:
        return {f"{gcs}/{sysid}": {"frames": r.frames, "gaps": r.decoder.gaps, "fields_lost": r.decoder.fields_lost,
                                   "stale_readings": r.stale_readings}
                for (gcs, sysid), r in sorted(self._vehicles.items())}  # fmt: skip
