"""The video core's one error type, a branch of the core's tree (``GcsError -> VideoError``).

Raised for things a person must fix (a malformed source spec, a missing file, an OpenCV built
without GStreamer, a recorder path that cannot be written). Transient trouble with a live
source (a dropped stream, a camera unplugged) is never raised: the capture worker reports it as
a health state and reconnects.
"""

from __future__ import annotations

from gcs.core.errors import GcsError


class VideoError(GcsError):
    """A video source, encoder or recorder cannot be used as asked; the message says why."""
