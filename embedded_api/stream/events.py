"""HubEvent: one thing a stream tells its clients, encoded at most once per format.

An event is made on the publisher's thread (link, commander, a request worker) with the core's
own frozen value, nothing else: turning it into plain data and JSON/SSE/protobuf bytes happens
lazily on the API loop, once, the first time a client needs that format, and the bytes are shared
by every client (encode once). The JSON shape is the same on WebSocket and SSE::

    {"type": "telemetry", "id": 1234, "time": 1712345678.123, "data": {...}}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from gcs.core.models import VehicleState
from gcs.core.proto import kestrel_pb2 as pb
from gcs.core.proto.convert import vehicle_state_proto
from gcs.core.serialize import to_plain

Plain = Callable[[Any], Any]


ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    """Compact JSON (orjson: 1.5x the stdlib on plain data); NaN is never written (null)."""
    try:
        return orjson.dumps(value, option=ORJSON_OPTIONS).decode()
    except TypeError:  # a type orjson does not take (a float subclass, an int beyond 64 bits): the stdlib
        return json.dumps(value, separators=(",", ":"), allow_nan=False)


class HubEvent:
    """An event with an id (increasing per channel) and lazily cached encodings."""

    __slots__ = ("_json", "_plain", "_proto", "_sse", "id", "plain", "time_s", "type", "value")

    def __init__(self, event_id: int, type_: str, value: Any, time_s: float, plain: Plain = to_plain) -> None:
        self.id = event_id
        self.type = type_
        self.value = value
        self.time_s = time_s
        self.plain = plain
        self._plain: Any = None
        self._json: str | None = None
        self._sse: bytes | None = None
        self._proto: bytes | None = None

    def data(self) -> Any:
        """Plain data (JSON types) of the value, computed once."""
        if self._plain is None:
            self._plain = self.plain(self.value)
        return self._plain

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "time": self.time_s, "data": self.data()}

    def json(self) -> str:
        """The JSON text a WebSocket client gets (and the ``data:`` line of SSE).

        For values whose plain form is ``to_plain`` (telemetry, status), orjson walks the frozen
        dataclasses itself: the same JSON (NaN -> null, enums -> values, tuples -> lists) ~30x
        faster than ``to_plain`` + ``json.dumps`` (bench/bench_stream_json.py).
        """
        if self._json is None:
            if self.plain is to_plain and self._plain is None:
                envelope = {"type": self.type, "id": self.id, "time": self.time_s, "data": self.value}
                try:
                    self._json = orjson.dumps(envelope, option=ORJSON_OPTIONS).decode()
                except TypeError:  # something orjson does not take: the plain way
                    self._json = dumps(self.as_dict())
            else:
                self._json = dumps(self.as_dict())
        return self._json

    def sse(self) -> bytes:
        """One server-sent event: ``id``, ``event`` and one ``data`` line, then a blank line."""
        if self._sse is None:
            self._sse = f"id: {self.id}\nevent: {self.type}\ndata: {self.json()}\n\n".encode()
        return self._sse

    def proto_message(self) -> pb.StreamEvent:
        msg = pb.StreamEvent(id=self.id, type=self.type, time_s=self.time_s)
        if isinstance(self.value, VehicleState):
            msg.telemetry.CopyFrom(vehicle_state_proto(self.value))
        else:
            msg.json = dumps(self.data())
        return msg

    def proto(self) -> bytes:
        """The serialized ``StreamEvent`` a ``?format=protobuf`` WebSocket client gets."""
        if self._proto is None:
            self._proto = self.proto_message().SerializeToString()
        return self._proto


def history_json(events: Iterable[HubEvent], last_id: int, time_s: float) -> str:
    """The ``history`` message: the recent past as one JSON message (events reuse their encoding)."""
    body = ",".join(e.json() for e in events)
    return f'{{"type":"history","id":{last_id},"time":{dumps(time_s)},"data":{{"events":[{body}]}}}}'


def history_proto(events: Iterable[HubEvent], last_id: int, time_s: float) -> bytes:
    msg = pb.StreamEvent(id=last_id, type="history", time_s=time_s)
    msg.history.events.extend(e.proto_message() for e in events)
    return msg.SerializeToString()


def notice(type_: str, data: dict[str, Any], last_id: int, time_s: float) -> HubEvent:
    """A message for one client only (``dropped``, ``command_result``, ``error``, ``gap``)."""
    return HubEvent(last_id, type_, data, time_s, plain=lambda v: v)
