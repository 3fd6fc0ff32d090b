"""The video tracks a WebRTC peer is sent: the shared H.264 packets as they are, or frames for VP8.

``PacketTrack`` (H.264): aiortc's sender takes what ``recv()`` returns; given an ``av.Packet``
it only packetises it (RFC 6184, its ``H264Encoder.pack``), so every browser gets the very access
units the program's one encoder made for the RTP stream and the recording: no second encode,
no decode. Each peer has a small queue on the WebRTC loop; a peer whose sender falls behind (a
slow peer, a busy loop) has its queue emptied and waits for the next keyframe, since an H.264
P-frame after a gap would only show garbage, and asks the encoder for one (rate-limited by the
hub). It never holds up the encoder or another peer.

A peer the hub judges stalled (no RTCP receiver report for a while: a frozen tab, a sleeping
laptop, a link gone) is ``paused``: it is sent nothing (each frame counted as dropped, and no VP8
encode spent on it) until its reports come back; H.264 then restarts on a keyframe.

``FrameTrack`` (VP8, for a browser without H.264): the newest captured frame as an
``av.VideoFrame``; aiortc's own libvpx encoder then encodes it, per peer (the cost of VP8).

Timestamps are the capture's monotonic clock on the 90 kHz RTP clock in both (continuous across a
source switch, which makes a new encoder), so the browser
plays frames at their real pace and its jitter buffer sees the real capture intervals.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from gcs.core.video.h264 import CLOCK_HZ, H264Packet

TIME_BASE = Fraction(1, CLOCK_HZ)
QUEUE_PACKETS = 3  # frames waiting for one peer's sender before it is judged behind (100 ms at 30 fps)


class PacketTrack(MediaStreamTrack):
    """Already-encoded H.264 for one peer (queue, drop-to-keyframe, counters)."""

    kind = "video"

    def __init__(self, on_keyframe_wanted: Callable[[], None]) -> None:
        super().__init__()
        self._queue: asyncio.Queue[H264Packet | None] = asyncio.Queue()
        self._want_keyframe = True  # start on a whole picture
        self._on_keyframe_wanted = on_keyframe_wanted
        self._t0: float | None = None
        self.sender: Any = None  # the RTCRtpSender, to see the browser's picture-loss requests
        self.frames_queued = self.frames_sent = self.frames_dropped = 0
        self.bytes_sent = 0
        self.last_sent_monotonic = 0.0
        self.paused = False

    def pause(self) -> None:
        """Send nothing until ``resume`` (a stalled peer); what is queued is dropped."""
        self.paused = True
        self.frames_dropped += self._drain()

    def resume(self) -> None:
        self.paused = False
        self._want_keyframe = True
        self._on_keyframe_wanted()

    def offer(self, packet: H264Packet) -> None:
        """A new packet from the encoder (WebRTC loop): queue it, or drop to the next keyframe."""
        if self.readyState != "live":
            return
        if self.paused:
            self.frames_dropped += 1
            return
        if self._want_keyframe and not packet.keyframe:
            self.frames_dropped += 1
            return
        if self._queue.qsize() >= QUEUE_PACKETS and not packet.keyframe:
            dropped = self._drain()
            self.frames_dropped += dropped + 1
            self._want_keyframe = True
            self._on_keyframe_wanted()
            return
        if packet.keyframe:
            self.frames_dropped += self._drain()  # a keyframe makes everything before it moot
        self._want_keyframe = False
        self._queue.put_nowait(packet)
        self.frames_queued += 1

    def _drain(self) -> int:
        n = 0
        while not self._queue.empty():
            if self._queue.get_nowait() is not None:
                n += 1
        return n

    async def recv(self) -> av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        self._check_picture_loss()
        packet = await self._queue.get()
        if packet is None:
            raise MediaStreamError
        if self._t0 is None:
            self._t0 = packet.monotonic_s
        out = av.Packet(packet.data)
        # the capture's clock, not the encoder's pts: a source switch makes a new encoder whose
        # pts start again at 0, and RTP time going backwards would freeze the browser's picture
        out.pts = out.dts = round((packet.monotonic_s - self._t0) * CLOCK_HZ)
        out.time_base = TIME_BASE
        self.frames_sent += 1
        self.bytes_sent += len(packet.data)
        self.last_sent_monotonic = time.monotonic()
        return out

    def _check_picture_loss(self) -> None:
        """aiortc notes a browser's PLI/FIR for its own encoder only (a private flag); passing
        packets through, we read it and ask our encoder instead."""
        flag = "_RTCRtpSender__force_keyframe"
        if self.sender is not None and getattr(self.sender, flag, False):
            setattr(self.sender, flag, False)
            self._on_keyframe_wanted()

    def stop(self) -> None:
        if self.readyState == "live":
            self._queue.put_nowait(None)
        super().stop()


class FrameTrack(MediaStreamTrack):
    """The newest captured frame for aiortc's VP8 encoder (one encode per VP8 peer)."""

    kind = "video"

    def __init__(self, latest_frame: Callable[[], Any], fps: float) -> None:
        super().__init__()
        self._latest = latest_frame
        self._period = 1.0 / max(1.0, fps)
        self._seq = 0
        self._t0: float | None = None
        self.frames_sent = self.frames_dropped = 0
        self.bytes_sent = 0  # filled from the sender's own statistics (VP8 bytes are aiortc's)
        self.last_sent_monotonic = 0.0
        self.paused = False

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    async def recv(self) -> av.VideoFrame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            frame = self._latest()
            if frame is not None and frame.seq != self._seq and not self.paused:
                break
            await asyncio.sleep(self._period / 3)
        if self._seq and frame.seq > self._seq + 1:
            self.frames_dropped += frame.seq - self._seq - 1  # a slower encoder than the camera, or paused
        self._seq = frame.seq
        if self._t0 is None:
            self._t0 = frame.monotonic_s
        out = av.VideoFrame.from_ndarray(frame.image, format="bgr24")
        out.pts = round((frame.monotonic_s - self._t0) * CLOCK_HZ)
        out.time_base = TIME_BASE
        self.frames_sent += 1
        self.last_sent_monotonic = time.monotonic()
        return out
