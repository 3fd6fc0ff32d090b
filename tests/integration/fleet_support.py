"""The set-up every fleet test shares: a Mosquitto per test and a rig of GCS, relays and API servers on it.

Import the fixtures into a test module by their function names (``from tests.integration.fleet_support
import broker_fixture, fleet_fixture  # noqa: F401``; pytest knows them as ``broker``, ``fleet`` and
``fleet_service``) and mark it with ``FLEET_MARKS``. ``fleet`` gives each GCS its own settings folder and
the fleet one token secret; ``fleet_service`` is the root conftest's ``make_service`` (one config dir,
its own secret file) publishing to the broker. Everything the rig starts is closed at teardown, servers first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from embedded_api import ApiServer, create_app
from gcs.core.tokens import Role, TokenAuthority
from tests.conftest import wait_until
from tests.integration.mqtt_support import HAVE_MOSQUITTO, Broker, fleet_gcs, relay_api

FLEET_MARKS = [
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_MOSQUITTO, reason="Mosquitto is not installed (scripts/setup.sh installs it)"),
]
SECRET = "fleet-test-secret-" + "k" * 32  # one secret for the whole fleet, as a deployment sets KESTREL_API_SECRET


@pytest.fixture(name="broker")
def broker_fixture(tmp_path: Path) -> Iterator[Broker]:
    """A Mosquitto of this test's own on a free loopback port (tests may kill and start it again)."""
    b = Broker(tmp_path)
    b.start()
    yield b
    b.stop()


@pytest.fixture(name="fleet_service")
def fleet_service_fixture(broker: Broker, make_service: Callable[..., Any]) -> Callable[..., Any]:
    """Factory: ``make_service`` publishing to this test's broker as ``gcs_id``, on the broker already."""

    def factory(gcs_id: str, flavour: str | None = "px4", **settings: Any) -> Any:
        service = make_service(flavour, fleet__mqtt_url=broker.url, fleet__gcs_id=gcs_id, **settings)
        wait_until(lambda: service.fleet_publisher.connected, 10, f"GCS {gcs_id} on the broker")
        return service

    return factory


class FleetRig:
    """GCS (each with its own settings folder and simulator), relays and API servers on one broker."""

    def __init__(self, broker: Broker, folder: Path) -> None:
        self.broker = broker
        self.folder = folder
        self.tokens = TokenAuthority(SECRET)
        self._services: list[Any] = []
        self._servers: list[Any] = []

    def gcs(self, gcs_id: str, flavour: str | None = "px4", sysid: int | None = None, **settings: Any) -> Any:
        """A started GcsService publishing as ``gcs_id`` (settings as ``section__key=value``)."""
        service = fleet_gcs(self.folder / gcs_id, self.broker.url, gcs_id, flavour, sysid, **settings)
        self._services.append(service)
        return service

    def relay(self, name: str = "relay", *, commands: bool = False) -> tuple[Any, Any]:
        """(a relay as ``gcs relay`` starts it, the API server in front of it)."""
        service, server = relay_api(self.folder / name, self.broker.url, commands=commands)
        self._services.append(service)
        self._servers.append(server)
        return service, server

    def api(self, service: Any) -> Any:
        """A real API server on loopback for a GCS (the fleet's secret)."""
        server = ApiServer(create_app(service, TokenAuthority(SECRET)), host="127.0.0.1", port=0)
        server.start()
        self._servers.append(server)
        return server

    def token(self, role: Role, subject: str = "cli") -> str:
        return self.tokens.create(role, subject=subject)

    def headers(self, role: Role, subject: str = "cli") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, subject)}"}

    def close(self) -> None:
        for server in self._servers:
            server.stop()
        for service in self._services:
            service.close()


@pytest.fixture(name="fleet")
def fleet_fixture(broker: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FleetRig]:
    """A ``FleetRig`` on this test's broker; the fleet's token secret and a private data dir in the env."""
    monkeypatch.setenv("KESTREL_API_SECRET", SECRET)
    monkeypatch.setenv("KESTREL_DATA_DIR", str(tmp_path / "data"))
    rig = FleetRig(broker, tmp_path)
    try:
        yield rig
    finally:
        rig.close()
