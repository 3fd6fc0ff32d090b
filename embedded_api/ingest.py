"""Protobuf telemetry ingest: decode a ``kestrel.v1.TelemetryBatch`` and check every record.

All or nothing: a batch is decoded and every record checked before any is published, so a bad
body changes nothing. Problems are reported as ``records[3].vehicle.lat_deg = 123 is out of
range -90..90`` (at most ``MAX_PROBLEMS`` of them). Accepted records become plain dicts (JSON
types, no protobuf objects) so core subscribers need not know the wire format.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import DecodeError, Message

from gcs.core.proto import kestrel_pb2 as pb

MAX_PROBLEMS = 10
MAX_FUTURE_S = 24 * 3600.0
RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "vehicle": {
        "system_id": (1, 255),
        "lat_deg": (-90, 90),
        "lon_deg": (-180, 180),
        "heading_deg": (-360, 360),
        "battery_remaining_pct": (0, 100),
        "gps_fix_type": (0, 8),
        "satellites": (0, 255),
    },
    "tracker": {"x": (0, 1), "y": (0, 1), "width": (0, 1), "height": (0, 1), "confidence": (0, 1)},
    "follower": {},
}


class IngestRefused(ValueError):
    """The body is not an acceptable batch; the message says why (HTTP 400)."""


@dataclass(frozen=True)
class IngestedBatch:
    device_id: str
    records: list[dict[str, Any]]
    kinds: dict[str, int]


def _field_problems(where: str, msg: Message, ranges: dict[str, tuple[float, float]]) -> list[str]:
    problems = []
    for field, value in msg.ListFields():
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{where}.{field.name} = {value} is not a finite number")
            continue
        bounds = ranges.get(field.name)
        if bounds is not None and isinstance(value, (int, float)) and not bounds[0] <= value <= bounds[1]:
            problems.append(f"{where}.{field.name} = {value} is out of range {bounds[0]:g}..{bounds[1]:g}")
    if "system_id" in ranges and "system_id" not in {f.name for f, _ in msg.ListFields()}:
        problems.append(f"{where}.system_id is missing (1..255)")
    return problems


def _record_problems(i: int, record: pb.TelemetryRecord, now: float) -> list[str]:
    where = f"records[{i}]"
    problems = []
    if not math.isfinite(record.time_s) or record.time_s <= 0:
        problems.append(f"{where}.time_s = {record.time_s} must be a UNIX time in seconds (> 0)")
    elif record.time_s > now + MAX_FUTURE_S:
        problems.append(f"{where}.time_s = {record.time_s} is more than a day in the future")
    kind = record.WhichOneof("body")
    if kind is None:
        problems.append(f"{where} has no body: set one of vehicle, tracker, follower")
        return problems
    body: Message = getattr(record, kind)
    problems += _field_problems(f"{where}.{kind}", body, RANGES[kind])
    return problems


def decode_batch(data: bytes, *, max_records: int, now: float | None = None) -> IngestedBatch:
    """Decode and check ``data``; IngestRefused with every problem found (up to MAX_PROBLEMS)."""
    if not data:
        raise IngestRefused("empty body: send one serialized kestrel.v1.TelemetryBatch")
    batch = pb.TelemetryBatch()
    try:
        batch.ParseFromString(data)
    except DecodeError as exc:
        raise IngestRefused(f"body is not a kestrel.v1.TelemetryBatch: {exc}") from None
    problems = []
    if not 1 <= len(batch.device_id) <= 64:
        problems.append(f"device_id must have 1..64 characters (got {len(batch.device_id)})")
    if not batch.records:
        problems.append("records is empty: a batch carries 1 or more records")
    if len(batch.records) > max_records:
        problems.append(f"records has {len(batch.records)} entries: at most {max_records} per batch")
    at = time.time() if now is None else now
    for i, record in enumerate(batch.records):
        if len(problems) >= MAX_PROBLEMS:
            break
        problems += _record_problems(i, record, at)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        more = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
        raise IngestRefused("; ".join(shown) + more)
    records: list[dict[str, Any]] = []
    kinds: dict[str, int] = {}
    for record in batch.records:
        kind = record.WhichOneof("body")
        assert kind is not None
        kinds[kind] = kinds.get(kind, 0) + 1
        data_dict = MessageToDict(
            getattr(record, kind), preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
        records.append(
            {
                "device_id": batch.device_id,
                "time_s": record.time_s,
                "source": record.source,
                "kind": kind,
                "data": data_dict,
            }
        )
    return IngestedBatch(batch.device_id, records, kinds)
