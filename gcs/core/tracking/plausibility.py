"""Lost-target detection: is the tracker's new box believable, and for how long has it not been?

A tracker's own ok flag is not enough: CSRT, KCF and MedianFlow usually report failure when a
target leaves or is hidden, but MIL kept reporting ok with its box parked on the background at
the frame edge (see test_tracking_worker), and any of them can jump to a look-alike. So every
update is also checked against the last accepted box and against the target's look:

* jump: the centre moved more than ``max_jump_sizes`` box sizes (sqrt of the area);
* scale: the size changed by more than the factor ``max_scale_change``;
* frame: less than ``min_inside_frac`` of the box lies inside the image;
* edge stall: the box touches the frame edge and stopped there while the target was moving out
  (CSRT started on a click box parks on the road at the edge after a car drove out of view);
* appearance: the box's colour similarity to the target (``appearance.py``) is below
  ``min_appearance`` (skipped when the caller has no appearance score);
* confidence: the (scaled) confidence is below ``min_confidence``, or the tracker said failed.

The jump and scale allowances grow with the number of consecutive refused updates, so a target
that reappears a little way off after a short occlusion is accepted again. A refused update makes
the track SEARCHING; when refusals last longer than ``lost_timeout_s`` after the last LOCKED
frame (or, if set, more than ``search_frames`` frames), the track is LOST and stays so until a
new selection: a follower must never resume on its own after the pilot was told the target is gone.

Hysteresis. One refused update is enough to leave LOCKED (the follower holds at once), but going
back from SEARCHING takes ``reacquire_frames`` plausible updates in a row, each looking at least
``reacquire_appearance`` like the target (a higher bar than ``min_appearance``, which keeps a
lock). Without it, MIL whose box sat on a dark sign after a dark-clad walker left flipped
LOCKED/SEARCHING 14 times on a 15 s clip, LOCKED on every borderline frame; with it the same run
goes SEARCHING, then LOST after the timeout. Updates still being confirmed do not restart the
lost timeout, so a box that keeps alternating ends LOST.

Confidence = the tracker's raw confidence x (1 - 0.5 x the worst margin), where a margin is 0
for a perfectly still, identical-looking box and 1 at its limit; a box right at a limit scores half.

Everything here is a pure function of frozen values; the worker keeps the ``LossState``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from gcs.core.tracking.protocol import TrackUpdate
from gcs.core.tracking.types import BBox, TrackState

_TIME_EPS_S = 1e-6  # frame times like k/30 s differ from the timeout by float noise, not by intent


@dataclass(frozen=True)
class PlausibilityParams:
    """Limits per update; see the module docstring for what each one catches."""

    max_jump_sizes: float = 1.0
    max_scale_change: float = 1.5
    min_inside_frac: float = 0.5
    min_appearance: float = 0.5
    min_confidence: float = 0.2
    edge_stall_progress: float = 0.5  # at the edge, least share of the predicted outward motion
    search_frames: int | None = None  # optional frame-count limit, for sources with unreliable clocks
    lost_timeout_s: float = 1.0
    reacquire_frames: int = 3  # plausible updates in a row that turn SEARCHING back into LOCKED
    reacquire_appearance: float = 0.6  # least appearance for those updates (min_appearance keeps a lock)


@dataclass(frozen=True)
class LossState:
    """What the checks remember between updates."""

    state: TrackState
    last_good: BBox | None
    last_good_time_s: float
    misses: int = 0
    reason: str = ""
    velocity: tuple[float, float] = (0.0, 0.0)  # smoothed centre velocity while wholly inside, px/s
    edge_ref: tuple[float, float, float] | None = None  # (time, cx, cy) last wholly inside, while at the edge
    streak: int = 0  # while SEARCHING: plausible updates in a row so far (see reacquire_frames)

    @classmethod
    def idle(cls) -> LossState:
        return cls(TrackState.IDLE, None, 0.0)

    @classmethod
    def locked(cls, box: BBox, time_s: float, reason: str = "selected") -> LossState:
        """The state right after a tracker was started on ``box``."""
        return cls(TrackState.LOCKED, box, time_s, 0, reason)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one update: the box is only passed on when the state is LOCKED."""

    state: TrackState
    box: BBox | None
    confidence: float
    reason: str


@dataclass(frozen=True)
class Margins:
    """How close an update is to each limit: 0 = unchanged, 1 = at the limit, above 1 = refused."""

    jump: float
    scale: float
    outside: float
    appearance: float = 0.0

    @property
    def worst(self) -> float:
        return max(self.jump, self.scale, self.outside, self.appearance)


def margins(
    box: BBox,
    last_good: BBox,
    misses: int,
    frame_w: int,
    frame_h: int,
    p: PlausibilityParams,
    appearance: float | None = None,
) -> Margins:
    """Measure ``box`` against ``last_good``; jump and scale allowances grow per refused update."""
    steps = misses + 1
    ref = max(last_good.size, 1.0)
    (cx, cy), (gx, gy) = box.centre, last_good.centre
    jump = math.hypot(cx - gx, cy - gy) / (p.max_jump_sizes * ref * steps)
    ratio = max(box.size, 1e-6) / ref
    scale = abs(math.log(ratio)) / (math.log(p.max_scale_change) * steps) if p.max_scale_change > 1 else 0.0
    spare = 1.0 - p.min_inside_frac
    outside_frac = 1.0 - box.fraction_inside(frame_w, frame_h)
    outside = outside_frac / spare if spare > 0 else (math.inf if outside_frac > 0 else 0.0)
    look = 0.0
    if appearance is not None:
        look = (1.0 - appearance) / (1.0 - p.min_appearance) if p.min_appearance < 1 else math.inf
    return Margins(jump, scale, outside, look)


_VELOCITY_SMOOTHING = 0.3
_MIN_STALL_CHECK_SIZES = 0.15  # predicted outward motion (in box sizes) below which stalls are not judged


def _inside(box: BBox, frame_w: int, frame_h: int) -> bool:
    return box.fraction_inside(frame_w, frame_h) >= 0.999


def stalled_at_edge(box: BBox, prev: LossState, time_s: float, frame_w: int, frame_h: int,
                    p: PlausibilityParams) -> bool:
    """True when ``box`` touches the frame edge and moved far less than the target was heading out.

    A target driving out of view leaves some trackers' boxes parked on the background at the edge,
    slowing down over a second or so; the frame and jump checks both pass such a box. So the
    velocity is frozen when the box first touches the edge and the progress since then is
    compared with it. Judged only at the edge: a target stopping mid-image is not affected.
    """
    if prev.last_good is None or _inside(box, frame_w, frame_h):
        return False
    ref_t, ref_x, ref_y = prev.edge_ref or (prev.last_good_time_s, *prev.last_good.centre)
    vx, vy = prev.velocity
    speed = math.hypot(vx, vy)
    expected = speed * (time_s - ref_t)
    if speed <= 0 or expected < _MIN_STALL_CHECK_SIZES * max(prev.last_good.size, 1.0):
        return False
    cx, cy = box.centre
    progress = ((cx - ref_x) * vx + (cy - ref_y) * vy) / speed  # along the heading
    heading_out = (vx > 0 and box.x + box.w > frame_w) or (vx < 0 and box.x < 0) or \
        (vy > 0 and box.y + box.h > frame_h) or (vy < 0 and box.y < 0)
    return heading_out and progress < p.edge_stall_progress * expected


def _motion(prev: LossState, box: BBox, time_s: float, frame_w: int, frame_h: int
            ) -> tuple[tuple[float, float], tuple[float, float, float] | None]:
    """Velocity and edge reference after accepting ``box``: velocity is learnt only wholly inside."""
    if prev.last_good is None:
        return prev.velocity, None
    if not _inside(box, frame_w, frame_h):
        return prev.velocity, prev.edge_ref or (prev.last_good_time_s, *prev.last_good.centre)
    dt = time_s - prev.last_good_time_s
    if dt <= _TIME_EPS_S:
        return prev.velocity, None
    (cx, cy), (gx, gy) = box.centre, prev.last_good.centre
    a = 1.0 if prev.velocity == (0.0, 0.0) else _VELOCITY_SMOOTHING
    velocity = (prev.velocity[0] + a * ((cx - gx) / dt - prev.velocity[0]),
                prev.velocity[1] + a * ((cy - gy) / dt - prev.velocity[1]))
    return velocity, None


def _refusal(update: TrackUpdate, m: Margins | None, confidence: float, p: PlausibilityParams,
             stalled: bool = False) -> str:
    """The first reason to refuse the update, or "" to accept it."""
    if not update.ok or update.box is None or m is None:
        return "tracker reported failure"
    if m.outside >= 1.0:
        return "target left the frame"
    if stalled:
        return "target left the frame (its box stopped at the edge)"
    if m.jump >= 1.0:
        return "implausible jump"
    if m.scale >= 1.0:
        return "implausible size change"
    if m.appearance >= 1.0:
        return "no longer looks like the target"
    if confidence < p.min_confidence:
        return f"low confidence {confidence:.2f}"
    return ""


def assess(
    prev: LossState,
    update: TrackUpdate,
    time_s: float,
    frame_w: int,
    frame_h: int,
    params: PlausibilityParams,
    appearance: float | None = None,
) -> tuple[LossState, Verdict]:
    """Fold one tracker update into the loss state; returns the new state and what to publish.

    ``appearance`` is the box's similarity to the target (0..1), or None to skip that check.
    """
    if prev.state in (TrackState.IDLE, TrackState.LOST) or prev.last_good is None:
        return prev, Verdict(prev.state, None, 0.0, prev.reason)
    m: Margins | None = None
    confidence = 0.0
    stalled = False
    if update.ok and update.box is not None and update.box.is_valid:
        m = margins(update.box, prev.last_good, prev.misses, frame_w, frame_h, params, appearance)
        confidence = max(0.0, min(1.0, update.confidence)) * max(0.0, 1.0 - 0.5 * min(m.worst, 1.0))
        stalled = stalled_at_edge(update.box, prev, time_s, frame_w, frame_h, params)
    reason = _refusal(update, m, confidence, params, stalled)
    if not reason and update.box is not None and prev.state is TrackState.SEARCHING:
        if appearance is not None and appearance < params.reacquire_appearance:
            reason = f"not yet like the target again ({appearance:.2f} < {params.reacquire_appearance:.2f})"
        elif prev.streak + 1 < params.reacquire_frames:
            streak = prev.streak + 1
            why = f"reacquiring ({streak}/{params.reacquire_frames} plausible updates)"
            confirming = replace(prev, last_good=update.box, reason=why, streak=streak)
            return confirming, Verdict(TrackState.SEARCHING, None, 0.0, why)
    if not reason and update.box is not None:
        why = "reacquired" if prev.state is TrackState.SEARCHING else prev.reason
        velocity, edge_ref = (_motion(prev, update.box, time_s, frame_w, frame_h)
                              if prev.state is TrackState.LOCKED else ((0.0, 0.0), None))
        state = LossState(TrackState.LOCKED, update.box, time_s, 0, why, velocity, edge_ref)
        return state, Verdict(TrackState.LOCKED, update.box, confidence, why)
    misses = prev.misses + 1
    searching_s = time_s - prev.last_good_time_s
    too_many = params.search_frames is not None and misses > params.search_frames
    if too_many or searching_s - params.lost_timeout_s > _TIME_EPS_S:
        why = f"lost after {searching_s:.1f} s ({misses} frames) searching: {reason}"
        lost = LossState(TrackState.LOST, None, prev.last_good_time_s, misses, why)
        return lost, Verdict(TrackState.LOST, None, 0.0, why)
    searching = LossState(TrackState.SEARCHING, prev.last_good, prev.last_good_time_s, misses, reason,
                           prev.velocity, prev.edge_ref)
    return searching, Verdict(TrackState.SEARCHING, None, 0.0, reason)
