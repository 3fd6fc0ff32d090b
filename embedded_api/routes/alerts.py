"""Alerts (battery, GPS, estimate, link, target, geofence): read them (viewer), acknowledge them (operator).

``GET /api/alerts`` answers every alert shown now, the loudest first: active ones, and cleared ones
nobody acknowledged yet. ``POST /api/alerts/{id}/ack`` acknowledges one (404 when no alert with that
id is shown), ``POST /api/alerts/ack`` all of them. The telemetry WebSocket and SSE streams carry
each raise, clear and acknowledgement as an ``alert`` event whose ``data`` is an ``AlertEventModel``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from embedded_api.deps import Operator, ServiceDep, Viewer
from gcs.core.alerts import Alert
from gcs.core.serialize import to_plain

router = APIRouter(tags=["alerts"])

KIND_DESCRIPTION = (
    "battery_low, battery_critical, gps_lost, ekf_bad, link_degraded, link_lost, "
    "target_lost_while_following, geofence_near or geofence_breach"
)


class AlertModel(BaseModel):
    """One alert as every face shows it."""

    id: int = Field(description="stable while the alert is shown; acknowledge it by this id")
    kind: str = Field(description=KIND_DESCRIPTION)
    level: Literal["info", "warning", "critical"]
    message: str = Field(description="what a pilot reads, e.g. 'Battery critical: 14% (at or below 15%): ...'")
    since: float = Field(description="unix time the condition (last) started")
    active: bool = Field(description="the condition is true now")
    acknowledged: bool
    system_id: int | None = Field(description="the vehicle it is about")
    cleared_s: float | None = Field(description="unix time it last cleared; null while active")
    count: int = Field(description="how often it started while shown")


class AlertList(BaseModel):
    alerts: list[AlertModel]


class AckReply(BaseModel):
    acknowledged: list[AlertModel] = Field(description="the alerts acknowledged now (empty: nothing was pending)")
    alerts: list[AlertModel] = Field(description="every alert still shown")


class AlertEventModel(BaseModel):
    """The ``data`` of an ``alert`` stream event."""

    action: Literal["raised", "cleared", "acknowledged"]
    alert: AlertModel
    time_s: float
    by: str | None = Field(description="who acknowledged it")
    shown: list[AlertModel] = Field(description="every alert shown after this change")


def alert_plain(alert: Alert) -> dict[str, Any]:
    plain: dict[str, Any] = to_plain(alert)
    return plain


@router.get("/api/alerts", response_model=AlertList)
def alerts(service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """Every alert shown now: active, or cleared but not yet acknowledged; the loudest first."""
    return {"alerts": [alert_plain(a) for a in service.alerts()]}


@router.post("/api/alerts/ack", response_model=AckReply)
def acknowledge_all(service: ServiceDep, principal: Operator) -> dict[str, Any]:
    """Acknowledge every alert shown."""
    done = service.acknowledge_alert(None, by=f"api:{principal.subject}")
    return {"acknowledged": [alert_plain(a) for a in done], "alerts": [alert_plain(a) for a in service.alerts()]}


@router.post("/api/alerts/{alert_id}/ack", response_model=AckReply)
def acknowledge(
    alert_id: Annotated[int, Path(ge=1, le=2**31, description="the alert's id")],
    service: ServiceDep,
    principal: Operator,
) -> dict[str, Any]:
    """Acknowledge one alert (404 when no alert with that id is shown)."""
    done = service.acknowledge_alert(alert_id, by=f"api:{principal.subject}")
    return {"acknowledged": [alert_plain(a) for a in done], "alerts": [alert_plain(a) for a in service.alerts()]}
