"""A tracker state in plain words for the pilot: "target lost (left the view)", not the plausibility log line.

The plausibility check (``plausibility.py``) explains every refusal precisely, for the log and the
HUD ("lost after 1.0 s (30 frames) searching: target left the frame"). Over the video a newcomer
needs the gist at a glance: what happened to the target, in words without "frames" or "searching".
Both faces use ``plain_track_text`` so they say the same thing.
"""

from __future__ import annotations

# The first reason of the plausibility log line that matches decides the words (most specific first).
_CAUSES: tuple[tuple[str, str], ...] = (
    ("left the frame", "left the view"),
    ("tracker reported failure", "the tracker gave up"),
    ("implausible jump", "the box jumped away"),
    ("implausible size change", "the box changed size"),
    ("no longer looks like", "it no longer looks like the target"),
    ("not yet like the target", "it no longer looks like the target"),
    ("low confidence", "too unsure"),
    ("occluded", "hidden"),
    ("no detection", "not detected any more"),
)


def plain_cause(reason: str) -> str:
    """The cause of a loss in a few plain words ("left the view"), or "" when the reason says nothing known."""
    low = reason.lower()
    for needle, words in _CAUSES:
        if needle in low:
            return words
    return ""


def plain_track_text(state: str, reason: str = "") -> str:
    """What to write over the video for a track state (``TrackState`` value) and its reason."""
    state = state.lower()
    if state == "lost":
        cause = plain_cause(reason)
        return f"target lost ({cause})" if cause else "target lost"
    if state == "searching":
        if reason.startswith("reacquiring"):
            return "found again? checking…"
        cause = plain_cause(reason)
        return f"searching ({cause})" if cause else "searching"
    return ""


__all__ = ["plain_cause", "plain_track_text"]
