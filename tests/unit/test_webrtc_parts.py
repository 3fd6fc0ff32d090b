"""WebRTC parts without a network: a stalled peer drops to the next keyframe while a healthy one
gets every packet; codec choice from an offer; STUN/TURN URLs; loopback-only candidate filtering."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("aiortc")

from embedded_api.webrtc import ice
from embedded_api.webrtc.codecs import choose_codec
from embedded_api.webrtc.errors import Refused
from embedded_api.webrtc.tracks import QUEUE_PACKETS, PacketTrack
from gcs.core.video.h264 import H264Packet


def _packet(seq: int, keyframe: bool) -> H264Packet:
    return H264Packet(b"\x00\x00\x00\x01\x65" if keyframe else b"\x00\x00\x00\x01\x41", keyframe, seq * 3000, seq,
                      0.0, seq / 30, 640, 480)


def test_stalled_peer_drops_to_keyframe_healthy_peer_gets_all() -> None:
    async def run() -> tuple[list[int], PacketTrack, int]:
        asks: list[int] = []
        healthy, stalled = PacketTrack(lambda: asks.append(1)), PacketTrack(lambda: asks.append(1))
        got = []
        for seq in range(1, 61):  # a keyframe every 30 packets, as the encoder makes them
            packet = _packet(seq, keyframe=seq % 30 == 1)
            healthy.offer(packet)
            stalled.offer(packet)  # nobody reads this one
            got.append((await healthy.recv()).pts)
        return got, stalled, len(asks)

    got, stalled, asks = asyncio.run(run())
    assert got == [(seq - 1) * 3000 for seq in range(1, 61)]  # every packet, in order, on the capture clock
    assert stalled.frames_dropped > 0 and stalled._queue.qsize() <= QUEUE_PACKETS  # bounded, never growing
    stalled.offer(_packet(61, keyframe=False))
    assert stalled._queue.empty()  # after a gap no P-frame is sent: it would only show garbage
    stalled.offer(_packet(62, keyframe=True))
    assert stalled._queue.qsize() == 1 and stalled._queue.get_nowait().keyframe  # it restarts on a keyframe
    assert asks >= 1  # and asked the encoder for one


def test_peer_starts_on_keyframe() -> None:
    track = PacketTrack(lambda: None)
    track.offer(_packet(1, keyframe=False))
    assert track.frames_dropped == 1 and track._queue.empty()
    track.offer(_packet(2, keyframe=True))
    assert track._queue.qsize() == 1



def test_paused_peer_is_sent_nothing_and_restarts_on_a_keyframe() -> None:
    asks: list[int] = []
    track = PacketTrack(lambda: asks.append(1))
    track.offer(_packet(1, keyframe=True))
    track.pause()  # the hub heard no receiver report for a while
    assert track._queue.empty() and track.frames_dropped == 1
    track.offer(_packet(2, keyframe=True))
    track.offer(_packet(3, keyframe=False))
    assert track._queue.empty() and track.frames_dropped == 3  # every frame while paused is counted
    track.resume()
    assert asks == [1]  # asks the encoder for a keyframe at once
    track.offer(_packet(4, keyframe=False))
    assert track._queue.empty()  # a P-frame after the gap would only show garbage
    track.offer(_packet(5, keyframe=True))
    assert track._queue.qsize() == 1

OFFER = """v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF {pts}\r\nc=IN IP4 0.0.0.0\r
a=mid:0\r\na=recvonly\r\na=rtcp-mux\r\n{maps}a=candidate:1 1 udp 2113937151 192.0.2.2 50007 typ host\r
a=candidate:2 1 udp 2113937151 127.0.0.1 50008 typ host\r\na=candidate:3 1 udp 1 ab12.local 50009 typ host\r\n"""


def _offer(*codecs: str) -> str:
    maps = {"VP8": "a=rtpmap:96 VP8/90000\r\n",
            "H264": "a=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;"
                    "profile-level-id=42e01f\r\n",
            "H264-high": "a=rtpmap:104 H264/90000\r\na=fmtp:104 packetization-mode=1;profile-level-id=64001f\r\n"}
    pts = {"VP8": "96", "H264": "102", "H264-high": "104"}
    return OFFER.format(pts=" ".join(pts[c] for c in codecs), maps="".join(maps[c] for c in codecs))


def test_codec_choice() -> None:
    assert choose_codec(_offer("VP8", "H264"), None, vp8_allowed=True) == "H264"  # the browser's order aside
    assert choose_codec(_offer("VP8", "H264"), "vp8", vp8_allowed=True) == "VP8"
    assert choose_codec(_offer("VP8", "H264"), "vp8", vp8_allowed=False) == "H264"
    assert choose_codec(_offer("VP8"), None, vp8_allowed=True) == "VP8"
    with pytest.raises(Refused, match="VP8 is off"):
        choose_codec(_offer("VP8"), None, vp8_allowed=False)
    with pytest.raises(Refused, match="no common video codec"):
        choose_codec(_offer("H264-high"), None, vp8_allowed=True)  # High profile only: not our stream


def test_ice_servers_and_loopback_filter() -> None:
    servers = ice.parse_ice_servers(["stun:stun.example.org:3478", "turn:kes%40trel:s3cret@turn.example.org:3478"
                                     "?transport=tcp"])
    assert servers[0].browser() == {"urls": "stun:stun.example.org:3478"}
    assert servers[1].browser() == {"urls": "turn:turn.example.org:3478?transport=tcp", "username": "kes@trel",
                                    "credential": "s3cret"}
    with pytest.raises(ValueError, match="not a STUN/TURN URL"):
        ice.parse_ice_servers(["http://example.org"])
    try:
        ice.use_host_addresses(("127.0.0.1",))
        assert ice.loopback_only()
        kept = ice.filter_candidates(_offer("H264"))
        assert "127.0.0.1 50008" in kept and "192.0.2.2" not in kept and ".local" not in kept
        ice.use_host_addresses(())
        assert not ice.loopback_only() and ice.filter_candidates(_offer("H264")) == _offer("H264")
        assert "127.0.0.1" in ice._host_addresses(True, False)  # aioice alone would leave loopback out
    finally:
        ice.use_host_addresses(())
