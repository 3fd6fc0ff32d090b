"""H.264 video out of the vision pipeline: the one encoder of the running source, the RTP stream
the config asks for (QGroundControl's "UDP h.264 Video Stream"), its SDP, and their status.

The encoder is shared: the RTP stream and the recorder are both its outputs, so a frame is
encoded once however many go out. ``video.rtp_*`` apply live: turning the stream on, or pointing
it elsewhere, reopens only the RTP output. A stream refused (a host that does not resolve, our own
input port) or failed on the way (the network went away) is reported in the status and on the
bus (``video.out``) with its reason; nothing else stops. A failed stream is tried again every
``RETRY_S`` seconds while it stays enabled.

Off by default: UDP has no receiver to notice, so "on" would encode and send 2 Mbit/s to
127.0.0.1:5600 all day for a QGC that may not be there, and 5600 is also where a drone's own
video usually arrives (``udp://@:5600`` as our source), which our stream must never flood.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from gcs.core.config.schema import VideoConfig
from gcs.core.video import CaptureWorker
from gcs.core.video.errors import VideoError
from gcs.core.video.h264 import PYAV_MISSING, H264Encoder, H264Settings, H264Stats, Overlay, h264_available
from gcs.core.video.rtp_out import RtpOutput, resolve

log = logging.getLogger(__name__)

TOPIC = "video.out"  # bus topic of VideoOutStatus changes
SDP_NAME = "video_out.sdp"  # in the data dir, for VLC / ffplay
RETRY_S = 2.0


@dataclass(frozen=True)
class VideoOutStatus:
    """What a pilot needs to know about the H.264 stream (the API serves it as is)."""

    available: bool  # PyAV with libx264 is installed
    rtp_enabled: bool  # config video.rtp_enabled
    destination: str  # host:port the stream goes to (when enabled)
    streaming: bool  # the RTP output is attached and sending
    packets_sent: int
    sdp_path: str | None  # the SDP file, once the first keyframe has gone out
    error: str | None  # why it is not streaming while enabled
    encoder: H264Stats | None
    retries: int = 0  # times a failed stream was opened again (since the last setting change)


def h264_settings(v: VideoConfig) -> H264Settings:
    return H264Settings(bitrate_kbps=v.h264_bitrate_kbps, preset=v.h264_preset,
                        keyframe_interval_s=v.h264_keyframe_interval_s)


def _loops_into(source_spec: str, address: str, port: int) -> bool:
    """True when the source is a UDP/RTP stream we would receive on the very port we send to."""
    parts = urlsplit(source_spec) if "://" in source_spec else None
    if parts is None or parts.scheme.lower() not in ("udp", "rtp") or parts.port != port:
        return False
    listen = (parts.hostname or "").lstrip("@") or "0.0.0.0"
    try:
        ours = ipaddress.ip_address(address)
        return ours.is_loopback or (listen not in ("0.0.0.0", "::") and ipaddress.ip_address(listen) == ours)
    except ValueError:
        return False


class VideoOut:
    """Owns the H.264 encoder of one capture and the RTP output; safe from any non-GUI thread."""

    def __init__(self, capture: CaptureWorker, overlay: Overlay, cfg: VideoConfig, *, sdp_path: Path,
                 on_status: Callable[[VideoOutStatus], None] | None = None) -> None:
        self._capture = capture
        self._sdp_path = sdp_path
        self._on_status = on_status
        self._lock = threading.RLock()
        self._cfg = cfg
        self._rtp: RtpOutput | None = None
        self._error: str | None = None
        self._retry: threading.Timer | None = None
        self._retries = 0
        self._closed = False
        self.encoder: H264Encoder | None = None
        if h264_available():
            self.encoder = H264Encoder(capture, h264_settings(cfg), overlay=overlay)
        else:
            log.warning("no H.264 video out or H.264 recording: %s", PYAV_MISSING or "PyAV has no libx264")

    def start(self) -> None:
        if self.encoder is not None:
            self.encoder.start()
        self.apply(self._cfg)

    def stop(self) -> None:
        with self._lock:
            self._closed = True
            self._cancel_retry()
            self._close_rtp()
        if self.encoder is not None:
            self.encoder.stop()

    def apply(self, cfg: VideoConfig) -> None:
        """Live settings: open, move or close the RTP stream (no change: nothing happens)."""
        with self._lock:
            old, self._cfg = self._cfg, cfg
            same = (old.rtp_host, old.rtp_port) == (cfg.rtp_host, cfg.rtp_port)
            if self._rtp is not None and cfg.rtp_enabled and same:
                return
            self._cancel_retry()
            self._close_rtp()
            self._error, self._retries = None, 0
            if cfg.rtp_enabled and not self._closed:
                self._open_rtp()
        self._notify()

    def _open_rtp(self) -> None:
        cfg = self._cfg
        if self.encoder is None:
            self._error = f"H.264 video out is not available: {PYAV_MISSING or 'PyAV has no libx264'}"
            return
        try:
            address = resolve(cfg.rtp_host, cfg.rtp_port)
            if _loops_into(self._capture.spec, address, cfg.rtp_port):
                raise VideoError(f"not sending video to {cfg.rtp_host}:{cfg.rtp_port}: our own video source "
                                 f"{self._capture.spec} listens there; choose another video.rtp_port")
            rtp = RtpOutput(cfg.rtp_host, cfg.rtp_port, sdp_path=self._sdp_path, on_end=self._on_rtp_end)
            self.encoder.add_output(rtp)
        except VideoError as exc:
            self._error = str(exc)
            log.error("RTP video out refused: %s", exc)
            return
        self._rtp = rtp

    def _on_rtp_end(self, reason: str, failed: bool) -> None:
        """The encoder detached the stream (encoder thread): say why, and try again if it failed."""
        with self._lock:
            self._rtp = None
            if failed and not self._closed and self._cfg.rtp_enabled:
                self._error = reason
                self._retry = threading.Timer(RETRY_S, self._retry_now)
                self._retry.daemon = True
                self._retry.start()
        self._notify()

    def _retry_now(self) -> None:
        with self._lock:
            self._retry = None
            if self._closed or self._rtp is not None or not self._cfg.rtp_enabled:
                return
            log.info("RTP video out: trying %s:%d again", self._cfg.rtp_host, self._cfg.rtp_port)
            self._retries += 1
            self._open_rtp()  # the last error stays until a packet really goes out (see status)
        self._notify()

    def _cancel_retry(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None

    def _close_rtp(self) -> None:
        rtp, self._rtp = self._rtp, None
        if rtp is not None:
            if self.encoder is not None:
                self.encoder.remove_output(rtp)
            rtp.close()

    def sdp(self) -> str | None:
        """The SDP of the running stream (what ``video_out.sdp`` holds), once a keyframe went out."""
        with self._lock:
            return self._rtp.sdp if self._rtp is not None else None

    def status(self) -> VideoOutStatus:
        with self._lock:
            cfg, rtp = self._cfg, self._rtp
            if rtp is not None and rtp.packets > 0:
                self._error = None  # a retried stream is good only once it has sent
            return VideoOutStatus(
                available=self.encoder is not None, rtp_enabled=cfg.rtp_enabled,
                destination=f"{cfg.rtp_host}:{cfg.rtp_port}", streaming=rtp is not None,
                packets_sent=rtp.packets if rtp is not None else 0,
                sdp_path=str(self._sdp_path) if rtp is not None and rtp.sdp is not None else None,
                error=self._error, encoder=self.encoder.stats() if self.encoder is not None else None,
                retries=self._retries,
            )

    def _notify(self) -> None:
        if self._on_status is not None:
            self._on_status(self.status())
