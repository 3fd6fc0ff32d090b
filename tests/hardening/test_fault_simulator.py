"""Fault: the vehicle goes silent and comes back - frozen (SIGSTOP/SIGCONT), then killed and restarted.

The simulator runs as its own process (``python -m gcs.core.sim``, sending to the program like PX4
SITL to QGC's port) and the program (``python -m gcs --headless --connect udpin:...``) as another,
so the fault is a real process dying, not a flag. While the vehicle flies under our setpoint
stream (OFFBOARD):

- frozen: the link is reported lost within the watchdog time, the setpoint stream disengages
  with the reason and a hold is requested (fail closed); when the vehicle thaws, the link
  recovers, the vehicle has taken the hold, and the stream does not resume by itself;
- killed: the link is lost again; a new simulator on the same port is picked up by itself,
  telemetry flows again and nothing is streamed to it.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ROOT, wait_until
from tests.hardening.conftest import free_port, program_env

pytestmark = pytest.mark.slow
HOLD_MODES = {"AUTO.LOITER", "HOLD", "LOITER"}


@pytest.fixture
def sim_factory(tmp_path: Any) -> Iterator[Any]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(out_port: int) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "gcs.core.sim", "--flavour", "px4", "--out", f"127.0.0.1:{out_port}",
               "--bind", "127.0.0.1:0", "--gps-fix-delay", "0"]  # fmt: skip
        env = program_env(tmp_path / "sim-config", tmp_path / "sim-data")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
            proc.wait(timeout=10)


def _link(c: Any) -> str:
    return str(c.get("/api/health").json()["vehicles"].get("1", "none"))


def test_vehicle_frozen_then_killed_and_restarted_fails_closed_and_recovers(run_program, sim_factory) -> None:
    port = free_port(kind=2)  # SOCK_DGRAM
    sim = sim_factory(port)
    program = run_program("--connect", f"udpin:127.0.0.1:{port}", "--no-video", demo=False)
    with program.client("operator") as c:
        wait_until(lambda: c.post("/api/vehicle/arm", json={}).status_code == 200, 60, "arm accepted", 1.0)
        assert c.post("/api/vehicle/takeoff", json={"altitude_m": 10}).status_code == 200
        wait_until(lambda: c.get("/api/telemetry").json()["global_position"]["alt_rel_m"] > 8, 90, "airborne", 0.5)
        r = c.post("/commands/start_offboard_mode", json={})
        assert r.status_code == 200, r.text
        wait_until(lambda: c.get("/status").json()["commander"]["engaged"], 10, "setpoint stream engaged")
        wait_until(lambda: c.get("/api/telemetry").json()["mode"] == "OFFBOARD", 15, "vehicle in OFFBOARD")

        # Frozen vehicle (radio silence): lost -> stream off -> hold requested.
        sim.send_signal(signal.SIGSTOP)
        wait_until(lambda: _link(c) == "lost", 20, "link reported lost", 0.25)
        commander = c.get("/status").json()["commander"]
        assert not commander["engaged"] and "link lost" in str(commander["reason"]), commander
        assert c.get("/health/ready").status_code == 503
        sim.send_signal(signal.SIGCONT)
        wait_until(lambda: _link(c) == "ok", 20, "link recovered after the freeze", 0.25)
        wait_until(lambda: c.get("/api/telemetry").json()["mode"] in HOLD_MODES, 15, "the vehicle took the hold")
        assert c.get("/health/ready").status_code == 200
        assert not c.get("/status").json()["commander"]["engaged"], "the stream must not resume by itself"

        # Killed: lost again; a fresh simulator on the same port is picked up by itself.
        sim.kill()
        sim.wait(timeout=10)
        wait_until(lambda: _link(c) == "lost", 20, "link reported lost after the kill", 0.25)
        sim_factory(port)
        wait_until(lambda: _link(c) == "ok", 30, "link recovered with the restarted simulator", 0.25)
        first = c.get("/api/telemetry").json()
        wait_until(
            lambda: c.get("/api/telemetry").json()["link"]["received"] > first["link"]["received"] + 20,
            10, "telemetry flows from the new simulator",
        )  # fmt: skip
        state = c.get("/api/telemetry").json()
        assert state["armed"] is False  # a fresh vehicle on the ground: nothing was resumed or re-armed
        assert not c.get("/status").json()["commander"]["engaged"]
        # ...and it flies again on request.
        wait_until(lambda: c.post("/api/vehicle/arm", json={}).status_code == 200, 30, "re-arm accepted", 1.0)
    log = program.log()
    assert "link lost" in log and "heartbeats received" in log


def test_a_second_program_on_a_taken_demo_port_takes_a_free_one_instead_of_sharing_it(make_service) -> None:
    """Regression (found by the soak: the demo link flapped 'lost' while another GCS ran). pymavlink
    binds udpin with SO_REUSEADDR, so two programs shared port 14550 and each datagram went to one
    of them. Now a taken port is refused and ``--demo`` falls back to a free one."""
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # another GCS listening like QGC
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    other.bind(("127.0.0.1", 0))
    port = other.getsockname()[1]
    try:
        service = make_service(None, link__demo_port=port)
        service.start_demo("px4")
        service.wait_for_vehicle(10.0)
        (counters,) = service.links()
        assert service.link(counters.link_id).local_port != port
        other.settimeout(0.5)
        with pytest.raises(TimeoutError):
            other.recv(2048)  # nothing of ours lands on the other program's socket
        time.sleep(4.0)  # longer than the watchdog: the link must stay up
        assert service.vehicle_state().link.state.value == "ok"
    finally:
        other.close()
