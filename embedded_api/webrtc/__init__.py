"""WebRTC video for browsers: signalling is ``routes/webrtc.py``; peers, tracks and ICE live here.

Imported only when a signalling socket opens (aiortc is a sizeable import), so the API starts and
serves everything else where aiortc is missing; the socket then says why there is no WebRTC.
"""

from __future__ import annotations

import importlib.util

AIORTC_MISSING: str | None = (
    None if importlib.util.find_spec("aiortc") is not None else "aiortc is not installed (pip install aiortc)"
)
