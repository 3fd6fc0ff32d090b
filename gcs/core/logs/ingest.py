"""IngestLog: telemetry pushed by edge devices and companion computers, kept as JSON lines.

Records arrive already checked (the API decodes and validates a protobuf batch first); here they
are stored, then published. Storing comes first and a batch is written with one ``write`` call,
so a batch is either kept whole or refused whole: when the disk holding the folder has less than
``logging.min_free_disk_mb`` free, ``DiskFull`` is raised and nothing is written or published
(the same rule that stops tlog recording). One file per UTC day, ``<data dir>/ingest/YYYY-MM-DD.jsonl``,
one record per line: ``{"received_s", "device_id", "time_s", "source", "kind", "data"}``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gcs.core.errors import RecordingError
from gcs.core.logs.paths import check_free_disk, data_dir

INGEST_TOPIC = "ingest.telemetry"  # each accepted record, as plain data (published after it is stored)


class DiskFull(RecordingError):
    """Not enough free disk to keep an ingest batch; nothing was stored (the API answers 507)."""


@dataclass(frozen=True)
class IngestWritten:
    path: Path
    records: int
    bytes: int


def ingest_dir() -> Path:
    return data_dir() / "ingest"


class IngestLog:
    """Append-only JSONL store of ingested records; thread-safe (one lock around each batch)."""

    def __init__(self, directory: Path, min_free_mb: Callable[[], int]) -> None:
        self.directory = directory
        self._min_free_mb = min_free_mb
        self._lock = threading.Lock()

    def path_for(self, when_s: float) -> Path:
        return self.directory / (time.strftime("%Y-%m-%d", time.gmtime(when_s)) + ".jsonl")

    def append(self, records: Sequence[Mapping[str, Any]], received_s: float | None = None) -> IngestWritten:
        """Write every record (one line each) or none; DiskFull / RecordingError say why not."""
        now = time.time() if received_s is None else received_s
        text = "".join(
            json.dumps({"received_s": round(now, 6), **record}, separators=(",", ":"), allow_nan=False) + "\n"
            for record in records
        )
        data = text.encode("utf-8")
        path = self.path_for(now)
        with self._lock:
            try:
                check_free_disk(self.directory, self._min_free_mb())
            except RecordingError as exc:
                raise DiskFull(f"ingest refused, nothing stored: {exc}") from None
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                with path.open("ab") as out:
                    out.write(data)
            except OSError as exc:
                raise RecordingError(f"cannot write ingest log {path}: {exc}") from exc
        return IngestWritten(path, len(records), len(data))
