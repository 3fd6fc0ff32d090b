"""Two GCS publishing their own simulators through a real Mosquitto, and a relay that sees them only
through the broker: what the map tests of fleet vehicles look at.

"alpha" (system id 1) stays on the ground at home; "bravo" (system id 2) takes off and flies 30 m
north, 20 m east, so the two are apart on the map. ``gone("bravo")`` closes that GCS: its vehicle
goes quiet on the broker and the relay's watchdog calls it lost after 3 s.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gcs.core.map.geo import local, offset
from tests.conftest import wait_until
from tests.integration.mqtt_support import Broker, fleet_gcs

AWAY_NE = (30.0, 20.0)


@dataclass
class RelayedFleet:
    broker: Broker
    gcs: dict[str, Any]
    relay: Any
    folder: Path
    closed: set[str] = field(default_factory=set)

    def gone(self, name: str) -> None:
        self.gcs[name].close()
        self.closed.add(name)


def _fly_away(service: Any) -> None:
    wait_until(lambda: service.vehicle_state().gps.has_fix and service.vehicle_state().home is not None, 20, "a fix")
    home = service.vehicle_state().home
    service.arm()
    service.takeoff(10.0)
    wait_until(lambda: service.vehicle_state().global_position.alt_rel_m > 9.0, 30, "bravo at 10 m")
    goal = offset(home.lat_deg, home.lon_deg, *AWAY_NE)
    service.goto(goal.lat_deg, goal.lon_deg)

    def there() -> bool:
        gp = service.vehicle_state().global_position
        return math.hypot(*local(goal.lat_deg, goal.lon_deg, gp.lat_deg, gp.lon_deg)) < 2.0

    wait_until(there, 40, "bravo 30 m north, 20 m east of home")


@contextlib.contextmanager
def relayed_fleet(folder: Path) -> Iterator[RelayedFleet]:
    """Needs KESTREL_CONFIG_DIR/KESTREL_DATA_DIR pointed at a private place (tests.conftest's config_dir)."""
    from gcs.core.config import ConfigStore
    from gcs.core.service import GcsService

    folder.mkdir(parents=True, exist_ok=True)
    broker = Broker(folder)
    broker.start()
    made: dict[str, Any] = {}
    closed: set[str] = set()
    relay: Any = None
    try:
        for name, sysid in (("alpha", 1), ("bravo", 2)):
            made[name] = fleet_gcs(folder / name, broker.url, name, "px4", sysid, fleet__mqtt_rate_hz=5.0)
        (folder / "relay").mkdir()
        store = ConfigStore(folder / "relay" / "config.yaml")
        store.load()
        relay = GcsService(store)
        relay.start(video=False, relay=True)
        relay.start_relay(broker.url)
        wait_until(lambda: sorted(relay.vehicle_ids()) == [1, 2], 20, "the relay hearing both vehicles")
        relay.select_vehicle(1)
        _fly_away(made["bravo"])
        yield RelayedFleet(broker, made, relay, folder, closed)
    finally:
        if relay is not None:
            relay.close()
        for name, service in made.items():
            if name not in closed:
                service.close()
        broker.stop()
