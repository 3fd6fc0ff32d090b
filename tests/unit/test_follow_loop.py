"""The follow loop turns tracker results into commander intents, and holds when it must."""

from __future__ import annotations

import time

from gcs.core.bus import MessageBus
from gcs.core.follow.camera import CameraModel
from gcs.core.follow.loop import STATUS_TOPIC, TARGET_TOPIC, FollowLoop
from gcs.core.models import LinkState, LinkStatus, VehicleState, VelocityBodyYawRate, evolve
from gcs.core.tracking.types import BBox, TrackedTarget, TrackState
from gcs.core.vehicle.commander import Commander
from gcs.core.vehicle.reducer import initial_state


def _state(alt: float = 20.0, armed: bool = True) -> VehicleState:
    s = initial_state(1)
    gp = evolve(s.global_position, alt_rel_m=alt)
    return evolve(s, armed=armed, global_position=gp, link=LinkStatus(state=LinkState.OK))


def _target(cx: float, state: TrackState = TrackState.LOCKED, size: float = 60) -> TrackedTarget:
    box = BBox(cx - size / 2, 240 - size / 2, size, size) if state is TrackState.LOCKED else None
    return TrackedTarget(box, state, 0.9, 1, time.time(), 640, 480, "CSRT")


class Harness:
    def __init__(self) -> None:
        self.bus = MessageBus()
        self.commander = Commander(self.bus)
        self.state: VehicleState | None = _state()
        self.loop = FollowLoop(
            self.bus, self.commander, lambda: self.state, lambda: CameraModel(640, 480, 70.0, 30.0), profile="yaw_only"
        )
        self.loop.start()
        self.statuses: list[object] = []
        self.bus.subscribe(STATUS_TOPIC, lambda _t, s: self.statuses.append(s))

    def intent_velocity(self) -> VelocityBodyYawRate:
        intent = self.commander._intent  # the latest wanted velocity handed to the commander
        assert intent is not None
        assert isinstance(intent.velocity, VelocityBodyYawRate)
        return intent.velocity


def test_inactive_loop_sends_nothing() -> None:
    h = Harness()
    h.bus.publish(TARGET_TOPIC, _target(600))
    assert h.commander._intent is None


def test_target_right_of_centre_turns_right_and_left_turns_left() -> None:
    h = Harness()
    h.loop.enable()
    h.bus.publish(TARGET_TOPIC, _target(560))
    assert h.intent_velocity().yaw_rate_radps > 0.05
    assert h.intent_velocity().forward_mps == 0.0  # yaw_only never translates
    h.bus.publish(TARGET_TOPIC, _target(80))
    assert h.intent_velocity().yaw_rate_radps < -0.05
    status = h.loop.status()
    assert status.active and not status.held and status.error_x is not None and status.error_x < 0


def test_lost_target_holds_with_a_reason() -> None:
    h = Harness()
    h.loop.enable()
    h.bus.publish(TARGET_TOPIC, _target(560))
    h.bus.publish(TARGET_TOPIC, _target(0, TrackState.LOST))
    v = h.intent_velocity()
    assert (v.forward_mps, v.right_mps, v.down_mps, v.yaw_rate_radps) == (0, 0, 0, 0)
    status = h.loop.status()
    assert status.held and any("lost" in r.lower() for r in status.reasons)


def test_link_loss_and_abort_hold() -> None:
    h = Harness()
    h.loop.enable()
    assert h.state is not None
    h.state = evolve(h.state, link=LinkStatus(state=LinkState.LOST))
    h.bus.publish(TARGET_TOPIC, _target(560))
    assert h.loop.status().held and h.intent_velocity().yaw_rate_radps == 0
    h.state = _state()
    h.loop.abort("test abort")
    assert not h.loop.active and h.loop.gate.aborted
    h.bus.publish(TARGET_TOPIC, _target(560))
    assert h.intent_velocity().yaw_rate_radps == 0, "an aborted loop must not command motion"


def test_profile_switch_changes_behaviour() -> None:
    h = Harness()
    h.loop.set_profile("chase")
    h.loop.enable()
    h.bus.publish(TARGET_TOPIC, _target(320, size=20))  # centred but small: chase flies forward
    assert h.intent_velocity().forward_mps > 0.1


def test_an_abort_during_an_update_is_not_overwritten_by_it() -> None:
    """ABORT while the tracker thread is mid-update: the follower ends inactive, no late setpoint."""
    import threading

    h = Harness()
    entered, release = threading.Event(), threading.Event()
    state = _state()

    def slow_state() -> VehicleState:
        entered.set()
        release.wait(5)
        return state

    h.loop._vehicle_state = slow_state  # the update blocks after its active check
    h.loop.enable()
    worker = threading.Thread(target=h.bus.publish, args=(TARGET_TOPIC, _target(560)))
    worker.start()
    assert entered.wait(5)
    h.loop.abort("operator abort")
    release.set()
    worker.join(5)
    assert not h.loop.status().active, "the HUD would show FOLLOWING after ABORT"
    assert h.commander._intent is None, "a setpoint computed before the abort reached the commander"
    assert not h.statuses[-1].active  # type: ignore[attr-defined]
