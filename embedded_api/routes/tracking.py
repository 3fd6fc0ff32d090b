"""Tracking and follow (operator role to act, viewer role to read), under the names pilots' scripts use.

Boxes and clicks are frame pixels, or fractions of the frame (0..1) with ``normalised: true``;
when ``normalised`` is left out, values that all lie within 0..1 are taken as fractions. A start
answers at once with the tracker's state then; the lock itself is reported by the tracker on
the next frame (``GET /telemetry/tracker_data``, or the ``tracker`` messages of
``/ws/video_feed``). A smart click instead waits for the next frame's detections and answers with
the outcome: locked, or 422 with why nothing was selected. A refusal (no video, unknown tracker,
smart mode without its model) answers 4xx with the core's reason.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from embedded_api.deps import Operator, ServiceDep, Viewer
from embedded_api.stream.video_pump import target_plain
from gcs.core.serialize import to_plain
from gcs.core.service import GcsService
from gcs.core.tracking.worker import STATE_TOPIC as TRACKING_STATE

router = APIRouter(tags=["tracking"])

REFUSED: dict[int | str, dict[str, Any]] = {400: {"description": "refused by the tracker or follower; the reason"}}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _is_normalised(flag: bool | None, *values: float | None) -> bool:
    if flag is not None:
        return flag
    return all(v is None or 0.0 <= v <= 1.0 for v in values)


class TrackBody(_Body):
    x: float = Field(..., allow_inf_nan=False, description="left edge of the box, or the click")
    y: float = Field(..., allow_inf_nan=False, description="top edge of the box, or the click")
    width: float | None = Field(default=None, gt=0, allow_inf_nan=False, description="box width; none: a click")
    height: float | None = Field(default=None, gt=0, allow_inf_nan=False, description="box height; none: a click")
    normalised: bool | None = Field(default=None, description="fractions of the frame; default: all values in 0..1")


class ClickBody(_Body):
    x: float = Field(..., allow_inf_nan=False)
    y: float = Field(..., allow_inf_nan=False)
    normalised: bool | None = Field(default=None, description="fractions of the frame; default: both in 0..1")


class TrackerBody(_Body):
    name: str = Field(..., min_length=1, max_length=64, description="a name from GET /api/tracker/schema")
    params: dict[str, float | int | bool] = Field(default_factory=dict, description="parameter overrides")


class ProfileBody(_Body):
    name: str = Field(..., min_length=1, max_length=64, description="a name from GET /api/follower/profiles")


class StopFollowBody(_Body):
    reason: str = Field(default="operator stop", max_length=200, description="why, for the log")


def _tracker_name(service: GcsService) -> str:
    return str(service.tracker_data().tracker)


@router.post("/commands/start_tracking", responses=REFUSED)
def start_tracking(service: ServiceDep, _: Operator, body: TrackBody) -> dict[str, Any]:
    """Track a box (x, y, width, height) or the object around a click (x, y); pixels or normalised."""
    normalised = _is_normalised(body.normalised, body.x, body.y, body.width, body.height)
    target = service.start_tracking(body.x, body.y, body.width, body.height, normalised=normalised)
    kind = "click" if body.width is None or body.height is None else "box"
    return {"accepted": True, "selection": kind, "normalised": normalised, "target": target_plain(target)}


@router.post("/commands/stop_tracking", responses=REFUSED)
def stop_tracking(service: ServiceDep, _: Operator) -> dict[str, Any]:
    """Stop tracking (the follower, if on, holds: it has no target)."""
    service.stop_tracking()
    return {"accepted": True, "target": target_plain(service.tracker_data())}


SMART_REFUSED: dict[int | str, dict[str, Any]] = {
    **REFUSED,
    422: {"description": "the click selected nothing on the next frame; the reason (e.g. no detection under it)"},
}


@router.post("/commands/smart_click", responses=SMART_REFUSED)
def smart_click(service: ServiceDep, _: Operator, body: ClickBody) -> dict[str, Any]:
    """Track the detected object under a click (smart mode on first); answers locked, or 422 with why not."""
    # waits (up to 1.5 s) for the next frame's detections; "pending" only if no frame came in time
    normalised = _is_normalised(body.normalised, body.x, body.y)
    target = service.smart_click(body.x, body.y, normalised=normalised)
    outcome = "locked" if target.is_locked else "pending"
    return {"accepted": True, "outcome": outcome, "smart_mode": service.smart_mode, "target": target_plain(target)}


@router.post("/commands/toggle_smart_mode", responses=REFUSED)
def toggle_smart_mode(service: ServiceDep, _: Operator) -> dict[str, Any]:
    """Switch between the detector-backed smart tracker and the configured classic one."""
    tracker = service.set_smart_mode(not service.smart_mode)  # the tracker now in use
    return {"smart_mode": service.smart_mode, "tracker": tracker}


FOLLOW_REFUSED: dict[int | str, dict[str, Any]] = {
    **REFUSED,
    409: {"description": "not available now, with the reason: nothing tracked or not LOCKED, no GPS fix, "
          "critical battery, not flying, a read-only replay (GET /api/actions says it beforehand)"},
}


@router.post("/commands/start_following", responses=FOLLOW_REFUSED)
def start_following(service: ServiceDep, _: Operator) -> dict[str, Any]:
    """Follow the LOCKED target: enter OFFBOARD/GUIDED and let the follower drive (409 with why not)."""
    return to_plain(service.start_following())  # type: ignore[no-any-return]


@router.post("/commands/stop_following", responses=REFUSED)
def stop_following(
    service: ServiceDep, _: Operator, body: Annotated[StopFollowBody | None, Body()] = None
) -> dict[str, Any]:
    """Stop following and hold where the vehicle is."""
    return to_plain(service.stop_following((body or StopFollowBody()).reason))  # type: ignore[no-any-return]


@router.get("/api/tracker/schema", responses=REFUSED)
def tracker_schema(service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """The tracker backends with their parameters (kind, default, bounds) and the one in use."""
    trackers = [
        {"name": spec.name, "description": spec.description, "params": [to_plain(p) for p in spec.params]}
        for spec in service.tracker_specs()
    ]
    return {"current": _tracker_name(service), "smart_mode": service.smart_mode, "trackers": trackers}


@router.post("/api/tracker/switch", responses=REFUSED)
def switch_tracker(service: ServiceDep, _: Operator, body: TrackerBody) -> dict[str, Any]:
    """Use another tracker backend (with parameter overrides); a running track is restarted with it."""
    name = service.switch_tracker(body.name, **body.params)
    return {"tracker": name, "smart_mode": service.smart_mode}


@router.get("/api/follower/profiles")
def follower_profiles(service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """The follow profiles (name, description) and the one in use."""
    profiles = [{"name": p.name, "description": p.description} for p in service.follower_profiles()]
    return {"current": service.follower_data().profile, "profiles": profiles}


@router.post("/api/follower/switch-profile", responses=REFUSED)
def switch_follower_profile(service: ServiceDep, _: Operator, body: ProfileBody) -> dict[str, Any]:
    """Use another follow profile (applies to the next setpoint)."""
    return {"profile": service.switch_follower_profile(body.name)}


@router.get("/telemetry/tracker_data", responses=REFUSED)
def tracker_data(service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """The tracker's latest result: state, box, confidence, errors, and the last state change with its reason."""
    data = target_plain(service.tracker_data())
    change = service.bus.latest(TRACKING_STATE)
    data["last_change"] = to_plain(change) if change is not None else None  # e.g. why a click was refused
    return data


@router.get("/telemetry/follower_data")
def follower_data(service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """What the follower does: active, profile, held and why, last velocity, errors."""
    return to_plain(service.follower_data())  # type: ignore[no-any-return]
