"""Core ``VehicleState`` <-> protobuf ``kestrel.v1.VehicleState`` (flattened), both ways.

The web face sends it on ``?format=protobuf`` streams; the fleet link publishes it to the broker
and a relay reads it back. The protobuf form carries what a remote view shows (position, attitude,
speeds, battery, GPS, mode, armed, link) but not the vehicle's parameters of detail (local
position, home, sensor health, status-text history): a relay fed protobuf shows those as unknown.
"""

from __future__ import annotations

import math

from gcs.core.models import (
    Attitude,
    Autopilot,
    Battery,
    GlobalPosition,
    Gps,
    Hud,
    LinkState,
    LinkStatus,
    VehicleState,
    VelocityNed,
)
from gcs.core.proto import kestrel_pb2 as pb


def _finite(value: float | None, default: float = 0.0) -> float:
    return value if value is not None and math.isfinite(value) else default


def vehicle_state_proto(state: VehicleState) -> pb.VehicleState:
    """The protobuf form of a core ``VehicleState`` (flattened; NaN becomes 0)."""
    msg = pb.VehicleState(
        system_id=state.system_id,
        autopilot=state.autopilot.value,
        vehicle_type=state.vehicle_type,
        mode=state.mode,
        armed=state.armed,
        system_status=state.system_status,
        roll_rad=_finite(state.attitude.roll_rad),
        pitch_rad=_finite(state.attitude.pitch_rad),
        yaw_rad=_finite(state.attitude.yaw_rad),
        lat_deg=_finite(state.global_position.lat_deg),
        lon_deg=_finite(state.global_position.lon_deg),
        alt_msl_m=_finite(state.global_position.alt_msl_m),
        alt_rel_m=_finite(state.global_position.alt_rel_m),
        north_mps=_finite(state.velocity.north_mps),
        east_mps=_finite(state.velocity.east_mps),
        down_mps=_finite(state.velocity.down_mps),
        groundspeed_mps=_finite(state.hud.groundspeed_mps),
        airspeed_mps=_finite(state.hud.airspeed_mps),
        heading_deg=_finite(state.hud.heading_deg),
        climb_mps=_finite(state.hud.climb_mps),
        throttle_pct=_finite(state.hud.throttle_pct),
        gps_fix_type=state.gps.fix_type,
        satellites=state.gps.satellites,
        landed_state=state.landed_state,
        link_state=state.link.state.value,
        last_update_s=_finite(state.last_update_s),
        mav_type=max(0, state.mav_type),
    )
    if state.battery.voltage_v is not None and math.isfinite(state.battery.voltage_v):
        msg.battery_voltage_v = state.battery.voltage_v
    if state.battery.remaining_pct is not None and math.isfinite(state.battery.remaining_pct):
        msg.battery_remaining_pct = state.battery.remaining_pct
    return msg


def _enum(kind: type[Autopilot] | type[LinkState], value: str, default: Autopilot | LinkState) -> object:
    try:
        return kind(value)
    except ValueError:
        return default


def vehicle_state_from_proto(msg: pb.VehicleState) -> VehicleState:
    """A core ``VehicleState`` from its protobuf form (fields the form lacks keep their defaults)."""
    autopilot = _enum(Autopilot, msg.autopilot, Autopilot.UNKNOWN)
    link_state = _enum(LinkState, msg.link_state, LinkState.CONNECTING)
    assert isinstance(autopilot, Autopilot) and isinstance(link_state, LinkState)
    return VehicleState(
        system_id=msg.system_id,
        autopilot=autopilot,
        vehicle_type=msg.vehicle_type or "unknown",
        mav_type=msg.mav_type,
        mode=msg.mode or "UNKNOWN",
        armed=msg.armed,
        system_status=msg.system_status or "UNINIT",
        attitude=Attitude(msg.roll_rad, msg.pitch_rad, msg.yaw_rad),
        global_position=GlobalPosition(msg.lat_deg, msg.lon_deg, msg.alt_msl_m, msg.alt_rel_m),
        velocity=VelocityNed(msg.north_mps, msg.east_mps, msg.down_mps),
        hud=Hud(
            airspeed_mps=msg.airspeed_mps,
            groundspeed_mps=msg.groundspeed_mps,
            heading_deg=msg.heading_deg,
            throttle_pct=msg.throttle_pct,
            alt_m=msg.alt_msl_m,
            climb_mps=msg.climb_mps,
        ),
        battery=Battery(
            voltage_v=msg.battery_voltage_v if msg.HasField("battery_voltage_v") else None,
            remaining_pct=msg.battery_remaining_pct if msg.HasField("battery_remaining_pct") else None,
        ),
        gps=Gps(fix_type=msg.gps_fix_type, satellites=msg.satellites),
        landed_state=msg.landed_state or "UNDEFINED",
        link=LinkStatus(state=link_state),
        last_update_s=msg.last_update_s,
    )
