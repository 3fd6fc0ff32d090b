"""Malformed protobuf ingest bodies (hypothesis) against a real uvicorn: 400 with a reason, nothing stored.

Bodies are random bytes, and valid ``TelemetryBatch`` bodies damaged the way radios and buggy
clients damage them: bits flipped, cut short, bytes inserted or deleted, spliced with another
batch. The property, for every body:

- the answer is 400 (refused, with a reason) or 200 (accepted); never anything else, never a 5xx;
- a body protobuf itself cannot parse is always 400;
- a 400 stores nothing: no line in ``<data dir>/ingest``, no record on the bus, counters unchanged;
- a 200 stores exactly the records it reports (a mutation can leave a valid batch: then it is data).

A body over ``ingest_max_bytes`` is 413, declared or streamed, and stores nothing either.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gcs.core.logs.ingest import INGEST_TOPIC, ingest_dir
from gcs.core.proto import kestrel_pb2 as pb
from tests.api.conftest import TEST_SETTINGS

pytestmark = pytest.mark.slow
PROTOBUF = {"Content-Type": "application/x-protobuf"}


def valid_batch(n: int = 3, device: str = "edge-7") -> bytes:
    now = time.time()
    batch = pb.TelemetryBatch(device_id=device)
    for i in range(n):
        batch.records.add(
            time_s=now,
            source="fuzz",
            vehicle=pb.VehicleState(system_id=i + 1, mode="GUIDED", armed=True, lat_deg=47.4, lon_deg=8.5, alt_rel_m=9),
        )
        batch.records.add(
            time_s=now, tracker=pb.TrackerState(active=True, tracker="CSRT", x=0.5, y=0.5, width=0.1, height=0.1)
        )
    return batch.SerializeToString()


VALID = [valid_batch(1), valid_batch(3), valid_batch(8, device="companion-computer-2")]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    body = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "splice", "overwrite"]))
        pos = draw(st.integers(0, max(0, len(body) - 1)))
        if op == "flip" and body:
            body[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            body = body[: max(1, pos)]
        elif op == "insert":
            body[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and len(body) > 1:
            del body[pos : pos + draw(st.integers(1, 8))]
        elif op == "splice":
            other = draw(st.sampled_from(VALID))
            body = body[:pos] + other[draw(st.integers(0, len(other) - 1)) :]
        elif op == "overwrite" and body:
            body[pos] = draw(st.integers(0, 255))
    return bytes(body)


class Stored:
    """What the server kept: bus records and the ingest JSONL files' size."""

    def __init__(self, service: Any) -> None:
        self.bus_records = 0
        self.directory = Path(ingest_dir())

        def count(_topic: str, _record: Any) -> None:
            self.bus_records += 1

        self.sub = service.bus.subscribe(INGEST_TOPIC, count)

    def file_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.directory.glob("*.jsonl")) if self.directory.is_dir() else 0

    def snapshot(self) -> tuple[int, int]:
        return self.bus_records, self.file_bytes()


@pytest.fixture
def ingest_api(make_live_api: Any) -> Iterator[tuple[Any, httpx.Client, Stored]]:
    api = make_live_api(api__rate_limit_per_minute=100000, settings=TEST_SETTINGS)
    stored = Stored(api.service)
    with api.client("operator") as client:
        yield api, client, stored
    stored.sub.cancel()


def _parses(body: bytes) -> bool:
    try:
        pb.TelemetryBatch.FromString(body)
    except DecodeError:
        return False
    return True


def _check(client: httpx.Client, stored: Stored, body: bytes, outcomes: dict[int, int]) -> None:
    before = stored.snapshot()
    r = client.post("/api/ingest", content=body, headers=PROTOBUF)
    outcomes[r.status_code] = outcomes.get(r.status_code, 0) + 1
    assert r.status_code in (200, 400), f"{r.status_code} {r.text[:200]} for {body[:60]!r}"
    if not _parses(body):
        assert r.status_code == 400, f"unparseable body accepted: {body[:60]!r}"
    if r.status_code == 400:
        assert r.json()["detail"], "a refusal says why"
        assert stored.snapshot() == before, f"a refused body stored something: {r.json()['detail']}"
    else:
        accepted = r.json()["accepted"]
        assert accepted >= 1
        assert stored.bus_records - before[0] == accepted
        assert stored.file_bytes() > before[1]


def test_random_bytes_are_refused_with_a_reason_and_nothing_is_stored(ingest_api) -> None:
    _api, client, stored = ingest_api
    outcomes: dict[int, int] = {}

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.binary(min_size=1, max_size=2000))
    def run(body: bytes) -> None:
        _check(client, stored, body, outcomes)

    run()
    assert outcomes.get(400, 0) >= 140, outcomes  # random bytes are (nearly) never a valid batch


def test_mutated_valid_bodies_are_refused_or_whole_never_half(ingest_api) -> None:
    _api, client, stored = ingest_api
    outcomes: dict[int, int] = {}

    @settings(max_examples=250, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(mutated())
    def run(body: bytes) -> None:
        _check(client, stored, body, outcomes)

    run()
    print(f"\nmutated ingest bodies: {outcomes}")
    assert outcomes.get(400, 0) >= 100, outcomes  # most damage is caught, not just passed through


def test_the_valid_bodies_themselves_are_accepted(ingest_api) -> None:
    """The mutation corpus is valid to start with: refusals above come from the damage."""
    _api, client, stored = ingest_api
    for body in VALID:
        _check(client, stored, body, {})
    assert stored.bus_records == 2 * (1 + 3 + 8)


def test_an_oversize_body_is_413_declared_or_streamed_and_nothing_is_stored(ingest_api) -> None:
    api, client, stored = ingest_api
    limit = TEST_SETTINGS.ingest_max_bytes
    big = valid_batch(1) + b"\x00" * (limit + 10)
    r = client.post("/api/ingest", content=big, headers=PROTOBUF)
    assert r.status_code == 413 and str(limit) in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count as it reads
        for _ in range(limit // 65536 + 2):
            yield b"\x0a" * 65536

    r = client.post("/api/ingest", content=chunks(), headers=PROTOBUF)
    assert r.status_code == 413, r.text
    assert stored.snapshot() == (0, 0)
    assert client.get("/stats").json()["ingest"]["records"] == 0
    assert api.service.vehicle_state() is not None
