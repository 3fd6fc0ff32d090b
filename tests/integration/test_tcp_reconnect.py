"""TCP links reopen by themselves: a MAVLink router that restarts is picked up again.

The router is a real TCP server in this test that relays bytes to and from the simulator's UDP
port (what mavlink-router or a SITL TCP port does); killing and restarting it must bring the
vehicle's link back with no action from the operator.
"""

from __future__ import annotations

import select
import socket
import threading
import time

import pytest

from gcs.core.models import LinkState
from gcs.core.service import GcsService
from gcs.core.sim import SimConfig, SimVehicle
from tests.conftest import wait_until

pytestmark = pytest.mark.slow


class TcpUdpRouter:
    """Accepts one TCP client and relays its bytes to a UDP peer and back."""

    def __init__(self, tcp_port: int, udp_sock: socket.socket, udp_peer: tuple[str, int]) -> None:
        self.server = socket.create_server(("127.0.0.1", tcp_port), reuse_port=True)
        self.port = self.server.getsockname()[1]
        self.udp = udp_sock
        self.udp_peer = udp_peer
        self.stop = threading.Event()
        self.client: socket.socket | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.server.settimeout(0.1)
        while not self.stop.is_set():
            if self.client is None:
                try:
                    self.client, _ = self.server.accept()
                except TimeoutError:
                    continue
            ready, _, _ = select.select([self.client, self.udp], [], [], 0.1)
            for sock in ready:
                try:
                    if sock is self.udp:
                        data, _addr = self.udp.recvfrom(65536)
                        self.client.sendall(data)
                    else:
                        data = self.client.recv(65536)
                        if data:
                            self.udp.sendto(data, self.udp_peer)
                except OSError:
                    return

    def kill(self) -> None:
        self.stop.set()
        self.thread.join(2)
        if self.client is not None:
            self.client.close()
        self.server.close()


def test_tcp_link_reconnects_after_the_router_restarts(make_service) -> None:
    service: GcsService = make_service(None, link__watchdog_timeout_s=1.5, link__reconnect_interval_s=0.3)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    sim = SimVehicle(SimConfig(flavour="ardupilot", targets=(("127.0.0.1", udp.getsockname()[1]),)))
    sim.start()
    router = TcpUdpRouter(0, udp, ("127.0.0.1", sim.port))
    port = router.port
    try:
        service.connect(f"tcp:127.0.0.1:{port}")
        state = service.wait_for_vehicle(5.0)
        assert state.system_id == 1
        wait_until(lambda: service.vehicle_state().link.state is LinkState.OK, 3, "link ok over TCP")

        router.kill()
        wait_until(lambda: service.vehicle_state().link.state is LinkState.LOST, 4, "link lost")
        time.sleep(0.5)
        router = TcpUdpRouter(port, udp, ("127.0.0.1", sim.port))
        wait_until(lambda: service.vehicle_state().link.state is LinkState.OK, 8, "TCP link reopened")
        before = service.vehicle_state().last_update_s
        wait_until(lambda: service.vehicle_state().last_update_s > before + 0.5, 3, "telemetry flowing")
        assert service.links()[0].reconnects >= 1
    finally:
        router.kill()
        sim.stop()
        udp.close()
