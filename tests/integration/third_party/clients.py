"""The real third-party clients as processes the tests own: MAVSDK's mavsdk_server and MAVProxy.

Both come from PyPI through the test set-up (``mavsdk-grpc`` bundles mavsdk_server; MAVProxy is
installed ``--no-deps`` by scripts/setup.sh). Each process is started on free ports, its output
goes to a file or a line queue, and ``stop()`` ends it by its own PID (terminate, then kill).
A missing client fails the test rather than skipping it: CI must have installed it.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

MAVPROXY = Path(sys.executable).with_name("mavproxy.py")


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _end(proc: subprocess.Popen[bytes] | subprocess.Popen[str], grace_s: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace_s)


class MavsdkServer:
    """The mavsdk_server bundled in mavsdk-grpc, dialling a vehicle; gRPC on a free loopback port."""

    def __init__(self, system_address: str, log_path: Path) -> None:
        binary = Path(str(files("mavsdk_grpc") / "bin" / "mavsdk_server"))
        assert binary.exists(), f"mavsdk-grpc has no bundled mavsdk_server at {binary} (run scripts/setup.sh)"
        self.port = free_tcp_port()
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(binary), "-p", str(self.port), system_address],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        _end(self.proc)
        self._log.close()


@dataclass(frozen=True)
class Line:
    at_s: float  # seconds since MAVProxy was started (time.monotonic)
    text: str


class MavProxy:
    """MAVProxy with commands on stdin (its interactive shell reading a pipe; no terminal needed).

    ``--non-interactive`` and ``--daemon`` do not read stdin at all (MAVProxy 1.8: the main thread
    just sleeps), so a headless script that must wait for the vehicle between commands uses the
    plain shell on a pipe; ``--cmd`` runs commands only once, at start.
    """

    def __init__(self, master: str, state_dir: Path, *extra: str) -> None:
        assert MAVPROXY.exists(), f"MAVProxy is not installed beside {sys.executable} (run scripts/setup.sh)"
        self.started = time.monotonic()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, str(MAVPROXY), f"--master={master}", f"--state-basedir={state_dir}",
             "--aircraft=sim", *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
            env=env, cwd=state_dir,
        )
        self.reads_stdin = not {"--non-interactive", "--daemon"} & set(extra)
        self.lines: list[Line] = []
        self._new: queue.Queue[Line] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="mavproxy-out", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = Line(time.monotonic() - self.started, raw.rstrip("\n"))
            self.lines.append(line)
            self._new.put(line)

    def send(self, command: str) -> int:
        """Type one command; returns how many lines were seen before it (to wait for what follows)."""
        assert self.proc.stdin is not None
        seen = len(self.lines)
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return seen

    def wait_for(self, text: str, timeout: float = 60.0, since: int = 0) -> Line:
        """The first line from index ``since`` on that contains ``text``; fails after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines[since:]:
                if text in line.text:
                    return line
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and self._new.empty()):
                tail = "\n".join(x.text for x in self.lines[-30:])
                raise AssertionError(f"MAVProxy never printed {text!r} in {timeout:.0f} s; its last lines:\n{tail}")
            with contextlib.suppress(queue.Empty):
                self._new.get(timeout=min(left, 0.5))

    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def stop(self) -> None:
        """End of input makes MAVProxy's shell unload its modules and exit (SIGTERM would wait for a
        line first); without a shell SIGTERM does it. Killed if neither works."""
        if self.reads_stdin and self.proc.poll() is None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(15.0)
        _end(self.proc)
        self._reader.join(5.0)
