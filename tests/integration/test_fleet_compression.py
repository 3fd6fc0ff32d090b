"""Predictive compression on the fleet link (fleet.mqtt_compression) through a real Mosquitto.

A GCS flies its simulator with compression on; a relay rebuilds the vehicle from the compact frames
and the few full states; statistics per vehicle show in ``compression_stats()``, ``/status`` and
the telemetry WebSocket's ``compression_stats`` message, on the GCS and, relayed, on the relay.
"""

from __future__ import annotations

import json

import httpx
from websockets.sync.client import connect

from gcs.core.tokens import Role
from tests.conftest import wait_until
from tests.integration.fleet_support import FLEET_MARKS, FleetRig, broker_fixture, fleet_fixture  # noqa: F401
from tests.integration.mqtt_support import Watcher

pytestmark = FLEET_MARKS


def test_compressed_fleet_link_keeps_the_relay_in_step_and_reports_its_statistics(fleet: FleetRig) -> None:
    watcher = Watcher(fleet.broker.port)
    try:
        alpha = fleet.gcs("alpha", "px4", 4, fleet__mqtt_compression=True, fleet__mqtt_rate_hz=10.0)
        relay, relay_server = fleet.relay()
        api = fleet.api(alpha)
        viewer = fleet.token(Role.VIEWER)

        wait_until(lambda: 4 in relay.vehicle_ids(), 15, "the relay sees the vehicle")
        wait_until(lambda: alpha.vehicle_state().gps.has_fix, 10, "GPS fix")
        assert alpha.arm().success and alpha.takeoff(10.0).success
        wait_until(lambda: alpha.vehicle_state().global_position.alt_rel_m > 8, 40, "climbed")
        wait_until(lambda: abs(relay.vehicle_state(4).global_position.alt_rel_m
                               - alpha.vehicle_state().global_position.alt_rel_m) < 1.0, 10,
                   "the relay's rebuilt altitude following the vehicle's")  # fmt: skip
        assert relay.vehicle_state(4).mode == alpha.vehicle_state().mode  # full states on a change

        stats = alpha.compression_stats()
        assert stats is not None and set(stats) == {"4"}
        s = stats["4"]
        assert s["readings"] > 20 and s["skipped"] > 0 and s["transmitted"] + s["skipped"] == s["fields_total"]
        assert 0 < s["ratio"] < 1 and s["max_error"]["alt_rel_m"] <= 0.1 + 1e-9
        assert watcher.count.get("kestrel/alpha/vehicle/4/compact", 0) > watcher.count.get(
            "kestrel/alpha/vehicle/4/state", 0)  # fewer full states than frames
        compact = relay.fleet_relay.status()["compact"]["alpha/4"]
        assert compact["frames"] > 10

        status = httpx.get(f"{api.url}/status", headers={"Authorization": f"Bearer {viewer}"}).json()
        assert status["fleet"]["compression"]["4"]["readings"] > 0
        with connect(f"{api.url.replace('http', 'ws', 1)}/ws/telemetry?token={viewer}") as ws:
            for _ in range(500):
                message = json.loads(ws.recv(timeout=10))
                if message["type"] == "compression_stats":
                    break
            else:
                raise AssertionError("no compression_stats message")
        assert message["data"]["vehicles"]["4"]["ratio"] < 1

        # a relay's viewers see the sender's figures too (only the sender knows them)
        wait_until(lambda: "4" in relay.fleet_relay.sender_stats, 5, "the statistics relayed")
        relayed = httpx.get(f"{relay_server.url}/status", headers={"Authorization": f"Bearer {viewer}"}).json()
        assert 0 < relayed["fleet"]["compression"]["4"]["ratio"] < 1
        with connect(f"{relay_server.url.replace('http', 'ws', 1)}/ws/telemetry?token={viewer}") as ws:
            for _ in range(500):
                message = json.loads(ws.recv(timeout=10))
                if message["type"] == "compression_stats":
                    break
            else:
                raise AssertionError("no compression_stats message from the relay")
        assert message["data"]["vehicles"]["4"]["readings"] > 0
    finally:
        watcher.close()
