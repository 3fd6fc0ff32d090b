"""Real parts for the H.264 tests and bench: frames that carry their number, and a decoder.

``MarkedSource`` wraps any video source and stamps each picture with its number as 16 black or
white blocks along the bottom edge (big enough to survive compression), remembering the stamped
picture and when it was read. A decoded frame is then matched to its source by reading the marks,
so PSNR compares the right pair and latency is measured from the very read that made it.

``SdpReceiver`` is the independent decoder: FFmpeg's own RTP/SDP demuxer and H.264 decoder through
PyAV, in a thread, reading the SDP file our stream writes, as VLC or ffplay would.
"""

from __future__ import annotations

import collections
import math
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from gcs.core.video.frames import Image, SourceInfo
from gcs.core.video.sources import VideoSource

BITS, BLOCK = 16, 16
KEEP = 300  # stamped pictures remembered (10 s at 30 fps, 280 MB at 640x480)


def stamp(image: Image, number: int) -> None:
    """Write ``number`` (16 bits) as blocks in the bottom left corner of ``image`` (in place)."""
    y = image.shape[0] - BLOCK
    for bit in range(BITS):
        x = bit * BLOCK
        image[y : y + BLOCK, x : x + BLOCK] = 255 if (number >> bit) & 1 else 0


def read_stamp(image: Image) -> int:
    """The number :func:`stamp` wrote, read from the middle of each block."""
    y = image.shape[0] - BLOCK // 2
    number = 0
    for bit in range(BITS):
        x = bit * BLOCK + BLOCK // 2
        if float(image[y - 2 : y + 2, x - 2 : x + 2].mean()) > 128:
            number |= 1 << bit
    return number


def psnr(a: Image, b: Image) -> float:
    return float(cv2.PSNR(a, b))


class MarkedSource:
    """A video source whose pictures carry their number (from 1), stamped on a copy."""

    def __init__(self, inner: VideoSource, *, keep: int = KEEP) -> None:
        """``keep``: how many stamped pictures to remember (0: only the read times)."""
        self._inner = inner
        self.keep = keep
        self._count = 0
        self._lock = threading.Lock()
        self.pictures: collections.OrderedDict[int, Image] = collections.OrderedDict()
        self.read_at: dict[int, float] = {}  # number -> time.monotonic() of the read

    @property
    def spec(self) -> str:
        return f"marked:{self._inner.spec}"

    @property
    def kind(self) -> str:
        return self._inner.kind

    @property
    def ended(self) -> bool:
        return self._inner.ended

    @property
    def camera(self) -> object:  # the virtual camera's lens, for the follower's camera model
        return getattr(self._inner, "camera", None)

    def open(self) -> SourceInfo:
        return self._inner.open()

    def read(self) -> Image | None:
        image = self._inner.read()
        if image is None:
            return None
        picture = np.array(image, dtype=np.uint8, copy=True)
        with self._lock:
            self._count += 1
            stamp(picture, self._count)
            self.read_at[self._count] = time.monotonic()
            if self.keep:
                self.pictures[self._count] = picture.copy()
            while len(self.pictures) > self.keep:
                self.pictures.popitem(last=False)
        return picture

    def picture(self, number: int) -> Image | None:
        with self._lock:
            return self.pictures.get(number)

    def close(self) -> None:
        self._inner.close()


@dataclass(frozen=True)
class Decoded:
    number: int  # the stamp read back
    at: float  # time.monotonic() when the decoder returned it
    image: Image


class SdpReceiver:
    """Decodes the RTP stream an SDP file describes (FFmpeg through PyAV) on a thread."""

    def __init__(self, sdp_path: Path, *, keep_images: bool = True, timeout_s: float = 5.0) -> None:
        self._path = sdp_path
        self._keep = keep_images
        self._timeout_s = timeout_s
        self.frames: list[Decoded] = []
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sdp-receiver", daemon=True)

    def start(self) -> SdpReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self._timeout_s + 2)

    def _run(self) -> None:
        import av

        options = {"protocol_whitelist": "file,udp,rtp", "fflags": "nobuffer", "flags": "low_delay",
                   "reorder_queue_size": "0"}
        try:
            with av.open(str(self._path), format="sdp", options=options, timeout=self._timeout_s) as container:
                stream = container.streams.video[0]
                stream.thread_type = "SLICE"
                for packet in container.demux(stream):
                    for frame in packet.decode():
                        image = frame.to_ndarray(format="bgr24")
                        self.frames.append(Decoded(read_stamp(image), time.monotonic(),
                                                   image if self._keep else image[:0]))
                    if self._stop.is_set():
                        return
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails with it
            self.error = exc


def free_udp_port() -> int:
    """A UDP port on loopback nobody has bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]
