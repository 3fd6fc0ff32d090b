"""IngestLog (gcs/core/logs/ingest.py): concurrent batches each land whole, as valid JSON lines;
a disk below the free-space floor refuses a batch whole (DiskFull) and the file is unchanged."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from gcs.core.logs.ingest import DiskFull, IngestLog


def _batch(worker: int, n: int) -> list[dict[str, object]]:
    return [
        {
            "device_id": f"dev-{worker}",
            "time_s": 1.0 + n,
            "kind": "vehicle",
            "data": {"seq": n, "i": i, "pad": "x" * 300},
        }
        for i in range(3)
    ]


def test_concurrent_batches_are_whole_lines(tmp_path: Path) -> None:
    log = IngestLog(tmp_path / "ingest", lambda: 0)

    def worker(w: int) -> None:
        for n in range(50):
            log.append(_batch(w, n), received_s=1_712_345_678.0)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    [path] = list((tmp_path / "ingest").iterdir())
    assert path.name == "2024-04-05.jsonl"  # the UTC day it was received
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 8 * 50 * 3
    # each batch's three records are adjacent: a batch is one write
    for k in range(0, len(lines), 3):
        group = lines[k : k + 3]
        assert {(r["device_id"], r["data"]["seq"]) for r in group} == {(group[0]["device_id"], group[0]["data"]["seq"])}
        assert [r["data"]["i"] for r in group] == [0, 1, 2]


def test_low_disk_refuses_the_whole_batch(tmp_path: Path) -> None:
    floor = {"mb": 0}
    log = IngestLog(tmp_path / "ingest", lambda: floor["mb"])
    first = log.append(_batch(0, 0))
    before = first.path.read_bytes()
    floor["mb"] = shutil.disk_usage(tmp_path).free // 2**20 + 1024  # more than the disk has
    with pytest.raises(DiskFull, match="nothing stored"):
        log.append(_batch(0, 1))
    assert first.path.read_bytes() == before
