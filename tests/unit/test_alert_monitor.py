"""The monitor's judgement tick by tick: hysteresis, GPS lost only after a fix, link, target,
geofence, and a critical battery answered once while the vehicle is driven."""

from __future__ import annotations

from dataclasses import dataclass, field

from gcs.core.alerts import ALERT_TOPIC, AlertKind, AlertLevel
from gcs.core.alerts.conditions import AlertLimits
from gcs.core.alerts.engine import AlertEngine
from gcs.core.alerts.monitor import AlertMonitor
from gcs.core.bus import MessageBus
from gcs.core.config import SafetyConfig
from gcs.core.models import (
    Battery,
    GlobalPosition,
    Gps,
    Health,
    HomePosition,
    LinkState,
    LinkStatus,
    VehicleState,
    evolve,
)
from gcs.core.tracking.types import TrackState

FLYING = VehicleState(
    system_id=1,
    armed=True,
    landed_state="IN_AIR",
    battery=Battery(15.8, 12.0, 80.0),
    gps=Gps(3, 12, 0.8),
    global_position=GlobalPosition(47.0, 8.0, 500.0, 20.0),
    home=HomePosition(47.0, 8.0, 480.0),
    link=LinkStatus(LinkState.OK, 50.0, 2000.0, 0.0, 0, 0, 0, 0.3),
)


@dataclass
class World:
    """What the monitor reads, set by each test step; ``criticals`` what it asked the service to do."""

    states: list[VehicleState] = field(default_factory=lambda: [FLYING])
    driven: int | None = None
    following: bool = False
    target: TrackState | None = None
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    now: float = 100.0
    criticals: list[tuple[int, str]] = field(default_factory=list)
    bus: MessageBus = field(default_factory=MessageBus)

    def monitor(self) -> AlertMonitor:
        return AlertMonitor(
            AlertEngine(self.bus),
            vehicles=lambda: self.states,
            driven=lambda: self.driven,
            following=lambda: self.following,
            target=lambda: self.target,
            limits=lambda: AlertLimits(self.safety, 3.0),
            on_critical=lambda sid, msg: self.criticals.append((sid, msg)),
            clock=lambda: self.now,
        )

    def step(self, monitor: AlertMonitor, dt: float = 0.1, **changes: object) -> set[AlertKind]:
        if changes:
            self.states = [evolve(self.states[0], **changes)]
        self.now += dt
        monitor.tick()
        return {a.kind for a in monitor.engine.alerts() if a.active}


def battery(pct: float) -> Battery:
    return Battery(15.0, 20.0, pct)


def test_battery_near_a_threshold_does_not_flap() -> None:
    world = World()
    monitor = world.monitor()
    heard: list[str] = []
    world.bus.subscribe(ALERT_TOPIC, lambda _t, e: heard.append(e.action.value))
    assert AlertKind.BATTERY_LOW not in world.step(monitor, battery=battery(30.1))
    for pct in (29.9, 30.1, 29.9, 30.5, 31.9, 30.2):
        assert AlertKind.BATTERY_LOW in world.step(monitor, battery=battery(pct))
    assert heard == ["raised"]
    assert AlertKind.BATTERY_LOW not in world.step(monitor, battery=battery(32.1))  # 2 points above: clears
    assert heard == ["raised", "cleared"]
    (shown,) = monitor.engine.alerts()
    assert shown.count == 1 and not shown.active  # raised once in all that, waiting for its ack


def test_critical_battery_is_answered_once_while_driven() -> None:
    world = World(driven=1, following=True, target=TrackState.LOCKED)
    monitor = world.monitor()
    world.step(monitor, battery=battery(16.0))
    for pct in (15.0, 14.9, 14.5, 14.0, 13.0):
        active = world.step(monitor, battery=battery(pct))
    assert {AlertKind.BATTERY_CRITICAL, AlertKind.BATTERY_LOW} <= active
    assert len(world.criticals) == 1
    sid, message = world.criticals[0]
    assert sid == 1 and "15%" in message and "returns to launch" in message
    critical = next(a for a in monitor.engine.alerts() if a.kind is AlertKind.BATTERY_CRITICAL)
    assert critical.level is AlertLevel.CRITICAL


def test_critical_battery_not_driven_only_alerts() -> None:
    world = World()
    monitor = world.monitor()
    assert AlertKind.BATTERY_CRITICAL in world.step(monitor, battery=battery(10.0))
    world.driven = 1  # a stream started later (the core refuses following while critical) is answered
    world.step(monitor)
    world.step(monitor)
    assert [sid for sid, _ in world.criticals] == [1]


def test_gps_lost_only_after_a_fix() -> None:
    world = World(states=[evolve(FLYING, gps=Gps(1, 3, None))])
    monitor = world.monitor()
    assert AlertKind.GPS_LOST not in world.step(monitor)  # never had one: the pre-arm checks say so
    world.step(monitor, gps=Gps(3, 10, 0.9))
    active = world.step(monitor, gps=Gps(1, 4, None))
    assert AlertKind.GPS_LOST in active
    (alert,) = [a for a in monitor.engine.alerts() if a.kind is AlertKind.GPS_LOST]
    assert alert.level is AlertLevel.CRITICAL and "NO_FIX" in alert.message
    assert AlertKind.GPS_LOST not in world.step(monitor, gps=Gps(3, 9, 1.0))


def test_bad_estimate_after_a_good_one() -> None:
    good, bad = Health(ekf_flags=1 | 2 | 8 | 16), Health(ekf_flags=1 | 2)
    world = World(states=[evolve(FLYING, armed=False, health=bad)])
    monitor = world.monitor()
    assert AlertKind.EKF_BAD not in world.step(monitor)  # on the ground, still converging
    world.step(monitor, health=good)
    assert AlertKind.EKF_BAD in world.step(monitor, health=bad)


def test_link_degraded_by_recent_loss_and_lost() -> None:
    world = World()
    monitor = world.monitor()
    received = lost = 0
    for _ in range(60):  # 6 s at 50 msg/s with a fifth of them lost
        received += 4
        lost += 1
        active = world.step(monitor, link=LinkStatus(LinkState.OK, 40.0, 0.0, 0.0, received, lost, 0, 0.2))
    assert AlertKind.LINK_DEGRADED in active
    for _ in range(60):  # clean again: the loss of the last 5 s falls below 5 %
        received += 5
        active = world.step(monitor, link=LinkStatus(LinkState.OK, 50.0, 0.0, 0.0, received, lost, 0, 0.2))
    assert AlertKind.LINK_DEGRADED not in active
    active = world.step(monitor, link=LinkStatus(LinkState.LOST, 0.0, 0.0, 0.0, received, lost, 0, 3.4))
    assert active == {AlertKind.LINK_LOST}
    (lost_alert,) = [a for a in monitor.engine.alerts() if a.kind is AlertKind.LINK_LOST]
    assert "3.4 s" in lost_alert.message


def test_target_lost_while_following_after_the_timeout() -> None:
    world = World(driven=1, following=True, target=TrackState.LOCKED)
    monitor = world.monitor()
    world.step(monitor)
    world.target = TrackState.SEARCHING
    assert AlertKind.TARGET_LOST_WHILE_FOLLOWING not in world.step(monitor)  # first seen unlocked here
    assert AlertKind.TARGET_LOST_WHILE_FOLLOWING not in world.step(monitor, dt=0.5)
    assert AlertKind.TARGET_LOST_WHILE_FOLLOWING not in world.step(monitor, dt=0.4)
    assert AlertKind.TARGET_LOST_WHILE_FOLLOWING in world.step(monitor, dt=0.2)
    world.target = TrackState.LOCKED
    assert AlertKind.TARGET_LOST_WHILE_FOLLOWING not in world.step(monitor)
    world.following, world.target = False, TrackState.LOST  # not following: a lost target is no alert
    assert AlertKind.TARGET_LOST_WHILE_FOLLOWING not in world.step(monitor, dt=2.0)


def north_of_home(metres: float) -> GlobalPosition:
    return GlobalPosition(47.0 + metres / 111_195.0, 8.0, 500.0, 20.0)


def test_geofence_near_with_hysteresis_and_breach() -> None:
    world = World(safety=SafetyConfig(geofence_radius_m=100, geofence_margin_m=10))
    monitor = world.monitor()
    assert AlertKind.GEOFENCE_NEAR not in world.step(monitor, global_position=north_of_home(85))
    assert AlertKind.GEOFENCE_NEAR in world.step(monitor, global_position=north_of_home(91))
    assert AlertKind.GEOFENCE_NEAR in world.step(monitor, global_position=north_of_home(89))  # within 2 m
    assert AlertKind.GEOFENCE_NEAR not in world.step(monitor, global_position=north_of_home(87))
    active = world.step(monitor, global_position=north_of_home(105))
    assert {AlertKind.GEOFENCE_NEAR, AlertKind.GEOFENCE_BREACH} <= active
    active = world.step(monitor, global_position=north_of_home(50), health=Health(fence_breached=True,
                                                                                   fence_breach_type=3))
    assert active == {AlertKind.GEOFENCE_BREACH}
    breach = next(a for a in monitor.engine.alerts() if a.kind is AlertKind.GEOFENCE_BREACH)
    assert breach.level is AlertLevel.CRITICAL


def test_ceiling_near_without_a_radius() -> None:
    world = World(safety=SafetyConfig(max_altitude_m=60, geofence_margin_m=10))
    monitor = world.monitor()
    assert AlertKind.GEOFENCE_NEAR in world.step(monitor, global_position=GlobalPosition(47.0, 8.0, 535.0, 52.0))


def test_a_vehicle_that_is_gone_has_its_alerts_cleared() -> None:
    world = World()
    monitor = world.monitor()
    world.step(monitor, battery=battery(5.0))
    world.states = []
    assert world.step(monitor) == set()
    assert all(not a.active for a in monitor.engine.alerts())
