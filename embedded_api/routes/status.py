"""System status and streaming statistics (viewer role)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter

from embedded_api.deps import RuntimeDep, ServiceDep, Viewer
from gcs import __version__
from gcs.core.errors import GcsError
from gcs.core.fleet.summary import fleet_status, vehicle_summaries
from gcs.core.serialize import to_plain
from gcs.core.service import GcsService

router = APIRouter(tags=["status"])


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
        "fleet": fleet_status(service),
        "config": {
            "restart_pending": service.config.restart_pending(),
            "load_warning": service.config.load_warning,
        },
        "api": {
            "stream_clients": sum(int(c["clients"]) for c in streams.values()) + _webrtc_peers(runtime),
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


def _webrtc_peers(runtime: Any) -> int:
    stats = runtime.webrtc_stats()
    return int(stats["peers"]) if stats else 0


def webrtc_figures(service: GcsService, runtime: Any) -> dict[str, Any]:
    """WebRTC peers (count, cap, codecs, frames sent/dropped, RTP bytes/s, each peer), or the settings."""
    stats = runtime.webrtc_stats()
    if stats is not None:
        return dict(stats)
    return {"enabled": bool(service.config.get("api", "webrtc_enabled")), "peers": 0,
            "max_peers": int(service.config.get("api", "webrtc_max_peers")), "by_codec": {}, "connected_total": 0,
            "refused": {}, "frames_sent": 0, "frames_dropped": 0, "bytes_sent": 0, "bandwidth_bytes_per_s": 0,
            "stalled": 0, "stalls": 0, "stalled_closed": 0, "list": []}


@router.get("/stats")
def stream_stats(service: ServiceDep, runtime: RuntimeDep, _: Viewer) -> dict[str, Any]:
    """Streaming statistics: clients, frames/messages sent and dropped, bandwidth, encoder, WebRTC, ingest, jobs."""
    streams = runtime.hub.stats()
    rtc = webrtc_figures(service, runtime)
    return {
        "time": time.time(),
        "clients": sum(int(c["clients"]) for c in streams.values()) + int(rtc["peers"]),
        "bandwidth_bytes_per_s": sum(int(c["bandwidth_bytes_per_s"]) for c in streams.values())
        + int(rtc["bandwidth_bytes_per_s"]),
        "streams": streams,
        "video": video_figures(service, streams),
        "webrtc": rtc,
        "ingest": runtime.ingest.as_dict(),
        "rate_limit": runtime.limiter.stats(),
        "refused": runtime.refusals(),
        "jobs": runtime.jobs.stats(),
    }
