"""System status and streaming statistics (viewer role)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter

from embedded_api.deps import RuntimeDep, ServiceDep, Viewer
from gcs import __version__
from gcs.core.errors import VehicleNotFound
from gcs.core.serialize import to_plain
from gcs.core.service import GcsService

router = APIRouter(tags=["status"])


def vehicle_summaries(service: GcsService) -> list[dict[str, Any]]:
    """One line per known vehicle: autopilot, type, mode, armed, link (shared with /api/vehicles)."""
    items = []
    for sid in service.vehicle_ids():
        try:
            s = service.vehicle_state(sid)
        except VehicleNotFound:  # forgotten between the two calls
            continue
        items.append(
            {
                "system_id": sid,
                "autopilot": s.autopilot.value,
                "type": s.vehicle_type,
                "mode": s.mode,
                "armed": s.armed,
                "link": s.link.state.value,
            }
        )
    return items


@router.get("/status")
def system_status(service: ServiceDep, runtime: RuntimeDep, _: Viewer) -> dict[str, Any]:
    """System status: vehicles, links, setpoint stream, settings awaiting a restart, API clients."""
    streams = runtime.hub.stats()
    return {
        "version": __version__,
        "uptime_s": round(time.time() - service.started_s, 1),
        "active_vehicle": service.active_vehicle_id,
        "vehicles": vehicle_summaries(service),
        "links": to_plain(service.links()),
        "commander": to_plain(service.commander_status()),
        "config": {
            "restart_pending": service.config.restart_pending(),
            "load_warning": service.config.load_warning,
        },
        "api": {
            "stream_clients": sum(int(c["clients"]) for c in streams.values()),
            "jobs": runtime.jobs.stats(),
        },
    }


@router.get("/stats")
def stream_stats(runtime: RuntimeDep, _: Viewer) -> dict[str, Any]:
    """Streaming statistics per channel (clients, messages sent/dropped, bytes), ingest, limits, jobs."""
    return {
        "time": time.time(),
        "streams": runtime.hub.stats(),
        "ingest": runtime.ingest.as_dict(),
        "rate_limit": runtime.limiter.stats(),
        "jobs": runtime.jobs.stats(),
    }
