"""Record a capture to a video file with the overlay, plus a per-frame timing sidecar.

MP4/M4V/MOV/MKV recordings are H.264, taken from the shared H.264 encoder (the one that feeds
the RTP stream: one encode for every output; a recorder made without one runs its own). Where
PyAV is missing, or an ``.avi`` or an explicit OpenCV ``codec`` is asked for, OpenCV's writer
records instead (mp4v / MJPG / XVID on its own thread), and the log says why.

A video file has one fixed frame rate, but a live source does not: frames arrive late, get
dropped, the link stalls. So next to the video we write one sidecar row per written frame
(``frame_index, seq, capture_time_s, monotonic_s``); ``capture_time_s`` is wall-clock time, the
same clock a tlog stamps its messages with, which lets a player line up any video frame with
the telemetry of that instant. A row is written only once its frame is in the file, so the file
and the sidecar hold the same frames. The overlay draws on a copy, never on the shared frame.

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
from gcs.core.video.frames import Frame
from gcs.core.video.h264 import PYAV_MISSING, H264Encoder, H264Packet, Overlay, h264_available
from gcs.core.video.h264_file import SUFFIXES as H264_SUFFIXES
from gcs.core.video.h264_file import H264FileOutput

log = logging.getLogger(__name__)

CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".mkv": "XVID", ".avi": "MJPG"}  # OpenCV's
_FLUSH_EVERY = 30
_FIRST_FRAME_WAIT_S = 1.0  # longest stop() waits for the encoder's first frame of a new recording
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
    codec: str = ""  # "h264", or the OpenCV fourcc of a fallback recording


class VideoRecorder:
    """``start(path)`` begins a recording of ``capture``, ``stop()`` finishes the file."""

    def __init__(self, capture: FrameProvider, *, encoder: H264Encoder | None = None, fps: float | None = None,
                 codec: str | None = None, overlay: Overlay | None = None, sidecar: str = "csv",
                 first_frame_timeout_s: float = 3.0,
                 on_status: Callable[[RecorderStatus], None] | None = None) -> None:
        """``encoder``: the shared H.264 encoder (its overlay is drawn, not ``overlay``); ``codec``
        forces an OpenCV fourcc."""
        if sidecar not in ("csv", "jsonl"):
            raise VideoError(f"sidecar must be 'csv' or 'jsonl', not {sidecar!r}")
        self._capture = capture
        self._encoder = encoder
        self._fps = fps
        self._codec = codec
        self.overlay = overlay
        self._sidecar_kind = sidecar
        self._first_timeout_s = first_frame_timeout_s
        self._on_status = on_status
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._reset(None, None, 0.0, (0, 0), "")

    def _reset(self, path: Path | None, sidecar: Path | None, fps: float, size: tuple[int, int], codec: str) -> None:
        self._path, self._sidecar_path, self._rate, self._size, self._codec_used = path, sidecar, fps, size, codec
        self._written = self._skipped = 0
        self._first_written = threading.Event()
        self._last_seq: int | None = None
        self._started = time.monotonic()
        self._error: str | None = None
        self._done = path is None  # the file is finished (stopped, source ended, or failed)
        self._writer: cv2.VideoWriter | None = None
        self._output: H264FileOutput | None = None
        self._own_encoder: H264Encoder | None = None
        self._sidecar: IO[str] | None = None
        self._csv: csv.DictWriter[str] | None = None

    @property
    def recording(self) -> bool:
        return not self._done

    def start(self, path: str | Path) -> RecorderStatus:
        """Open the file now (errors raise VideoError here) and record until ``stop()``."""
        if self.recording:
            raise VideoError(f"already recording to {self._path}")
        target = Path(path).expanduser()
        if not target.parent.is_dir():
            raise VideoError(f"cannot record to {target}: folder {target.parent} does not exist")
        first = self._capture.latest() or self._capture.wait_newer(0, self._first_timeout_s)
        if first is None:
            raise VideoError(f"no video to record: no frame within {self._first_timeout_s:.1f} s")
        fps = self._fps or self._capture.stats().nominal_fps or self._capture.stats().fps or 30.0
        h264 = self._codec is None and target.suffix.lower() in H264_SUFFIXES
        if h264 and not h264_available():
            log.warning("recording %s as mp4v through OpenCV, not H.264: %s", target,
                        PYAV_MISSING or "PyAV has no libx264 encoder")
            h264 = False
        sidecar = target.with_suffix(f".frames.{self._sidecar_kind}")
        try:
            handle = sidecar.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise VideoError(f"cannot write the frame sidecar {sidecar}: {exc}") from exc
        try:
            if h264:
                self._start_h264(target, sidecar, handle, fps, first)
            else:
                self._start_opencv(target, sidecar, handle, fps, first)
        except VideoError:
            handle.close()
            raise
        status = self.status()
        log.info("recording %s (%s, %dx%d @ %.2f fps)", target, status.codec, status.width, status.height, fps)
        self._notify(status)
        return status

    def _begin(self, target: Path, sidecar: Path, handle: IO[str], fps: float, size: tuple[int, int],
               codec: str) -> None:
        self._reset(target, sidecar, fps, size, codec)
        self._sidecar = handle
        if self._sidecar_kind == "csv":
            self._csv = csv.DictWriter(handle, ["frame_index", "seq", "capture_time_s", "monotonic_s"])
            self._csv.writeheader()

    def _start_h264(self, target: Path, sidecar: Path, handle: IO[str], fps: float, first: Frame) -> None:
        encoder = self._encoder
        own = encoder is None
        if encoder is None:
            encoder = H264Encoder(self._capture, overlay=self.overlay)
        stats = encoder.stats()
        size = (stats.width, stats.height) if stats.width else (first.width - first.width % 2,
                                                                first.height - first.height % 2)
        output = H264FileOutput(target, fps=fps, size=size, on_written=self._on_packet, on_end=self._on_end)
        with self._lock:
            self._begin(target, sidecar, handle, fps, size, "h264")
            self._output = output
            self._own_encoder = encoder if own else None
        if own:
            encoder.start()
        encoder.add_output(output)

    def _start_opencv(self, target: Path, sidecar: Path, handle: IO[str], fps: float, first: Frame) -> None:
        codec = self._codec or CODECS.get(target.suffix.lower(), "mp4v")
        size = (first.width, first.height)
        try:
            writer = cv2.VideoWriter(str(target), cv2.VideoWriter.fourcc(*codec), fps, size)
        except cv2.error as exc:
            raise VideoError(f"cannot record to {target} with codec {codec}: {exc}") from exc
        if not writer.isOpened():
            raise VideoError(f"cannot record to {target} with codec {codec!r}: OpenCV opened no writer")
        with self._lock:
            self._begin(target, sidecar, handle, fps, size, codec)
            self._writer = writer
        self._stop.clear()
        self._write(first)
        self._thread = threading.Thread(target=self._run, args=(first.seq,), name="video-recorder", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> RecorderStatus:
        """Finish the file (MP4 is only playable after this) and return the final status."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        with self._lock:
            output = self._output
        error = None
        if output is not None:
            self._first_written.wait(_FIRST_FRAME_WAIT_S)  # a stop right after start still holds a frame
            encoder = self._own_encoder or self._encoder
            if encoder is not None:
                encoder.remove_output(output)
            error = output.close()
        self._finish(error)
        return self.status()

    def status(self) -> RecorderStatus:
        with self._lock:
            return RecorderStatus(
                recording=self.recording, path=str(self._path) if self._path else None,
                sidecar_path=str(self._sidecar_path) if self._sidecar_path else None,
                frames_written=self._written, frames_skipped=self._skipped,
                duration_s=self._written / self._rate if self._rate else 0.0, fps=self._rate,
                width=self._size[0], height=self._size[1], error=self._error, codec=self._codec_used,
            )

    # ---- H.264: packets from the encoder thread ------------------------------------------------

    def _on_packet(self, packet: H264Packet) -> None:
        """A frame is in the file: its sidecar row (on the encoder thread)."""
        with self._lock:
            try:
                self._row(packet.seq, packet.capture_time_s, packet.monotonic_s)
            except (OSError, ValueError) as exc:
                self._error = f"recording failed: {exc}"
                raise VideoError(self._error) from exc

    def _on_end(self, reason: str, failed: bool) -> None:
        if failed:
            log.error("recording %s failed: %s", self._path, reason)
        else:
            log.info("recording %s: %s", self._path, reason)
        self._finish(reason if failed else None)

    # ---- OpenCV: the recording thread ----------------------------------------------------------

    def _run(self, seq: int) -> None:
        while not self._stop.is_set():
            frame = self._capture.wait_newer(seq, timeout=0.25)
            if frame is None:
                if self._capture.finished:
                    log.info("recording %s: the source has ended", self._path)
                    break
                continue
            seq = frame.seq
            if not self._write(frame):
                break
        self._finish(None)

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
                self._row(frame.seq, frame.capture_time_s, frame.monotonic_s)
            except (cv2.error, OSError, ValueError) as exc:
                self._error = f"recording failed: {exc}"
                log.error("recording %s failed: %s", self._path, exc)
                return False
        return True

    # ---- both ----------------------------------------------------------------------------------

    def _row(self, seq: int, capture_time_s: float, monotonic_s: float) -> None:
        """One sidecar row for the frame just written (lock held); counts the frames never seen."""
        if self._last_seq is not None:
            self._skipped += max(0, seq - self._last_seq - 1)
        self._last_seq = seq
        row = {"frame_index": self._written, "seq": seq,
               "capture_time_s": round(capture_time_s, 6), "monotonic_s": round(monotonic_s, 6)}
        if self._csv is not None:
            self._csv.writerow(row)
        elif self._sidecar is not None:
            self._sidecar.write(json.dumps(row) + "\n")
        self._written += 1
        self._first_written.set()
        if self._sidecar is not None and self._written % _FLUSH_EVERY == 0:
            self._sidecar.flush()

    def _finish(self, error: str | None) -> None:
        """Close the file and the sidecar, once per recording, whoever gets here first."""
        with self._lock:
            if self._done:
                return
            self._done = True
            self._error = self._error or error
            writer, handle, encoder = self._writer, self._sidecar, self._own_encoder
            self._writer, self._sidecar, self._csv, self._own_encoder = None, None, None, None
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
        if encoder is not None:
            encoder.stop()
        self._notify(self.status())

    def _notify(self, status: RecorderStatus) -> None:
        if self._on_status is None:
            return
        try:
            self._on_status(status)
        except Exception:  # a listener's bug must not kill the recording thread
            log.exception("video recording listener failed")
