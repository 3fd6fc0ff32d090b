"""Links for GcsService (a mixin): open and close MAVProxy-style connections, the built-in simulator,
the fleet relay and MAVProxy-style forwarding (``--out``), so the service file keeps to composing.

Each link is tapped (forwarding, the flight recorder) before it starts, so taps see every frame.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gcs.core.config import ConfigStore
from gcs.core.errors import LinkError, VehicleNotFound
from gcs.core.fleet.mqtt_link import FleetPublisher
from gcs.core.fleet.relay import FleetRelay
from gcs.core.models import CommandResult
from gcs.core.sim import SimConfig, SimVehicle
from gcs.core.vehicle.commander import Commander
from gcs.core.vehicle.connection import ConnectionSpec, LinkKind, parse_connection_string
from gcs.core.vehicle.fleet import Fleet
from gcs.core.vehicle.forwarding import Forwarding, ForwardStatus
from gcs.core.vehicle.link import Link, LinkCounters, MavlinkLink

if TYPE_CHECKING:
    from gcs.core.bus import MessageBus
    from gcs.core.logs import FlightRecorder

log = logging.getLogger(__name__)


class LinksFacade:
    """Mixed into GcsService, which sets the attributes below."""

    bus: MessageBus
    config: ConfigStore
    fleet: Fleet
    commander: Commander
    forwarding: Forwarding
    recorder: FlightRecorder | None
    fleet_publisher: FleetPublisher | None
    fleet_relay: FleetRelay | None
    _links: dict[str, Link]
    _links_lock: threading.Lock
    _ids: itertools.count[int]
    _sims: list[SimVehicle]
    _run_command: Callable[[str, Callable[[], CommandResult]], CommandResult]
    _open_replay: Callable[[ConnectionSpec, str], LinkCounters]

    # ---- links -----------------------------------------------------------------------------

    def connect(self, url: str) -> LinkCounters:
        """Open a MAVProxy-style connection string; listening sockets fail at once if busy."""
        spec = parse_connection_string(url)
        if spec.kind is LinkKind.REPLAY:
            return self._open_replay(spec, f"replay{next(self._ids)}")
        cfg = self.config.current.link
        link = MavlinkLink(
            spec,
            self.fleet,
            link_id=f"link{next(self._ids)}",
            source_system=cfg.source_system,
            heartbeat_rate_hz=cfg.heartbeat_rate_hz,
            reconnect_interval_s=cfg.reconnect_interval_s,
            silence_reopen_s=cfg.watchdog_timeout_s,
        )
        try:
            link.open_now()
        except LinkError:
            if not spec.reconnects:
                raise
            log.warning("%s not reachable yet; will keep trying every %.1f s", url, cfg.reconnect_interval_s)
        if self.recorder is not None:
            self.recorder.attach(link)
        self._add_link(link)
        return link.counters()

    def _add_link(self, link: Link) -> None:
        """Taps first, then start: forwarding sees every frame from the first one."""
        self.forwarding.attach(link)
        link.start()
        with self._links_lock:
            self._links[link.link_id] = link

    def disconnect(self, link_id: str) -> None:
        with self._links_lock:
            link = self._links.pop(link_id, None)
        if link is None:
            raise LinkError(f"no link {link_id!r}; open links: {sorted(self._links) or 'none'}")
        engaged = self.commander.engaged_vehicle
        if engaged is not None and engaged.link is link:
            self.commander.disengage("link closed by operator")
        self.forwarding.detach(link)
        if self.recorder is not None:
            self.recorder.detach(link)
        link.close()
        self.fleet.forget_link(link)

    def links(self) -> list[LinkCounters]:
        with self._links_lock:
            return [link.counters() for link in self._links.values()]

    def link(self, link_id: str) -> Link:
        with self._links_lock:
            link = self._links.get(link_id)
        if link is None:
            raise LinkError(f"no link {link_id!r}")
        return link

    def start_demo(
        self, flavour: str | None = None, *, port: int | None = None, gps_fix_delay_s: float = 0.0,
        system_id: int | None = None,
    ) -> SimVehicle:
        """Start the built-in simulated vehicle and listen for it like QGC would (udpin); ``system_id``
        (default 1, 2, ... per simulator) tells vehicles of several GCS apart in one fleet."""
        cfg = self.config.current.link
        listen_port = cfg.demo_port if port is None else port
        try:
            counters = self.connect(f"udpin:127.0.0.1:{listen_port}")
        except LinkError as exc:
            log.warning("UDP %d is busy (%s); the simulator uses a free port instead", listen_port, exc)
            counters = self.connect("udpin:127.0.0.1:0")
        bound = self.link(counters.link_id).local_port
        assert bound is not None  # a udpin link that opened has a bound socket
        chosen = flavour or cfg.demo_flavour
        sim = SimVehicle(
            SimConfig(
                flavour=chosen,
                system_id=system_id or 1 + len(self._sims),
                targets=(("127.0.0.1", bound),),
                gps_fix_delay_s=gps_fix_delay_s,
            )
        )
        sim.start()
        self._sims.append(sim)
        log.info("built-in %s simulator sends to udp 127.0.0.1:%d", chosen, bound)
        return sim

    def start_relay(self, url: str, *, commands: bool = False, prefix: str | None = None) -> FleetRelay:
        """Show the fleet's vehicles from the broker at ``url`` (``gcs relay``); ``commands``: forward
        the API's commands, each with its caller's token, to the GCS that flies the vehicle."""
        relay = FleetRelay(self.fleet, url, self.config.current.fleet, prefix=prefix, commands=commands, bus=self.bus)
        relay.start()
        self.fleet_relay = relay
        return relay

    def forward_command(self, name: str, args: dict[str, Any], token: str, system_id: int) -> CommandResult:
        """A relay: ``name`` (a command table entry) with the caller's token to the GCS flying ``system_id``."""
        relay = self.fleet_relay
        if relay is None:
            raise LinkError("this instance is not a relay: nothing to forward to")
        return self._run_command(name.upper(), lambda: relay.forward(name, args, token, system_id))

    def compression_stats(self) -> dict[str, dict[str, Any]] | None:
        """The fleet link's predictive compression per vehicle (``fleet.mqtt_compression``), else None."""
        return self.fleet_publisher.compression_stats() if self.fleet_publisher is not None else None

    def vehicle_origin(self, system_id: int) -> str | None:
        """The fleet GCS a relayed vehicle flies from; None for this instance's own vehicles."""
        return self.fleet_relay.origin(system_id) if self.fleet_relay is not None else None

    @property
    def simulators(self) -> list[SimVehicle]:
        return list(self._sims)

    # ---- forwarding (MAVProxy --out) -------------------------------------------------------

    def add_forward(self, url: str) -> ForwardStatus:
        """Forward every vehicle link to ``udpout:``/``udpin:``/``tcpin:`` and back."""
        return self.forwarding.add(url)

    def remove_forward(self, forward_id: str) -> None:
        self.forwarding.remove(forward_id)

    def forwards(self) -> list[ForwardStatus]:
        return self.forwarding.statuses()

    def _forward_targets(self, target_system: int) -> list[Link]:
        """Where a frame from another GCS goes: its target vehicle's link, else every live link."""
        if target_system:
            try:
                return [self.fleet.vehicle(target_system).link]
            except VehicleNotFound:
                pass
        with self._links_lock:
            return [link for link in self._links.values() if link.spec.kind is not LinkKind.REPLAY]
