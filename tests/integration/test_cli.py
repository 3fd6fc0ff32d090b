"""The program as a pilot starts it: `gcs --help`, `gcs token create`, `gcs --headless --demo`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import jwt
import pytest

from tests.conftest import ROOT, wait_until


def _run(args: list[str], env: dict[str, str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gcs", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, **kw
    )  # type: ignore[call-overload]


def _env(config_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["KESTREL_CONFIG_DIR"] = str(config_dir)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)
    return env


def test_help_lists_the_options(config_dir: Path) -> None:
    out = _run(["--help"], _env(config_dir))
    assert out.returncode == 0
    for option in ("--connect", "--demo", "--headless", "--api-host", "--api-port", "--config", "--log-level"):
        assert option in out.stdout
    assert "token create" in out.stdout


def test_token_create_prints_a_working_token_on_the_last_line(config_dir: Path) -> None:
    from embedded_api.auth import Role, TokenAuthority, load_secret

    out = _run(["token", "create", "--role", "operator"], _env(config_dir))
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip().splitlines()[-1]
    principal = TokenAuthority(load_secret(config_dir)).verify(token)
    assert principal.role is Role.OPERATOR
    assert (config_dir / "api_secret").stat().st_mode & 0o077 == 0, "the API secret must be private"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 12 * 3600, "CLI tokens default to 12 h (not 30 days)"
    assert "valid 12 h" in out.stdout
    long = _run(["token", "create", "--role", "operator", "--ttl-hours", "720"], _env(config_dir))
    claims = jwt.decode(long.stdout.strip().splitlines()[-1], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 720 * 3600, "a long-lived token is still possible on purpose"
    bad = _run(["token", "create", "--role", "pilot"], _env(config_dir))
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_headless_demo_serves_live_telemetry(config_dir: Path) -> None:
    env = _env(config_dir)
    token = _run(["token", "create", "--role", "viewer"], env).stdout.strip().splitlines()[-1]
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gcs", "--demo", "--api-port", str(port), "--log-level", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            try:
                return httpx.get(url + "/api/health", timeout=1).json()["vehicles"].get("1") == "ok"
            except httpx.HTTPError:
                return False

        wait_until(healthy, 20, "the headless program to serve a healthy vehicle")
        r = httpx.get(url + "/api/telemetry", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert r.status_code == 200
        assert r.json()["autopilot"] == "px4" and r.json()["gps"]["fix_type"] >= 3
    finally:
        proc.terminate()
        try:
            output, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert proc.returncode == 0, output
    assert "no display found: running headless" in output
    assert f"web API at http://127.0.0.1:{port}" in output
    assert "stopped" in output


@pytest.mark.slow
def test_a_bad_tlog_on_the_command_line_is_logged_and_the_program_runs(config_dir: Path, tmp_path: Path) -> None:
    """`gcs --connect replay:bad.tlog` says why and goes on: the good replay beside it plays."""
    import cv2

    capture = cv2.VideoCapture(str(ROOT.parent / "shared" / "data" / "video" / "opencv_cup.mp4"))
    ok, frame = capture.read()
    capture.release()
    assert ok
    bad = tmp_path / "photo.tlog"  # a real JPEG renamed
    bad.write_bytes(cv2.imencode(".jpg", frame)[1].tobytes())
    good = ROOT.parent / "shared" / "data" / "tlogs" / "plane_real_2012_tiny_dronekit_test.tlog"
    out = _run(["--headless", "--no-video", "--api-port", str(_free_port()), "--log-level", "INFO",
                "--connect", f"replay:{bad}", "--connect", f"replay:{good}", "--run-for", "3"], _env(config_dir))
    assert out.returncode == 0, out.stderr
    log = out.stdout + out.stderr
    assert f"--connect replay:{bad} not opened" in log and "photo.tlog holds no MAVLink frames" in log
    assert "vehicle 1 found on replay:" in log, "the good replay beside it runs"
