"""Fleet telemetry through a real Mosquitto broker started by the test on a free loopback port.

Two GcsServices, each flying its own built-in simulator, publish as two GCS ids; a paho client
subscribes like a fleet dashboard would. The broker is killed and restarted mid-flight; a whole
program killed with SIGKILL is marked offline by its last will.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gcs.core.models import LinkState
from tests.conftest import ROOT, wait_until
from tests.integration.fleet_support import FLEET_MARKS, broker_fixture, fleet_service_fixture  # noqa: F401
from tests.integration.mqtt_support import Broker, Watcher

pytestmark = FLEET_MARKS


def test_two_gcs_publish_their_vehicles_and_survive_a_broker_restart(
    broker: Broker, fleet_service: Callable[..., Any]
) -> None:
    alpha = fleet_service("alpha", "px4", fleet__mqtt_rate_hz=5.0)
    # alpha publishes protobuf (the default), bravo JSON
    bravo = fleet_service("bravo", "ardupilot", fleet__mqtt_rate_hz=5.0, fleet__mqtt_payload="json")
    lost: list[Any] = []
    for service in (alpha, bravo):
        service.fleet.add_link_listener(
            lambda sid, state, why: lost.append((sid, why)) if state is LinkState.LOST else None
        )
    watcher = Watcher(broker.port)
    try:
        wait_until(lambda: watcher.text("kestrel/alpha/status") == "online"
                   and watcher.text("kestrel/bravo/status") == "online", 10, "both GCS online")  # fmt: skip
        alpha_id, bravo_id = alpha.active_vehicle_id, bravo.active_vehicle_id
        wait_until(lambda: watcher.state("alpha", alpha_id) and watcher.state("bravo", bravo_id), 10, "both states")
        wait_until(lambda: alpha.vehicle_state().gps.has_fix, 10, "GPS fix")
        assert alpha.arm().success and alpha.takeoff(10.0).success
        wait_until(lambda: (watcher.state("alpha", alpha_id) or {}).get("global_position", {}).get("alt_rel_m", 0) > 5,
                   20, "the climb seen through the broker")  # fmt: skip
        assert watcher.state("bravo", bravo_id)["autopilot"] == "ardupilot"

        # a late subscriber gets the retained last state at once
        late = Watcher(broker.port)
        wait_until(lambda: late.state("alpha", alpha_id) is not None, 3, "retained state for a late subscriber")
        late.close()

        broker.kill()
        before = alpha.fleet_publisher.status()["published"]
        wait_until(lambda: not alpha.fleet_publisher.connected and not bravo.fleet_publisher.connected, 15,
                   "both publishers notice the broker is gone")  # fmt: skip
        time.sleep(2.0)
        assert alpha.vehicle_state().global_position.alt_rel_m > 5  # still flying, the link untouched
        broker.start()
        watcher.close()
        watcher = Watcher(broker.port)
        wait_until(lambda: alpha.fleet_publisher.connected and bravo.fleet_publisher.connected, 20,
                   "both publishers reconnect by themselves")  # fmt: skip
        wait_until(lambda: watcher.state("alpha", alpha_id) and watcher.state("bravo", bravo_id), 10,
                   "states flow again after the restart")  # fmt: skip
        assert watcher.text("kestrel/alpha/status") == "online"
        assert not lost, f"a vehicle link was declared lost: {lost}"
        wait_until(lambda: alpha.fleet_publisher.status()["published"] > before + 10, 5, "publishing resumed")
    finally:
        watcher.close()


def test_a_killed_gcs_is_marked_offline_by_its_last_will(broker: Broker, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"fleet:\n  mqtt_url: {broker.url}\n  gcs_id: charlie\n")
    env = {"KESTREL_CONFIG_DIR": str(tmp_path / "cfg"), "KESTREL_DATA_DIR": str(tmp_path / "data"),
           "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path),
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    watcher = Watcher(broker.port)
    proc = subprocess.Popen([sys.executable, "-m", "gcs", "--demo", "--headless", "--no-api", "--no-video",
                             "--config", str(config)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until(lambda: watcher.text("kestrel/charlie/status") == "online", 60, "the program online")
        wait_until(lambda: watcher.state("charlie", 1) is not None, 10, "its vehicle published")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        wait_until(lambda: watcher.text("kestrel/charlie/status") == "offline", 30,
                   "the broker publishes the last will (keepalive 10 s x 1.5)")  # fmt: skip
    finally:
        if proc.poll() is None:
            proc.kill()
        watcher.close()
