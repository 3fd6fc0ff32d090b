"""Fleet telemetry through an MQTT broker: each GCS publishes its vehicles, anyone may subscribe.

MQTT is the convention for drone fleets (DJI Cloud API's per-device osd/state/events topics,
MAVProxy's mqtt module), and a real broker (Mosquitto, EMQX) does the fan-out, retention and
reconnects, so none of that is written here. The client is paho-mqtt (the Eclipse reference
client: its own network thread, automatic reconnect with back-off, last will).

Topics, under ``fleet.mqtt_prefix`` (default ``kestrel``) and this GCS's ``fleet.gcs_id``:

    <prefix>/<gcs>/status                   "online" / "offline" (retained; "offline" is the last
                                            will, so a GCS that dies is marked by the broker)
    <prefix>/<gcs>/vehicle/<sysid>/state    the VehicleState (protobuf TelemetryRecord, or JSON:
                                            ``fleet.mqtt_payload``, see ``payloads``), at
                                            ``fleet.mqtt_rate_hz`` (retained: a new subscriber sees
                                            the last state at once)
    <prefix>/<gcs>/vehicle/<sysid>/event    status texts, link changes, alerts and tracker state
                                            changes, as they happen (JSON; ``<gcs>/event`` when
                                            no vehicle is concerned)
    <prefix>/<gcs>/vehicle/<sysid>/tracker  tracker status, follower status of the active vehicle
    <prefix>/<gcs>/vehicle/<sysid>/follower (``fleet.mqtt_payload``; at most the state rate,
                                            retained; see ``status_topics``)
    <prefix>/<gcs>/alerts                   every alert shown now (JSON, retained)
    <prefix>/<gcs>/vehicle/<sysid>/compression  with ``fleet.mqtt_compression``: the link's
                                            statistics, once a second (JSON, retained)

The bus callbacks only keep the newest state per vehicle (they run on the link's reader thread
and must not wait); this publisher's own thread sends at the configured rate, and paho's thread
does the network. A broker that goes away costs nothing but the messages of that time: paho
reconnects by itself and the retained status and states are published again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from gcs.core.alerts.types import ALERT_TOPIC, ALERTS_TOPIC
from gcs.core.bus import MessageBus, Subscription, Topics
from gcs.core.config.schema import FleetConfig
from gcs.core.fleet.broker import make_client
from gcs.core.fleet.compact import CompactSender
from gcs.core.fleet.payloads import encode_state
from gcs.core.fleet.status_topics import alerts_payload, encode_follower, encode_tracker, event_of
from gcs.core.follow.loop import STATUS_TOPIC as FOLLOWER_TOPIC
from gcs.core.tracking.worker import STATE_TOPIC as TRACKER_STATE_TOPIC
from gcs.core.tracking.worker import TARGET_TOPIC as TRACKER_TOPIC

log = logging.getLogger(__name__)
COMPRESSION_TOPIC = "fleet.compression"  # bus: the compression statistics per vehicle, once a second


class FleetPublisher:
    """Publishes this GCS's vehicles to a broker; ``start()``, ``close()``; never blocks the bus."""

    def __init__(self, bus: MessageBus, cfg: FleetConfig, gcs_id: str) -> None:
        self.url = cfg.mqtt_url
        self.gcs_id = gcs_id
        self.base = f"{cfg.mqtt_prefix}/{gcs_id}"
        self.payload = cfg.mqtt_payload
        self._bus = bus
        self._period = 1.0 / cfg.mqtt_rate_hz
        self._latest: dict[int, Any] = {}
        self._vision: dict[str, Any] = {}  # "tracker"/"follower" -> newest status not yet published
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._subs: list[Subscription] = []
        self._thread: threading.Thread | None = None
        self._on_connected: list[Any] = []  # more subscribers of this client (commands)
        self.compact = CompactSender() if cfg.mqtt_compression else None
        self._stats_next = 0.0
        self.connected = False
        self.published = 0
        self.last_error: str | None = None
        client, self.address = make_client(cfg.mqtt_url, cfg, f"kestrel-{gcs_id}")
        client.will_set(f"{self.base}/status", "offline", qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self.client = client
        if self.compact is not None:
            client.message_callback_add(f"{self.base}/vehicle/+/keyframe", self._on_keyframe_request)
            self.on_connected(lambda c: c.subscribe(f"{self.base}/vehicle/+/keyframe", qos=0))

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background (a broker that is down now is retried, never waited for)."""
        self._subs = [
            self._bus.subscribe("vehicle.*.state", self._on_state),
            self._bus.subscribe(Topics.STATUSTEXT, self._on_event),
            self._bus.subscribe(Topics.LINK_STATE, self._on_event),
            self._bus.subscribe(ALERT_TOPIC, self._on_event),
            self._bus.subscribe(TRACKER_STATE_TOPIC, self._on_event),
            self._bus.subscribe(ALERTS_TOPIC, self._on_alerts),
            self._bus.subscribe(TRACKER_TOPIC, lambda _t, v: self._keep_vision("tracker", v)),
            self._bus.subscribe(FOLLOWER_TOPIC, lambda _t, v: self._keep_vision("follower", v)),
        ]
        self.client.connect_async(self.address.host, self.address.port, keepalive=10)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name="fleet-mqtt", daemon=True)
        self._thread.start()
        log.info("fleet: publishing to %s:%d as %s (%s)", self.address.host, self.address.port, self.base, self.payload)

    def close(self) -> None:
        for sub in self._subs:
            sub.cancel()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.connected:
            self.client.publish(f"{self.base}/status", "offline", qos=1, retain=True).wait_for_publish(2)
        self.client.disconnect()
        self.client.loop_stop()

    def status(self) -> dict[str, Any]:
        return {"broker": self.address.host, "port": self.address.port, "tls": self.address.tls,
                "topic": self.base, "payload": self.payload, "connected": self.connected,
                "published": self.published, "error": self.last_error}  # fmt: skip

    def on_connected(self, callback: Any) -> None:
        """``callback(client)`` on every (re)connection, on paho's thread: to subscribe again."""
        self._on_connected.append(callback)

    # ---- bus side (any thread; never waits) ---------------------------------------------------

    def _on_state(self, topic: str, state: Any) -> None:
        with self._lock:
            self._latest[int(state.system_id)] = state

    def _keep_vision(self, kind: str, value: Any) -> None:
        with self._lock:
            self._vision[kind] = value  # per frame: the publisher thread sends the newest at its rate

    def _on_event(self, topic: str, value: Any) -> None:
        if not self.connected:
            return
        sysid, payload = event_of(topic, value)
        if sysid is None and topic == TRACKER_STATE_TOPIC:
            sysid = self._bus.latest(Topics.ACTIVE_VEHICLE)
        target = f"{self.base}/vehicle/{sysid}/event" if sysid is not None else f"{self.base}/event"
        self.client.publish(target, payload, qos=0)  # queued for paho's thread: does not wait

    def _on_alerts(self, _topic: str, shown: Any) -> None:
        if self.connected:
            self.client.publish(f"{self.base}/alerts", alerts_payload(tuple(shown)), qos=1, retain=True)

    # ---- publisher thread ------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            if not self.connected:
                continue
            with self._lock:
                states = list(self._latest.items())
            now = time.time()
            for sysid, state in states:
                full = True
                if self.compact is not None:
                    frame, full = self.compact.encode(state, now)
                    self.client.publish(f"{self.base}/vehicle/{sysid}/compact", frame, qos=0)
                if full:
                    payload = encode_state(state, self.payload, source=self.gcs_id, published_s=now)
                    self.client.publish(f"{self.base}/vehicle/{sysid}/state", payload, qos=0, retain=True)
                self.published += 1
            self._publish_vision(now)
            if self.compact is not None and now >= self._stats_next:
                self._stats_next = now + 1.0
                stats = self.compact.stats()
                self._bus.publish(COMPRESSION_TOPIC, stats)
                for sysid_text, one in stats.items():  # for relays' viewers: only the sender knows them
                    self.client.publish(f"{self.base}/vehicle/{sysid_text}/compression",
                                        json.dumps(one, separators=(",", ":")), qos=0, retain=True)  # fmt: skip

    def _publish_vision(self, now: float) -> None:
        """The newest tracker and follower status, if new since the last period (retained)."""
        with self._lock:
            vision, self._vision = self._vision, {}
        if not vision:
            return
        sysid = self._bus.latest(Topics.ACTIVE_VEHICLE)
        base = f"{self.base}/vehicle/{sysid}" if sysid is not None else self.base
        if "tracker" in vision:
            payload = encode_tracker(vision["tracker"], self.payload, source=self.gcs_id, published_s=now)
            self.client.publish(f"{base}/tracker", payload, qos=0, retain=True)
        if "follower" in vision:
            payload = encode_follower(vision["follower"], self.payload, source=self.gcs_id, published_s=now)
            self.client.publish(f"{base}/follower", payload, qos=0, retain=True)

    def compression_stats(self) -> dict[str, Any] | None:
        """Per vehicle, when ``fleet.mqtt_compression`` is on: readings, transmitted, skipped, ratio, max error."""
        return self.compact.stats() if self.compact is not None else None

    def _on_keyframe_request(self, _client: Any, _userdata: Any, msg: Any) -> None:
        sysid = msg.topic.split("/")[-2]
        if self.compact is not None and sysid.isdigit():
            self.compact.request_keyframe(int(sysid))

    # ---- paho's thread -----------------------------------------------------------------------

    def _on_connect(self, client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            self.last_error = f"broker refused the connection: {reason}"
            log.warning("fleet: %s", self.last_error)
            return
        self.connected, self.last_error = True, None
        client.publish(f"{self.base}/status", "online", qos=1, retain=True)
        shown = self._bus.latest(ALERTS_TOPIC)
        if shown is not None:  # a restarted broker has lost the retained list
            client.publish(f"{self.base}/alerts", alerts_payload(tuple(shown)), qos=1, retain=True)
        with self._lock:
            for kind, topic in (("tracker", TRACKER_TOPIC), ("follower", FOLLOWER_TOPIC)):
                latest = self._bus.latest(topic)
                if latest is not None:
                    self._vision.setdefault(kind, latest)
        for callback in self._on_connected:
            callback(client)
        log.info("fleet: connected to %s:%d", self.address.host, self.address.port)

    def _on_disconnect(self, _client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        was = self.connected
        self.connected = False
        if was and not self._stop.is_set():
            self.last_error = f"broker connection lost: {reason}"
            log.warning("fleet: %s; reconnecting", self.last_error)
