"""H.264 over RTP/UDP (RFC 6184), as QGroundControl's "UDP h.264 Video Stream" receives it.

FFmpeg's ``rtp`` muxer does the packetisation (single NAL units and FU-A fragments of at most
``packet_size`` bytes, the marker bit on the last packet of a frame, payload type 96, the 90 kHz
clock); this output only feeds it the encoder's packets. UDP needs no listener: nobody
receiving is not an error, and a receiver may come and go (keyframes every second bring it in).

The session description (SDP) a generic player needs (VLC, ffplay, a test's decoder: QGC does not,
it assumes H.264 on the port) is written from the stream's own SPS/PPS as soon as the first
keyframe is out, in the same form ``ffmpeg -sdp_file`` writes: libavformat builds it in
``av_sdp_create``, which PyAV does not expose.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import re
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gcs.core.video.errors import VideoError
from gcs.core.video.h264 import PYAV_MISSING, TIME_BASE, H264Packet

if PYAV_MISSING is None:
    import av
    import av.error

log = logging.getLogger(__name__)

PAYLOAD_TYPE = 96  # the first dynamic type: what FFmpeg's muxer and QGC's GStreamer caps use
PACKET_SIZE = 1200  # bytes per RTP packet: below any path MTU, as WebRTC and GStreamer choose
_START_CODE = re.compile(b"\x00\x00\x00\x01|\x00\x00\x01")


def nal_units(annex_b: bytes) -> list[bytes]:
    """The NAL units of an Annex B access unit (start codes removed)."""
    return [n for n in _START_CODE.split(annex_b) if n]


def parameter_sets(annex_b: bytes) -> tuple[bytes, bytes] | None:
    """(SPS, PPS) of a keyframe, or None when it carries no parameter sets."""
    units = nal_units(annex_b)
    sps = next((n for n in units if n[0] & 0x1F == 7), None)
    pps = next((n for n in units if n[0] & 0x1F == 8), None)
    return (sps, pps) if sps and pps and len(sps) >= 4 else None


def h264_sdp(address: str, port: int, sps: bytes, pps: bytes, *, name: str = "Kestrel GCS") -> str:
    """The SDP of one H.264 RTP stream to ``address:port`` (RFC 6184 section 8.2)."""
    family = "IP6" if ipaddress.ip_address(address).version == 6 else "IP4"
    sprop = f"{base64.b64encode(sps).decode()},{base64.b64encode(pps).decode()}"
    return "\r\n".join([
        "v=0",
        f"o=- 0 0 IN {family} {address}",
        f"s={name}",
        f"c=IN {family} {address}",
        "t=0 0",
        f"m=video {port} RTP/AVP {PAYLOAD_TYPE}",
        f"a=rtpmap:{PAYLOAD_TYPE} H264/90000",
        f"a=fmtp:{PAYLOAD_TYPE} packetization-mode=1; sprop-parameter-sets={sprop}; "
        f"profile-level-id={sps[1:4].hex().upper()}",
        "",
    ])


def resolve(host: str, port: int) -> str:
    """The numeric address to send to; VideoError with the reason a person can act on."""
    if not 1 <= port <= 65535:
        raise VideoError(f"RTP port {port} is not a UDP port (1..65535)")
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise VideoError(f"cannot send video to {host}:{port}: host not found ({exc})") from exc
    return str(infos[0][4][0])


class RtpOutput:
    """Sends every packet of the encoder to ``host:port`` as RTP; writes the SDP once known."""

    def __init__(self, host: str, port: int, *, sdp_path: Path | None = None, packet_size: int = PACKET_SIZE,
                 on_end: Callable[[str, bool], None] | None = None) -> None:
        """``on_end(reason, failed)`` hears the encoder detach this output (after it is closed)."""
        if PYAV_MISSING is not None:
            raise VideoError(f"cannot send H.264 video: {PYAV_MISSING}")
        self.host, self.port = host, port
        self.address = resolve(host, port)
        self._sdp_path = sdp_path
        self._on_end = on_end
        self._sdp: str | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._first_pts: int | None = None
        self.packets = self.bytes = 0
        self.error: str | None = None
        url_host = f"[{self.address}]" if ":" in self.address else self.address
        url = f"rtp://{url_host}:{port}?pkt_size={packet_size}"
        try:
            self._container: Any = av.open(url, "w", format="rtp")
            self._stream: Any = self._container.add_mux_stream("h264", rate=30)
            self._stream.time_base = TIME_BASE
            self._container.start_encoding()
        except av.error.FFmpegError as exc:
            raise VideoError(f"cannot send RTP video to {host}:{port}: {exc}") from exc
        log.info("RTP H.264 video to %s:%d (%s)", host, port, self.address)

    @property
    def name(self) -> str:
        return f"rtp://{self.host}:{self.port}"

    @property
    def sdp(self) -> str | None:
        """The session description, once the first keyframe has been sent."""
        return self._sdp

    def write(self, packet: H264Packet) -> None:
        with self._lock:
            if self._closed:
                return
            if self._first_pts is None:
                if not packet.keyframe:
                    return  # start on a whole picture
                self._first_pts = packet.pts
            if packet.keyframe and self._sdp is None:
                self._write_sdp(packet)
            out = av.Packet(packet.data)
            out.pts = out.dts = packet.pts - self._first_pts
            out.time_base = TIME_BASE
            out.stream = self._stream
            out.is_keyframe = packet.keyframe
            try:
                self._container.mux(out)
            except av.error.FFmpegError as exc:
                self.error = f"sending to {self.host}:{self.port} failed: {exc}"
                raise VideoError(self.error) from exc
            self.packets += 1
            self.bytes += len(packet.data)

    def _write_sdp(self, packet: H264Packet) -> None:
        sets = parameter_sets(packet.data)
        if sets is None:
            return
        self._sdp = h264_sdp(self.address, self.port, *sets)
        if self._sdp_path is not None:
            try:
                self._sdp_path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self._sdp_path.with_suffix(".sdp.tmp")
                tmp.write_bytes(self._sdp.encode())
                tmp.replace(self._sdp_path)
            except OSError as exc:  # the stream goes on; only the file for players is missing
                log.warning("cannot write the SDP file %s: %s", self._sdp_path, exc)

    def end(self, reason: str, failed: bool) -> None:
        log.log(logging.WARNING if failed else logging.INFO, "RTP video to %s:%d ends: %s",
                self.host, self.port, reason)
        if failed:
            self.error = self.error or reason
        self.close()
        if self._on_end is not None:
            self._on_end(reason, failed)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._container.close()
            except av.error.FFmpegError as exc:
                log.info("closing RTP output %s: %s", self.name, exc)

