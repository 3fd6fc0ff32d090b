"""Hardening fixtures: the in-process API server (from tests/api) and the whole program as a subprocess.

``make_live_api``/``live_api`` are the API tests' real uvicorn on loopback over a real service.
``run_program`` starts ``python -m gcs --demo --headless`` on free ports with a private config and
data dir, so faults (killed simulator, corrupt config, full disk) and soaks hit the real program
with its real threads, and ``/proc`` tells its file descriptors and memory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import live_api, make_live_api  # noqa: F401 - fixtures re-exported
from tests.conftest import ROOT, wait_until


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise AssertionError(f"no VmRSS for pid {pid}")


@dataclass
class Program:
    """One running ``gcs`` process: its API address, an admin/viewer token and its output."""

    proc: subprocess.Popen[str]
    url: str
    config_dir: Path
    data_dir: Path
    log_path: Path
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def token(self, role: str) -> str:
        if role not in self.tokens:
            out = subprocess.run(
                [sys.executable, "-m", "gcs", "token", "create", "--role", role, "--config",
                 str(self.config_dir / "config.yaml")],
                capture_output=True, text=True, timeout=60, env=program_env(self.config_dir, self.data_dir), check=True,
            )  # fmt: skip
            self.tokens[role] = out.stdout.strip().splitlines()[-1]
        return self.tokens[role]

    def client(self, role: str | None = "viewer") -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(role)}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=15.0)

    def health(self) -> dict[str, object]:
        with httpx.Client(base_url=self.url, timeout=10.0) as c:
            body: dict[str, object] = c.get("/api/health").json()
            return body

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return int(self.proc.returncode)


def program_env(config_dir: Path, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KESTREL_CONFIG_DIR=str(config_dir),
        KESTREL_DATA_DIR=str(data_dir),
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        PYTHONUNBUFFERED="1",
        QT_QPA_PLATFORM="offscreen",
    )
    env.pop("DISPLAY", None)
    return env


@pytest.fixture
def run_program(tmp_path: Path) -> Iterator[object]:
    """Factory: start the program (``[--demo] --headless`` + ``extra`` args) and wait for its API."""
    started: list[Program] = []

    def start(
        *extra: str, config_text: str | None = None, ready_timeout_s: float = 90.0, wait_vehicle: bool = True,
        name: str = "gcs", demo: bool = True,
    ) -> Program:
        config_dir = tmp_path / f"{name}-config"
        data_dir = tmp_path / f"{name}-data"
        config_dir.mkdir(exist_ok=True)
        if config_text is not None:
            (config_dir / "config.yaml").write_text(config_text)
        port = free_port()
        log_path = tmp_path / f"{name}.log"
        demo_args = ["--demo"] if demo else []
        cmd = [sys.executable, "-m", "gcs", *demo_args, "--headless", "--api-port", str(port), *extra]
        with log_path.open("w") as out:
            proc = subprocess.Popen(
                cmd, cwd=ROOT, env=program_env(config_dir, data_dir), stdout=out, stderr=subprocess.STDOUT, text=True
            )
        program = Program(proc, f"http://127.0.0.1:{port}", config_dir, data_dir, log_path)
        started.append(program)

        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"gcs exited with {proc.returncode}:\n{program.log()[-3000:]}")
            try:
                health = program.health()
            except httpx.HTTPError:
                return False
            return not wait_vehicle or bool(health.get("vehicles"))

        wait_until(up, ready_timeout_s, f"gcs API on {program.url} with a vehicle", interval_s=0.25)
        return program

    yield start
    for program in started:
        program.stop()


def wait_for(predicate: object, timeout_s: float, what: str) -> None:
    wait_until(predicate, timeout_s, what, interval_s=0.2)  # type: ignore[arg-type]


def elapsed(since: float) -> float:
    return time.monotonic() - since
