"""Commands over the broker: ``<prefix>/<gcs>/vehicle/<sysid>/command`` in, ``.../reply`` out.

Only when ``fleet.mqtt_commands`` is true (false by default: a broker is often shared more widely
than the API). Each message is JSON::

    {"id": "c-17", "command": "mode", "args": {"mode": "HOLD"}, "token": "<JWT>"}

and is checked like an API request: the token verified by the core's ``TokenAuthority`` (same
secret, expiry, account rules), its role against the command table's (operator for anything that
moves the vehicle), the arguments against the same pydantic models (the topic names the vehicle),
then the same ``GcsService`` call, so the availability rule book and the vehicle's refusals apply
unchanged. The answer goes to the reply topic (QoS 1, not retained)::

    {"id": "c-17", "ok": true, "command": "SET_MODE", "result": "ACCEPTED", "message": "...", "by": "cli"}
    {"id": "c-17", "ok": false, "error": "RoleTooLow", "detail": "role viewer may not do this: ...",
     "result": "", "command": "mode"}

``error`` is the core's exception class (the API maps the same classes to its HTTP codes: AuthError
401, RoleTooLow 403, VehicleNotFound 404, CommandRejected 409, ValidationError 422, CommandTimeout
504), so a relay forwarding a browser's command answers it exactly as the GCS's own API would.
A message id seen in the last ``RECENT_IDS`` messages is refused (``Duplicate``): a recorded
command replayed on the broker is not run twice. Commands run on two worker threads (they block
until the vehicle's COMMAND_ACK), never on paho's network thread.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from gcs.core.command_specs import COMMANDS
from gcs.core.errors import AuthError, GcsError
from gcs.core.serialize import to_plain
from gcs.core.tokens import TokenAuthority

if TYPE_CHECKING:
    from gcs.core.fleet.mqtt_link import FleetPublisher
    from gcs.core.service import GcsService

log = logging.getLogger(__name__)
RECENT_IDS = 1000
MAX_MESSAGE_BYTES = 16 * 1024


class FleetCommands:
    """Takes commands from this GCS's command topics and answers on its reply topics."""

    def __init__(self, service: GcsService, publisher: FleetPublisher, authority: TokenAuthority) -> None:
        self._service = service
        self._publisher = publisher
        self._authority = authority
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fleet-cmd")
        self._recent: OrderedDict[str, None] = OrderedDict()
        self.topic = f"{publisher.base}/vehicle/+/command"
        self.received = 0
        self.refused = 0
        publisher.on_connected(self._subscribe)
        publisher.client.message_callback_add(self.topic, self._on_message)
        if publisher.connected:  # connected before we were added: subscribe now
            self._subscribe(publisher.client)

    def _subscribe(self, client: Any) -> None:
        client.subscribe(self.topic, qos=1)

    def close(self) -> None:
        self._publisher.client.message_callback_remove(self.topic)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ---- paho's thread: check, then hand to a worker -------------------------------------------

    def _on_message(self, _client: Any, _userdata: Any, msg: Any) -> None:
        self.received += 1
        reply_topic = msg.topic.rsplit("/", 1)[0] + "/reply"
        sysid = int(msg.topic.split("/")[-2]) if msg.topic.split("/")[-2].isdigit() else None
        try:
            request = self._parse(bytes(msg.payload))
        except ValueError as exc:
            self._reply(reply_topic, {"id": None, "ok": False, "error": "BadRequest", "detail": str(exc)})
            return
        self._pool.submit(self._run, reply_topic, sysid, request)

    def _parse(self, payload: bytes) -> dict[str, Any]:
        if len(payload) > MAX_MESSAGE_BYTES:
            raise ValueError(f"command message of {len(payload)} bytes (at most {MAX_MESSAGE_BYTES})")
        try:
            request = json.loads(payload)
        except ValueError as exc:
            raise ValueError(f"command message is not JSON: {exc}") from None
        if not isinstance(request, dict) or not isinstance(request.get("command"), str):
            raise ValueError('expected {"id": ..., "command": name, "args": {...}, "token": JWT}')
        if not isinstance(request.get("args", {}), dict):
            raise ValueError('"args" must be an object')
        return request

    # ---- worker thread ---------------------------------------------------------------------

    def _run(self, reply_topic: str, sysid: int | None, request: dict[str, Any]) -> None:
        ident = request.get("id")
        ident = str(ident)[:64] if ident is not None else None
        name = request["command"]
        try:
            reply = self._execute(ident, sysid, name, request)
        except GcsError as exc:
            self.refused += 1
            command = getattr(exc, "command", "") or name
            reply = {"ok": False, "error": type(exc).__name__, "detail": str(exc),
                     "result": getattr(exc, "result", "") or "", "command": command}  # fmt: skip
        except ValidationError as exc:
            self.refused += 1
            errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
            reply = {"ok": False, "error": "ValidationError", "detail": errors, "command": name}
        self._reply(reply_topic, {"id": ident, **reply})

    def _execute(self, ident: str | None, sysid: int | None, name: str, request: dict[str, Any]) -> dict[str, Any]:
        token = request.get("token")
        if not isinstance(token, str) or not token:
            raise AuthError("missing token (make one with `gcs token create --role operator`)")
        principal = self._authority.verify(token)
        spec = COMMANDS.get(name)
        if spec is None:
            raise UnknownCommand(f"unknown command {name!r}; commands: {', '.join(sorted(COMMANDS))}")
        principal.require(spec.role)
        if ident is None:
            raise DuplicateCommand('a command needs an "id" (unique per message)')
        if ident in self._recent:
            raise DuplicateCommand(f"command id {ident!r} was already received: not run twice")
        self._recent[ident] = None
        while len(self._recent) > RECENT_IDS:
            self._recent.popitem(last=False)
        args = dict(request.get("args") or {})
        if "vehicle" in spec.args.model_fields and sysid is not None:
            args["vehicle"] = sysid
        parsed = spec.args(**args)
        log.info("fleet: %s from %s (%s) over MQTT for vehicle %s", name, principal.subject,
                 principal.role.name.lower(), sysid)  # fmt: skip
        result = to_plain(spec.run(self._service, parsed))
        return {"ok": True, **result, "by": principal.subject}

    def _reply(self, topic: str, body: dict[str, Any]) -> None:
        self._publisher.client.publish(topic, json.dumps(body, default=str), qos=1)


class UnknownCommand(GcsError):
    """No command of that name in the command table (HTTP 404 in the API's terms)."""


class DuplicateCommand(GcsError):
    """A command message without an id, or with one already received (a replayed recording)."""
