"""One way to reach the broker for every fleet client (publisher, command handler, relay).

The URL gives host, port and TLS (``mqtts://``); ``fleet.mqtt_username``, the password (the file
``fleet.mqtt_password_file`` or ``KESTREL_MQTT_PASSWORD``, never the settings themselves, which
viewers may read) and the TLS files (CA, client certificate and key) come from the settings. The
client is paho-mqtt's: its own network thread, reconnects with back-off 1-10 s.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from gcs.core.config.schema import FleetConfig
from gcs.core.errors import ConfigError

PASSWORD_ENV = "KESTREL_MQTT_PASSWORD"


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def parse_broker_url(url: str) -> BrokerAddress:
    """``mqtt://[user:pass@]host[:1883]`` or ``mqtts://...[:8883]`` (TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ConfigError(f"broker URL {url!r}: expected mqtt://host[:port] or mqtts://host[:port]")
    tls = parts.scheme == "mqtts"
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError as exc:
        raise ConfigError(f"broker URL {url!r}: {exc}") from exc
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return BrokerAddress(parts.hostname, port, tls, user, password)


def _read_password(path: str) -> str:
    try:
        return Path(path).expanduser().read_text(encoding="utf-8").splitlines()[0].strip()
    except (OSError, IndexError, UnicodeDecodeError) as exc:
        raise ConfigError(f"fleet.mqtt_password_file {path!r} cannot be read: {exc}") from None


def broker_address(url: str, cfg: FleetConfig) -> BrokerAddress:
    """The URL's address with the settings' credentials and TLS choice folded in."""
    base = parse_broker_url(url)
    password = os.environ.get(PASSWORD_ENV) or (_read_password(cfg.mqtt_password_file) if cfg.mqtt_password_file
                                                else base.password)  # fmt: skip
    return BrokerAddress(base.host, base.port, base.tls or bool(cfg.mqtt_tls_ca_file),
                         cfg.mqtt_username or base.username, password)  # fmt: skip


def make_client(url: str, cfg: FleetConfig, client_id: str) -> tuple[Any, BrokerAddress]:
    """A configured (not yet connected) paho client and the address to connect it to."""
    import paho.mqtt.client as mqtt  # imported here: a GCS without a broker never loads it
    from paho.mqtt.enums import CallbackAPIVersion

    address = broker_address(url, cfg)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        for name in ("mqtt_tls_ca_file", "mqtt_tls_cert_file", "mqtt_tls_key_file"):
            path = getattr(cfg, name)
            if path and not Path(path).expanduser().is_file():
                raise ConfigError(f"fleet.{name} {path!r} is not a file")
        if bool(cfg.mqtt_tls_cert_file) != bool(cfg.mqtt_tls_key_file):
            raise ConfigError("fleet.mqtt_tls_cert_file and mqtt_tls_key_file go together: set both or neither")
        try:
            client.tls_set(ca_certs=cfg.mqtt_tls_ca_file or None, certfile=cfg.mqtt_tls_cert_file or None,
                           keyfile=cfg.mqtt_tls_key_file or None, cert_reqs=ssl.CERT_REQUIRED)  # fmt: skip
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise ConfigError(f"fleet TLS settings refused: {exc}") from None
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    return client, address
