"""The rule book of action availability: what a pilot may do now and the words that say why not."""

from __future__ import annotations

import pytest

from gcs.core.availability import (
    ACTIONS,
    ALREADY_STREAMING,
    LINK_LOST,
    NO_VEHICLE,
    NO_VIDEO,
    Situation,
    decide,
    in_flight,
)
from gcs.core.models import (
    EKF_ATTITUDE,
    EKF_VELOCITY_HORIZ,
    Battery,
    GlobalPosition,
    Gps,
    Health,
    LinkState,
    LinkStatus,
    VehicleState,
    evolve,
)
from gcs.core.tracking.types import TrackState

GROUND = VehicleState(1, armed=False, landed_state="ON_GROUND", gps=Gps(fix_type=3, satellites=12),
                      battery=Battery(16.0, 1.0, 80.0), link=LinkStatus(state=LinkState.OK))
FLYING = evolve(GROUND, armed=True, landed_state="IN_AIR", global_position=GlobalPosition(alt_rel_m=20.0))
LOCKED = Situation(FLYING, target=TrackState.LOCKED, video=None, battery="ok")


def reasons(s: Situation) -> dict[str, str | None]:
    return dict(decide(s).reasons)


def test_every_action_is_answered_and_abort_always_is_available() -> None:
    for s in (Situation(None), Situation(GROUND, read_only=True), LOCKED,
              Situation(evolve(FLYING, link=LinkStatus(state=LinkState.LOST)))):
        answer = reasons(s)
        assert set(answer) == set(ACTIONS)
        assert answer["abort"] is None


def test_no_vehicle_replay_and_link_lost_refuse_every_command() -> None:
    assert reasons(Situation(None))["arm"] == NO_VEHICLE
    replay = reasons(Situation(FLYING, read_only=True, target=TrackState.LOCKED, video=None))
    assert replay["follow_start"] is not None and "read-only replay" in replay["follow_start"]
    assert "replayed log" in str(replay["land"])
    silent = evolve(FLYING, link=LinkStatus(state=LinkState.LOST))
    lost = reasons(Situation(silent, target=TrackState.LOCKED, video=None))
    assert lost["follow_start"] == LINK_LOST and lost["hold"] == LINK_LOST


def test_on_the_ground_disarmed() -> None:
    answer = reasons(Situation(GROUND, video=None, target=TrackState.IDLE))
    assert answer["arm"] is None
    assert answer["takeoff"] == "not armed (arm first)"
    for name in ("disarm", "land", "rtl", "hold", "offboard_start"):
        assert answer[name] is not None and "not armed" in answer[name], name
    assert answer["follow_start"] == "not armed (arm and take off first)"
    assert answer["offboard_stop"] == "setpoints are not streaming"
    assert answer["follow_stop"] == "not following"
    assert answer["track_start"] is None and answer["track_stop"] == "nothing is being tracked"


def test_armed_on_the_ground_can_take_off_but_not_follow() -> None:
    armed = evolve(GROUND, armed=True)
    answer = reasons(Situation(armed, target=TrackState.LOCKED, video=None, battery="ok"))
    assert answer["arm"] == "already armed" and answer["takeoff"] is None and answer["disarm"] is None
    assert answer["follow_start"] == "not flying (take off first)"
    assert reasons(LOCKED)["takeoff"] == "already flying"


def test_follow_start_needs_a_locked_target() -> None:
    assert reasons(LOCKED)["follow_start"] is None
    idle = reasons(Situation(FLYING, target=TrackState.IDLE, video=None))["follow_start"]
    assert idle is not None and idle.startswith("nothing tracked")
    searching = reasons(Situation(FLYING, target=TrackState.SEARCHING, video=None))["follow_start"]
    assert searching == "no lock: the target is SEARCHING (must be LOCKED)"
    lost = reasons(Situation(FLYING, target=TrackState.LOST, video=None))["follow_start"]
    assert lost is not None and "LOST" in lost and "must be LOCKED" in lost
    assert reasons(Situation(FLYING))["follow_start"] == NO_VIDEO  # no video: no tracker at all


def test_follow_and_offboard_need_gps_an_estimate_and_a_battery() -> None:
    no_fix = Situation(evolve(FLYING, gps=Gps(fix_type=1)), target=TrackState.LOCKED, video=None)
    assert reasons(no_fix)["follow_start"] == "no GPS fix (3D fix needed, the vehicle reports NO_FIX)"
    assert reasons(no_fix)["offboard_start"] == reasons(no_fix)["follow_start"]
    bad_ekf = Situation(evolve(FLYING, health=Health(ekf_flags=EKF_ATTITUDE | EKF_VELOCITY_HORIZ)),
                        target=TrackState.LOCKED, video=None)
    assert str(reasons(bad_ekf)["follow_start"]).startswith("position estimate bad")
    critical = Situation(evolve(FLYING, battery=Battery(14.0, 1.0, 12.0)), target=TrackState.LOCKED, video=None,
                         battery="critical", critical_percent=15.0)
    why = reasons(critical)["follow_start"]
    assert why == "battery critical (12%, at or below 15%): land or return"
    assert reasons(critical)["takeoff"] == "already flying"
    on_ground = Situation(evolve(GROUND, armed=True), battery="critical", critical_percent=15.0)
    assert str(reasons(on_ground)["takeoff"]).startswith("battery critical")
    assert reasons(Situation(FLYING, battery="low", target=TrackState.LOCKED, video=None))["follow_start"] is None


def test_following_and_streaming() -> None:
    following = reasons(Situation(FLYING, following=True, engaged=True, target=TrackState.LOCKED, video=None))
    assert following["follow_start"] == "already following"
    assert following["follow_stop"] is None and following["offboard_stop"] is None
    assert following["offboard_start"] == ALREADY_STREAMING
    # the follower can be switched off even when the link is gone
    gone = Situation(evolve(FLYING, link=LinkStatus(state=LinkState.LOST)), following=True)
    assert reasons(gone)["follow_stop"] is None


@pytest.mark.parametrize(("state", "flying"), [
    (GROUND, False), (FLYING, True), (evolve(GROUND, landed_state="TAKEOFF"), True),
    (evolve(GROUND, landed_state="UNDEFINED", global_position=GlobalPosition(alt_rel_m=5.0)), True),
])
def test_confirmations(state: VehicleState, flying: bool) -> None:
    assert in_flight(state) is flying
    confirm = decide(Situation(state)).confirm
    assert {"arm", "takeoff", "follow_start"} <= confirm
    assert ("disarm" in confirm) is flying  # disarm asks only in flight
    assert "abort" not in confirm and "hold" not in confirm


def test_plain_form_for_the_api() -> None:
    plain = decide(LOCKED).plain()
    assert plain["vehicle"] == 1 and plain["hold_s"] == 1.0 and plain["repeat_s"] == 2.0
    assert plain["actions"]["follow_start"] is None and "disarm" in plain["confirm"]
