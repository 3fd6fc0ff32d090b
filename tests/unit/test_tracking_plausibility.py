"""Lost-target detection as a pure function: each check, the grace period, recovery, LOST latch."""

from __future__ import annotations

import pytest

from gcs.core.tracking.plausibility import LossState, PlausibilityParams, assess, margins
from gcs.core.tracking.protocol import TrackUpdate
from gcs.core.tracking.types import BBox, TrackState

W, H = 640, 480
FPS = 30.0
P = PlausibilityParams(search_frames=30, lost_timeout_s=1.0)
START = BBox(300, 200, 40, 40)  # size 40 px


def ok(box: BBox, confidence: float = 1.0) -> TrackUpdate:
    return TrackUpdate(box, confidence, True)


FAILED = TrackUpdate(None, 0.0, False)


def run(updates: list[TrackUpdate], params: PlausibilityParams = P, start: BBox = START
        ) -> list[tuple[TrackState, str]]:
    state = LossState.locked(start, 0.0)
    out = []
    for i, update in enumerate(updates, start=1):
        state, verdict = assess(state, update, i / FPS, W, H, params)
        out.append((verdict.state, verdict.reason))
    return out


def test_small_motion_stays_locked_with_high_confidence() -> None:
    state = LossState.locked(START, 0.0)
    state, verdict = assess(state, ok(BBox(305, 202, 41, 41)), 1 / FPS, W, H, P)
    assert verdict.state is TrackState.LOCKED and verdict.box == BBox(305, 202, 41, 41)
    assert 0.9 < verdict.confidence <= 1.0
    assert state.last_good == BBox(305, 202, 41, 41)


@pytest.mark.parametrize(
    ("box", "reason"),
    [
        (BBox(350, 200, 40, 40), "implausible jump"),  # centre moved 50 px > 1 box size (40)
        (BBox(290, 190, 65, 65), "implausible size change"),  # 65/40 = 1.63 > 1.5
        (BBox(-25, 200, 40, 40), "target left the frame"),  # 62% outside
    ],
)
def test_each_check_refuses_an_implausible_box(box: BBox, reason: str) -> None:
    prev = LossState.locked(START if reason != "target left the frame" else BBox(-5, 200, 40, 40), 0.0)
    state, verdict = assess(prev, ok(box), 1 / FPS, W, H, P)
    assert verdict.state is TrackState.SEARCHING
    assert verdict.reason == reason
    assert verdict.box is None and verdict.confidence == 0.0  # a refused box never reaches the follower
    assert state.last_good == prev.last_good  # the reference does not move onto the bad box


def test_just_inside_the_limits_is_accepted_at_reduced_confidence() -> None:
    # 36 px jump of a 40 px box: margin 0.9 -> confidence 1 - 0.45
    _, verdict = assess(LossState.locked(START, 0.0), ok(BBox(336, 200, 40, 40)), 0.03, W, H, P)
    assert verdict.state is TrackState.LOCKED
    assert verdict.confidence == pytest.approx(0.55)


def test_appearance_refuses_a_box_parked_on_the_background() -> None:
    prev = LossState.locked(START, 0.0)
    _, same_place_wrong_look = assess(prev, ok(START), 0.03, W, H, P, appearance=0.25)
    assert same_place_wrong_look.state is TrackState.SEARCHING
    assert same_place_wrong_look.reason == "no longer looks like the target"
    _, fine = assess(prev, ok(START), 0.03, W, H, P, appearance=0.85)
    assert fine.state is TrackState.LOCKED
    assert fine.confidence == pytest.approx(1 - 0.5 * (0.15 / 0.5))


def test_low_tracker_score_is_refused() -> None:
    _, verdict = assess(LossState.locked(START, 0.0), ok(START, confidence=0.1), 0.03, W, H, P)
    assert verdict.state is TrackState.SEARCHING and verdict.reason.startswith("low confidence 0.10")


def test_failures_search_then_lose_after_the_timeout() -> None:
    states = run([FAILED] * 40)
    assert [s for s, _ in states[:30]] == [TrackState.SEARCHING] * 30
    assert states[30][0] is TrackState.LOST  # 31st failure: 31 frames > 30 and 1.03 s > 1.0 s
    assert states[30][1] == "lost after 1.0 s (31 frames) searching: tracker reported failure"
    assert all(s is TrackState.LOST for s, _ in states[31:])  # LOST is latched


def test_time_limit_applies_when_frames_are_slow() -> None:
    state = LossState.locked(START, 0.0)
    state, v1 = assess(state, FAILED, 0.5, W, H, P)
    state, v2 = assess(state, FAILED, 1.2, W, H, P)  # only 2 frames, but 1.2 s without a good box
    assert (v1.state, v2.state) == (TrackState.SEARCHING, TrackState.LOST)


def test_frame_limit_applies_when_set_and_time_alone_otherwise() -> None:
    fast = [FAILED] * 5  # at 30 fps: 0.17 s, far inside the 1 s timeout
    limited = run(fast, PlausibilityParams(search_frames=3))
    assert [s for s, _ in limited] == [TrackState.SEARCHING] * 3 + [TrackState.LOST] * 2
    assert all(s is TrackState.SEARCHING for s, _ in run(fast, PlausibilityParams()))


def test_timeout_is_not_cut_short_by_float_noise() -> None:
    # (32 + 30) / 30 - 32 / 30 is 1.0000000000000002 in floats: still exactly the timeout
    state = LossState.locked(START, 32 / 30)
    state, verdict = assess(state, FAILED, 62 / 30, W, H, PlausibilityParams())
    assert verdict.state is TrackState.SEARCHING


def test_lost_stays_lost_even_if_the_tracker_comes_back() -> None:
    states = run([FAILED] * 31 + [ok(START)])
    assert states[-1][0] is TrackState.LOST


def test_short_dropout_recovers_and_allowance_grows_with_misses() -> None:
    # 3 failed frames, then the target reappears 90 px away: beyond 1 box size (40) for one
    # update, but within the allowance after 3 misses (4 x 40 = 160 px).
    # LOCKED again after 3 plausible updates in a row (hysteresis), the first two "reacquiring".
    states = run([FAILED, FAILED, FAILED, ok(BBox(390, 200, 40, 40)), ok(BBox(392, 200, 40, 40)),
                  ok(BBox(394, 200, 40, 40))])
    assert [s for s, _ in states] == [TrackState.SEARCHING] * 5 + [TrackState.LOCKED]
    assert states[3][1] == "reacquiring (1/3 plausible updates)"
    assert states[-1][1] == "reacquired"


def test_searching_needs_updates_in_a_row_that_clearly_look_like_the_target() -> None:
    state = LossState.locked(START, 0.0)
    state, verdict = assess(state, ok(START), 1 / FPS, W, H, P, appearance=0.2)  # a box on the background
    assert verdict.state is TrackState.SEARCHING
    # borderline looks (0.55: enough to keep a lock, not to take one back) never reacquire
    for i in range(2, 8):
        state, verdict = assess(state, ok(START), i / FPS, W, H, P, appearance=0.55)
        assert verdict.state is TrackState.SEARCHING and verdict.reason.startswith("not yet like the target")
    # two good looks, one bad, then three good: LOCKED only at the end of an unbroken run of three
    looks = [0.9, 0.9, 0.2, 0.9, 0.9, 0.9]
    seen = []
    for i, look in enumerate(looks, start=8):
        state, verdict = assess(state, ok(START), i / FPS, W, H, P, appearance=look)
        seen.append(verdict.state)
    assert seen == [TrackState.SEARCHING] * 5 + [TrackState.LOCKED]


def test_a_box_that_keeps_alternating_ends_lost_not_locked() -> None:
    # plausible, plausible, implausible, ...: never three in a row, and the timeout keeps running
    state = LossState.locked(START, 0.0)
    states = []
    for i in range(1, 60):
        look = 0.2 if i % 3 == 1 else 0.9
        state, verdict = assess(state, ok(START), i / FPS, W, H, P, appearance=look)
        states.append(verdict.state)
    assert TrackState.LOCKED not in states
    assert states[-1] is TrackState.LOST


def test_idle_passes_through() -> None:
    state, verdict = assess(LossState.idle(), ok(START), 0.0, W, H, P)
    assert state.state is TrackState.IDLE and verdict.state is TrackState.IDLE and verdict.box is None


def test_margins_are_zero_for_an_unchanged_box_and_one_at_each_limit() -> None:
    assert margins(START, START, 0, W, H, P).worst == 0.0
    at_jump = margins(BBox(340, 200, 40, 40), START, 0, W, H, P)
    assert at_jump.jump == pytest.approx(1.0) and at_jump.scale == 0.0
    at_scale = margins(BBox(290, 190, 60, 60), START, 0, W, H, P)
    assert at_scale.scale == pytest.approx(1.0)
    half_out = margins(BBox(-20, 200, 40, 40), BBox(-20, 200, 40, 40), 0, W, H, P)
    assert half_out.outside == pytest.approx(1.0)


def _drive_right(stop_x: float | None, frames: int = 150, speed_px_s: float = 60.0) -> list[tuple[TrackState, str]]:
    """A 40 px box driving right at ``speed_px_s`` from x=540; with ``stop_x`` it parks there."""
    updates = []
    for i in range(1, frames + 1):
        x = 540.0 + speed_px_s * i / FPS
        if stop_x is not None:
            x = min(x, stop_x)
        updates.append(ok(BBox(x, 200, 40, 40)))
    return run(updates, start=BBox(540, 200, 40, 40))


def test_a_box_parked_at_the_edge_after_its_target_drove_out_is_lost() -> None:
    # the target heads out at 60 px/s; the box stops with a quarter of it outside (x=610)
    states = _drive_right(stop_x=610.0)
    first_refusal = next(i for i, (s, _r) in enumerate(states, start=1) if s is not TrackState.LOCKED)
    assert "box stopped at the edge" in states[first_refusal - 1][1]
    # parked from frame 35 (x reached 610): refused well inside two seconds, then lost after the timeout
    assert 35 < first_refusal < 35 + 2 * FPS
    assert states[-1][0] is TrackState.LOST


def test_a_box_that_keeps_moving_out_with_its_target_is_not_a_stall() -> None:
    states = _drive_right(stop_x=None, frames=60)  # x: 542 .. 660; half outside at x = 620 (frame 40)
    locked = [s for s, _r in states[:39]]
    assert all(s is TrackState.LOCKED for s in locked)
    assert any("left the frame" in r and "stopped" not in r for _s, r in states[40:])


def test_a_target_stopping_inside_the_frame_stays_locked() -> None:
    states = _drive_right(stop_x=580.0)  # stops wholly inside (580 + 40 < 640)
    assert all(s is TrackState.LOCKED for s, _r in states)
