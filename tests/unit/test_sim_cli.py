"""``python -m gcs.core.sim``: help, a timed run that sends real telemetry, a clean SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.__main__ import build_parser, main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.Popen([sys.executable, "-m", "gcs.core.sim", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _listener() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5.0)
    return sock


def _first_heartbeat(sock: socket.socket) -> object:
    parser = mavlink.MAVLink(None)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        data, _ = sock.recvfrom(4096)
        for msg in parser.parse_buffer(data) or []:
            if msg.get_type() == "HEARTBEAT":
                return msg
    raise AssertionError("no heartbeat from the simulator process")


def test_help_works() -> None:
    proc = _run("--help")
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    for option in ("--flavour", "--sysid", "--out", "--bind", "--gps-fix-delay", "--home"):
        assert option in out


def test_timed_run_sends_to_out_and_exits_cleanly() -> None:
    sock = _listener()
    try:
        port = sock.getsockname()[1]
        proc = _run("--flavour", "ardupilot", "--sysid", "7", "--out", f"127.0.0.1:{port}",
                    "--bind", "127.0.0.1:0", "--home", "51.5,-0.12,30", "--duration", "2")
        hb = _first_heartbeat(sock)
        assert hb.autopilot == mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA and hb.get_srcSystem() == 7
        _, err = proc.communicate(timeout=10)
    finally:
        sock.close()
    assert proc.returncode == 0
    assert "listening on udp 127.0.0.1:" in err and f"sending to 127.0.0.1:{port}" in err


def test_sigterm_stops_it() -> None:
    sock = _listener()
    try:
        proc = _run("--no-out", "--bind", "127.0.0.1:0", "--gps-fix-delay", "5")
        # it only answers peers, so say hello to find it: read the bound port from its log line
        deadline = time.monotonic() + 10
        line = ""
        assert proc.stderr is not None
        while "listening on udp" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
        sim_port = int(line.split("listening on udp 127.0.0.1:")[1].split(",")[0])
        hello = mavlink.MAVLink_heartbeat_message(6, 8, 0, 0, 0, 3).pack(mavlink.MAVLink(None, 255, 190))
        sock.sendto(hello, ("127.0.0.1", sim_port))
        hb = _first_heartbeat(sock)
        assert hb.autopilot == mavlink.MAV_AUTOPILOT_PX4
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
        assert time.monotonic() - started < 2.0
    finally:
        sock.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["--out", "nonsense"])
    assert info.value.code == 2
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--flavour", "inav"])
    assert main(["--sysid", "0", "--no-out", "--duration", "0"]) == 2
