"""Record a capture to MP4/MKV/AVI with an optional overlay, plus a per-frame timing sidecar.

A video file has one fixed frame rate, but a live source does not: frames arrive late, get
dropped, the link stalls. So next to the video we write one sidecar row per written frame
(``frame_index, seq, capture_time_s, monotonic_s``); ``capture_time_s`` is wall-clock time, the
same clock a tlog stamps its messages with, which lets a player line up any video frame with
the telemetry of that instant. The overlay draws on a copy, never on the shared frame.

``on_status`` hears every start, end and failure (the pipeline publishes it on the bus as
``video.recording``): a recording that dies on its own - disk full, source gone - must say so
where the pilot looks, not only in the log.
"""

from __future__ import annotations

import csv
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import cv2
import numpy as np

from gcs.core.video.encoder import FrameProvider
from gcs.core.video.errors import VideoError
from gcs.core.video.frames import Frame, Image

log = logging.getLogger(__name__)

Overlay = Callable[[Image, Frame], None]  # draws onto a writable copy of the frame's image
CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mkv": "XVID", ".avi": "MJPG"}
_FLUSH_EVERY = 30
TOPIC = "video.recording"  # bus topic of RecorderStatus changes (start, end, failure)


@dataclass(frozen=True)
class RecorderStatus:
    recording: bool
    path: str | None
    sidecar_path: str | None
    frames_written: int
    frames_skipped: int  # frames the capture produced that this recorder never saw (seq gaps)
    duration_s: float
    fps: float
    width: int
    height: int
    error: str | None


class VideoRecorder:
    """``start(path)`` begins a recording of ``capture``, ``stop()`` finishes the file."""

    def __init__(self, capture: FrameProvider, *, fps: float | None = None, codec: str | None = None,
                 overlay: Overlay | None = None, sidecar: str = "csv",
                 first_frame_timeout_s: float = 3.0,
                 on_status: Callable[[RecorderStatus], None] | None = None) -> None:
        if sidecar not in ("csv", "jsonl"):
            raise VideoError(f"sidecar must be 'csv' or 'jsonl', not {sidecar!r}")
        self._capture = capture
        self._fps = fps
        self._codec = codec
        self.overlay = overlay
        self._sidecar_kind = sidecar
        self._first_timeout_s = first_frame_timeout_s
        self._on_status = on_status
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._reset(None, None, 0.0, (0, 0))

    def _reset(self, path: Path | None, sidecar: Path | None, fps: float, size: tuple[int, int]) -> None:
        self._path, self._sidecar_path, self._rate, self._size = path, sidecar, fps, size
        self._written = self._skipped = 0
        self._started = time.monotonic()
        self._error: str | None = None
        self._done = False  # the file is finished (stopped, source ended, or failed)
        self._writer: cv2.VideoWriter | None = None
        self._sidecar: IO[str] | None = None
        self._csv: csv.DictWriter[str] | None = None

    @property
    def recording(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._done

    def start(self, path: str | Path) -> RecorderStatus:
        """Open the file now (errors raise VideoError here) and record on a thread."""
        if self.recording:
            raise VideoError(f"already recording to {self._path}")
        target = Path(path).expanduser()
        if not target.parent.is_dir():
            raise VideoError(f"cannot record to {target}: folder {target.parent} does not exist")
        first = self._capture.latest() or self._capture.wait_newer(0, self._first_timeout_s)
        if first is None:
            raise VideoError(f"no video to record: no frame within {self._first_timeout_s:.1f} s")
        fps = self._fps or self._capture.stats().nominal_fps or self._capture.stats().fps or 30.0
        codec = self._codec or CODECS.get(target.suffix.lower(), "mp4v")
        size = (first.width, first.height)
        try:
            writer = cv2.VideoWriter(str(target), cv2.VideoWriter.fourcc(*codec), fps, size)
        except cv2.error as exc:
            raise VideoError(f"cannot record to {target} with codec {codec}: {exc}") from exc
        if not writer.isOpened():
            raise VideoError(f"cannot record to {target} with codec {codec!r}: OpenCV opened no writer")
        sidecar = target.with_suffix(f".frames.{self._sidecar_kind}")
        try:
            handle = sidecar.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            writer.release()
            raise VideoError(f"cannot write the frame sidecar {sidecar}: {exc}") from exc
        with self._lock:
            self._reset(target, sidecar, fps, size)
            self._writer, self._sidecar = writer, handle
            if self._sidecar_kind == "csv":
                self._csv = csv.DictWriter(handle, ["frame_index", "seq", "capture_time_s", "monotonic_s"])
                self._csv.writeheader()
        self._stop.clear()
        self._write(first)
        self._thread = threading.Thread(target=self._run, args=(first.seq,), name="video-recorder",
                                        daemon=True)
        self._thread.start()
        log.info("recording %s (%s, %dx%d @ %.2f fps)", target, codec, size[0], size[1], fps)
        status = self.status()
        self._notify(status)
        return status

    def stop(self, timeout_s: float = 5.0) -> RecorderStatus:
        """Finish the file (MP4 is only playable after this) and return the final status."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        self._close()
        return self.status()

    def status(self) -> RecorderStatus:
        with self._lock:
            return RecorderStatus(
                recording=self.recording, path=str(self._path) if self._path else None,
                sidecar_path=str(self._sidecar_path) if self._sidecar_path else None,
                frames_written=self._written, frames_skipped=self._skipped,
                duration_s=self._written / self._rate if self._rate else 0.0, fps=self._rate,
                width=self._size[0], height=self._size[1], error=self._error,
            )

    # ---- recording thread ---------------------------------------------------------------------

    def _run(self, seq: int) -> None:
        while not self._stop.is_set():
            frame = self._capture.wait_newer(seq, timeout=0.25)
            if frame is None:
                if self._capture.finished:
                    log.info("recording %s: the source has ended", self._path)
                    break
                continue
            self._skipped += max(0, frame.seq - seq - 1)
            seq = frame.seq
            if not self._write(frame):
                break
        self._close()

    def _write(self, frame: Frame) -> bool:
        image = frame.image
        if (frame.width, frame.height) != self._size:  # the source reopened at another size
            image = np.asarray(cv2.resize(image, self._size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        if self.overlay is not None:
            image = image.copy()
            self.overlay(image, frame)
        with self._lock:
            if self._writer is None:
                return False
            try:
                self._writer.write(image)
                self._row(frame)
            except (cv2.error, OSError, ValueError) as exc:
                self._error = f"recording failed: {exc}"
                log.error("recording %s failed: %s", self._path, exc)
                return False
            self._written += 1
        return True

    def _row(self, frame: Frame) -> None:
        row = {"frame_index": self._written, "seq": frame.seq,
               "capture_time_s": round(frame.capture_time_s, 6), "monotonic_s": round(frame.monotonic_s, 6)}
        if self._csv is not None:
            self._csv.writerow(row)
        elif self._sidecar is not None:
            self._sidecar.write(json.dumps(row) + "\n")
        if self._sidecar is not None and self._written % _FLUSH_EVERY == 0:
            self._sidecar.flush()

    def _close(self) -> None:
        with self._lock:
            writer, handle = self._writer, self._sidecar
            self._writer, self._sidecar, self._csv = None, None, None
            self._done = True
        if writer is not None:
            writer.release()
            log.info("recording %s finished: %d frames", self._path, self._written)
        if handle is not None:
            try:
                handle.close()
            except OSError as exc:
                log.warning("closing sidecar %s: %s", self._sidecar_path, exc)
                with self._lock:
                    self._error = self._error or f"recording failed: {exc}"
        if writer is not None or handle is not None:  # once per recording, whoever closes it
            self._notify(self.status())

    def _notify(self, status: RecorderStatus) -> None:
        if self._on_status is None:
            return
        try:
            self._on_status(status)
        except Exception:  # a listener's bug must not kill the recording thread
            log.exception("video recording listener failed")
