"""Errors of the tracking package, rooted in the core's one tree so the faces catch them alike."""

from __future__ import annotations

from gcs.core.errors import GcsError


class TrackerError(GcsError):
    """A tracker is unknown, missing from this OpenCV build, given a bad parameter or box."""
