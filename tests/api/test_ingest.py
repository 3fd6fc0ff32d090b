"""POST /api/ingest: a protobuf batch round-trips onto the bus and into <data dir>/ingest as JSON
lines; a malformed one, or one that meets a full disk (507), is refused whole and nothing is stored."""

from __future__ import annotations

import json
import shutil
import threading
import time
from typing import Any

import pytest

from embedded_api.runtime import INGEST_TOPIC
from gcs.core.logs.ingest import ingest_dir
from gcs.core.proto import kestrel_pb2 as pb

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def _batch() -> pb.TelemetryBatch:
    now = time.time()
    batch = pb.TelemetryBatch(device_id="companion-1")
    batch.records.add(
        time_s=now,
        source="px4-bridge",
        vehicle=pb.VehicleState(system_id=42, mode="OFFBOARD", armed=True, lat_deg=47.39, lon_deg=8.54, alt_rel_m=12.5),
    )
    batch.records.add(
        time_s=now,
        tracker=pb.TrackerState(active=True, tracker="CSRT", x=0.4, y=0.3, width=0.1, height=0.2, confidence=0.9),
    )
    batch.records.add(time_s=now, follower=pb.FollowerState(engaged=True, profile="chase", forward_mps=2.0))
    return batch


def _collect(live_api) -> tuple[list[dict[str, Any]], threading.Event]:
    got: list[dict[str, Any]] = []
    three = threading.Event()

    def on_record(_topic: str, record: Any) -> None:
        got.append(record)
        if len(got) >= 3:
            three.set()

    live_api.service.bus.subscribe(INGEST_TOPIC, on_record)
    return got, three


def test_a_batch_round_trips_onto_the_bus(live_api) -> None:
    got, three = _collect(live_api)
    with live_api.client("operator") as c:
        r = c.post("/api/ingest", content=_batch().SerializeToString(), headers=PROTOBUF)
        assert r.status_code == 200, r.text
        assert r.json() == {
            "accepted": 3,
            "device_id": "companion-1",
            "kinds": {"vehicle": 1, "tracker": 1, "follower": 1},
            "total_records": 3,
        }
        assert three.wait(2)
        vehicle = got[0]
        assert vehicle["device_id"] == "companion-1" and vehicle["kind"] == "vehicle"
        assert vehicle["source"] == "px4-bridge"
        assert vehicle["data"]["system_id"] == 42 and vehicle["data"]["armed"] is True
        assert vehicle["data"]["lat_deg"] == 47.39 and vehicle["data"]["mode"] == "OFFBOARD"
        assert got[1]["data"]["tracker"] == "CSRT" and got[1]["data"]["confidence"] == 0.9
        assert got[2]["kind"] == "follower" and got[2]["data"]["forward_mps"] == 2.0
        stats = c.get("/stats").json()["ingest"]
        assert stats["batches"] == 1 and stats["records"] == 3 and stats["last_device"] == "companion-1"
        assert stats["by_kind"] == {"vehicle": 1, "tracker": 1, "follower": 1}
    # and it was recorded: one JSON line per record in today's (UTC) file, with the time it arrived
    files = list(ingest_dir().glob("*.jsonl"))
    assert [f.name for f in files] == [time.strftime("%Y-%m-%d.jsonl", time.gmtime())]
    lines = [json.loads(line) for line in files[0].read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["vehicle", "tracker", "follower"]
    assert lines[0]["data"]["lat_deg"] == 47.39 and lines[0]["device_id"] == "companion-1"
    assert all(abs(line["received_s"] - time.time()) < 60 for line in lines)


def test_malformed_and_invalid_batches_are_refused_and_nothing_is_stored(live_api) -> None:
    got, _ = _collect(live_api)
    bad_value = _batch()
    bad_value.records[0].vehicle.lat_deg = 123.0
    bad_value.records[1].tracker.confidence = float("nan")
    no_body = pb.TelemetryBatch(device_id="x")
    no_body.records.add(time_s=time.time())
    not_timed = pb.TelemetryBatch(device_id="x")
    not_timed.records.add(vehicle=pb.VehicleState(system_id=1))
    no_device = _batch()
    no_device.device_id = ""
    cases = {
        b"\xff\xff\xff\xff": "not a kestrel.v1.TelemetryBatch",
        b"": "empty body",
        pb.TelemetryBatch(device_id="x").SerializeToString(): "records is empty",
        bad_value.SerializeToString(): "records[0].vehicle.lat_deg = 123.0 is out of range -90..90; "
        "records[1].tracker.confidence = nan is not a finite number",
        no_body.SerializeToString(): "records[0] has no body",
        not_timed.SerializeToString(): "records[0].time_s = 0.0 must be a UNIX time",
        no_device.SerializeToString(): "device_id must have 1..64 characters",
    }
    with live_api.client("operator") as c:
        for body, reason in cases.items():
            r = c.post("/api/ingest", content=body, headers=PROTOBUF)
            assert r.status_code == 400, (body, r.text)
            assert reason in r.json()["detail"], r.json()["detail"]
        r = c.post("/api/ingest", content=_batch().SerializeToString(), headers={"Content-Type": "application/json"})
        assert r.status_code == 415
        huge = b"\x00" * (live_api.app.state.runtime.settings.ingest_max_bytes + 1)
        assert c.post("/api/ingest", content=huge, headers=PROTOBUF).status_code == 413
        stats = c.get("/stats").json()["ingest"]
        assert stats["records"] == 0 and stats["batches"] == 0 and stats["refused"] == len(cases) + 2
    with live_api.client("viewer") as c:
        assert c.post("/api/ingest", content=_batch().SerializeToString(), headers=PROTOBUF).status_code == 403
    assert got == [] and live_api.service.bus.latest(INGEST_TOPIC) is None
    assert not ingest_dir().exists() or not list(ingest_dir().glob("*.jsonl"))


def test_a_full_disk_refuses_the_batch_with_507_and_keeps_nothing(make_live_api, tmp_path) -> None:
    free_mb = shutil.disk_usage(tmp_path).free // 2**20
    # ask for more free space than the disk has (the setting's bound is 100000 MB)
    needed = min(free_mb + 1024, 100_000)
    if needed <= free_mb:
        pytest.skip(f"the disk has {free_mb} MB free: more than logging.min_free_disk_mb can ask for")
    live_api = make_live_api(logging__min_free_disk_mb=needed)
    got, _ = _collect(live_api)
    with live_api.client("operator") as c:
        r = c.post("/api/ingest", content=_batch().SerializeToString(), headers=PROTOBUF)
        assert r.status_code == 507, r.text
        assert "nothing stored" in r.json()["detail"] and "min_free_disk_mb" in r.json()["detail"]
        stats = c.get("/stats").json()["ingest"]
        assert stats["records"] == 0 and stats["refused"] == 1
        # room again (a live setting): the same batch is accepted and kept
        live_api.service.config.set("logging", "min_free_disk_mb", 0, source="test")
        assert c.post("/api/ingest", content=_batch().SerializeToString(), headers=PROTOBUF).status_code == 200
    lines = next(ingest_dir().glob("*.jsonl")).read_text().splitlines()
    assert len(lines) == 3 and len(got) == 3
