"""Video recording over the API (status: viewer; start/stop: operator), the service's own recorder.

The file goes to ``<data dir>/videos`` (MP4 with the tracked box drawn, a per-frame timestamp
sidecar beside it) and is attached to the active vehicle's flight session, exactly as when the
pilot records from the GUI. A client may choose the file *name* only, never a folder, so the API
cannot be used to write elsewhere. 409 when already recording (start) or not recording (stop),
503 when no video is running, 422 for a bad body (naming the field).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from embedded_api.deps import Operator, ServiceDep, Viewer
from gcs.core.serialize import to_plain
from gcs.core.service import GcsService
from gcs.core.service_vision import videos_dir
from gcs.core.video import RecorderStatus, VideoError

router = APIRouter(tags=["video"])

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.(mp4|mkv|avi)$"
RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"description": "already recording (start) or not recording (stop)"},
    503: {"description": "no video is running"},
}


class RecordingStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        None,
        pattern=NAME_PATTERN,
        description="file name in the videos folder, e.g. 'approach.mp4' (default: the start time)",
    )


def recording_plain(state: RecorderStatus | None) -> dict[str, Any]:
    """The recorder's status, plus the file's name relative to the videos folder (what jobs take)."""
    if state is None:
        return {"recording": False, "path": None, "file": None, "frames_written": 0, "duration_s": 0.0}
    data: dict[str, Any] = to_plain(state)
    data["file"] = Path(state.path).name if state.path else None
    return data


def _recording(service: GcsService) -> bool:
    state = service.video_recording_status()
    return state is not None and state.recording


@router.get("/api/video/recording")
def recording_status(service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """Whether the video is being recorded: file, frames written, duration, error."""
    return recording_plain(service.video_recording_status())


@router.post("/api/video/recording/start", responses=RESPONSES)
def start_recording(
    service: ServiceDep,
    _: Operator,
    body: Annotated[RecordingStart | None, Body(description="optional; {} records to a file named by the time")] = None,
) -> dict[str, Any]:
    """Start recording the video (with the tracked box) into the videos folder and the flight session."""
    if not service.video_running:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no video is running: nothing to record")
    current = service.video_recording_status()
    if current is not None and current.recording:
        raise HTTPException(status.HTTP_409_CONFLICT, f"already recording to {current.path}")
    name = (body.name if body else None) or time.strftime("%Y-%m-%d_%H-%M-%S.mp4")
    target = videos_dir() / name
    if target.exists():
        raise HTTPException(status.HTTP_409_CONFLICT, f"a recording named {name!r} exists already")
    try:
        state = service.start_video_recording(str(target))
    except VideoError as exc:
        code = status.HTTP_409_CONFLICT if _recording(service) else status.HTTP_503_SERVICE_UNAVAILABLE
        raise HTTPException(code, str(exc)) from None
    return recording_plain(state)


@router.post("/api/video/recording/stop", responses=RESPONSES)
def stop_recording(service: ServiceDep, _: Operator) -> dict[str, Any]:
    """Stop recording and finish the file (an MP4 is playable only after this)."""
    if not _recording(service):
        raise HTTPException(status.HTTP_409_CONFLICT, "not recording")
    try:
        state = service.stop_video_recording()
    except VideoError as exc:  # stopped by someone else in between
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return recording_plain(state)
