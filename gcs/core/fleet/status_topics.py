"""What the tracker, the follower, alerts and status texts look like on the broker.

Tracker and follower status go on ``<prefix>/<gcs>/vehicle/<sysid>/tracker`` and ``.../follower``
(the active vehicle: the one the camera and the follower work for) in the format of
``fleet.mqtt_payload``: ``protobuf`` is one ``kestrel.v1.TelemetryRecord`` with its ``tracker`` or
``follower`` body (resources/proto/kestrel.proto, the schema ``/api/ingest`` already takes), so a
fleet consumer needs the one schema; ``json`` is the API's JSON of ``/telemetry/tracker_data`` and
``/telemetry/follower_data`` plus ``published_s``. Events (status texts, link changes, alerts) are
JSON on ``.../event`` whatever the setting: rare, and read by people as often as by programs.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from gcs.core.alerts.types import Alert, AlertEvent
from gcs.core.fleet.payloads import PayloadFormat
from gcs.core.follow.loop import FollowerStatus
from gcs.core.models import StatusText, VelocityBodyYawRate, VelocityNedYawRate
from gcs.core.proto import kestrel_pb2 as pb
from gcs.core.serialize import to_plain
from gcs.core.tracking.types import TrackedTarget, TrackState

ACTIVE_STATES = (TrackState.LOCKED, TrackState.SEARCHING)


def tracker_plain(target: TrackedTarget) -> dict[str, Any]:
    """The API's tracker JSON: the result, the box also normalised, the follower's error terms."""
    data: dict[str, Any] = to_plain(target)
    box, w, h = target.box, target.frame_w, target.frame_h
    data["box_normalised"] = list(box.to_normalised(w, h)) if box is not None and w > 0 and h > 0 else None
    data["error_x"], data["error_y"], data["size_frac"] = target.error_x, target.error_y, target.size_frac
    data["locked"] = target.is_locked
    return data


def tracker_proto(target: TrackedTarget) -> pb.TrackerState:
    msg = pb.TrackerState(active=target.state in ACTIVE_STATES, tracker=target.tracker, state=target.state.value,
                          confidence=_finite(target.confidence), reason=target.reason,
                          time_s=_finite(target.frame_time_s))  # fmt: skip
    if target.box is not None and target.frame_w > 0 and target.frame_h > 0:
        msg.x, msg.y, msg.width, msg.height = target.box.to_normalised(target.frame_w, target.frame_h)
    return msg


def follower_proto(status: FollowerStatus) -> pb.FollowerState:
    msg = pb.FollowerState(engaged=status.active, profile=status.profile, held=status.held,
                           reason="; ".join(status.reasons), updates=status.updates)  # fmt: skip
    for name in ("error_x", "error_y", "size_frac"):
        value = getattr(status, name)
        if value is not None and math.isfinite(value):
            setattr(msg, name, value)
    v = status.velocity
    if isinstance(v, VelocityBodyYawRate):
        msg.frame, msg.forward_mps, msg.right_mps = "body", v.forward_mps, v.right_mps
    elif isinstance(v, VelocityNedYawRate):
        msg.frame, msg.north_mps, msg.east_mps = "ned", v.north_mps, v.east_mps
    if v is not None:
        msg.down_mps, msg.yaw_rate_radps = v.down_mps, v.yaw_rate_radps
    return msg


def encode_tracker(target: TrackedTarget, fmt: PayloadFormat, *, source: str, published_s: float) -> bytes:
    if fmt == "json":
        return _json({**tracker_plain(target), "published_s": published_s})
    record = pb.TelemetryRecord(time_s=published_s, source=source)
    record.tracker.CopyFrom(tracker_proto(target))
    return record.SerializeToString()


def encode_follower(status: FollowerStatus, fmt: PayloadFormat, *, source: str, published_s: float) -> bytes:
    if fmt == "json":
        return _json({**to_plain(status), "published_s": published_s})
    record = pb.TelemetryRecord(time_s=published_s, source=source)
    record.follower.CopyFrom(follower_proto(status))
    return record.SerializeToString()


def event_of(topic: str, value: Any) -> tuple[int | None, bytes]:
    """(the vehicle it concerns or None, the event's JSON) for a bus value the event topic carries.

    Status texts come as ``(system_id, StatusText)``, link changes as dicts with ``system_id``,
    alerts as ``AlertEvent`` (without the whole shown list: ``<gcs>/alerts`` has it, retained).
    """
    sysid: int | None = None
    data: Any
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], StatusText):
        sysid, data = int(value[0]), {"system_id": int(value[0]), **to_plain(value[1])}
    elif isinstance(value, AlertEvent):
        sysid = value.alert.system_id
        data = {"action": value.action.value, "alert": to_plain(value.alert), "time_s": value.time_s, "by": value.by}
    else:
        data = to_plain(value)
        if isinstance(value, dict) and isinstance(value.get("system_id"), int):
            sysid = value["system_id"]
    return sysid, _json({"topic": topic, "time": time.time(), "data": data})


def alerts_payload(shown: tuple[Alert, ...]) -> bytes:
    """The alerts shown now (``<gcs>/alerts``, retained): what a dashboard joining late must see."""
    return _json({"time": time.time(), "alerts": to_plain(shown)})


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), default=str).encode()


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0
