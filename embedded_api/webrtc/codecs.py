"""Which codec a browser gets: H.264 from the shared encoder when its offer takes it, else VP8.

Our H.264 is libx264 ``ultrafast`` without B-frames: Constrained Baseline (profile-level-id
``42e0..``, which every WebRTC H.264 decoder takes), level 3.0 at 640x480/30, in
``packetization-mode=1`` (FU-A fragments, which aiortc's packer writes). A browser offering that
(Chrome, Chromium, Edge, Safari, Firefox with OpenH264) gets the packets as they are. One that does
not (a Chromium built without H.264) gets VP8, encoded by aiortc per peer, unless
``api.webrtc_vp8`` is off; ``codec: "vp8"`` in the offer message asks for VP8 outright.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiortc.sdp import SessionDescription

from embedded_api.webrtc.errors import UNAVAILABLE, Refused


def offered_codecs(offer_sdp: str) -> set[str]:
    """``H264`` (constrained baseline, packetization-mode 1) and/or ``VP8`` where the offer receives video."""
    try:
        description = SessionDescription.parse(offer_sdp)
    except (ValueError, IndexError, KeyError) as exc:
        raise Refused(f"not an SDP offer: {exc}", UNAVAILABLE) from exc
    found: set[str] = set()
    for media in description.media:
        if media.kind != "video" or media.direction not in ("recvonly", "sendrecv"):
            continue
        for codec in media.rtp.codecs:
            name = codec.mimeType.split("/")[-1].upper()
            if name == "VP8":
                found.add("VP8")
            elif name == "H264":
                params = codec.parameters
                profile = str(params.get("profile-level-id", "42001f")).lower()
                if str(params.get("packetization-mode", "0")) == "1" and profile[:2] == "42":
                    found.add("H264")
    return found


def choose_codec(offer_sdp: str, wish: str | None, *, vp8_allowed: bool) -> str:
    """The codec to send; Refused when the offer receives no video we can send."""
    offered = offered_codecs(offer_sdp)
    if not offered and "m=video" not in offer_sdp:
        raise Refused("the offer receives no video (add a recvonly video transceiver)", UNAVAILABLE)
    wants_vp8 = (wish or "").lower() == "vp8"
    if "H264" in offered and not (wants_vp8 and vp8_allowed and "VP8" in offered):
        return "H264"
    if "VP8" in offered and vp8_allowed:
        return "VP8"
    what = " or ".join(sorted(offered)) or "neither H.264 (constrained baseline, packetization-mode=1) nor VP8"
    raise Refused(f"no common video codec: the browser offers {what}"
                  + ("; VP8 is off (api.webrtc_vp8)" if "VP8" in offered else ""), UNAVAILABLE)


def codec_preferences(capabilities: Sequence[Any], codec: str) -> list[Any]:
    """aiortc's capabilities ordered for ``codec`` only (plus RTX for retransmissions)."""
    mine = [c for c in capabilities if c.mimeType.upper() == f"VIDEO/{codec}"]
    if codec == "H264":  # constrained baseline (42e0) before plain baseline (4200)
        mine.sort(key=lambda c: 0 if str(c.parameters.get("profile-level-id", "")).lower().startswith("42e0") else 1)
    rtx = [c for c in capabilities if c.mimeType.lower() == "video/rtx"]
    return mine + rtx
