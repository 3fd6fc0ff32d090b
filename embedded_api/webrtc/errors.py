"""Why a WebRTC peer is refused, with the close code the signalling socket then sends."""

from __future__ import annotations

UNAVAILABLE = 4503  # WebRTC off, no video, no common codec, an offer we cannot answer
TOO_MANY = 4429  # api.webrtc_max_peers reached


class Refused(Exception):
    """A peer that may not be opened now; ``code`` is the WebSocket close code to send."""

    def __init__(self, reason: str, code: int) -> None:
        super().__init__(reason)
        self.code = code
