"""Job kind ``detect_video``: the detector over a recorded video (``GcsService.detect_in_video``).

The video is named relative to the videos folder (``<data dir>/videos``, where recordings made
from the GUI or ``POST /api/video/recording/start`` go); absolute paths and ``..`` are refused,
so the API never reads an arbitrary file for a client. Result: frames read and scanned, per
class the detections, frames, first/last time and scores, and the best detections with boxes.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from embedded_api.jobs.registry import JobContext, JobKind, JobRefused, register
from gcs.core.service_vision import videos_dir

NAME = "detect_video"
VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov")


class DetectVideoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(..., min_length=1, max_length=500, description="video relative to the videos folder")
    every: int = Field(1, ge=1, le=100, description="scan every Nth frame (1: all)")
    backend: Literal["auto", "ultralytics", "onnxruntime"] = Field(
        "onnxruntime", description="detector runtime; onnxruntime (default) loads in a second and needs no torch"
    )


def resolve_video(relative: str, root: Path | None = None) -> Path:
    """The file ``relative`` names inside the videos folder; JobRefused if outside it or missing."""
    posix = PurePosixPath(relative.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or not posix.parts:
        raise JobRefused(f"path {relative!r} must be relative to the videos folder, without '..'", status=422)
    if "\0" in relative:  # no file has one: Path.resolve() would raise ValueError (a 500)
        raise JobRefused(f"path {relative!r} contains a NUL character", status=422)
    if posix.suffix.lower() not in VIDEO_SUFFIXES:
        raise JobRefused(f"path {relative!r} is not a video ({', '.join(VIDEO_SUFFIXES)})", status=422)
    base = (root or videos_dir()).resolve()
    candidate = (base / Path(*posix.parts)).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file():
        raise JobRefused(f"no video {relative!r} in the videos folder", status=404)
    return candidate


def _prepare(ctx: JobContext, params: Any) -> None:
    assert isinstance(params, DetectVideoParams)
    resolve_video(params.path)


def _run(ctx: JobContext, params: Any) -> dict[str, Any]:
    assert isinstance(params, DetectVideoParams)
    path = resolve_video(params.path)
    ctx.progress(0.0, f"loading the detector ({params.backend})")
    result = ctx.service.detect_in_video(path, backend=params.backend, every=params.every, progress=ctx.progress)
    return {"path": params.path, **result}


KIND = register(
    JobKind(
        name=NAME,
        summary="Run the detector over a recorded video: detections per class, when, and the best boxes.",
        params=DetectVideoParams,
        run=_run,
        prepare=_prepare,
    )
)
