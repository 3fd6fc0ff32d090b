"""Telemetry snapshots (viewer role and up)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from embedded_api.deps import ServiceDep, Viewer
from gcs.core.errors import VehicleNotFound
from gcs.core.fleet.summary import vehicle_summaries
from gcs.core.serialize import to_plain

router = APIRouter(tags=["telemetry"])


@router.get("/api/telemetry")
def telemetry(
    service: ServiceDep,
    _: Viewer,
    vehicle: Annotated[int | None, Query(ge=1, le=255, description="system id; default: the active vehicle")] = None,
) -> dict[str, Any]:
    """Latest state of the active vehicle (or of ``?vehicle=``)."""
    try:
        state = service.vehicle_state(vehicle)
    except VehicleNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    plain: dict[str, Any] = to_plain(state)
    return plain


@router.get("/api/vehicles")
def vehicles(service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """Every known vehicle with its autopilot, mode and link state."""
    return {"active": service.active_vehicle_id, "vehicles": vehicle_summaries(service)}
