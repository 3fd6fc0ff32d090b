"""Start the fleet publisher from config (``fleet.mqtt_url``; empty = none) and, when
``fleet.mqtt_commands`` allows, the command topics (tokens checked with the API's secret)."""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING

from gcs.core.bus import MessageBus
from gcs.core.config import ConfigStore, GcsConfig
from gcs.core.errors import ConfigError
from gcs.core.fleet.mqtt_commands import FleetCommands
from gcs.core.fleet.mqtt_link import FleetPublisher

if TYPE_CHECKING:
    from gcs.core.service import GcsService

log = logging.getLogger(__name__)


def start_fleet_publisher(bus: MessageBus, cfg: GcsConfig) -> FleetPublisher | None:
    """The running publisher, or None when none is configured or its URL is wrong (logged; the
    program flies without it, as it does without video)."""
    fleet = cfg.fleet
    if not fleet.mqtt_url:
        return None
    gcs_id = fleet.gcs_id or socket.gethostname().split(".")[0] or "gcs"
    try:
        publisher = FleetPublisher(bus, fleet, gcs_id)
    except (ConfigError, ImportError) as exc:
        log.error("fleet publishing not started: %s", exc)
        return None
    publisher.start()
    return publisher


def start_fleet_commands(service: GcsService, publisher: FleetPublisher | None,
                         store: ConfigStore) -> FleetCommands | None:  # fmt: skip
    """The command topics, only when ``fleet.mqtt_commands`` is on and a publisher runs."""
    if publisher is None or not store.current.fleet.mqtt_commands:
        return None
    from gcs.core.accounts import AccountStore
    from gcs.core.tokens import TokenAuthority, load_secret

    authority = TokenAuthority(load_secret(store.directory))
    authority.account_role = AccountStore().role_of  # an account's tokens follow its role now, as in the API
    log.warning("fleet: commands accepted on %s/vehicle/+/command (operator tokens)", publisher.base)
    return FleetCommands(service, publisher, authority)
