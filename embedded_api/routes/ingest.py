"""Protobuf telemetry ingest for edge devices and companion computers (operator role).

The body is decoded and checked here (``embedded_api.ingest``: wire format only); keeping the
records (JSONL under <data dir>/ingest) and publishing them is the core's ``ingest_records``.
Low disk answers 507 Insufficient Storage and nothing is kept or published.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from starlette.concurrency import run_in_threadpool

from embedded_api.deps import Operator, RuntimeDep, ServiceDep
from embedded_api.ingest import IngestedBatch, IngestRefused, decode_batch
from embedded_api.runtime import ApiRuntime
from gcs.core.logs.ingest import DiskFull
from gcs.core.service import GcsService

router = APIRouter(tags=["ingest"])

CONTENT_TYPES = ("application/x-protobuf", "application/protobuf", "application/vnd.google.protobuf")


def _publish(service: GcsService, runtime: ApiRuntime, batch: IngestedBatch, nbytes: int) -> int:
    """Worker thread: the write and the bus subscribers (run on the publisher's thread) stay off the API loop."""
    service.ingest_records(batch.records)
    counters = runtime.ingest
    with counters.lock:
        counters.batches += 1
        counters.records += len(batch.records)
        counters.bytes += nbytes
        counters.last_device = batch.device_id
        for kind, count in batch.kinds.items():
            counters.by_kind[kind] = counters.by_kind.get(kind, 0) + count
        return counters.records


def _refuse(runtime: ApiRuntime, code: int, detail: str) -> HTTPException:
    with runtime.ingest.lock:
        runtime.ingest.refused += 1
    return HTTPException(code, detail)


@router.post(
    "/api/ingest",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-protobuf": {"schema": {"type": "string", "format": "binary"}}},
            "description": "one serialized kestrel.v1.TelemetryBatch (resources/proto/kestrel.proto)",
        }
    },
    responses={
        400: {"description": "malformed or invalid batch; nothing stored"},
        413: {"description": "body too large"},
        415: {"description": "not application/x-protobuf"},
        507: {"description": "free disk below logging.min_free_disk_mb; nothing stored"},
    },
)
async def ingest(request: Request, service: ServiceDep, runtime: RuntimeDep, _: Operator) -> dict[str, Any]:
    """Accept a protobuf TelemetryBatch: every record is checked, then all are published, or none."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in CONTENT_TYPES:
        detail = f"Content-Type must be application/x-protobuf, not {content_type!r}"
        raise _refuse(runtime, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail)
    limit = runtime.settings.ingest_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _refuse(runtime, status.HTTP_413_CONTENT_TOO_LARGE, f"body of {declared} bytes: at most {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _refuse(runtime, status.HTTP_413_CONTENT_TOO_LARGE, f"body larger than {limit} bytes")
    try:
        batch = decode_batch(bytes(body), max_records=runtime.settings.ingest_max_records)
    except IngestRefused as exc:
        raise _refuse(runtime, status.HTTP_400_BAD_REQUEST, str(exc)) from None
    try:
        total = await run_in_threadpool(_publish, service, runtime, batch, len(body))
    except DiskFull as exc:
        raise _refuse(runtime, status.HTTP_507_INSUFFICIENT_STORAGE, str(exc)) from None
    return {"accepted": len(batch.records), "device_id": batch.device_id, "kinds": batch.kinds, "total_records": total}
