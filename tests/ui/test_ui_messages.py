"""The message log: recordings starting and failing, as the pilot reads them (offscreen)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gcs.core.video.recorder import RecorderStatus

WAIT_MS = 15_000


def lines(window: Any) -> list[tuple[str, str]]:
    return window.messages.entries()


def test_the_flight_log_recording_shows_in_the_message_log(qtbot: Any, window: Any, service: Any) -> None:
    """The real recorder opens a tlog for the demo link; the log names the file, which exists."""
    def started() -> list[str]:
        return [text for text, level in lines(window) if "Flight log" in text and "started" in text and level == "ok"]

    qtbot.waitUntil(lambda: bool(started()), timeout=WAIT_MS)
    path = started()[0].split("started: ", 1)[1]
    assert path.endswith(".tlog") and Path(path).exists(), path
    assert service.recordings()[0].tlog_path == path
    assert window.status_line.text() != started()[0].split("  ", 1)[1]  # good news stays in the log


def test_a_failing_video_recording_shows_in_the_status_line(qtbot: Any, window: Any, service: Any) -> None:
    """A ``video.recording`` status (the video recorder's own type) that carries an error."""
    ok = RecorderStatus(True, "/videos/a.mp4", "/videos/a.csv", 0, 0, 0.0, 30.0, 640, 480, None)
    service.bus.publish("video.recording", ok)
    qtbot.waitUntil(lambda: any(t.endswith("Video recording started: /videos/a.mp4") for t, _ in lines(window)),
                    timeout=WAIT_MS)
    for frames in (10, 20, 30):  # progress with nothing new to say is not logged
        service.bus.publish("video.recording", RecorderStatus(True, "/videos/a.mp4", None, frames, 0, 1.0, 30.0,
                                                              640, 480, None))
    failed = RecorderStatus(False, "/videos/a.mp4", None, 31, 0, 1.0, 30.0, 640, 480,
                            "recording failed: [Errno 28] No space left on device")
    service.bus.publish("video.recording", failed)
    qtbot.waitUntil(lambda: "No space left" in window.status_line.text(), timeout=WAIT_MS)
    assert window.status_line.level == "error"
    assert window.status_line.text() == "Video recording error: recording failed: [Errno 28] No space left on device"
    assert sum("Video recording" in t for t, _ in lines(window)) == 2
