"""Errors of the follow package, rooted in the core's one tree."""

from __future__ import annotations

from gcs.core.errors import GcsError


class FollowError(GcsError):
    """A follow request cannot be served: an unknown profile, or following is not possible now."""
