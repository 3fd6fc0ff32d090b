"""Encode once, hand out to many: one JPEG per new frame per quality, shared by every client.

MJPEG and WebSocket clients, snapshots and remote viewers all want JPEGs of the same frames.
Encoding per client would multiply CPU by the number of viewers; here a single thread encodes
each new frame once per quality level actually in use and gives every consumer the very same
`EncodedFrame` (the same ``bytes`` object). Each consumer has a one-frame slot: a slow client
gets the newest picture and its skipped frames are counted, it never holds anyone back.

Adaptive quality: when encoding eats into the frame budget or adaptive consumers keep dropping
frames (a slow network), the quality steps down toward ``min_quality``; when all is well it
climbs back to ``quality``. Nothing is encoded while nobody is subscribed.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2

from gcs.core.video.errors import VideoError
from gcs.core.video.frames import CaptureStats, EncodedFrame, Frame

log = logging.getLogger(__name__)

_ADAPT_EVERY = 15  # frames between quality decisions
_QUALITY_DOWN, _QUALITY_UP = 10, 5
_SMOOTHING = 0.1  # weight of a new sample in running averages (lag, encode time, interval)


def _ema(old: float, new: float, *, first: bool) -> float:
    return new if first else old + _SMOOTHING * (new - old)


class FrameProvider(Protocol):
    """What the fan-out needs from a capture (CaptureWorker fits)."""

    def latest(self) -> Frame | None: ...

    def wait_newer(self, seq: int, timeout: float | None = None) -> Frame | None: ...

    @property
    def finished(self) -> bool: ...

    def stats(self) -> CaptureStats: ...


@dataclass(frozen=True)
class ConsumerStats:
    consumer_id: int
    quality: int | None  # None: follows the adaptive quality
    delivered: int
    dropped: int  # frames replaced before this consumer took them
    lag_s: float  # smoothed age of frames when taken (capture to get)
    max_lag_s: float


@dataclass(frozen=True)
class FanoutStats:
    frames_captured: int
    frames_encoded: int  # distinct frames encoded (at any quality)
    encodes: int  # imencode calls (frames x qualities in use)
    frames_sent: int  # frames taken by consumers
    frames_dropped: int  # consumer drops, all consumers ever
    bytes_encoded: int
    bytes_sent: int
    quality: int  # current adaptive quality
    encode_ms: float  # smoothed time to encode one frame (all qualities)
    consumers: tuple[ConsumerStats, ...]


class Consumer:
    """One client's view of the stream: `get()` returns the newest frame it has not had yet."""

    def __init__(self, fanout: JpegFanout, consumer_id: int, quality: int | None,
                 on_frame: Callable[[EncodedFrame], None] | None) -> None:
        self.consumer_id = consumer_id
        self.quality = quality
        self._fanout = fanout
        self._on_frame = on_frame
        self._cond = threading.Condition()
        self._slot: EncodedFrame | None = None
        self._taken = True
        self._closed = False
        self.delivered = self.dropped = 0
        self._lag_s = self._max_lag_s = 0.0

    def get(self, timeout: float | None = None) -> EncodedFrame | None:
        """Wait for a frame newer than the last one returned; None on timeout or when closed."""
        with self._cond:
            self._cond.wait_for(lambda: not self._taken or self._closed, timeout)
            if self._taken or self._slot is None:
                return None
            frame, self._taken = self._slot, True
            self.delivered += 1
            lag = max(0.0, time.monotonic() - frame.monotonic_s)
            self._lag_s = _ema(self._lag_s, lag, first=self.delivered == 1)
            self._max_lag_s = max(self._max_lag_s, lag)
        self._fanout._count_sent(len(frame.jpeg))
        return frame

    def close(self) -> None:
        """Unsubscribe; a waiting `get()` returns None."""
        self._fanout.unsubscribe(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def stats(self) -> ConsumerStats:
        with self._cond:
            return ConsumerStats(self.consumer_id, self.quality, self.delivered, self.dropped,
                                 self._lag_s, self._max_lag_s)

    def _put(self, frame: EncodedFrame) -> None:
        with self._cond:
            if self._closed:
                return
            if not self._taken:
                self.dropped += 1
            self._slot, self._taken = frame, False
            self._cond.notify_all()
        if self._on_frame is not None:
            try:
                self._on_frame(frame)
            except RuntimeError as exc:  # e.g. its asyncio loop has closed: the client is gone
                log.info("consumer %d callback failed (%s); unsubscribing", self.consumer_id, exc)
                self.close()

    def _close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class JpegFanout:
    """A thread that JPEG-encodes each new frame of ``capture`` once per quality in use."""

    def __init__(self, capture: FrameProvider, *, quality: int = 80, min_quality: int = 40,
                 adaptive: bool = True, budget_fraction: float = 0.5, lag_drop_ratio: float = 0.25) -> None:
        if not 1 <= min_quality <= quality <= 100:
            raise VideoError(f"JPEG qualities need 1 <= min {min_quality} <= quality {quality} <= 100")
        self._capture = capture
        self.max_quality = quality
        self.min_quality = min_quality
        self._quality = quality
        self._adaptive = adaptive
        self._budget_fraction = budget_fraction
        self._lag_drop_ratio = lag_drop_ratio

        self._lock = threading.Condition()  # consumers list, counters
        self._consumers: list[Consumer] = []
        self._ids = itertools.count(1)
        self._frames_encoded = self._encodes = self._bytes_encoded = 0
        self._sent = self._bytes_sent = self._dropped_closed = 0
        self._encode_s = 0.0
        self._last: dict[int, EncodedFrame] = {}  # newest encoding per quality
        self._snapshot_lock = threading.Lock()
        self._window_frames = 0
        self._window_drops_start = 0
        self._last_frame_mono: float | None = None
        self._interval_s = 0.0

        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self) -> JpegFanout:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="jpeg-fanout", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
            consumers, self._consumers = self._consumers, []
        for c in consumers:
            c._close()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def __enter__(self) -> JpegFanout:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- consumers ----------------------------------------------------------------------------

    def subscribe(self, quality: int | None = None,
                  on_frame: Callable[[EncodedFrame], None] | None = None) -> Consumer:
        """A new consumer; ``quality`` fixes its JPEG quality (None: adaptive, shared).

        ``on_frame`` (optional) is called on the fan-out thread with each frame put in the slot,
        e.g. ``lambda f: loop.call_soon_threadsafe(event.set)``; it must be quick and not raise.
        """
        if quality is not None and not 1 <= quality <= 100:
            raise VideoError(f"JPEG quality must be 1..100, got {quality}")
        with self._lock:
            consumer = Consumer(self, next(self._ids), quality, on_frame)
            self._consumers.append(consumer)
            self._lock.notify_all()
        return consumer

    def unsubscribe(self, consumer: Consumer) -> None:
        with self._lock:
            if consumer in self._consumers:
                self._consumers.remove(consumer)
                self._dropped_closed += consumer.dropped
        consumer._close()

    @property
    def quality(self) -> int:
        """The adaptive quality now in use for consumers without a fixed one."""
        return self._quality

    def snapshot(self) -> EncodedFrame | None:
        """The newest frame as JPEG at the current quality (encoded here if no consumer did)."""
        frame = self._capture.latest()
        if frame is None:
            return None
        quality = self._quality
        with self._snapshot_lock:
            cached = self._last.get(quality)
            if cached is not None and cached.seq == frame.seq:
                return cached
            encoded = self._encode(frame, quality)
            if encoded is not None:
                self._last[quality] = encoded
            return encoded

    def stats(self) -> FanoutStats:
        with self._lock:
            consumers = tuple(c.stats() for c in self._consumers)
            return FanoutStats(
                frames_captured=self._capture.stats().captured, frames_encoded=self._frames_encoded,
                encodes=self._encodes, frames_sent=self._sent,
                frames_dropped=self._dropped_closed + sum(c.dropped for c in consumers),
                bytes_encoded=self._bytes_encoded, bytes_sent=self._bytes_sent, quality=self._quality,
                encode_ms=self._encode_s * 1000.0, consumers=consumers,
            )

    def _count_sent(self, size: int) -> None:
        with self._lock:
            self._sent += 1
            self._bytes_sent += size

    # ---- fan-out thread -----------------------------------------------------------------------

    def _run(self) -> None:
        last_seq = 0
        while not self._stop.is_set():
            with self._lock:
                self._lock.wait_for(lambda: bool(self._consumers) or self._stop.is_set())
            frame = self._capture.wait_newer(last_seq, timeout=0.25)
            if frame is None:
                if self._capture.finished:
                    self._stop.wait(0.25)
                continue
            if frame.seq <= last_seq:  # the same frame again: nothing new to send
                continue
            last_seq = frame.seq
            with self._lock:
                consumers = list(self._consumers)
            if not consumers:
                continue
            self._fan_out(frame, consumers)

    def _fan_out(self, frame: Frame, consumers: list[Consumer]) -> None:
        adaptive_q = self._quality
        started = time.perf_counter()
        encoded: dict[int, EncodedFrame] = {}
        for quality in {c.quality or adaptive_q for c in consumers}:
            result = self._encode(frame, quality)
            if result is not None:
                encoded[quality] = result
        if not encoded:
            return
        spent = time.perf_counter() - started
        with self._snapshot_lock:
            self._last.update(encoded)
        with self._lock:
            self._frames_encoded += 1
            self._encode_s = _ema(self._encode_s, spent, first=self._frames_encoded == 1)
        for c in consumers:
            enc = encoded.get(c.quality or adaptive_q)
            if enc is not None:
                c._put(enc)
        if self._last_frame_mono is not None:
            gap = frame.monotonic_s - self._last_frame_mono
            self._interval_s = _ema(self._interval_s, gap, first=self._interval_s == 0)
        self._last_frame_mono = frame.monotonic_s
        if self._adaptive:
            self._adapt(consumers)

    def _encode(self, frame: Frame, quality: int) -> EncodedFrame | None:
        started = time.perf_counter()
        try:
            ok, buf = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        except cv2.error as exc:
            log.warning("JPEG encode of frame %d failed: %s", frame.seq, exc)
            return None
        if not ok:
            log.warning("JPEG encode of frame %d failed", frame.seq)
            return None
        data = buf.tobytes()
        with self._lock:
            self._encodes += 1
            self._bytes_encoded += len(data)
        return EncodedFrame(data, frame.seq, frame.capture_time_s, frame.monotonic_s, quality,
                            frame.width, frame.height, time.perf_counter() - started)

    def _adapt(self, consumers: list[Consumer]) -> None:
        """Every few frames: step quality down under pressure, back up when all is well."""
        self._window_frames += 1
        if self._window_frames < _ADAPT_EVERY:
            return
        adaptive = [c for c in consumers if c.quality is None]
        drops = sum(c.dropped for c in adaptive)
        new_drops = max(0, drops - self._window_drops_start)  # (a consumer may have left)
        drop_ratio = new_drops / (self._window_frames * len(adaptive)) if adaptive else 0.0
        self._window_frames, self._window_drops_start = 0, drops
        info = self._capture.stats()
        budget = 1.0 / info.nominal_fps if info.nominal_fps else (self._interval_s or 1.0 / 30.0)
        old = self._quality
        if self._encode_s > self._budget_fraction * budget or drop_ratio > self._lag_drop_ratio:
            self._quality = max(self.min_quality, old - _QUALITY_DOWN)
        elif self._encode_s < 0.6 * self._budget_fraction * budget and drop_ratio == 0.0:
            self._quality = min(self.max_quality, old + _QUALITY_UP)
        if self._quality != old:
            log.info("JPEG quality %d -> %d (encode %.1f ms of %.1f ms budget, drops %.0f%%)", old,
                     self._quality, self._encode_s * 1e3, budget * 1e3, drop_ratio * 100)
