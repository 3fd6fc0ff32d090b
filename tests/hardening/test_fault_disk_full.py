"""Fault: the disk fills up while the tlog and the video are being recorded.

A real full disk: a 4 MB tmpfs mounted for the test holds the tlog folder and the video, and is
filled to the last byte while both record (``logging.min_free_disk_mb`` is 0 so the early
warning does not stop them first: this is the disk refusing writes, ENOSPC). Both recordings must
stop on their own with a clear error published on the bus (``logs.recording`` for the tlog,
``video.recording`` for the video, where the GUI and API look), the flight session must note why,
and the flight must go on: the vehicle still arms, takes off and reports.
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gcs.core.bus import Topics
from gcs.core.video.recorder import TOPIC as VIDEO_RECORDING
from tests.conftest import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    cmd = ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root / CAP_SYS_ADMIN): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory: Path) -> int:
    """Write until the disk refuses (ENOSPC); returns the bytes written."""
    written = 0
    with (directory / "filler.bin").open("wb", buffering=0) as f:
        chunk = b"\0" * 65536
        while True:
            try:
                written += f.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                chunk = chunk[: len(chunk) // 2]
                if not chunk:
                    return written


class Events:
    def __init__(self, service: Any) -> None:
        self.tlog: list[Any] = []
        self.video: list[Any] = []
        self.lock = threading.Lock()
        self.subs = [
            service.bus.subscribe(Topics.RECORDING, lambda _t, s: self._add(self.tlog, s)),
            service.bus.subscribe(VIDEO_RECORDING, lambda _t, s: self._add(self.video, s)),
        ]

    def _add(self, into: list[Any], status: Any) -> None:
        with self.lock:
            into.append(status)

    def failed(self, which: list[Any]) -> Any:
        with self.lock:
            return next((s for s in which if s.error and not s.recording), None)


def test_disk_full_stops_both_recordings_with_a_clear_error_and_the_flight_goes_on(make_service, small_disk) -> None:
    service = make_service(
        "px4", video__enabled=True, logging__tlog_dir=str(small_disk), logging__min_free_disk_mb=0
    )
    events = Events(service)
    wait_until(lambda: any(r.recording for r in service.recordings()), 15, "the tlog is being recorded")
    wait_until(lambda: service.latest_frame() is not None, 30, "the virtual camera delivers frames")
    status = service.start_video_recording(str(small_disk / "flight.mp4"))
    assert status.recording
    wait_until(lambda: service.video_recording_status().frames_written > 10, 20, "video frames recorded")
    assert events.video and events.video[0].recording  # the start was published too

    filled = fill(small_disk)
    assert filled > 0

    wait_until(lambda: events.failed(events.tlog) is not None, 20, "the tlog recording reports the full disk")
    wait_until(lambda: events.failed(events.video) is not None, 30, "the video recording reports the full disk")
    tlog_failure, video_failure = events.failed(events.tlog), events.failed(events.video)
    assert "No space left on device" in tlog_failure.error and "stopped" in tlog_failure.error
    assert "No space left on device" in video_failure.error, video_failure.error
    assert not any(r.recording for r in service.recordings())
    assert not service.video_recording_status().recording
    frames_then = tlog_failure.frames
    print(f"\ntlog: {tlog_failure.error}\nvideo: {video_failure.error} ({video_failure.frames_written} frames kept)")

    # The flight is unaffected: commands work and telemetry keeps coming after both failures.
    wait_until(lambda: service.arm().success, 30, "arm accepted", interval_s=1.0)
    assert service.takeoff(8.0).success
    wait_until(lambda: service.vehicle_state().global_position.alt_rel_m > 6.0, 60, "climbed to ~8 m")
    assert service.vehicle_state().link.state.value == "ok"
    assert service.video_running and service.video_health()["state"] == "ok"

    # The flight session says why its tlog ends early.
    session_id = tlog_failure.session_id
    assert session_id is not None
    wait_until(
        lambda: any("No space left" in e.text for e in service.flight_session_events(session_id)),
        10, "the session notes the full disk",
    )  # fmt: skip
    assert frames_then > 0
    with contextlib.suppress(FileNotFoundError):
        (small_disk / "filler.bin").unlink()
