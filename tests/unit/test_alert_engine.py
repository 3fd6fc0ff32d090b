"""Alert lifecycle: raised once, shown until acknowledged and cleared, logged; events on the real bus."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from gcs.core.alerts import ALERT_TOPIC, ALERTS_TOPIC, AlertEvent, AlertKind, AlertLevel, Finding
from gcs.core.alerts.engine import AlertEngine
from gcs.core.bus import MessageBus

LOW = (AlertKind.BATTERY_LOW, 1)
GPS = (AlertKind.GPS_LOST, 1)
LOW_FINDING = Finding(AlertLevel.WARNING, "Battery low: 29% (at or below 30%)")
GPS_FINDING = Finding(AlertLevel.CRITICAL, "GPS fix lost")


class Recorder:
    """What a face hears on the bus, and what the session log was told."""

    def __init__(self, bus: MessageBus) -> None:
        self.events: list[AlertEvent] = []
        self.lists: list[tuple[Any, ...]] = []
        self.notes: list[AlertEvent] = []
        bus.subscribe(ALERT_TOPIC, lambda _t, e: self.events.append(e))
        bus.subscribe(ALERTS_TOPIC, lambda _t, v: self.lists.append(v))

    def actions(self) -> list[tuple[str, str]]:
        return [(e.action.value, e.alert.kind.value) for e in self.events]


@pytest.fixture
def setup() -> tuple[AlertEngine, Recorder]:
    bus = MessageBus()
    heard = Recorder(bus)
    clock = iter(float(t) for t in range(1000, 2000))
    engine = AlertEngine(bus, note=heard.notes.append, clock=lambda: next(clock))
    return engine, heard


def test_a_condition_that_stays_true_is_published_once(setup: tuple[AlertEngine, Recorder]) -> None:
    engine, heard = setup
    for _ in range(5):
        engine.apply({LOW: LOW_FINDING})
    assert heard.actions() == [("raised", "battery_low")]
    (alert,) = engine.alerts()
    assert (alert.active, alert.acknowledged, alert.level, alert.system_id) == (True, False, AlertLevel.WARNING, 1)
    assert alert.message == LOW_FINDING.message and alert.since == 1000.0
    assert len(heard.notes) == 1 and heard.lists[-1] == (alert,)


def test_acknowledged_while_true_stays_shown_until_it_clears(setup: tuple[AlertEngine, Recorder]) -> None:
    engine, heard = setup
    engine.apply({LOW: LOW_FINDING})
    (alert,) = engine.acknowledge(engine.alerts()[0].id, by="pilot")
    assert alert.acknowledged and alert.active
    assert [(a.acknowledged, a.active) for a in engine.alerts()] == [(True, True)]
    engine.apply({LOW: LOW_FINDING})  # still true: nothing new
    engine.apply({})
    assert engine.alerts() == []
    assert heard.actions() == [("raised", "battery_low"), ("acknowledged", "battery_low"), ("cleared", "battery_low")]
    assert heard.events[1].by == "pilot" and heard.lists[-1] == ()


def test_cleared_but_unacknowledged_stays_until_acknowledged(setup: tuple[AlertEngine, Recorder]) -> None:
    engine, heard = setup
    engine.apply({GPS: GPS_FINDING})
    engine.apply({})
    (shown,) = engine.alerts()
    assert not shown.active and not shown.acknowledged and shown.cleared_s is not None
    engine.acknowledge(shown.id)
    assert engine.alerts() == []
    engine.apply({GPS: GPS_FINDING})  # a new episode: a new record
    (again,) = engine.alerts()
    assert again.id != shown.id and again.count == 1
    assert heard.actions() == [("raised", "gps_lost"), ("cleared", "gps_lost"), ("acknowledged", "gps_lost"),
                               ("raised", "gps_lost")]


def test_starting_again_before_acknowledgement_reuses_the_record(setup: tuple[AlertEngine, Recorder]) -> None:
    engine, _ = setup
    engine.apply({GPS: GPS_FINDING})
    first = engine.alerts()[0]
    engine.apply({})
    engine.apply({GPS: GPS_FINDING})
    (again,) = engine.alerts()
    assert (again.id, again.count, again.active, again.cleared_s) == (first.id, 2, True, None)


def test_ack_all_and_unknown_ids(setup: tuple[AlertEngine, Recorder]) -> None:
    engine, heard = setup
    engine.apply({LOW: LOW_FINDING, GPS: GPS_FINDING})
    assert [a.kind for a in engine.alerts()] == [AlertKind.GPS_LOST, AlertKind.BATTERY_LOW]  # loudest first
    assert len(engine.acknowledge()) == 2
    assert engine.acknowledge() == []  # nothing left unacknowledged: no event
    with pytest.raises(KeyError):
        engine.acknowledge(999)
    assert [a for a, _ in heard.actions()].count("acknowledged") == 2


def test_alerts_of_other_vehicles_are_kept_apart(setup: tuple[AlertEngine, Recorder]) -> None:
    engine, _ = setup
    engine.apply({LOW: LOW_FINDING, (AlertKind.BATTERY_LOW, 2): LOW_FINDING})
    engine.apply({(AlertKind.BATTERY_LOW, 2): LOW_FINDING})
    assert {(a.system_id, a.active) for a in engine.alerts()} == {(1, False), (2, True)}


def test_every_transition_is_logged(setup: tuple[AlertEngine, Recorder], caplog: pytest.LogCaptureFixture) -> None:
    engine, _ = setup
    with caplog.at_level(logging.INFO, logger="gcs.core.alerts.engine"):
        engine.apply({GPS: GPS_FINDING})
        engine.acknowledge(None, by="api:operator")
        engine.apply({})
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert "gps_lost (vehicle 1) raised: GPS fix lost" in lines[0] and caplog.records[0].levelno == logging.ERROR
    assert "acknowledged by api:operator" in lines[1] and "cleared" in lines[2]
