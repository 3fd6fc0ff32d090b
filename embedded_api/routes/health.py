"""Health probes: open to everyone (load balancers and scripts check them without a token)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Response, status

from embedded_api.deps import ServiceDep
from gcs import __version__
from gcs.core.models import LinkState

router = APIRouter(tags=["health"])


@router.get("/api/health")
def health(service: ServiceDep) -> dict[str, Any]:
    """Program health: version, uptime, vehicles and their link state."""
    vehicles = {str(sid): service.vehicle_state(sid).link.state.value for sid in service.vehicle_ids()}
    return {
        "status": "ok",
        "version": __version__,
        "uptime_s": round(time.time() - service.started_s, 1),
        "vehicles": vehicles,
        "active_vehicle": service.active_vehicle_id,
    }


@router.get("/health/live")
def live() -> dict[str, str]:
    """Liveness: the API thread answers."""
    return {"status": "alive"}


@router.get("/health/ready")
def ready(service: ServiceDep, response: Response) -> dict[str, Any]:
    """Readiness: core up and the active vehicle's link OK (503 otherwise)."""
    sid = service.active_vehicle_id
    link_state = service.vehicle_state(sid).link.state if sid is not None else None
    is_ready = link_state is LinkState.OK
    if not is_ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {"ready": is_ready, "active_vehicle": sid, "link": link_state.value if link_state else "no vehicle"}
