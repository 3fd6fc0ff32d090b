"""Start-up time and memory of `gcs --demo --headless`, from the source tree and from the bundle.

What a user waits for and what the program costs while it runs: the time from launching the
program to the first answer of ``/api/health`` (the API is up), to ``/health/ready`` (the demo
vehicle's link is OK), and the resident memory (RSS, the process and its children) when ready
and after ``--settle`` more seconds of flying with the virtual camera. Baseline in the same run:
a bare ``python -c pass`` (time and RSS), i.e. what any Python program costs before its imports.
When the PyInstaller bundle exists (dist/kestrel-gcs/kestrel-gcs, or ``--bundle``), it is
measured the same way. Each start runs ``--repeat`` times; the fastest start is reported.

    .venv/bin/python bench/bench_startup_memory.py [--repeat 2] [--settle 10] [--bundle PATH] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import emit, free_port, gcs_command, load_average, program_env, row  # noqa: E402

DEFAULT_BUNDLE = ROOT / "dist" / "kestrel-gcs" / "kestrel-gcs"


def _rss_mb(proc: psutil.Process) -> float:
    """Resident memory of ``proc`` and all its children, in MB."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # a child may exit between the listing and the read
            total += p.memory_info().rss
    return total / 1e6


def _poll(url: str, deadline: float, ok: set[int]) -> float | None:
    """Poll ``url`` until its status is in ``ok``; the perf_counter time it first was, or None."""
    while time.perf_counter() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code in ok:
                return time.perf_counter()
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return None


def measure_start(command: list[str], settle_s: float, timeout_s: float = 120.0) -> dict[str, Any]:
    """Launch ``command --demo --headless`` with private dirs; times to health/ready and RSS."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kestrel-bench-") as home:
        env = program_env(Path(home))
        args = [*command, "--demo", "--headless", "--api-port", str(port), "--log-level", "WARNING"]
        started = time.perf_counter()
        proc = subprocess.Popen(args, env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ps = psutil.Process(proc.pid)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = started + timeout_s
            t_health = _poll(base + "/api/health", deadline, {200})
            t_ready = _poll(base + "/health/ready", deadline, {200}) if t_health else None
            rss_ready = _rss_mb(ps) if t_ready else None
            time.sleep(settle_s)
            rss_settled = _rss_mb(ps) if proc.poll() is None else None
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
        stopped_cleanly = proc.returncode == 0
    return {
        "to_health_s": None if t_health is None else round(t_health - started, 2),
        "to_ready_s": None if t_ready is None else round(t_ready - started, 2),
        "rss_ready_mb": None if rss_ready is None else round(rss_ready),
        "rss_settled_mb": None if rss_settled is None else round(rss_settled),
        "stopped_cleanly": stopped_cleanly,
        "stderr_tail": "" if stopped_cleanly and t_ready else err.decode(errors="replace")[-600:],
    }


def bare_python() -> dict[str, float]:
    """The floor: start and exit a bare interpreter; and the RSS of one that idles."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    took = time.perf_counter() - t0
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    time.sleep(0.5)
    rss = _rss_mb(psutil.Process(proc.pid))
    proc.terminate()
    proc.wait()
    return {"start_s": round(took, 3), "rss_mb": round(rss, 1)}


def best_start(command: list[str], repeat: int, settle_s: float) -> dict[str, Any]:
    runs = [measure_start(command, settle_s) for _ in range(max(1, repeat))]
    good = [r for r in runs if r["to_ready_s"] is not None]
    best = min(good, key=lambda r: r["to_ready_s"]) if good else runs[-1]
    return {**best, "runs_to_ready_s": [r["to_ready_s"] for r in runs]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="starts per program (the fastest is reported)")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds of flying before the second RSS")
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE, help="the built bundle's executable")
    parser.add_argument("--no-bundle", action="store_true", help="measure the source tree only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    figures: dict[str, Any] = {"load_1min": load_average()}
    bare = min((bare_python() for _ in range(3)), key=lambda b: b["start_s"])
    figures["bare_python"] = bare
    programs = {"source": gcs_command()}
    if not args.no_bundle and args.bundle.is_file():
        programs["bundle"] = [str(args.bundle)]
    headline = []
    for label, command in programs.items():
        res = best_start(command, args.repeat, args.settle)
        figures[label] = res
        name = "`gcs --demo --headless`" if label == "source" else "bundle `kestrel-gcs --demo --headless`"
        headline += [
            row(f"start-up to /api/health, {name}", res["to_health_s"], "s",
                baseline="bare `python -c pass`", baseline_value=bare["start_s"]),
            row(f"start-up to ready (vehicle link OK), {name}", res["to_ready_s"], "s"),
            row(f"memory (RSS) after {args.settle:g} s flying, {name}", res["rss_settled_mb"], "MB",
                baseline="idle bare python", baseline_value=bare["rss_mb"]),
        ]
    figures["load_1min_after"] = load_average()
    figures["headline"] = headline
    emit(figures, args.json)
    return 0 if all(figures[p]["to_ready_s"] is not None for p in programs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
