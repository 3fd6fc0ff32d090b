"""Fixtures of the third-party client tests: the built-in simulator and the clients' processes.

The simulator runs in the test process (its true state is the ground truth the clients' telemetry is
checked against) on an ephemeral UDP port; every client dials it (``udpout``), as a GCS dials a
vehicle. Everything started here is stopped at the end of the test, whatever happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gcs.core.sim import SimConfig, SimVehicle
from tests.integration.third_party.clients import MavProxy, MavsdkServer


@pytest.fixture
def start_sim() -> Iterator[Callable[..., SimVehicle]]:
    made: list[SimVehicle] = []

    def start(flavour: str, **config: object) -> SimVehicle:
        sim = SimVehicle(SimConfig(flavour=flavour, **config))  # type: ignore[arg-type]
        sim.start()
        made.append(sim)
        return sim

    yield start
    for sim in made:
        sim.stop()


@pytest.fixture
def start_mavsdk_server(tmp_path: Path) -> Iterator[Callable[[SimVehicle], MavsdkServer]]:
    made: list[MavsdkServer] = []

    def start(sim: SimVehicle) -> MavsdkServer:
        server = MavsdkServer(f"udpout://127.0.0.1:{sim.port}", tmp_path / f"mavsdk_server-{len(made)}.log")
        made.append(server)
        return server

    yield start
    for server in made:
        server.stop()


@pytest.fixture
def start_mavproxy(tmp_path: Path) -> Iterator[Callable[..., MavProxy]]:
    made: list[MavProxy] = []

    def start(sim: SimVehicle, *extra: str) -> MavProxy:
        state = tmp_path / f"mavproxy-{len(made)}"
        state.mkdir()
        proxy = MavProxy(f"udpout:127.0.0.1:{sim.port}", state, *extra)
        made.append(proxy)
        return proxy

    yield start
    for proxy in made:
        proxy.stop()
