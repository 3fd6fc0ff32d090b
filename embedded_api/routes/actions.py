"""Which vehicle actions are available now, and why not (viewer role): the faces' one source.

``GET /api/actions`` answers the active vehicle's (or ``?vehicle=``'s) availability as the core
decides it; the telemetry stream pushes the same body as a ``status`` event of kind ``actions``
whenever it changes. Every action maps to ``null`` (available) or the reason it is not; ``confirm``
lists the actions the faces confirm with a gesture first (hold ``hold_s``, or the shortcut twice
within ``repeat_s``). The commands themselves refuse what is not available with 409 and the reason.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from embedded_api.deps import ServiceDep, Viewer

router = APIRouter(tags=["vehicle"])


@router.get("/api/actions")
def actions(
    service: ServiceDep,
    _: Viewer,
    vehicle: Annotated[int | None, Query(ge=1, le=255, description="system id; default: the active vehicle")] = None,
) -> dict[str, Any]:
    """Each action -> null when it can be taken now, else why not; which ones need confirming."""
    return service.action_availability(vehicle).plain()
