"""WebRtcHub: the browsers watching over WebRTC, on a loop of their own, fed by the one H.264 encoder.

Why a loop of its own (a thread running asyncio): aiortc does per-packet work in Python (RTP,
SRTP, RTCP, SCTP for the data channel); on the API's loop a busy peer would delay every REST
answer and telemetry socket. The signalling WebSocket (``routes/webrtc.py``) hands offers over
with ``run_coroutine_threadsafe`` and waits for the answer.

Video: one ``PacketSink`` is attached to the core's H.264 encoder while at least one peer takes
H.264 (the encoder then encodes once for the RTP stream, the recording and every browser); it
only hops each packet onto this loop, where every peer's track queues it or drops to the next
keyframe (``tracks.py``). The encoder thread never waits for a peer. A source switch rebuilds
the encoder: the sink is told it ended and attaches to the new one within ``HOUSEKEEPING_S``.

Data channel: the browser opens one (any label) in its offer; we send on it, as JSON text, what
the WebSocket video sends beside its frames: ``tracker`` at the tracker's rate (each new frame's
result: frame rate), ``telemetry`` (the active vehicle's state, 10 Hz), ``follower`` and ``video``
once a second. A channel whose buffer is full (a stalled browser) skips messages (counted).

A stalled peer: UDP never pushes back, so a browser that stops reading (a frozen tab, a sleeping
laptop, a link gone) would be sent video and data for ever without slowing anyone, at the cost of
bandwidth and, for VP8, an encode per frame. Its sign is silence: every receiver sends RTCP reports
about once a second. A peer with none for ``STALL_S`` is paused (sent nothing, its frames counted as
dropped; ``stalled`` in /stats) until they come back, and closed after ``STALL_CLOSE_S`` (counted in
``stalled_closed``), well before ICE consent (about 30 s) would notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

from embedded_api.stream.events import dumps
from embedded_api.stream.meters import RateMeter
from embedded_api.stream.video_pump import target_plain, video_state
from embedded_api.webrtc.codecs import choose_codec, codec_preferences
from embedded_api.webrtc.errors import TOO_MANY, UNAVAILABLE, Refused
from embedded_api.webrtc.ice import aiortc_ice_servers, filter_candidates, parse_ice_servers
from embedded_api.webrtc.tracks import FrameTrack, PacketTrack
from gcs.core.errors import GcsError
from gcs.core.serialize import to_plain
from gcs.core.service import GcsService
from gcs.core.video.errors import VideoError
from gcs.core.video.h264 import H264Packet

log = logging.getLogger(__name__)
T = TypeVar("T")

HOUSEKEEPING_S = 1.0  # re-attach the sink, read the senders' byte counts, drop dead peers
STATE_POLL_S = 0.02  # how often the tracker's result is looked at (sent only when it is new)
TELEMETRY_EVERY_S = 0.1
SLOW_STATE_EVERY_S = 1.0
KEYFRAME_EVERY_S = 0.5  # at most this often do peers' losses force a keyframe on everyone
CHANNEL_MAX_BUFFERED = 256 * 1024  # bytes waiting in a data channel before its messages are skipped
STALL_S = 4.0  # no RTCP receiver report for this long (they come about every second): paused
STALL_CLOSE_S = 12.0  # ... and for this long: closed


@dataclass
class Peer:
    id: int
    pc: RTCPeerConnection
    track: PacketTrack | FrameTrack
    codec: str
    who: str
    opened_monotonic: float = field(default_factory=time.monotonic)
    channel: Any = None
    messages_sent: int = 0
    messages_dropped: int = 0
    bytes_sent: int = 0  # RTP bytes, from the sender's own statistics
    report_stamp: Any = None  # the time of the last RTCP receiver report aiortc noted
    heard_monotonic: float | None = None  # when we saw that report change (None: none yet)

    def quiet_s(self, now: float) -> float:
        """Seconds since the peer's last receiver report (since it opened, before the first)."""
        return now - (self.heard_monotonic if self.heard_monotonic is not None else self.opened_monotonic)

    def row(self) -> dict[str, Any]:
        t = self.track
        return {
            "id": self.id, "codec": self.codec, "who": self.who, "state": self.pc.connectionState,
            "frames_sent": t.frames_sent, "frames_dropped": t.frames_dropped, "bytes_sent": self.bytes_sent,
            "datachannel_open": bool(self.channel is not None and self.channel.readyState == "open"),
            "messages_sent": self.messages_sent, "messages_dropped": self.messages_dropped,
            "stalled": t.paused, "quiet_s": round(self.quiet_s(time.monotonic()), 1),
            "age_s": round(time.monotonic() - self.opened_monotonic, 1),
        }


class _Sink:
    """The encoder's output for all H.264 peers: hops each packet onto the hub's loop."""

    name = "webrtc"

    def __init__(self, hub: WebRtcHub) -> None:
        self._hub = hub

    def write(self, packet: H264Packet) -> None:
        try:
            self._hub.loop.call_soon_threadsafe(self._hub._deliver, packet)
        except RuntimeError as exc:  # the loop has closed: detach us
            raise VideoError(f"the WebRTC loop has stopped: {exc}") from exc

    def end(self, reason: str, failed: bool) -> None:
        with contextlib.suppress(RuntimeError):
            self._hub.loop.call_soon_threadsafe(self._hub._sink_ended, reason)


class WebRtcHub:
    """Every WebRTC peer of one app; made on the first signalling socket, closed with the app."""

    def __init__(self, service: GcsService, *, host_addresses: tuple[str, ...] = ()) -> None:
        from embedded_api.webrtc.ice import use_host_addresses

        use_host_addresses(host_addresses)
        self.service = service
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="webrtc", daemon=True)
        self._lock = threading.Lock()
        self._peers: dict[int, Peer] = {}
        self._ids = itertools.count(1)
        self._sink = _Sink(self)
        self._sink_attached = False
        self._sink_error: str | None = None
        self._last_keyframe_ask = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self.meter = RateMeter()
        self.connected_total = 0
        self.refused: dict[str, int] = {}
        self.keyframes_asked = 0
        self.stalls = 0  # times a peer was paused for silence
        self.stalled_closed = 0
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._tasks = [self.loop.create_task(self._housekeeping()), self.loop.create_task(self._state_loop())]
        self.loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
        """Run ``coro`` on the hub's loop; await the returned future from any other loop."""
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    # ---- settings ----------------------------------------------------------------------------

    def _cfg(self, name: str) -> Any:
        return self.service.config.get("api", name)

    def ice_servers_for_browser(self) -> list[dict[str, Any]]:
        return [s.browser() for s in parse_ice_servers(self._cfg("webrtc_ice_servers"))]

    def check_open(self) -> None:
        """Refused (with the close code) when a new peer may not be opened now."""
        if not self._cfg("webrtc_enabled"):
            raise Refused("WebRTC video is turned off (api.webrtc_enabled)", UNAVAILABLE)
        if not self.service.video_running:
            raise Refused("no video is running (video.enabled is off or the source failed)", UNAVAILABLE)
        cap = int(self._cfg("webrtc_max_peers"))
        if len(self._peers) >= cap:
            raise Refused(f"{len(self._peers)} WebRTC peers already: at most {cap} (api.webrtc_max_peers)", TOO_MANY)

    def count_refusal(self, exc: Refused) -> None:
        kind = "too_many" if exc.code == TOO_MANY else "unavailable"
        self.refused[kind] = self.refused.get(kind, 0) + 1

    # ---- peers (hub loop) ----------------------------------------------------------------------

    async def open_peer(self, offer_sdp: str, wish: str | None, who: str) -> tuple[int, str, str]:
        """Answer a browser's offer: (peer id, answer SDP with our candidates, codec chosen)."""
        try:
            self.check_open()
            codec = choose_codec(offer_sdp, wish, vp8_allowed=bool(self._cfg("webrtc_vp8")))
        except Refused as exc:
            self.count_refusal(exc)
            raise
        fps = float(self.service.config.get("video", "fps"))
        track: PacketTrack | FrameTrack = (
            PacketTrack(self.want_keyframe) if codec == "H264" else FrameTrack(self.service.latest_frame, fps)
        )
        servers = aiortc_ice_servers(parse_ice_servers(self._cfg("webrtc_ice_servers")))
        pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
        peer = Peer(next(self._ids), pc, track, codec, who)
        transceiver = pc.addTransceiver(track, direction="sendonly")
        transceiver.setCodecPreferences(codec_preferences(RTCRtpSender.getCapabilities("video").codecs, codec))
        if isinstance(track, PacketTrack):
            track.sender = transceiver.sender

        @pc.on("datachannel")
        def _on_channel(channel: Any) -> None:
            peer.channel = channel

        @pc.on("connectionstatechange")
        async def _on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self.close_peer(peer.id)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(filter_candidates(offer_sdp), "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except (ValueError, KeyError, IndexError) as exc:  # aiortc's errors on an SDP it cannot use
            await pc.close()
            raise Refused(f"cannot answer this offer: {exc}", UNAVAILABLE) from exc
        with self._lock:
            self._peers[peer.id] = peer
            self.connected_total += 1
        if codec == "H264":
            self._attach_sink()
            self.want_keyframe(force=True)  # the new peer starts within a frame, not at the next keyframe
        log.info("WebRTC peer %d (%s) opened: %s", peer.id, who, codec)
        return peer.id, pc.localDescription.sdp, codec

    async def add_candidate(self, peer_id: int, candidate: str, sdp_mid: str | None, index: int | None) -> None:
        """A trickled ICE candidate of the browser (an end-of-candidates empty string is ignored)."""
        peer = self._peers.get(peer_id)
        line = candidate.removeprefix("candidate:").strip() if candidate else ""
        if peer is None or not line or filter_candidates(f"a=candidate:{line}") == "":
            return
        found = candidate_from_sdp(line)
        found.sdpMid, found.sdpMLineIndex = sdp_mid, index
        await peer.pc.addIceCandidate(found)

    async def close_peer(self, peer_id: int) -> None:
        with self._lock:
            peer = self._peers.pop(peer_id, None)
        if peer is None:
            return
        peer.track.stop()
        await peer.pc.close()
        if not any(p.codec == "H264" for p in self._peers.values()):
            self._detach_sink()
        log.info("WebRTC peer %d closed (%d frames sent, %d dropped)", peer.id, peer.track.frames_sent,
                 peer.track.frames_dropped)

    # ---- video (hub loop) ----------------------------------------------------------------------

    def _deliver(self, packet: H264Packet) -> None:
        for peer in list(self._peers.values()):
            if isinstance(peer.track, PacketTrack):
                peer.track.offer(packet)

    def want_keyframe(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_keyframe_ask >= KEYFRAME_EVERY_S:
            self._last_keyframe_ask = now
            self.keyframes_asked += 1
            self.service.request_keyframe()

    def _attach_sink(self) -> None:
        if self._sink_attached:
            return
        try:
            self.service.add_h264_output(self._sink)
        except (VideoError, GcsError) as exc:
            if self._sink_error != str(exc):
                log.warning("WebRTC: no H.264 packets yet: %s", exc)
            self._sink_error = str(exc)
            return
        self._sink_attached, self._sink_error = True, None

    def _detach_sink(self) -> None:
        if self._sink_attached:
            self._sink_attached = False
            self.service.remove_h264_output(self._sink)

    def _sink_ended(self, reason: str) -> None:
        self._sink_attached = False
        self._sink_error = reason  # housekeeping attaches again (a new source has a new encoder)

    # ---- housekeeping and the data channel (hub loop) -------------------------------------------

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(HOUSEKEEPING_S)
            if any(p.codec == "H264" for p in self._peers.values()):
                self._attach_sink()
            now = time.time()
            for peer in list(self._peers.values()):
                sent, report = 0, None
                with contextlib.suppress(Exception):  # a peer closing under us: its figures stop
                    for s in (await peer.pc.getStats()).values():
                        if getattr(s, "type", "") == "outbound-rtp":
                            sent += int(s.bytesSent)
                        elif getattr(s, "type", "") == "remote-inbound-rtp":
                            report = s.timestamp  # when its last receiver report came
                if sent > peer.bytes_sent:
                    self.meter.add(now, sent - peer.bytes_sent)
                    peer.bytes_sent = sent
                    if isinstance(peer.track, FrameTrack):
                        peer.track.bytes_sent = sent
                await self._check_stall(peer, report)

    async def _check_stall(self, peer: Peer, report: Any) -> None:
        """Pause a peer that has sent no receiver report for STALL_S, resume it when they come back,
        close it after STALL_CLOSE_S."""
        now = time.monotonic()
        if report is not None and report != peer.report_stamp:
            peer.report_stamp, peer.heard_monotonic = report, now
        quiet = peer.quiet_s(now)
        if quiet >= STALL_CLOSE_S:
            self.stalled_closed += 1
            log.warning("WebRTC peer %d (%s) closed: no receiver report for %.0f s", peer.id, peer.who, quiet)
            await self.close_peer(peer.id)
        elif quiet >= STALL_S and not peer.track.paused:
            self.stalls += 1
            log.info("WebRTC peer %d (%s) stalled (no receiver report for %.0f s): paused", peer.id, peer.who, quiet)
            peer.track.pause()
        elif quiet < STALL_S and peer.track.paused:
            log.info("WebRTC peer %d (%s) reports again: resumed", peer.id, peer.who)
            peer.track.resume()

    async def _state_loop(self) -> None:
        """Tracker results as they come (frame rate), telemetry at 10 Hz, the rest once a second."""
        last_seq, next_telemetry, next_slow = None, 0.0, 0.0
        while True:
            await asyncio.sleep(STATE_POLL_S)
            if not any(p.channel is not None and p.channel.readyState == "open" for p in self._peers.values()):
                continue
            now = time.monotonic()
            try:
                target = self.service.tracker_data()
            except GcsError:
                target = None
            if target is not None and (target.frame_seq, target.state) != last_seq:
                last_seq = (target.frame_seq, target.state)
                self._broadcast({"type": "tracker", "data": target_plain(target)})
            if now >= next_telemetry:
                next_telemetry = now + TELEMETRY_EVERY_S
                with contextlib.suppress(GcsError):
                    self._broadcast({"type": "telemetry", "data": to_plain(self.service.vehicle_state(None))})
            if now >= next_slow:
                next_slow = now + SLOW_STATE_EVERY_S
                self._broadcast({"type": "follower", "data": to_plain(self.service.follower_data())})
                self._broadcast({"type": "video", "data": video_state(self.service)})

    def _broadcast(self, message: dict[str, Any]) -> None:
        text = dumps({**message, "time": time.time()})
        for peer in list(self._peers.values()):
            ch = peer.channel
            if ch is None or ch.readyState != "open":
                continue
            if ch.bufferedAmount > CHANNEL_MAX_BUFFERED or peer.track.paused:
                peer.messages_dropped += 1
                continue
            ch.send(text)
            peer.messages_sent += 1

    # ---- figures and shutdown (any thread) ----------------------------------------------------

    def stats(self) -> dict[str, Any]:
        with self._lock:
            peers = list(self._peers.values())
        by_codec: dict[str, int] = {}
        for p in peers:
            by_codec[p.codec] = by_codec.get(p.codec, 0) + 1
        return {
            "enabled": bool(self._cfg("webrtc_enabled")),
            "peers": len(peers),
            "max_peers": int(self._cfg("webrtc_max_peers")),
            "by_codec": by_codec,
            "connected_total": self.connected_total,
            "refused": dict(self.refused),
            "frames_sent": sum(p.track.frames_sent for p in peers),
            "frames_dropped": sum(p.track.frames_dropped for p in peers),
            "bytes_sent": sum(p.bytes_sent for p in peers),
            "bandwidth_bytes_per_s": round(self.meter.bytes_per_s(time.time())),
            "keyframes_asked": self.keyframes_asked,
            "stalled": sum(1 for p in peers if p.track.paused),
            "stalls": self.stalls,
            "stalled_closed": self.stalled_closed,
            "h264_attached": self._sink_attached,
            "h264_error": self._sink_error,
            "list": [p.row() for p in peers],
        }

    def close(self, timeout_s: float = 3.0) -> None:
        if self._closed:
            return
        self._closed = True

        async def _shutdown() -> None:
            for peer_id in list(self._peers):
                await self.close_peer(peer_id)
            for task in self._tasks:
                task.cancel()

        with contextlib.suppress(Exception):  # a loop that is already gone has nothing to close
            asyncio.run_coroutine_threadsafe(_shutdown(), self.loop).result(timeout_s)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout_s)
