"""A real Mosquitto on a free loopback port, and a paho subscriber that keeps the last payloads.

Shared by the fleet tests (publishing, TLS and passwords, commands, relays) and bench_fleet.py.
"""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from gcs.core.fleet.payloads import decode_state
from gcs.core.serialize import to_plain

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
HAVE_MOSQUITTO = Path(MOSQUITTO).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s:.1f} s waiting for: {what}")


class Broker:
    """``start()``/``kill()`` a Mosquitto; ``extra`` lines go into its listener's config (TLS, passwords)."""

    def __init__(self, tmp: Path, extra: str = "allow_anonymous true\n", scheme: str = "mqtt") -> None:
        self.port = free_port()
        self.conf = tmp / "mosquitto.conf"
        # run as root (CI containers), Mosquitto would drop to user "mosquitto", who cannot read pytest's tmp files
        user = f"user {getpass.getuser()}\n"
        listener = f"per_listener_settings true\nlistener {self.port} 127.0.0.1\n"
        self.conf.write_text(f"{user}{listener}{extra}persistence false\n")
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.log = tmp / "mosquitto.log"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=out, stderr=out)

        def up() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for(up, 10, "mosquitto listening")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill()


class Watcher:
    """A subscriber to ``topic`` (default: everything under kestrel/), keeping the last payload per topic."""

    def __init__(self, port: int, topic: str = "kestrel/#", **tls: Any) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.last: dict[str, bytes] = {}
        self.count: dict[str, int] = {}
        self.seen: list[tuple[str, bytes]] = []  # every message, in order (events, not only the last)
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        if tls.get("username"):
            self.client.username_pw_set(tls["username"], tls.get("password"))
        if tls.get("ca_certs"):
            self.client.tls_set(ca_certs=tls["ca_certs"])
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, _c: Any, _u: Any, msg: Any) -> None:
        with self._lock:
            self.last[msg.topic] = bytes(msg.payload)
            self.count[msg.topic] = self.count.get(msg.topic, 0) + 1
            self.seen.append((msg.topic, bytes(msg.payload)))

    def payloads(self, topic: str) -> list[bytes]:
        """Every payload seen on ``topic`` so far, oldest first."""
        with self._lock:
            return [payload for t, payload in self.seen if t == topic]

    def text(self, topic: str) -> str | None:
        with self._lock:
            payload = self.last.get(topic)
        return payload.decode() if payload is not None else None

    def state(self, gcs: str, sysid: int) -> dict[str, Any] | None:
        """The last published state of that vehicle as plain data (either payload format)."""
        with self._lock:
            payload = self.last.get(f"kestrel/{gcs}/vehicle/{sysid}/state")
        return to_plain(decode_state(payload).state) if payload else None

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class CommandClient:
    """Sends commands to a GCS's command topics and waits for each reply by id (as a script would)."""

    def __init__(self, port: int, prefix: str = "kestrel") -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.replies: dict[str, dict[str, Any]] = {}
        self._ready = threading.Event()
        self._n = 0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_: self._ready.set()
        self.client.on_connect = lambda c, *_: c.subscribe(f"{prefix}/+/vehicle/+/reply", qos=1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        wait_for(self._ready.is_set, 10, "the reply topics subscribed")
        self.prefix = prefix

    def _on_message(self, _c: Any, _u: Any, msg: Any) -> None:
        import json

        body = json.loads(msg.payload)
        if body.get("id") is not None:
            self.replies[str(body["id"])] = body

    def send(self, gcs: str, sysid: int, command: str, token: str | None, args: dict[str, Any] | None = None,
             ident: str | None = None, timeout_s: float = 20.0) -> dict[str, Any]:  # fmt: skip
        import json

        self._n += 1
        ident = ident or f"t{self._n}-{time.monotonic_ns()}"
        body: dict[str, Any] = {"id": ident, "command": command, "args": args or {}}
        if token is not None:
            body["token"] = token
        self.replies.pop(ident, None)
        self.client.publish(f"{self.prefix}/{gcs}/vehicle/{sysid}/command", json.dumps(body), qos=1)
        wait_for(lambda: ident in self.replies, timeout_s, f"the reply to {command} ({ident})")
        return self.replies[ident]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def fleet_gcs(folder: Path, url: str, gcs_id: str, flavour: str | None, sysid: int | None, **settings: Any) -> Any:
    """A started GcsService with its own settings file (and, with ``flavour``, its own simulator)."""
    from gcs.core.config import ConfigStore
    from gcs.core.service import GcsService

    folder.mkdir(parents=True, exist_ok=True)
    store = ConfigStore(folder / "config.yaml")
    store.load()
    values = {"video__enabled": False, "fleet__mqtt_url": url, "fleet__gcs_id": gcs_id, **settings}
    for key, value in values.items():
        section, _, param = key.partition("__")
        store.set(section, param, value, source="test")
    service = GcsService(store)
    service.start()
    if flavour is not None:
        service.start_demo(flavour, port=0, system_id=sysid)
        service.wait_for_vehicle(10.0)
    return service


def relay_api(folder: Path, url: str, *, commands: bool = False) -> tuple[Any, Any]:
    """A relay (GcsService started as ``gcs relay`` starts it) behind a real API server on loopback."""
    from embedded_api import ApiServer, create_app
    from gcs.core.config import ConfigStore
    from gcs.core.service import GcsService
    from gcs.core.tokens import TokenAuthority, load_secret

    folder.mkdir(parents=True, exist_ok=True)
    store = ConfigStore(folder / "config.yaml")
    store.load()
    service = GcsService(store)
    service.start(video=False, relay=True)
    service.start_relay(url, commands=commands)
    server = ApiServer(create_app(service, TokenAuthority(load_secret(folder))), host="127.0.0.1", port=0)
    server.start()
    return service, server
