"""The tlog writer and index against pymavlink's own reader: mixed wire versions, corruption, truncation."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from gcs.core.errors import LinkError, RecordingError
from gcs.core.logs.index import TlogIndex
from gcs.core.logs.paths import check_free_disk, tlog_name
from gcs.core.logs.tlog import TlogWriter, frame_header, vehicle_heartbeat
from gcs.core.mavlink_env import mavlink
from tests.logs_support import (
    T0,
    attitude,
    heartbeat,
    pack,
    read_with_pymavlink,
    record,
    synthetic_flight,
    write_tlog,
)


def mixed_records() -> list[tuple[float, bytes]]:
    """MAVLink 1 and 2 from an autopilot, a camera (same system) and a second vehicle."""
    camera = mavlink.MAVLink_heartbeat_message(
        mavlink.MAV_TYPE_CAMERA, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, mavlink.MAV_STATE_ACTIVE, 3
    )
    records = []
    for i in range(30):
        t = T0 + i * 0.1
        records.append((t, pack(heartbeat(), 1, 1, v1=i % 2 == 0, seq=i)))
        records.append((t + 0.01, pack(camera, 1, 100, seq=i)))
        records.append((t + 0.02, pack(attitude(i * 100), 2, 1, v1=True, seq=i)))
    return records


def test_writer_output_reads_in_pymavlink_with_the_same_count(tmp_path: Path) -> None:
    path = tmp_path / "out.tlog"
    writer = TlogWriter(path, flush_interval_s=0.1)
    records = mixed_records()
    for t, frame in records:
        writer.write(frame, t)
    writer.close()
    view = read_with_pymavlink(path)
    assert (view.good, view.bad) == (len(records), 0) == (writer.frames_written, 0)
    assert [m._timestamp for m in view.messages] == pytest.approx([t for t, _ in records], abs=1e-6)
    assert {(m.get_srcSystem(), m.get_srcComponent()) for m in view.messages} == {(1, 1), (1, 100), (2, 1)}


def test_writer_flushes_on_its_timer_without_close(tmp_path: Path) -> None:
    path = tmp_path / "live.tlog"
    writer = TlogWriter(path, flush_interval_s=0.2)
    try:
        frame = pack(heartbeat())
        writer.write(frame, time.time())
        deadline = time.monotonic() + 1.0
        while path.stat().st_size == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert path.stat().st_size == 8 + len(frame), "a queued record reaches the disk within a second"
        assert read_with_pymavlink(path).good == 1
    finally:
        writer.close()


def test_writer_never_overwrites_a_file(tmp_path: Path) -> None:
    path = tmp_path / "taken.tlog"
    path.write_bytes(b"keep")
    with pytest.raises(RecordingError, match="cannot create tlog"):
        TlogWriter(path)
    assert path.read_bytes() == b"keep"


def test_index_matches_pymavlink_on_mixed_versions_and_components(tmp_path: Path) -> None:
    path = write_tlog(tmp_path / "mixed.tlog", mixed_records())
    index = TlogIndex(path)
    try:
        assert len(index) == read_with_pymavlink(path).good == 90
        assert index.resyncs == index.truncated_bytes == 0
        assert index.duration_s == pytest.approx(2.92, abs=1e-6)
        headers = {(h.system_id, h.component_id, h.msg_id) for h in (frame_header(index.frame(i)) for i in range(90))
                   if h is not None}
        assert headers == {(1, 1, 0), (1, 100, 0), (2, 1, mavlink.MAVLINK_MSG_ID_ATTITUDE)}
    finally:
        index.close()


def test_index_resynchronises_after_garbage_and_skips_a_truncated_tail(tmp_path: Path) -> None:
    records = synthetic_flight(2.0)
    half = len(records) // 2
    body = b"".join(
        (bytes(range(200, 256)) * 3 if i == half else b"") + record(t, f)
        for i, (t, f) in enumerate(records)
    )
    last_frame = pack(attitude(99_999))
    path = tmp_path / "damaged.tlog"
    path.write_bytes(body + record(T0 + 9, last_frame)[:-5])
    index = TlogIndex(path)
    try:
        assert len(index) == len(records), "every whole record before and after the garbage is kept"
        assert index.resyncs == 1 and index.skipped_bytes == 168
        assert index.truncated_bytes == 8 + len(last_frame) - 5
    finally:
        index.close()
    assert read_with_pymavlink(path).good == len(records)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty"), (b"this is not a tlog at all, just some text\n" * 3, "holds no MAVLink frames")],
)
def test_index_refuses_empty_and_foreign_files_clearly(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.tlog"
    path.write_bytes(content)
    with pytest.raises(LinkError, match=message):
        TlogIndex(path)


def test_index_refuses_a_missing_file_clearly(tmp_path: Path) -> None:
    with pytest.raises(LinkError, match=r"cannot open tlog .*missing.tlog: No such file"):
        TlogIndex(tmp_path / "missing.tlog")


def test_state_before_gives_the_last_record_of_each_key_in_file_order(tmp_path: Path) -> None:
    path = write_tlog(tmp_path / "f.tlog", mixed_records())
    index = TlogIndex(path)
    try:
        picked = index.state_before(30)  # records 0-29: ten rounds of three
        assert picked == [27, 28, 29]
        assert index.state_before(0) == []
    finally:
        index.close()


def test_vehicle_heartbeat_identity_follows_the_fleet_rule() -> None:
    identity = vehicle_heartbeat(pack(heartbeat(), 3, 1, v1=True))
    assert identity is not None and (identity.system_id, identity.mav_type) == (3, mavlink.MAV_TYPE_QUADROTOR)
    gcs = mavlink.MAVLink_heartbeat_message(mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0, 3)
    assert vehicle_heartbeat(pack(gcs, 255, 190)) is None
    assert vehicle_heartbeat(pack(attitude(0))) is None
    assert tlog_name(T0, identity).endswith("_sys3_ardupilotmega_quadrotor.tlog")


def test_free_disk_check_refuses_with_the_figures(tmp_path: Path) -> None:
    free_mb = shutil.disk_usage(tmp_path).free // 2**20
    check_free_disk(tmp_path / "not" / "yet", 1)
    wanted = free_mb + 1000
    with pytest.raises(RecordingError, match=rf"MB free, below the {wanted} MB set in logging\.min_free_disk_mb"):
        check_free_disk(tmp_path, free_mb + 1000)
