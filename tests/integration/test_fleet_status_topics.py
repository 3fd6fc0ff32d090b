"""Tracker, follower, alerts and status texts on the fleet broker, read as a third-party client would.

A paho-mqtt subscriber (no Kestrel code on its side but the schema compiled from
resources/proto/kestrel.proto) watches a real Mosquitto while a GCS tracks and follows the virtual
camera's car: the tracker's lock, confidence and box and the follower's mode, error and velocity come
as TelemetryRecords; the car hidden, the loss shows as a tracker state event and a holding follower;
a STATUSTEXT and a low battery come on the vehicle's event topic, the alert list retained for a late
subscriber. A second GCS publishing JSON sends the same in the API's JSON, and a relay's viewers
get its status texts.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from websockets.sync.client import connect

from gcs.core.proto import kestrel_pb2 as pb
from gcs.core.tokens import Role
from gcs.core.tracking.types import TrackState
from tests.conftest import wait_until
from tests.integration.fleet_support import FLEET_MARKS, FleetRig, broker_fixture, fleet_fixture  # noqa: F401
from tests.integration.mqtt_support import Watcher
from tests.integration.test_alerts_sim import follow_the_car

pytestmark = FLEET_MARKS


def record(watcher: Watcher, topic: str) -> Any:
    payload = watcher.last.get(topic)
    if payload is None:
        return None
    message = pb.TelemetryRecord()
    message.ParseFromString(payload)
    return message


def events(watcher: Watcher, topic: str) -> list[dict[str, Any]]:
    return [json.loads(p) for p in watcher.payloads(topic)]


def said(watcher: Watcher, topic: str, text: str) -> bool:
    return any(e["topic"] == "vehicle.statustext" and e["data"]["text"] == text for e in events(watcher, topic))


def alert_raised(watcher: Watcher, topic: str, kind: str) -> bool:
    return any(e["topic"] == "alerts.event" and e["data"]["action"] == "raised" and e["data"]["alert"]["kind"] == kind
               for e in events(watcher, topic))  # fmt: skip


def relay_log(url: str, token: str) -> list[str]:
    """The status texts a viewer of ``url`` is sent: the stream's history on connect, as the dashboard reads it."""
    with connect(f"{url.replace('http', 'ws', 1)}/ws/telemetry?token={token}") as ws:
        for _ in range(50):
            message = json.loads(ws.recv(timeout=10))
            if message["type"] == "history":
                return [e["data"]["text"] for e in message["data"]["events"]
                        if e["type"] == "log" and e["data"].get("kind") == "statustext"]  # fmt: skip
    raise AssertionError("no history on connect")


def test_tracker_follower_alerts_and_status_texts_as_protobuf(fleet: FleetRig) -> None:
    alpha = fleet.gcs("alpha", "px4", 1, video__enabled=True, fleet__mqtt_rate_hz=5.0)
    watcher = Watcher(fleet.broker.port)
    base = "kestrel/alpha/vehicle/1"
    try:
        wait_until(lambda: watcher.text("kestrel/alpha/status") == "online", 10, "the GCS online")
        sim = follow_the_car(alpha)

        def locked_on_the_broker() -> bool:
            tracker = record(watcher, f"{base}/tracker")
            return tracker is not None and tracker.tracker.state == "locked"

        wait_until(locked_on_the_broker, 5, "the tracker's lock seen through the broker")
        tracker = record(watcher, f"{base}/tracker")
        assert tracker.source == "alpha" and tracker.time_s > 0 and tracker.tracker.active
        t = tracker.tracker
        assert t.tracker.lower() == "csrt" and 0 < t.confidence <= 1
        assert 0 <= t.x <= 1 and 0 <= t.y <= 1 and 0 < t.width <= 1 and 0 < t.height <= 1

        def following_on_the_broker() -> bool:
            follower = record(watcher, f"{base}/follower")
            return follower is not None and follower.follower.engaged and follower.follower.updates > 0

        wait_until(following_on_the_broker, 5, "the follower engaged, seen through the broker")
        f = record(watcher, f"{base}/follower").follower
        assert f.profile == alpha.follower_data().profile and f.frame in ("body", "ned")
        assert f.HasField("error_x") and -1 <= f.error_x <= 1 and f.HasField("size_frac")

        sim.say("Kestrel fleet: preflight note", severity=4)
        wait_until(lambda: said(watcher, f"{base}/event", "Kestrel fleet: preflight note"), 10, "the STATUSTEXT event")
        text = next(e for e in events(watcher, f"{base}/event") if e["topic"] == "vehicle.statustext"
                    and e["data"]["text"] == "Kestrel fleet: preflight note")  # fmt: skip
        assert text["data"]["severity"] == 4 and text["data"]["system_id"] == 1

        sim.set_battery_pct(25.0)  # low, not critical: an alert, no action
        wait_until(lambda: alert_raised(watcher, f"{base}/event", "battery_low"), 10, "battery_low as an event")
        wait_until(lambda: "battery_low" in (watcher.text("kestrel/alpha/alerts") or ""), 5, "the alert list")

        source = alpha.vision._require()[0].source
        source.camera.hide("car-1")  # type: ignore[attr-defined]
        wait_until(lambda: alpha.tracker_data().state is not TrackState.LOCKED, 5, "the tracker loses the car")
        wait_until(lambda: any(e["topic"] == "tracking.state" and e["data"]["state"] != "locked"
                               for e in events(watcher, f"{base}/event")), 5, "the loss as an event")  # fmt: skip
        wait_until(lambda: record(watcher, f"{base}/tracker").tracker.state in ("searching", "lost"), 5,
                   "the tracker's status no longer locked")  # fmt: skip
        wait_until(lambda: record(watcher, f"{base}/follower").follower.held, 5, "the follower holding")
        reason = record(watcher, f"{base}/follower").follower.reason.lower()
        assert "lost" in reason or "searching" in reason, reason

        late = Watcher(fleet.broker.port)
        try:
            wait_until(lambda: all(late.last.get(f"{base}/{kind}") for kind in ("tracker", "follower")), 3,
                       "retained tracker and follower status for a late subscriber")  # fmt: skip
            wait_until(lambda: "battery_low" in (late.text("kestrel/alpha/alerts") or ""), 3, "retained alerts")
        finally:
            late.close()
    finally:
        watcher.close()


def test_status_texts_alerts_and_follower_as_json(fleet: FleetRig) -> None:
    bravo = fleet.gcs("bravo", "ardupilot", 2, fleet__mqtt_payload="json", fleet__mqtt_rate_hz=5.0)
    relay, relay_server = fleet.relay()
    watcher = Watcher(fleet.broker.port)
    base = "kestrel/bravo/vehicle/2"
    try:
        wait_until(lambda: watcher.text("kestrel/bravo/status") == "online", 10, "the GCS online")
        wait_until(lambda: 2 in relay.vehicle_ids(), 15, "the relay sees the vehicle")
        sim = bravo.simulators[0]
        sim.say("EKF3 IMU0 is using GPS", severity=6)
        wait_until(lambda: said(watcher, f"{base}/event", "EKF3 IMU0 is using GPS"), 10, "the STATUSTEXT event")
        assert "EKF3 IMU0 is using GPS" in relay_log(relay_server.url, fleet.token(Role.VIEWER)), \
            "the STATUSTEXT in the relay's stream (its dashboard's message log)"
        sim.set_battery_pct(25.0)
        wait_until(lambda: alert_raised(watcher, f"{base}/event", "battery_low"), 10, "battery_low as an event")
        alert = next(e["data"]["alert"] for e in events(watcher, f"{base}/event") if e["topic"] == "alerts.event")
        assert alert["level"] == "warning" and alert["system_id"] == 2 and alert["active"]
        shown = json.loads(watcher.text("kestrel/bravo/alerts") or "{}")["alerts"]
        assert [a["kind"] for a in shown] == ["battery_low"]

        def relay_alerts() -> list[Any]:
            got = httpx.get(f"{relay_server.url}/api/alerts", headers=fleet.headers(Role.VIEWER), timeout=10)
            return [(a["kind"], a["system_id"]) for a in got.json()["alerts"]]

        wait_until(lambda: ("battery_low", 2) in relay_alerts(), 10, "the relay judging the relayed state too")

        bravo.switch_follower_profile("hold_distance")  # the follower says so, following or not
        wait_until(lambda: watcher.text(f"{base}/follower") is not None, 5, "the follower's status")
        follower = json.loads(watcher.text(f"{base}/follower") or "{}")
        assert follower["profile"] == "hold_distance" and follower["active"] is False
        assert follower["published_s"] > 0 and follower["reasons"] == ["profile hold_distance"]
    finally:
        watcher.close()
