"""The simulated camera (gcs.core.sim.virtual_camera) as a video source, paced at its frame rate.

Kept apart from the OpenCV sources so the video core loads the simulator only when a "virtual"
source is asked for. Without a pose provider it renders the default view marked
"NO VEHICLE POSE"; the capture worker passes the bus's active vehicle state by default.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from gcs.core.sim.virtual_camera import VirtualCamera
from gcs.core.video.errors import VideoError
from gcs.core.video.frames import Image, SourceInfo
from gcs.core.video.sources import PoseProvider, SourceOptions


class VirtualSource:
    """The simulated camera as a source, paced at its fps on the monotonic clock."""

    kind = "virtual"

    def __init__(self, spec: str, camera: VirtualCamera) -> None:
        self._spec = spec
        self.camera = camera
        self._t0 = 0.0
        self._due = 0.0
        self._open = False

    @property
    def spec(self) -> str:
        return self._spec

    @property
    def ended(self) -> bool:
        return False

    def scene_time_s(self) -> float:
        """The scene clock of the frame being rendered now (for ground truth in tests and demos)."""
        return time.monotonic() - self._t0

    def open(self) -> SourceInfo:
        self.camera.prepare()
        self._t0 = self._due = time.monotonic()
        self._open = True
        m = self.camera.camera_model()
        return SourceInfo(self._spec, self.kind, "virtual", m.width, m.height, self.camera.fps,
                          self.camera.fps)

    def read(self) -> Image | None:
        if not self._open:
            return None
        now = time.monotonic()
        if self._due > now:
            time.sleep(self._due - now)
            self._due += 1.0 / self.camera.fps
        else:
            self._due = now + 1.0 / self.camera.fps
        return self.camera.render(time.monotonic() - self._t0)

    def close(self) -> None:
        self._open = False


def _flag(text: str) -> bool:
    if text.lower() not in ("0", "1", "true", "false", "yes", "no"):
        raise ValueError(f"{text!r} is not a yes/no flag")
    return text.lower() in ("1", "true", "yes")


def virtual_source(spec: str, options: SourceOptions, pose_provider: PoseProvider | None) -> VirtualSource:
    """Parse ``virtual`` / ``virtual?seed=3&tilt_deg=60&hfov_deg=80&gimbal=1`` into a paced source."""
    query = dict(parse_qsl(urlsplit(spec).query)) if "?" in spec else {}
    kwargs: dict[str, Any] = {}
    try:
        for key, conv in (("seed", int), ("hfov_deg", float), ("tilt_deg", float), ("gimbal", _flag)):
            if key in query:
                kwargs[key] = conv(query.pop(key))
    except ValueError as exc:
        raise VideoError(f"bad virtual camera option in {spec!r}: {exc}") from exc
    # Camera drones carry a stabilised gimbal, and the follower's camera model assumes one:
    # level the picture unless the spec asks for a hard mount (gimbal=0).
    kwargs.setdefault("gimbal", True)
    if query:
        raise VideoError(f"unknown virtual camera option(s) {sorted(query)} in {spec!r}")
    try:
        camera = VirtualCamera(pose_provider or (lambda: None), width=options.width or 640,
                               height=options.height or 480, fps=options.fps or 30.0, **kwargs)
    except ValueError as exc:
        raise VideoError(f"virtual camera refused {spec!r}: {exc}") from exc
    return VirtualSource(spec, camera)
