"""What a vehicle's state looks like on the broker: protobuf (default) or JSON, and back.

``protobuf``: one ``kestrel.v1.TelemetryRecord`` (resources/proto/kestrel.proto, the schema the
API's ``?format=protobuf`` stream and ``/api/ingest`` use) with ``time_s`` = when it was published
(UNIX s), ``source`` = the GCS id and ``vehicle`` = the flattened state: ~200 bytes, what edge
loggers and cloud consumers already decode. ``json``: the API's VehicleState JSON (every field,
~1.5 kB) plus ``published_s``, for tools that read text (``mosquitto_sub``, Node-RED).

A receiver need not be told which: ``decode_state`` looks at the first byte (``{`` is JSON; a
protobuf TelemetryRecord starts with field 1's tag, 0x09).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from google.protobuf.message import DecodeError

from gcs.core.models import VehicleState, evolve
from gcs.core.proto import kestrel_pb2 as pb
from gcs.core.proto.convert import vehicle_state_from_proto, vehicle_state_proto
from gcs.core.serialize import to_plain

PayloadFormat = Literal["protobuf", "json"]


class PayloadError(ValueError):
    """A message on a state topic that is neither a TelemetryRecord with a vehicle nor state JSON."""


@dataclass(frozen=True)
class FleetState:
    """One vehicle state as received: who published it and when (UNIX s, the publisher's clock)."""

    state: VehicleState
    published_s: float
    source: str


def encode_state(state: VehicleState, fmt: PayloadFormat, *, source: str, published_s: float) -> bytes:
    if fmt == "json":
        plain = to_plain(state)
        plain["published_s"] = published_s
        return json.dumps(plain, separators=(",", ":"), default=str).encode()
    record = pb.TelemetryRecord(time_s=published_s, source=source)
    record.vehicle.CopyFrom(vehicle_state_proto(state))
    return record.SerializeToString()


def decode_state(payload: bytes) -> FleetState:
    """The state in a message of either format; PayloadError with the reason otherwise."""
    if payload[:1] == b"{":
        try:
            plain = json.loads(payload)
        except ValueError as exc:
            raise PayloadError(f"state JSON does not parse: {exc}") from None
        if not isinstance(plain, dict) or not isinstance(plain.get("system_id"), int):
            raise PayloadError("state JSON without a system_id")
        published = plain.pop("published_s", None)
        state = from_plain(VehicleState, plain)
        return FleetState(state, float(published) if isinstance(published, (int, float)) else 0.0, "")
    record = pb.TelemetryRecord()
    try:
        record.ParseFromString(payload)
    except DecodeError as exc:
        raise PayloadError(f"not a protobuf TelemetryRecord: {exc}") from None
    if record.WhichOneof("body") != "vehicle" or not record.vehicle.system_id:
        raise PayloadError("a TelemetryRecord without a vehicle state")
    return FleetState(vehicle_state_from_proto(record.vehicle), record.time_s, record.source)


# ---- JSON back into the frozen dataclasses ----------------------------------------------------


def from_plain(cls: type[Any], data: Any) -> Any:
    """Rebuild a frozen dataclass from ``to_plain`` output (unknown keys ignored, missing keep defaults)."""
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _value(hints[f.name], data[f.name])
    return cls(**kwargs)


def _value(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _value(args[0], value) if len(args) == 1 else value
    if value is None:
        return float("nan") if hint is float else value  # to_plain wrote NaN as null
    if origin is tuple:
        inner = typing.get_args(hint)[0]
        return tuple(_value(inner, v) for v in value)
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return from_plain(hint, value)
        if issubclass(hint, enum.Enum):
            return hint(value)
        if hint is float:
            return float(value)
    return value


def with_link(state: VehicleState, **changes: Any) -> VehicleState:
    """The state with some link fields changed (a relay's view of the broker)."""
    return evolve(state, link=evolve(state.link, **changes))
