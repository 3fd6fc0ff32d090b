"""Errors of the tracking package, rooted in the core's one tree so the faces catch them alike."""

from __future__ import annotations

from gcs.core.errors import GcsError


class TrackerError(GcsError):
    """A tracker is unknown, missing from this OpenCV build, given a bad parameter or box."""


class SelectionRefused(TrackerError):
    """A selection was tried on a frame and refused there: nothing detected under a smart click,
    an ambiguous click, a box with no usable part. The message is the tracker's reason."""
