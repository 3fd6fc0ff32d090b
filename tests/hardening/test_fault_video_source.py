"""Fault: the network camera dies and comes back (its process killed, then restarted on the same port).

The program (``python -m gcs --demo --headless --video http://...``) reads an MJPEG-over-HTTP
camera served by another process. When that process is killed, the capture health must go
RECONNECTING with a reason (the pilot sees why there is no picture) while the flight carries on;
when a camera answers on the same address again, the health is OK by itself, without anyone
pressing reconnect, and snapshots are fresh frames from the new camera.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, wait_until
from tests.hardening.conftest import free_port

pytestmark = pytest.mark.slow
CAMERA = Path(__file__).with_name("mjpeg_camera.py")


@pytest.fixture
def camera_factory() -> Iterator[Any]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(port: int) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, str(CAMERA), str(port)], cwd=ROOT, stdout=subprocess.DEVNULL)
        procs.append(proc)

        def answers() -> bool:
            try:
                with httpx.stream("GET", f"http://127.0.0.1:{port}/stream.mjpg", timeout=2) as r:
                    return r.status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, 20, f"the MJPEG camera on port {port}", 0.2)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_camera_killed_then_restarted_goes_reconnecting_then_ok_by_itself(run_program, camera_factory) -> None:
    port = free_port()
    camera = camera_factory(port)
    config = "video:\n  fps: 15\n  reconnect_max_backoff_s: 1.0\n"  # the camera serves 15 fps
    program = run_program("--video", f"http://127.0.0.1:{port}/stream.mjpg", config_text=config)
    with program.client("operator") as c:
        wait_until(lambda: c.get("/api/video/health").json()["state"] == "ok", 30, "video OK from the camera", 0.25)
        health = c.get("/api/video/health").json()
        assert (health["width"], health["height"]) == (320, 240), health
        assert c.get("/api/video/snapshot").status_code == 200

        camera.send_signal(signal.SIGKILL)
        camera.wait(timeout=10)
        wait_until(
            lambda: c.get("/api/video/health").json()["state"] == "reconnecting", 30, "health RECONNECTING", 0.2
        )
        reason = c.get("/api/video/health").json()["reason"]
        assert reason, "RECONNECTING says why"
        assert c.get("/api/health").json()["vehicles"] == {"1": "ok"}, "the flight is not affected by the camera"

        camera_factory(port)
        wait_until(lambda: c.get("/api/video/health").json()["state"] == "ok", 30, "video OK again by itself", 0.25)
        snap = c.get("/api/video/snapshot")
        assert snap.status_code == 200 and snap.content[:2] == b"\xff\xd8", "a JPEG from the restarted camera"
        assert c.get("/api/health").json()["vehicles"] == {"1": "ok"}
        assert c.get("/stats").json()["streams"] is not None
    print(f"\nvideo fault: RECONNECTING because {reason!r}, then OK by itself")
