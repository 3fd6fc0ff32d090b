"""One line per known vehicle (own or relayed): what a fleet list shows, for /api/vehicles and streams."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from gcs.core.errors import VehicleNotFound

if TYPE_CHECKING:
    from gcs.core.service import GcsService


def _num(value: float, digits: int) -> float | None:
    return round(value, digits) if math.isfinite(value) else None


def vehicle_summaries(service: GcsService) -> list[dict[str, Any]]:
    """Autopilot, type, mode, armed, link, where it is, and the GCS it flies from (None: this one)."""
    items = []
    for sid in service.vehicle_ids():
        try:
            s = service.vehicle_state(sid)
        except VehicleNotFound:  # forgotten between the two calls
            continue
        p = s.global_position
        items.append(
            {
                "system_id": sid,
                "gcs": service.vehicle_origin(sid),
                "autopilot": s.autopilot.value,
                "type": s.vehicle_type,
                "mode": s.mode,
                "armed": s.armed,
                "link": s.link.state.value,
                "lat_deg": _num(p.lat_deg, 7),
                "lon_deg": _num(p.lon_deg, 7),
                "alt_rel_m": _num(p.alt_rel_m, 2),
                "groundspeed_mps": _num(s.hud.groundspeed_mps, 2),
                "battery_pct": s.battery.remaining_pct,
            }
        )
    return items


def fleet_status(service: GcsService) -> dict[str, Any] | None:
    """The broker side: this GCS's publisher and command topics, or the relay's subscription."""
    out: dict[str, Any] = {}
    if service.fleet_publisher is not None:
        out["publisher"] = service.fleet_publisher.status()
    if service.fleet_publisher is not None and service.fleet_publisher.compact is not None:
        out["compression"] = service.fleet_publisher.compression_stats()
    if service.fleet_commands is not None:
        out["commands"] = {"received": service.fleet_commands.received, "refused": service.fleet_commands.refused}
    if service.fleet_relay is not None:
        out["relay"] = service.fleet_relay.status()
        if service.fleet_relay.sender_stats:  # the compressing GCS's own figures, relayed
            out["compression"] = dict(sorted(service.fleet_relay.sender_stats.items()))
    return out or None
