"""System status and streaming statistics (viewer role)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter

from embedded_api.deps import RuntimeDep, ServiceDep, Viewer
from gcs import __version__
from gcs.core.errors import GcsError, VehicleNotFound
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


def video_figures(service: GcsService, streams: dict[str, Any]) -> dict[str, Any]:
    """Web video clients (frames sent/dropped, bandwidth) beside the core's capture and encoder."""
    stream = streams.get("video", {})
    out: dict[str, Any] = {
        "running": service.video_running,
        "clients": stream.get("clients", 0),
        "frames_sent": stream.get("frames_sent", 0),
        "frames_dropped": stream.get("messages_dropped", 0),
        "bandwidth_bytes_per_s": stream.get("bandwidth_bytes_per_s", 0),
        "encoder": None,
        "capture": None,
    }
    if service.video_running:
        try:
            capture, encoder = service.video_stats()
        except GcsError:  # stopped between the two calls
            return out
        out["capture"] = {"fps": round(capture.fps, 1), "captured": capture.captured, "dropped": capture.dropped}
        out["encoder"] = {
            "frames_encoded": encoder.frames_encoded,
            "encodes": encoder.encodes,
            "quality": encoder.quality,
            "encode_ms": round(encoder.encode_ms, 2),
            "bytes_encoded": encoder.bytes_encoded,
            "consumers": len(encoder.consumers),
            "frames_dropped": encoder.frames_dropped,
        }
    return out


@router.get("/stats")
def stream_stats(service: ServiceDep, runtime: RuntimeDep, _: Viewer) -> dict[str, Any]:
    """Streaming statistics: clients, frames/messages sent and dropped, bandwidth, encoder, ingest, jobs."""
    streams = runtime.hub.stats()
    return {
        "time": time.time(),
        "clients": sum(int(c["clients"]) for c in streams.values()),
        "bandwidth_bytes_per_s": sum(int(c["bandwidth_bytes_per_s"]) for c in streams.values()),
        "streams": streams,
        "video": video_figures(service, streams),
        "ingest": runtime.ingest.as_dict(),
        "rate_limit": runtime.limiter.stats(),
        "jobs": runtime.jobs.stats(),
    }
