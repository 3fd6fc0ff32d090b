"""What every bench shares: timing helpers, the machine description, and the output protocol.

The protocol that ``bench/run_all.py`` reads: a bench run with ``--json`` prints one JSON object
on its last stdout line. It may carry ``"headline"``, a list of rows made by :func:`row`, each
one figure beside the baseline measured in the same run and their ratio; the runner puts those
rows in its table as they are. Without ``--json`` a bench prints the same figures for people.
Benches print figures only: nothing here passes or fails on a number.
"""

from __future__ import annotations

import json
import math
import os
import platform
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def best_of(n: int, fn: Callable[..., T], *args: Any) -> tuple[float, T]:
    """Run ``fn(*args)`` ``n`` times; the shortest wall time (s) and the last result.

    The minimum is the figure least disturbed by whatever else the machine runs (two shared cores).
    """
    best, result = math.inf, None
    for _ in range(max(1, n)):
        t0 = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, result  # type: ignore[return-value]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` (0..1) quantile by nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def machine() -> dict[str, Any]:
    """The machine a run was made on: figures mean little without it."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "load_1min": load_average(),
        "time_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def row(
    figure: str,
    value: float | None,
    unit: str = "",
    *,
    baseline: str | None = None,
    baseline_value: float | None = None,
    ratio: float | None = None,
) -> dict[str, Any]:
    """One headline figure; ``ratio`` defaults to value / baseline_value when both are there."""
    if ratio is None and value is not None and baseline_value:
        ratio = value / baseline_value
    return {
        "figure": figure,
        "value": _rounded(value),
        "unit": unit,
        "baseline": baseline,
        "baseline_value": _rounded(baseline_value),
        "ratio": None if ratio is None or not math.isfinite(ratio) else round(ratio, 3),
    }


def _rounded(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 3) if abs(value) < 100 else round(value, 1)


def emit(figures: dict[str, Any], as_json: bool) -> None:
    """Print ``figures`` as one JSON line (``--json``) or as aligned lines for people."""
    if as_json:
        print(json.dumps(figures), flush=True)
        return
    for key, value in figures.items():
        if key == "headline":
            continue
        print(f"{key:30s} {value}")
    for r in figures.get("headline", []):
        base = f"   baseline {r['baseline']}: {r['baseline_value']}" if r["baseline"] else ""
        ratio = f"   ratio {r['ratio']}" if r["ratio"] is not None else ""
        print(f"* {r['figure']}: {r['value']} {r['unit']}{base}{ratio}")


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gcs_command() -> list[str]:
    """``python -m gcs`` for this checkout's code."""
    return [sys.executable, "-m", "gcs"]


def program_env(home: Path) -> dict[str, str]:
    """Environment for a program a bench starts: private config/data dirs under ``home``, no display."""
    env = dict(os.environ)
    env["KESTREL_CONFIG_DIR"] = str(home / "config")
    env["KESTREL_DATA_DIR"] = str(home / "data")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    return env
