"""A relay: an instance with no vehicle of its own that shows the fleet's vehicles from the broker.

``gcs relay --mqtt URL`` subscribes to every GCS's state topics (``<prefix>/+/vehicle/+/state``,
either payload format) and status, and puts each vehicle into its own ``Fleet`` as a vehicle on a
``RelayLink`` (one per GCS id), so the same API, WS/SSE streams and dashboard serve them: viewers
scale by adding relays, each one subscriber more on the broker, instead of loading the GCS that
flies. The relay's watchdog says LOST when a vehicle's states stop coming (the GCS gone, the broker
gone, or the GCS itself no longer hearing its vehicle), and OK again when they return.

Read-only unless commands are allowed (``--commands``): a ``RelayLink`` refuses to send
(``ReadOnlyLink``, READ_ONLY_RELAY: "relay is read-only", HTTP 409), and the availability rule book
greys every action out with that reason. With commands allowed, the API hands each command with the
caller's own token to ``forward``, which publishes it on the owning GCS's command topic
(``mqtt_commands``) and waits for its reply: that GCS checks the token and its rules and flies, and
its answer (or refusal, by the core's error class) is raised here as the API's own would be.

The GCS's status texts (``.../vehicle/<sysid>/event``, ``vehicle.statustext``) go onto this
instance's bus as its own vehicles' would, so the relay's streams and dashboard message log show
them; alerts are judged here from the relayed states by the relay's own alert thread. A compressing
GCS's statistics (``.../compression``, known only at the sender) are this instance's
``compression_stats`` (bus ``fleet.compression``: the stream's message, the dashboard's panel).

A vehicle's system id must be unique across the fleet: the same id from a second GCS is ignored
with a warning (as a replay is never mixed with a live link), so the first GCS keeps it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from gcs.core.availability import RELAY_READ_ONLY
from gcs.core.bus import MessageBus, Topics
from gcs.core.config.schema import FleetConfig
from gcs.core.errors import (
    AuthError,
    CommandRejected,
    CommandTimeout,
    ConfigError,
    GcsError,
    ReadOnlyLink,
    RoleTooLow,
    VehicleNotFound,
)
from gcs.core.fleet.broker import make_client
from gcs.core.fleet.compact import CompactReceiver
from gcs.core.fleet.mqtt_link import COMPRESSION_TOPIC
from gcs.core.fleet.payloads import PayloadError, decode_state
from gcs.core.models import CommandResult, LinkState, StatusText, evolve
from gcs.core.vehicle.connection import ConnectionSpec, LinkKind
from gcs.core.vehicle.fleet import Fleet
from gcs.core.vehicle.link import LinkCounters, RawTap

log = logging.getLogger(__name__)
REPLY_TIMEOUT_S = 30.0  # longer than a GCS's own ACK wait with every retry (1.5 s x 4) and its confirm


class RelayLink:
    """The ``Link`` surface of one GCS's vehicles as the broker brings them: it never sends."""

    def __init__(self, gcs_id: str, forwards: bool) -> None:
        self.gcs_id = gcs_id
        self.spec = ConnectionSpec(url=f"relay:{gcs_id}", kind=LinkKind.RELAY)
        self.link_id = f"relay-{gcs_id}"
        self.forwards = forwards
        self.received = 0
        self.bytes_in = 0
        self.last_rx: float | None = None

    @property
    def read_only_why(self) -> str | None:
        """Why its vehicles cannot be commanded from here (None: commands are forwarded over MQTT)."""
        if self.forwards:
            return None
        return f"{RELAY_READ_ONLY}: this vehicle flies from GCS {self.gcs_id!r} (start the relay with --commands)"

    @property
    def is_open(self) -> bool:
        return True

    @property
    def local_port(self) -> int | None:
        return None

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, msg: object) -> None:
        why = self.read_only_why or f"{RELAY_READ_ONLY}: commands to GCS {self.gcs_id!r} go over MQTT with a token"
        raise ReadOnlyLink(why, "READ_ONLY_RELAY")

    def send_raw(self, frame: bytes) -> None:
        self.send(frame)

    def counters(self) -> LinkCounters:
        return LinkCounters(self.link_id, self.spec.url, LinkKind.RELAY.value, True, self.received, 0, 0,
                            self.bytes_in, 0, 0, 0, self.last_rx, None)  # fmt: skip

    def clock(self) -> float:
        return time.monotonic()

    def add_tap(self, tap: RawTap) -> None:
        pass

    def remove_tap(self, tap: RawTap) -> None:
        pass


@dataclass
class _Pending:
    event: threading.Event = field(default_factory=threading.Event)
    reply: dict[str, Any] | None = None


class FleetRelay:
    """Broker -> this instance's fleet; ``forward`` sends a command to the GCS that owns a vehicle."""

    def __init__(self, fleet: Fleet, url: str, cfg: FleetConfig, *, prefix: str | None = None,
                 commands: bool = False, bus: MessageBus | None = None) -> None:  # fmt: skip
        self._fleet = fleet
        self._bus = bus
        self.prefix = prefix or cfg.mqtt_prefix
        self.commands = commands
        self.links: dict[str, RelayLink] = {}
        self.owners: dict[int, str] = {}  # system id -> GCS id
        self.gcs_status: dict[str, str] = {}  # GCS id -> online / offline
        self._pending: dict[str, _Pending] = {}
        self.compact = CompactReceiver()
        self.sender_stats: dict[str, dict[str, Any]] = {}  # system id -> its GCS's compression statistics
        self._heard: dict[int, bool] = {}  # system id -> its GCS heard it, as its last full state said
        self._lock = threading.Lock()
        self.connected = False
        self.connects = 0
        self.messages = 0
        self.bad_payloads = 0
        self.last_error: str | None = None
        client, self.address = make_client(url, cfg, f"kestrel-relay-{uuid.uuid4().hex[:8]}")
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.message_callback_add(f"{self.prefix}/+/vehicle/+/state", self._on_state)
        client.message_callback_add(f"{self.prefix}/+/vehicle/+/compact", self._on_compact)
        client.message_callback_add(f"{self.prefix}/+/status", self._on_status)
        client.message_callback_add(f"{self.prefix}/+/vehicle/+/reply", self._on_reply)
        client.message_callback_add(f"{self.prefix}/+/vehicle/+/event", self._on_event)
        client.message_callback_add(f"{self.prefix}/+/vehicle/+/compression", self._on_compression)
        self._client = client

    def start(self) -> None:
        self._client.connect_async(self.address.host, self.address.port, keepalive=10)
        self._client.loop_start()
        log.info("relay: subscribing to %s/# on %s:%d (%s)", self.prefix, self.address.host, self.address.port,
                 "commands forwarded" if self.commands else "read-only")  # fmt: skip

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def status(self) -> dict[str, Any]:
        return {"broker": self.address.host, "port": self.address.port, "tls": self.address.tls,
                "prefix": self.prefix, "connected": self.connected, "connects": self.connects,
                "messages": self.messages, "bad_payloads": self.bad_payloads, "error": self.last_error,
                "commands": self.commands, "gcs": dict(self.gcs_status), "compact": self.compact.stats(),
                "vehicles": {str(k): v for k, v in sorted(self.owners.items())}}  # fmt: skip

    def origin(self, system_id: int) -> str | None:
        """The GCS a vehicle flies from, or None if it is not a relayed one."""
        return self.owners.get(system_id)

    # ---- paho's thread ---------------------------------------------------------------------

    def _on_connect(self, client: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self.last_error = f"broker refused the connection: {reason}"
            log.warning("relay: %s", self.last_error)
            return
        self.connected, self.last_error = True, None
        self.connects += 1
        kinds = ("state", "compact", "event", "compression")
        topics = [(f"{self.prefix}/+/status", 1)] + [(f"{self.prefix}/+/vehicle/+/{kind}", 0) for kind in kinds]
        if self.commands:
            topics.append((f"{self.prefix}/+/vehicle/+/reply", 1))
        client.subscribe(topics)
        log.info("relay: connected to %s:%d", self.address.host, self.address.port)

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if self.connected:
            self.last_error = f"broker connection lost: {reason}"
            log.warning("relay: %s; reconnecting", self.last_error)
        self.connected = False

    def _on_state(self, _c: Any, _u: Any, msg: Any) -> None:
        parts = msg.topic.split("/")
        gcs = parts[-4]
        payload = bytes(msg.payload)
        self.messages += 1
        try:
            got = decode_state(payload)
        except PayloadError as exc:
            self.bad_payloads += 1
            self.last_error = f"{msg.topic}: {exc}"
            return
        link = self.links.get(gcs)
        if link is None:
            link = self.links[gcs] = RelayLink(gcs, self.commands)
        link.received += 1
        link.bytes_in += len(payload)
        link.last_rx = time.monotonic()
        state = got.state
        heard = state.link.state is LinkState.OK and self.gcs_status.get(gcs) != "offline"
        if got.published_s:  # the publisher's wall clock: a viewer reads the age of what it sees
            state = evolve(state, last_update_s=got.published_s)
        self.owners.setdefault(state.system_id, gcs)
        self._heard[state.system_id] = heard
        self._fleet.put_remote(state, link, heard, len(payload))

    def _on_compact(self, _c: Any, _u: Any, msg: Any) -> None:
        """A compressed frame: rebuilt onto the vehicle's last full state (none yet: wait for one)."""
        parts = msg.topic.split("/")
        gcs, sysid = parts[-4], int(parts[-2]) if parts[-2].isdigit() else 0
        link = self.links.get(gcs)
        if link is None or self.owners.get(sysid) != gcs:
            return
        payload = bytes(msg.payload)
        self.messages += 1
        link.received += 1
        link.bytes_in += len(payload)
        link.last_rx = time.monotonic()
        try:
            base = self._fleet.vehicle(sysid).state
            state, lost = self.compact.decode(gcs, base, payload)
        except (VehicleNotFound, ValueError) as exc:
            self.bad_payloads += 1
            self.last_error = f"{msg.topic}: {exc}"
            return
        if lost:
            self._client.publish(f"{self.prefix}/{gcs}/vehicle/{sysid}/keyframe", b"", qos=0)
        self._fleet.put_remote(state, link, self._heard.get(sysid, False), len(payload))

    def _on_status(self, _c: Any, _u: Any, msg: Any) -> None:
        gcs = msg.topic.split("/")[-2]
        self.gcs_status[gcs] = bytes(msg.payload).decode(errors="replace")[:32]

    def _on_event(self, _c: Any, _u: Any, msg: Any) -> None:
        """A relayed vehicle's STATUSTEXT onto this bus (its owner's only: a duplicate id stays ignored)."""
        parts = msg.topic.split("/")
        gcs, sysid = parts[-4], int(parts[-2]) if parts[-2].isdigit() else 0
        if self._bus is None or self.owners.get(sysid) != gcs:
            return
        try:
            body = json.loads(msg.payload)
            if body.get("topic") != Topics.STATUSTEXT:
                return
            d = body["data"]
            text = StatusText(float(d["time_s"]), int(d["severity"]), str(d["text"]), int(d.get("component_id", 1)))
        except (ValueError, KeyError, TypeError, AttributeError):
            self.bad_payloads += 1
            return
        self._bus.publish(Topics.STATUSTEXT, (sysid, text))

    def _on_compression(self, _c: Any, _u: Any, msg: Any) -> None:
        parts = msg.topic.split("/")
        gcs, sysid = parts[-4], int(parts[-2]) if parts[-2].isdigit() else 0
        if self.owners.get(sysid) != gcs:
            return
        try:
            stats = json.loads(msg.payload)
        except ValueError:
            stats = None
        if not isinstance(stats, dict):
            self.bad_payloads += 1
            return
        with self._lock:
            self.sender_stats[str(sysid)] = stats
            everything = dict(sorted(self.sender_stats.items()))
        if self._bus is not None:
            self._bus.publish(COMPRESSION_TOPIC, everything)

    def _on_reply(self, _c: Any, _u: Any, msg: Any) -> None:
        try:
            body = json.loads(msg.payload)
        except ValueError:
            return
        ident = body.get("id") if isinstance(body, dict) else None
        with self._lock:
            pending = self._pending.get(str(ident))
        if pending is not None:
            pending.reply = body
            pending.event.set()

    # ---- commands (API worker threads) -----------------------------------------------------

    def forward(self, command: str, args: dict[str, Any], token: str, system_id: int | None) -> CommandResult:
        """Send ``command`` to the GCS owning the vehicle with the caller's token; its answer or refusal."""
        if not self.commands:
            raise ReadOnlyLink(f"{RELAY_READ_ONLY}: start it with --commands to forward commands", "READ_ONLY_RELAY")
        sysid = system_id if system_id is not None else self._fleet.active_id
        gcs = self.owners.get(sysid) if sysid is not None else None
        if sysid is None or gcs is None:
            raise VehicleNotFound(f"no relayed vehicle {sysid}; known: {sorted(self.owners) or 'none'}")
        if not self.connected:
            raise CommandTimeout(f"{command} not sent: the relay is not connected to the broker", command, "NOT_SENT")
        ident = f"relay-{uuid.uuid4().hex}"
        pending = _Pending()
        with self._lock:
            self._pending[ident] = pending
        body = {"id": ident, "command": command, "args": {k: v for k, v in args.items() if k != "vehicle"},
                "token": token}  # fmt: skip
        try:
            self._client.publish(f"{self.prefix}/{gcs}/vehicle/{sysid}/command", json.dumps(body), qos=1)
            if not pending.event.wait(REPLY_TIMEOUT_S):
                raise CommandTimeout(f"{command}: no reply from GCS {gcs!r} within {REPLY_TIMEOUT_S:.0f} s "
                                     "(is fleet.mqtt_commands on there?)", command, "TIMEOUT")  # fmt: skip
        finally:
            with self._lock:
                self._pending.pop(ident, None)
        reply = pending.reply or {}
        if reply.get("ok"):
            return CommandResult(str(reply.get("command", command)), True, str(reply.get("result", "")),
                                 str(reply.get("message", "")))  # fmt: skip
        raise _error(reply, command, gcs)


_SIMPLE = {"AuthError": AuthError, "RoleTooLow": RoleTooLow, "VehicleNotFound": VehicleNotFound,
           "UnknownCommand": VehicleNotFound}  # fmt: skip


def _error(reply: dict[str, Any], command: str, gcs: str) -> GcsError:
    """The core error a GCS's refusal stands for, so the API answers as that GCS's own API would."""
    name, detail = str(reply.get("error", "")), reply.get("detail", "")
    text = detail if isinstance(detail, str) else json.dumps(detail)
    result, cmd = str(reply.get("result", "") or ""), str(reply.get("command", "") or command)
    if name in _SIMPLE:
        return _SIMPLE[name](text)
    if name == "CommandTimeout":
        return CommandTimeout(text, cmd, result or "TIMEOUT")
    if name == "ValidationError":
        return ConfigError(f"GCS {gcs!r} refused the arguments: {text}")
    return CommandRejected(text or f"{command} refused by GCS {gcs!r} ({name})", cmd, result or "REFUSED")
