"""The safety gate: clamps, altitude floor and ceiling, geofence, target loss, link loss, abort latch."""

from __future__ import annotations

import math

import pytest

from gcs.core.follow.safety import SafetyDecision, SafetyGate, SafetyLimits
from gcs.core.models import (
    Attitude,
    CommandIntent,
    GlobalPosition,
    HomePosition,
    LinkState,
    LinkStatus,
    VehicleState,
    VelocityBodyYawRate,
    VelocityNedYawRate,
    evolve,
)
from gcs.core.tracking.types import BBox, TrackedTarget, TrackState

LIMITS = SafetyLimits(
    max_horizontal_mps=5.0,
    max_vertical_mps=1.0,
    max_yaw_rate_dps=60.0,
    min_altitude_m=2.0,
    max_altitude_m=60.0,
    target_lost_timeout_s=1.0,
)
FLYING = VehicleState(
    system_id=1,
    armed=True,
    global_position=GlobalPosition(lat_deg=47.0, lon_deg=8.0, alt_rel_m=10.0),
    link=LinkStatus(state=LinkState.OK),
)


def locked(seq: int) -> TrackedTarget:
    return TrackedTarget(BBox(300, 220, 40, 40), TrackState.LOCKED, 0.9, seq, seq / 30, 640, 480, "CSRT")


def without_box(state: TrackState, seq: int, reason: str = "") -> TrackedTarget:
    return TrackedTarget(None, state, 0.0, seq, seq / 30, 640, 480, "CSRT", reason=reason)


def intent(forward: float = 1.0, right: float = 0.0, down: float = 0.0, yaw_dps: float = 10.0) -> CommandIntent:
    return CommandIntent(VelocityBodyYawRate(forward, right, down, math.radians(yaw_dps)), 5.0, "follow:chase", 0.5)


def decide(
    gate: SafetyGate,
    i: CommandIntent | None,
    *,
    target: TrackedTarget | None = None,
    state: VehicleState | None = FLYING,
    now_s: float = 0.0,
) -> SafetyDecision:
    return gate.filter(i, target=target if target is not None else locked(1), state=state, now_s=now_s)


def body(decision: SafetyDecision) -> VelocityBodyYawRate:
    assert decision.intent is not None
    v = decision.intent.velocity
    assert isinstance(v, VelocityBodyYawRate)
    return v


def test_an_intent_within_limits_passes_untouched() -> None:
    i = intent(2.0, 1.0, 0.2, 20.0)
    decision = decide(SafetyGate(LIMITS), i)
    assert decision == SafetyDecision(i, (), held=False)
    assert not decision.modified


def test_speed_and_yaw_rate_are_clamped_with_reasons() -> None:
    decision = decide(SafetyGate(LIMITS), intent(6.0, 8.0, -3.0, -90.0))
    v = body(decision)
    assert v.forward_mps == pytest.approx(3.0) and v.right_mps == pytest.approx(4.0)  # 10 -> 5 m/s
    assert v.down_mps == -1.0
    assert v.yaw_rate_radps == pytest.approx(-math.radians(60))
    assert decision.reasons == (
        "horizontal speed 10.0 m/s clamped to 5.0",
        "vertical speed 3.0 m/s clamped to 1.0",
        "yaw rate 90 deg/s clamped to 60",
    )
    assert decision.modified and not decision.held
    assert decision.intent is not None and decision.intent.source == "follow:chase"  # stamp kept


def test_ned_intents_are_clamped_too() -> None:
    ned = CommandIntent(VelocityNedYawRate(0.0, -8.0, 0.0, 0.0), 5.0, "operator")
    decision = decide(SafetyGate(LIMITS), ned)
    assert decision.intent is not None and decision.intent.velocity == VelocityNedYawRate(0.0, -5.0, 0.0, 0.0)


def test_altitude_floor_refuses_descent_but_allows_climb() -> None:
    low = evolve(FLYING, global_position=GlobalPosition(alt_rel_m=1.5))
    gate = SafetyGate(LIMITS)
    descend = decide(gate, intent(down=0.5), state=low)
    assert body(descend).down_mps == 0.0 and body(descend).forward_mps == 1.0
    assert descend.reasons == ("at altitude floor (1.5 m <= 2.0 m): descent refused",)
    climb = decide(gate, intent(down=-0.5), state=low)
    assert body(climb).down_mps == -0.5 and climb.reasons == ()


def test_altitude_ceiling_refuses_climb_but_allows_descent() -> None:
    high = evolve(FLYING, global_position=GlobalPosition(alt_rel_m=60.0))
    gate = SafetyGate(LIMITS)
    climb = decide(gate, intent(down=-0.5), state=high)
    assert body(climb).down_mps == 0.0 and "altitude ceiling" in climb.reasons[0]
    assert body(decide(gate, intent(down=0.5), state=high)).down_mps == 0.5


def test_target_lost_holds_after_the_timeout_with_a_reason() -> None:
    gate = SafetyGate(LIMITS)
    assert decide(gate, intent(), target=locked(1), now_s=10.0).intent is not None
    # searching inside the grace period: no command, but no hold either (the setpoint expires)
    grace = decide(gate, None, target=without_box(TrackState.SEARCHING, 2), now_s=10.5)
    assert grace == SafetyDecision(None, ("no command from the profile",), held=False)
    held = decide(gate, None, target=without_box(TrackState.SEARCHING, 40), now_s=11.2)
    assert held.held and held.intent is None
    assert held.reasons == ("target not seen for 1.2 s (searching)",)
    # the tracker gave up: hold at once, and say why the tracker gave up
    lost = decide(gate, intent(), target=without_box(TrackState.LOST, 41, "lost after 1.0 s"), now_s=11.3)
    assert lost.held and lost.reasons == ("target lost (lost after 1.0 s)",)


def test_a_frozen_target_stream_is_a_lost_target() -> None:
    gate = SafetyGate(LIMITS)
    same = locked(7)
    assert not decide(gate, intent(), target=same, now_s=0.0).held
    assert not decide(gate, intent(), target=same, now_s=0.9).held
    frozen = decide(gate, intent(), target=same, now_s=1.5)  # still "LOCKED", but no new frame
    assert frozen.held and frozen.reasons == ("target not seen for 1.5 s (no new frame)",)
    assert not decide(gate, intent(), target=locked(8), now_s=1.6).held  # a new frame resumes


def test_decisions_become_commander_commands() -> None:
    passed = decide(SafetyGate(LIMITS), intent(2.0))
    assert passed.command(7.0) is passed.intent
    held = decide(SafetyGate(LIMITS), intent(), state=None)
    assert held.command(7.0) == CommandIntent(VelocityBodyYawRate(0.0, 0.0, 0.0, 0.0), 7.0, "safety:hold")
    assert SafetyDecision(None, ("no command from the profile",), held=False).command(7.0) is None


def test_no_target_holds_at_once() -> None:
    gate = SafetyGate(LIMITS)
    assert gate.filter(intent(), target=None, state=FLYING, now_s=0.0).reasons == ("no target selected",)
    idle = TrackedTarget.idle("CSRT")
    assert decide(gate, intent(), target=idle).reasons == ("no target selected",)
    searching_first = decide(SafetyGate(LIMITS), intent(), target=without_box(TrackState.SEARCHING, 1))
    assert searching_first.held and searching_first.reasons == ("target not locked yet",)
    manual = gate.filter(intent(), target=None, state=FLYING, now_s=0.0, target_required=False)
    assert manual.intent is not None  # operator commands need no target


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (evolve(FLYING, link=LinkStatus(state=LinkState.LOST)), "link lost"),
        (evolve(FLYING, link=LinkStatus(state=LinkState.CONNECTING)), "link connecting"),
        (None, "no vehicle state"),
        (evolve(FLYING, armed=False), "vehicle disarmed"),
    ],
)
def test_link_loss_and_disarmed_hold(state: VehicleState | None, reason: str) -> None:
    decision = decide(SafetyGate(LIMITS), intent(), state=state)
    assert decision == SafetyDecision(None, (reason,), held=True)


def test_abort_latches_until_reset() -> None:
    gate = SafetyGate(LIMITS)
    assert not decide(gate, intent(), target=locked(1), now_s=0.0).held
    gate.abort("pilot pressed ABORT")
    assert gate.aborted
    for k in range(2, 5):
        d = decide(gate, intent(), target=locked(k), now_s=0.1 * k)
        assert d == SafetyDecision(None, ("operator abort: pilot pressed ABORT",), held=True)
    gate.reset()
    assert not gate.aborted
    assert not decide(gate, intent(), target=locked(5), now_s=0.5).held


def test_geofence_removes_outward_motion_only() -> None:
    limits = SafetyLimits(geofence_radius_m=100.0)
    home = HomePosition(47.0, 8.0, 400.0)
    north_150m = 47.0 + math.degrees(150.0 / 6_371_000.0)
    outside = evolve(
        FLYING,
        home=home,
        attitude=Attitude(yaw_rad=0.0),
        global_position=GlobalPosition(north_150m, 8.0, 0, 10.0),
    )
    gate = SafetyGate(limits)
    away = decide(gate, intent(forward=2.0, right=1.0), state=outside)  # heading north = outward
    v = body(away)
    assert v.forward_mps == pytest.approx(0.0, abs=1e-9) and v.right_mps == pytest.approx(1.0)
    assert away.reasons == ("outside geofence (150 m > 100 m): outward motion removed",)
    back = decide(gate, intent(forward=-2.0), state=outside)
    assert body(back).forward_mps == -2.0 and back.reasons == ()
    # facing east, "right" is south: inward, allowed
    facing_east = evolve(outside, attitude=Attitude(yaw_rad=math.pi / 2))
    assert body(decide(gate, intent(forward=0.0, right=1.5), state=facing_east)).right_mps == 1.5
    inside = evolve(outside, global_position=GlobalPosition(47.0, 8.0, 0, 10.0))
    assert decide(gate, intent(forward=2.0), state=inside).reasons == ()
    no_home = decide(gate, intent(), state=evolve(FLYING, home=None))
    assert no_home.held and no_home.reasons == ("geofence set but no home position",)


def test_the_configured_geofence_radius_reaches_the_gate() -> None:
    from gcs.core.config import GcsConfig
    from gcs.core.follow.settings import safety_limits

    assert safety_limits(GcsConfig()).geofence_radius_m is None  # 0: no radius fence
    fenced = GcsConfig.model_validate({"safety": {"geofence_radius_m": 150}})
    assert safety_limits(fenced).geofence_radius_m == 150
