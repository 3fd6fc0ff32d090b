"""A real ArduCopter SITL per test module, and its ground truth read on SERIAL1 with pymavlink.

``../shared/sitl/start_sitl.sh`` (next to the repository) starts ArduPilot's own SITL build. Each
module gets its own INSTANCE: a free number whose four TCP ports are free, claimed with a lock
file so parallel test runs (and other sessions' SITLs) never share one; started with WIPE=1 and
killed by its PID at the end. The GCS under test talks on SERIAL0 (tcp 5760+10*I); the truth
(position, mode, RC input) comes from SERIAL1 (tcp 5762+10*I), never from the program's state.
"""

from __future__ import annotations

import fcntl
import math
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

SITL_DIR = ROOT.parent / "shared" / "sitl"
START = SITL_DIR / "start_sitl.sh"
BINARY = SITL_DIR / "arducopter"
INSTANCES = range(20, 90)  # 5960..6653: clear of the instances people start by hand (0-9)
EARTH_M_PER_DEG = 111_320.0


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Sitl:
    """One SITL instance: start (WIPE=1 the first time), kill by PID, start again with its eeprom."""

    def __init__(self, instance: int, run_dir: Path, speedup: int = 1) -> None:
        self.instance = instance
        self.run_dir = run_dir
        self.speedup = speedup  # SITL's clock runs this many times the wall clock
        self.pid: int | None = None

    @property
    def port(self) -> int:
        return 5760 + 10 * self.instance

    @property
    def url(self) -> str:
        return f"tcp:127.0.0.1:{self.port}"

    @property
    def truth_url(self) -> str:
        return f"tcp:127.0.0.1:{self.port + 2}"

    def start(self, wipe: bool) -> None:
        env = {**os.environ, "INSTANCE": str(self.instance), "RUN_DIR": str(self.run_dir),
               "WIPE": "1" if wipe else "0", "SPEEDUP": str(self.speedup)}
        done = subprocess.run(["bash", str(START)], env=env, capture_output=True, text=True, timeout=90)
        pid = [line.split("=", 1)[1] for line in done.stdout.splitlines() if line.startswith("SITL_PID=")]
        if done.returncode != 0 or not pid:
            raise RuntimeError(f"SITL instance {self.instance} did not start: {done.stdout}{done.stderr}")
        self.pid = int(pid[0])

    def kill(self) -> float:
        """Kill the autopilot by its PID (as a crash or a power cut would end it), wait until it is
        gone, and return when (time.monotonic()) the signal was sent."""
        pid, self.pid = self.pid, None
        killed = time.monotonic()
        if pid is None:
            return killed
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return killed
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)
        return killed


@dataclass(frozen=True)
class Sample:
    time_s: float  # time.monotonic()
    lat_deg: float
    lon_deg: float
    alt_rel_m: float
    mode: str
    armed: bool
    throttle_pwm: int | None


class Truth:
    """SITL's own view of itself on SERIAL1: a pymavlink reader thread, reconnected after a restart."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._conn: Any = None
        self._pos: Any = None
        self._mode = ""
        self._armed = False
        self._throttle: int | None = None
        self.overrides_seen = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from pymavlink import mavutil

        self._stop.clear()
        self._conn = mavutil.mavlink_connection(self._url, source_system=254, source_component=190)
        self._conn.wait_heartbeat(timeout=30)
        # Copter's default stream rates are 0 on every port: ask for position, RC and modes at 10 Hz.
        self._conn.mav.request_data_stream_send(self._conn.target_system, self._conn.target_component,
                                                mavutil.mavlink.MAV_DATA_STREAM_ALL, 10, 1)
        self._thread = threading.Thread(target=self._run, name="sitl-truth", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while self.latest() is None and time.monotonic() < deadline:
            time.sleep(0.05)

    def _run(self) -> None:
        from pymavlink import mavutil

        conn = self._conn
        while not self._stop.is_set():
            try:
                msg = conn.recv_match(blocking=True, timeout=0.2)
            except (OSError, ConnectionError):
                return
            if msg is None:
                continue
            kind = msg.get_type()
            with self._lock:
                if kind == "GLOBAL_POSITION_INT":
                    self._pos = (time.monotonic(), msg)
                elif kind == "HEARTBEAT" and msg.get_srcComponent() == 1 and msg.type != 6:
                    self._mode = mavutil.mode_string_v10(msg)
                    self._armed = bool(msg.base_mode & mavutil.mavlink.MAV_MODE_FLAG_SAFETY_ARMED)
                elif kind == "RC_CHANNELS":
                    self._throttle = int(msg.chan3_raw)

    def reconnect(self) -> None:
        """After SITL was killed and started again: a new connection to the new process."""
        self.stop()
        self.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._conn is not None:
            self._conn.close()

    def latest(self) -> Sample | None:
        with self._lock:
            if self._pos is None:
                return None
            t, p = self._pos
            return Sample(t, p.lat / 1e7, p.lon / 1e7, p.relative_alt / 1000.0, self._mode, self._armed,
                          self._throttle)

    def sample(self) -> Sample:
        s = self.latest()
        assert s is not None, "no position from SITL's SERIAL1"
        return s


def horizontal_m(a: Sample, b: Sample) -> float:
    north = (b.lat_deg - a.lat_deg) * EARTH_M_PER_DEG
    east = (b.lon_deg - a.lon_deg) * EARTH_M_PER_DEG * math.cos(math.radians(a.lat_deg))
    return math.hypot(north, east)


@dataclass(frozen=True)
class HoldFigures:
    what: str
    alt_change_m: float  # worst |altitude - altitude when the stop was pressed| over the window
    stop_distance_m: float  # from the press to where it came to rest
    drift_m: float  # worst distance from the rest point for the rest of the window
    mode: str
    throttle_pwm: int | None


def watch_hold(truth: Truth, what: str, press: Callable[[], object], window_s: float = 10.0) -> HoldFigures:
    """Note where SITL is, ``press`` the stop, and watch SITL for ``window_s`` from then."""
    pressed = truth.sample()
    press()
    worst_alt = worst_drift = 0.0
    rest: Sample | None = None
    previous = pressed
    end = time.monotonic() + window_s
    while time.monotonic() < end:
        time.sleep(0.1)
        s = truth.sample()
        worst_alt = max(worst_alt, abs(s.alt_rel_m - pressed.alt_rel_m))
        dt = s.time_s - previous.time_s
        if rest is None and dt > 0 and horizontal_m(previous, s) / dt < 0.2:
            rest = s
        if rest is not None:
            worst_drift = max(worst_drift, horizontal_m(rest, s))
        previous = s
    last = truth.sample()
    stop_distance = horizontal_m(pressed, rest) if rest is not None else math.inf
    figures = HoldFigures(what, worst_alt, stop_distance, worst_drift if rest else math.inf, last.mode,
                          last.throttle_pwm)
    print(f"SITL {what}: altitude change {worst_alt:.2f} m, stopped within {stop_distance:.2f} m, "
          f"then drift {figures.drift_m:.2f} m over {window_s:.0f} s; mode {last.mode}, throttle {last.throttle_pwm}")
    return figures


@pytest.fixture(scope="module")
def sitl(request: pytest.FixtureRequest) -> Iterator[Sitl]:
    """A fresh SITL (WIPE=1) on a free instance for this module, killed by PID at the end.

    A module whose figures do not depend on wall-clock reaction times (missions, not the stop tests)
    sets ``SITL_SPEEDUP`` to run SITL's clock faster."""
    if not BINARY.exists() or not START.exists():
        pytest.skip(f"ArduCopter SITL not found at {SITL_DIR} (needs arducopter and start_sitl.sh)")
    lock_dir = Path(tempfile.gettempdir())
    claimed = None
    for instance in INSTANCES:
        lock = open(lock_dir / f"kestrel-sitl-{instance}.lock", "w")  # noqa: SIM115 - held for the module
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        base = 5760 + 10 * instance
        if all(_port_free(base + k) for k in range(4)):
            claimed = (instance, lock)
            break
        lock.close()
    if claimed is None:
        pytest.fail("no free SITL instance (ports 5960-6653 all taken)")
    instance, lock = claimed
    run_dir = Path(tempfile.mkdtemp(prefix=f"kestrel-sitl-{instance}-"))
    sim = Sitl(instance, run_dir, int(getattr(request.module, "SITL_SPEEDUP", 1)))
    try:
        sim.start(wipe=True)
        yield sim
    finally:
        sim.kill()
        lock.close()
        shutil.rmtree(run_dir, ignore_errors=True)  # eeprom, logs, sitl.log of this module's SITL


@pytest.fixture(scope="module")
def truth(sitl: Sitl) -> Iterator[Truth]:
    reader = Truth(sitl.truth_url)
    reader.start()
    yield reader
    reader.stop()
